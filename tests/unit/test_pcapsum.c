/* test_pcapsum.c - packets decoded to conversation keys, captures summed up */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "common/pcapsum.h"
#include "tests/unit/unit.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

/* A capture being written with libpcap's own dumper, nanosecond times. */
struct cap {
	pcap_t *p;
	pcap_dumper_t *d;
	char path[256];
};

static void
cap_open(struct cap *c, int linktype)
{
	snprintf(c->path, sizeof(c->path), "%s/t.pcap", unit_tmpdir());
	c->p = pcap_open_dead_with_tstamp_precision(linktype, 262144, PCAP_TSTAMP_PRECISION_NANO);
	c->d = c->p ? pcap_dump_open(c->p, c->path) : NULL;
	CHECK(c->d != NULL);
}

/* One packet of LEN bytes on the wire of which CAPLEN were kept, at SEC.NSEC. */
static void
cap_add(struct cap *c, const unsigned char *pkt, size_t caplen, size_t len, long sec, long nsec)
{
	struct pcap_pkthdr h = { .caplen = (bpf_u_int32)caplen, .len = (bpf_u_int32)len };

	h.ts.tv_sec = sec;
	h.ts.tv_usec = nsec;
	if (c->d != NULL)
		pcap_dump((u_char *)c->d, &h, pkt);
}

static void
cap_close(struct cap *c)
{
	if (c->d != NULL)
		pcap_dump_close(c->d);
	if (c->p != NULL)
		pcap_close(c->p);
}

static int
summarize(const char *path, size_t top, struct cfir_pcap_summary *s, struct cfir_err *err)
{
	int fd = open(path, O_RDONLY), r;

	CHECK(fd >= 0);
	r = cfir_pcap_summarize(fd, top, s, err);
	close(fd);
	return r;
}

/* Ethernet (with NTAGS 802.1Q tags), IPv4, then 8 bytes of ports and zeroes: its length. */
static size_t
eth4(unsigned char *b, int ntags, uint32_t src, uint32_t dst, uint8_t proto, uint16_t sport,
     uint16_t dport)
{
	size_t o = 12;
	int i;

	memset(b, 0, 64 + 4 * ntags);
	for (i = 0; i < ntags; i++, o += 4) {
		b[o] = i == 0 && ntags > 1 ? 0x88 : 0x81;
		b[o + 1] = i == 0 && ntags > 1 ? 0xa8 : 0x00;
		b[o + 3] = (unsigned char)(10 + i);
	}
	b[o] = 0x08;
	o += 2;
	b[o] = 0x45;
	b[o + 3] = 28;
	b[o + 8] = 64;
	b[o + 9] = proto;
	src = htonl(src);
	dst = htonl(dst);
	memcpy(b + o + 12, &src, 4);
	memcpy(b + o + 16, &dst, 4);
	b[o + 20] = (unsigned char)(sport >> 8);
	b[o + 21] = (unsigned char)sport;
	b[o + 22] = (unsigned char)(dport >> 8);
	b[o + 23] = (unsigned char)dport;
	return o + 28;
}

#define A4 0x0a000001u	/* 10.0.0.1 */
#define B4 0x0a000002u	/* 10.0.0.2 */

/* Both directions of a TCP connection are one conversation; UDP and ICMP their own. */
static void
pcapsum_both_ways(void)
{
	struct cap c;
	struct cfir_pcap_summary s;
	struct cfir_err err = { 0 };
	unsigned char p[128];
	char buf[INET6_ADDRSTRLEN], pb[8];
	size_t n;

	cap_open(&c, DLT_EN10MB);
	n = eth4(p, 0, B4, A4, IPPROTO_TCP, 443, 50000);
	cap_add(&c, p, n, 1500, 100, 123);
	n = eth4(p, 0, A4, B4, IPPROTO_TCP, 50000, 443);
	cap_add(&c, p, n, 60, 101, 5);
	cap_add(&c, p, n, 60, 102, 0);
	n = eth4(p, 0, A4, B4, IPPROTO_UDP, 53, 53);
	cap_add(&c, p, n, 100, 103, 0);
	n = eth4(p, 0, B4, A4, IPPROTO_ICMP, 0x0800, 1);
	cap_add(&c, p, n, 98, 104, 999999999);
	cap_close(&c);

	CHECK(summarize(c.path, 10, &s, &err) == 0);
	CHECK(s.linktype == DLT_EN10MB);
	CHECK(s.packets == 5 && s.bytes == 1500 + 60 + 60 + 100 + 98);
	CHECK(s.not_ip == 0 && s.conversations == 3 && s.ntop == 3 && !s.cut);
	CHECK(s.first.tv_sec == 100 && s.first.tv_nsec == 123);
	CHECK(s.last.tv_sec == 104 && s.last.tv_nsec == 999999999);
	CHECK(s.untracked_packets == 0 && s.untracked_bytes == 0);
	if (s.ntop == 3) {
		CHECK(s.top[0].key.proto == IPPROTO_TCP && s.top[0].packets == 3);
		CHECK(s.top[0].bytes == 1620);
		CHECK(s.top[0].key.aport == 50000 && s.top[0].key.bport == 443);
		CHECK_STR(cfir_pcap_addr(&s.top[0].key, false, buf), "10.0.0.1");
		CHECK_STR(cfir_pcap_addr(&s.top[0].key, true, buf), "10.0.0.2");
		CHECK(s.top[0].first.tv_sec == 100 && s.top[0].last.tv_sec == 102);
		CHECK_STR(cfir_pcap_proto_name(s.top[0].key.proto, pb), "tcp");
		CHECK_STR(cfir_pcap_proto_name(s.top[1].key.proto, pb), "udp");
		CHECK_STR(cfir_pcap_proto_name(s.top[2].key.proto, pb), "icmp");
		CHECK(s.top[2].key.aport == 0 && s.top[2].key.bport == 0);
	}
	cfir_pcap_summary_free(&s);
	CHECK(s.top == NULL);
	CHECK_STR(cfir_pcap_proto_name(132, pb), "ip/132");
	CHECK_STR(cfir_pcap_proto_name(IPPROTO_ICMPV6, pb), "icmp6");
}

/* An IPv6 header, then BODY (extension headers, transport), NH the first next header. */
static size_t
ip6(unsigned char *b, uint8_t nh, const unsigned char *body, size_t len, uint8_t last)
{
	memset(b, 0, 40);
	b[0] = 0x60;
	b[5] = (unsigned char)len;
	b[6] = nh;
	b[7] = 64;
	b[8] = 0xfd;
	b[23] = last;		/* fd00::LAST */
	b[24] = 0xfd;
	b[39] = 1;		/* fd00::1 */
	memcpy(b + 40, body, len);
	return 40 + len;
}

static void
pcapsum_ipv6_ext(void)
{
	/* hop-by-hop (8 bytes), routing (16 bytes), then TCP 8080 -> 22 */
	static const unsigned char ext[] = {
		IPPROTO_ROUTING, 0, 1, 4, 0, 0, 0, 0,
		IPPROTO_TCP, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x1f, 0x90, 0x00, 0x16, 0, 0, 0, 0,
	};
	/* AH, 12 + 4 bytes: (2 + 2) * 4, then UDP 7 -> 9 */
	static const unsigned char ah[] = {
		IPPROTO_UDP, 2, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
		0, 7, 0, 9, 0, 8, 0, 0,
	};
	/* a later fragment: no ports, the protocol its own */
	static const unsigned char frag[] = { IPPROTO_UDP, 0, 0x05, 0x01, 0, 0, 0, 1, 0, 7, 0, 9 };
	static const unsigned char zero[80];
	unsigned char p[128];
	struct cfir_pcap_key k;
	char buf[INET6_ADDRSTRLEN];
	size_t n, i;

	n = ip6(p, IPPROTO_HOPOPTS, ext, sizeof(ext), 2);
	CHECK(cfir_pcap_decode(DLT_RAW, p, n, &k));
	CHECK(k.family == 6 && k.proto == IPPROTO_TCP);
	/* fd00::1 is the lower address, so port 22 is A's */
	CHECK(k.aport == 22 && k.bport == 8080);
	CHECK_STR(cfir_pcap_addr(&k, false, buf), "fd00::1");
	CHECK_STR(cfir_pcap_addr(&k, true, buf), "fd00::2");
	/* the routing header cut short: still IPv6, no ports */
	CHECK(cfir_pcap_decode(DLT_RAW, p, 40 + 12, &k));
	CHECK(k.family == 6 && k.proto == IPPROTO_ROUTING && k.aport == 0);
	n = ip6(p, IPPROTO_AH, ah, sizeof(ah), 2);
	CHECK(cfir_pcap_decode(DLT_RAW, p, n, &k));
	CHECK(k.proto == IPPROTO_UDP && k.aport == 9 && k.bport == 7);
	n = ip6(p, IPPROTO_FRAGMENT, frag, sizeof(frag), 2);
	CHECK(cfir_pcap_decode(DLT_RAW, p, n, &k));
	CHECK(k.proto == IPPROTO_UDP && k.aport == 0 && k.bport == 0);
	/* nine hop-by-hop headers: past the bound, no ports */
	n = ip6(p, IPPROTO_HOPOPTS, zero, sizeof(zero), 2);
	for (i = 0; i < 9; i++)
		p[40 + 8 * i] = i < 8 ? IPPROTO_HOPOPTS : IPPROTO_TCP;
	CHECK(cfir_pcap_decode(DLT_RAW, p, n, &k));
	CHECK(k.proto == IPPROTO_HOPOPTS && k.aport == 0);
	CHECK(!cfir_pcap_decode(DLT_RAW, p, 39, &k));
	CHECK(k.family == 0);
}

/* The same packet behind every link layer, and at every length up to whole. */
static void
pcapsum_links(void)
{
	unsigned char e[128], p[160];
	struct cfir_pcap_key k;
	size_t n = eth4(e, 0, B4, A4, IPPROTO_UDP, 1000, 2000), ip = n - 14, i;

	memset(p, 0, sizeof(p));
	memcpy(p + 16, e + 14, ip);
	p[14] = 0x08;		/* SLL: the protocol at 14 */
	CHECK(cfir_pcap_decode(DLT_LINUX_SLL, p, 16 + ip, &k) && k.aport == 2000);
	memset(p, 0, sizeof(p));
	memcpy(p + 20, e + 14, ip);
	p[0] = 0x08;		/* SLL2: the protocol first */
	CHECK(cfir_pcap_decode(DLT_LINUX_SLL2, p, 20 + ip, &k) && k.aport == 2000);
	memset(p, 0, sizeof(p));
	memcpy(p + 4, e + 14, ip);
	p[0] = 2;		/* DLT_NULL, written little-endian */
	CHECK(cfir_pcap_decode(DLT_NULL, p, 4 + ip, &k) && k.aport == 2000);
	p[0] = 0;
	p[3] = 2;		/* DLT_LOOP, network order */
	CHECK(cfir_pcap_decode(DLT_LOOP, p, 4 + ip, &k) && k.aport == 2000);
	p[3] = 7;
	CHECK(!cfir_pcap_decode(DLT_LOOP, p, 4 + ip, &k));
	CHECK(cfir_pcap_decode(DLT_RAW, e + 14, ip, &k) && k.family == 4);
	CHECK(!cfir_pcap_decode(DLT_IEEE802_11, e, n, &k));
	for (i = 0; i < n; i++) {
		bool ok = cfir_pcap_decode(DLT_EN10MB, e, i, &k);

		CHECK(ok == (i >= 14 + 20));
		/* the ports come with the first four bytes of UDP */
		CHECK(!ok || k.aport == (i >= 14 + 24 ? 2000 : 0));
	}
	/* IHL past the packet, and below 20 */
	e[14] = 0x4f;
	CHECK(!cfir_pcap_decode(DLT_EN10MB, e, n, &k));
	e[14] = 0x44;
	CHECK(!cfir_pcap_decode(DLT_EN10MB, e, n, &k));
	/* a later fragment: the conversation without ports */
	e[14] = 0x45;
	e[14 + 7] = 0x10;
	CHECK(cfir_pcap_decode(DLT_EN10MB, e, n, &k) && k.aport == 0 && k.proto == IPPROTO_UDP);
}

/* Two stacked tags are looked through; a third is not IP. */
static void
pcapsum_vlan(void)
{
	unsigned char p[128];
	struct cfir_pcap_key k;
	size_t n;

	n = eth4(p, 1, A4, B4, IPPROTO_TCP, 1, 2);
	CHECK(cfir_pcap_decode(DLT_EN10MB, p, n, &k) && k.proto == IPPROTO_TCP && k.bport == 2);
	n = eth4(p, 2, A4, B4, IPPROTO_TCP, 1, 2);
	CHECK(cfir_pcap_decode(DLT_EN10MB, p, n, &k) && k.aport == 1);
	CHECK(!cfir_pcap_decode(DLT_EN10MB, p, 14 + 8 + 19, &k));
	n = eth4(p, 3, A4, B4, IPPROTO_TCP, 1, 2);
	CHECK(!cfir_pcap_decode(DLT_EN10MB, p, n, &k));
}

/* ARP is counted but is no conversation; the VLAN frame is one. */
static void
pcapsum_not_ip(void)
{
	static const unsigned char arp[42] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06,
		0, 1, 0x08, 0, 6, 4, 0, 1,
	};
	unsigned char p[128];
	struct cap c;
	struct cfir_pcap_summary s;
	struct cfir_err err = { 0 };
	size_t n;

	cap_open(&c, DLT_EN10MB);
	cap_add(&c, arp, sizeof(arp), 60, 1, 0);
	n = eth4(p, 1, A4, B4, IPPROTO_UDP, 5, 6);
	cap_add(&c, p, n, n, 2, 0);
	cap_close(&c);
	CHECK(summarize(c.path, 4, &s, &err) == 0);
	CHECK(s.packets == 2 && s.not_ip == 1 && s.conversations == 1 && s.bytes == 60 + n);
	CHECK(s.ntop == 1 && s.top[0].bytes == n);
	cfir_pcap_summary_free(&s);
}

/* A file cut inside its last packet: the whole ones summed, the cut said. */
static void
pcapsum_cut(void)
{
	unsigned char p[128];
	struct cap c;
	struct cfir_pcap_summary s;
	struct cfir_err err = { 0 };
	struct stat st;
	size_t n = eth4(p, 0, A4, B4, IPPROTO_TCP, 1, 2);
	int i;

	cap_open(&c, DLT_EN10MB);
	for (i = 0; i < 4; i++)
		cap_add(&c, p, n, n, i, 0);
	cap_close(&c);
	CHECK(stat(c.path, &st) == 0);
	CHECK(truncate(c.path, st.st_size - 10) == 0);
	CHECK(summarize(c.path, 4, &s, &err) == 0);
	CHECK(s.cut && s.error[0] != '\0');
	CHECK(s.packets == 3 && s.ntop == 1 && s.top[0].packets == 3);
	CHECK(s.last.tv_sec == 2);
	cfir_pcap_summary_free(&s);
	/* cut inside the last packet's header */
	CHECK(truncate(c.path, 24 + 3 * (16 + (off_t)n) + 5) == 0);
	CHECK(summarize(c.path, 4, &s, &err) == 0);
	CHECK(s.cut && s.packets == 3);
	cfir_pcap_summary_free(&s);
}

/* Largest first by bytes, then packets, then the key; only TOP of them kept. */
static void
pcapsum_top(void)
{
	static const size_t bytes[] = { 300, 900, 100, 900, 500, 700 };
	unsigned char p[128];
	struct cap c;
	struct cfir_pcap_summary s;
	struct cfir_err err = { 0 };
	size_t n, i;

	cap_open(&c, DLT_EN10MB);
	for (i = 0; i < 6; i++) {
		n = eth4(p, 0, A4, B4, IPPROTO_UDP, (uint16_t)(100 + i), 53);
		cap_add(&c, p, n, bytes[i], (long)i, 0);
	}
	n = eth4(p, 0, A4, B4, IPPROTO_UDP, 103, 53);
	cap_add(&c, p, n, 0, 9, 0);	/* 103 ties 101 on bytes, wins on packets */
	cap_close(&c);
	CHECK(summarize(c.path, 4, &s, &err) == 0);
	CHECK(s.conversations == 6 && s.ntop == 4);
	if (s.ntop == 4) {
		CHECK(s.top[0].key.aport == 103 && s.top[0].packets == 2);
		CHECK(s.top[1].key.aport == 101);
		CHECK(s.top[2].key.aport == 105 && s.top[3].key.aport == 104);
	}
	cfir_pcap_summary_free(&s);
	CHECK(summarize(c.path, 0, &s, &err) == 0);
	CHECK(s.ntop == 0 && s.top == NULL && s.conversations == 6);
	cfir_pcap_summary_free(&s);
}

/* Not a pcap at all, and an empty file: bad data, libpcap's word. */
static void
pcapsum_garbage(void)
{
	const char *dir = unit_tmpdir();
	char path[512];
	struct cfir_pcap_summary s;
	struct cfir_err err = { 0 };

	unit_write(dir, "junk", "this is not a capture, only words\n");
	snprintf(path, sizeof(path), "%s/junk", dir);
	CHECK(summarize(path, 4, &s, &err) == -1);
	CHECK(err.exit == EX_DATAERR && err.msg[0] != '\0');
	unit_write(dir, "empty", "");
	snprintf(path, sizeof(path), "%s/empty", dir);
	cfir_err_clear(&err);
	CHECK(summarize(path, 4, &s, &err) == -1);
	CHECK(err.exit == EX_DATAERR);
}

/* Many keys: all told apart up to the bound, the rest counted as untracked. */
static void
pcapsum_bound(void)
{
	unsigned char p[128];
	struct cap c;
	struct cfir_pcap_summary s;
	struct cfir_err err = { 0 };
	size_t n, i, total = CFIR_PCAP_CONV_MAX + 10;

	cap_open(&c, DLT_EN10MB);
	for (i = 0; i < 1000; i++) {
		n = eth4(p, 0, A4 + (uint32_t)(i >> 8), B4, IPPROTO_TCP, (uint16_t)i, 80);
		cap_add(&c, p, n, 100, 1, 0);
	}
	cap_close(&c);
	CHECK(summarize(c.path, 3, &s, &err) == 0);
	CHECK(s.conversations == 1000 && s.untracked_packets == 0 && s.ntop == 3);
	cfir_pcap_summary_free(&s);

	cap_open(&c, DLT_EN10MB);
	for (i = 0; i < total; i++) {
		n = eth4(p, 0, A4 + (uint32_t)(i >> 16), B4, IPPROTO_UDP, (uint16_t)i, 80);
		cap_add(&c, p, n, 100, 1, 0);
	}
	/* a conversation already in the table still counts once it is full */
	n = eth4(p, 0, A4, B4, IPPROTO_UDP, 0, 80);
	cap_add(&c, p, n, 100, 2, 0);
	cap_close(&c);
	CHECK(summarize(c.path, 2, &s, &err) == 0);
	CHECK(s.conversations == CFIR_PCAP_CONV_MAX);
	CHECK(s.untracked_packets == 10 && s.untracked_bytes == 1000);
	CHECK(s.packets == total + 1 && s.ntop == 2 && s.top[0].packets == 2);
	cfir_pcap_summary_free(&s);
}

UNIT_SUITE(pcapsum_tests) = {
	{ "pcapsum_both_ways", pcapsum_both_ways },
	{ "pcapsum_ipv6_ext", pcapsum_ipv6_ext },
	{ "pcapsum_links", pcapsum_links },
	{ "pcapsum_vlan", pcapsum_vlan },
	{ "pcapsum_not_ip", pcapsum_not_ip },
	{ "pcapsum_cut", pcapsum_cut },
	{ "pcapsum_top", pcapsum_top },
	{ "pcapsum_garbage", pcapsum_garbage },
	{ "pcapsum_bound", pcapsum_bound },
	UNIT_END
};
