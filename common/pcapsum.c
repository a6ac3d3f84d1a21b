/*
 * pcapsum.c - a capture summed up in one pass: counts, times and the top
 * conversations, in a table whose size and probing are bounded.
 *
 * Every byte of a packet is the attacker's: each header is read only after
 * its length was checked against the captured length, and an attacker who
 * aims many keys at one spot of the table makes them untracked (counted),
 * never makes the pass slow.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "common/pcapsum.h"

/* Not in every pcap/dlt.h; the values are libpcap's. */
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

#define ETHERTYPE_IP4 0x0800
#define ETHERTYPE_IP6 0x86dd
#define IP6_EXT_MAX 8		/* extension headers skipped before giving up on the ports */
#define TABLE_FIRST 256		/* slots of a new table: a power of two */
#define TABLE_SLOTS (2u * CFIR_PCAP_CONV_MAX)	/* never more than half full */
#define PROBE_MAX 128		/* slots looked at for one key */

struct table {
	struct cfir_pcap_conv *slot;	/* empty when packets is 0 */
	size_t cap, n;
};

/* What the link and IP layers said, before the endpoints are ordered. */
struct endpoints {
	const unsigned char *src, *dst;
	size_t alen;
	uint16_t sport, dport;
};

static uint16_t
rd16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Ethernet with at most two 802.1Q/802.1ad tags: the ethertype, OFF past it. */
static int
ether_type(const unsigned char *pkt, size_t caplen, size_t *off)
{
	size_t o = 12;
	int tags;
	uint16_t type;

	for (tags = 0;; tags++) {
		if (caplen < o + 2)
			return -1;
		type = rd16(pkt + o);
		o += 2;
		if ((type != 0x8100 && type != 0x88a8 && type != 0x9100) || tags == 2)
			break;
		o += 2;		/* the tag's priority and VLAN id */
	}
	*off = o;
	return type;
}

/* DLT_NULL's family is in the capturing host's byte order, DLT_LOOP's in network order. */
static int
null_type(const unsigned char *pkt, size_t caplen)
{
	uint32_t fam;

	if (caplen < 4)
		return -1;
	fam = rd32(pkt);
	if (fam > 0xffff)
		fam = __builtin_bswap32(fam);
	if (fam == 2)
		return ETHERTYPE_IP4;
	/* AF_INET6 on Linux, the BSDs, FreeBSD and Darwin */
	if (fam == 10 || fam == 24 || fam == 28 || fam == 30)
		return ETHERTYPE_IP6;
	return -1;
}

/* The ethertype of the packet's network layer and where it starts, -1 when unknown. */
static int
link_type(int linktype, const unsigned char *pkt, size_t caplen, size_t *off)
{
	*off = 0;
	switch (linktype) {
	case DLT_EN10MB:
		return ether_type(pkt, caplen, off);
	case DLT_LINUX_SLL:
		*off = 16;
		return caplen < 16 ? -1 : rd16(pkt + 14);
	case DLT_LINUX_SLL2:
		*off = 20;
		return caplen < 20 ? -1 : rd16(pkt);
	case DLT_NULL:
	case DLT_LOOP:
		*off = 4;
		return null_type(pkt, caplen);
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		if (caplen < 1)
			return -1;
		return (pkt[0] >> 4) == 4 ? ETHERTYPE_IP4 : (pkt[0] >> 4) == 6 ? ETHERTYPE_IP6 : -1;
	default:
		return -1;
	}
}

/* The ports of a transport header at P, N bytes captured; none when cut short. */
static void
ports(uint8_t proto, const unsigned char *p, size_t n, struct endpoints *e)
{
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP && proto != IPPROTO_SCTP &&
	    proto != IPPROTO_UDPLITE)
		return;
	if (n < 4)
		return;
	e->sport = rd16(p);
	e->dport = rd16(p + 2);
}

static bool
ip4(const unsigned char *p, size_t n, struct cfir_pcap_key *k, struct endpoints *e)
{
	size_t ihl;

	if (n < 20 || (p[0] >> 4) != 4)
		return false;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	if (ihl < 20 || ihl > n)
		return false;
	k->family = 4;
	k->proto = p[9];
	e->src = p + 12;
	e->dst = p + 16;
	e->alen = 4;
	/* only the first fragment has the transport header */
	if ((rd16(p + 6) & 0x1fff) == 0)
		ports(k->proto, p + ihl, n - ihl, e);
	return true;
}

/*
 * Past IPv6's extension headers to the transport: the protocol in *NH, the
 * offset returned; -1 when a later fragment, cut short or too many headers
 * leave no ports to read (*NH is then the header it stopped at).
 */
static long
ip6_skip(const unsigned char *p, size_t n, uint8_t *nh)
{
	size_t o = 40, len;
	int i;

	for (i = 0; i <= IP6_EXT_MAX; i++) {
		switch (*nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_AH:
		case IPPROTO_FRAGMENT:
			break;
		default:
			return (long)o;
		}
		if (i == IP6_EXT_MAX || n < o + 8)
			return -1;
		if (*nh == IPPROTO_FRAGMENT) {
			if ((rd16(p + o + 2) & 0xfff8) != 0) {
				*nh = p[o];
				return -1;
			}
			len = 8;
		} else if (*nh == IPPROTO_AH) {
			len = ((size_t)p[o + 1] + 2) * 4;
		} else {
			len = ((size_t)p[o + 1] + 1) * 8;
		}
		if (n < o + len)
			return -1;
		*nh = p[o];
		o += len;
	}
	return -1;
}

static bool
ip6(const unsigned char *p, size_t n, struct cfir_pcap_key *k, struct endpoints *e)
{
	uint8_t nh;
	long o;

	if (n < 40 || (p[0] >> 4) != 6)
		return false;
	nh = p[6];
	o = ip6_skip(p, n, &nh);
	k->family = 6;
	k->proto = nh;
	e->src = p + 8;
	e->dst = p + 24;
	e->alen = 16;
	if (o >= 0)
		ports(nh, p + o, n - (size_t)o, e);
	return true;
}

/* A the lower endpoint by address, then port: both directions one key. */
static void
order(struct cfir_pcap_key *k, const struct endpoints *e)
{
	int c = memcmp(e->src, e->dst, e->alen);
	bool swap = c > 0 || (c == 0 && e->sport > e->dport);

	memcpy(k->a, swap ? e->dst : e->src, e->alen);
	memcpy(k->b, swap ? e->src : e->dst, e->alen);
	k->aport = swap ? e->dport : e->sport;
	k->bport = swap ? e->sport : e->dport;
}

bool
cfir_pcap_decode(int linktype, const unsigned char *pkt, size_t caplen, struct cfir_pcap_key *k)
{
	struct endpoints e = { 0 };
	size_t off;
	int type;
	bool ok = false;

	memset(k, 0, sizeof(*k));
	type = link_type(linktype, pkt, caplen, &off);
	if (type == ETHERTYPE_IP4 && off <= caplen)
		ok = ip4(pkt + off, caplen - off, k, &e);
	else if (type == ETHERTYPE_IP6 && off <= caplen)
		ok = ip6(pkt + off, caplen - off, k, &e);
	if (!ok) {
		memset(k, 0, sizeof(*k));
		return false;
	}
	order(k, &e);
	return true;
}

static int
key_cmp(const struct cfir_pcap_key *x, const struct cfir_pcap_key *y)
{
	int c;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if ((c = memcmp(x->a, y->a, sizeof(x->a))) != 0)
		return c;
	if ((c = memcmp(x->b, y->b, sizeof(x->b))) != 0)
		return c;
	if (x->aport != y->aport)
		return x->aport < y->aport ? -1 : 1;
	if (x->bport != y->bport)
		return x->bport < y->bport ? -1 : 1;
	return 0;
}

/* FNV-1a over the key's fields, mixed so that the low bits pick the slot. */
static uint64_t
key_hash(const struct cfir_pcap_key *k)
{
	unsigned char b[38];
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	b[0] = k->family;
	b[1] = k->proto;
	memcpy(b + 2, k->a, 16);
	memcpy(b + 18, k->b, 16);
	b[34] = (unsigned char)(k->aport >> 8);
	b[35] = (unsigned char)k->aport;
	b[36] = (unsigned char)(k->bport >> 8);
	b[37] = (unsigned char)k->bport;
	for (i = 0; i < sizeof(b); i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/*
 * The slot of K, or the empty slot where it would go; NULL when the
 * PROBE_MAX slots from its own are all someone else's.
 */
static struct cfir_pcap_conv *
table_slot(const struct table *t, const struct cfir_pcap_key *k, size_t probe_max)
{
	size_t i, at = (size_t)key_hash(k);
	struct cfir_pcap_conv *c;

	for (i = 0; i < probe_max && i < t->cap; i++) {
		c = &t->slot[(at + i) & (t->cap - 1)];
		if (c->packets == 0 || key_cmp(&c->key, k) == 0)
			return c;
	}
	return NULL;
}

/* Twice the slots; an old key that lands past PROBE_MAX is found no more and goes untracked. */
static int
table_grow(struct table *t)
{
	struct table bigger = { .cap = t->cap ? t->cap * 2 : TABLE_FIRST, .n = t->n };
	size_t i;

	bigger.slot = calloc(bigger.cap, sizeof(*bigger.slot));
	if (bigger.slot == NULL)
		return -1;
	for (i = 0; i < t->cap; i++)
		if (t->slot[i].packets != 0)
			*table_slot(&bigger, &t->slot[i].key, bigger.cap) = t->slot[i];
	free(t->slot);
	*t = bigger;
	return 0;
}

static void
count_conv(struct cfir_pcap_summary *s, struct table *t, const struct cfir_pcap_key *k,
	   const struct pcap_pkthdr *h, const struct timespec *ts)
{
	struct cfir_pcap_conv *c = NULL;

	/* out of memory, the table stays as it is and fills up sooner */
	if (t->n * 2 >= t->cap && t->cap < TABLE_SLOTS)
		(void)table_grow(t);
	if (t->cap > 0)
		c = table_slot(t, k, PROBE_MAX);
	if (c != NULL && c->packets == 0 && t->n >= CFIR_PCAP_CONV_MAX)
		c = NULL;
	if (c == NULL) {
		s->untracked_packets++;
		s->untracked_bytes += h->len;
		return;
	}
	if (c->packets == 0) {
		c->key = *k;
		c->first = *ts;
		t->n++;
	}
	c->packets++;
	c->bytes += h->len;
	c->last = *ts;
}

static void
count_packet(struct cfir_pcap_summary *s, struct table *t, const struct pcap_pkthdr *h,
	     const unsigned char *data)
{
	struct cfir_pcap_key k;
	/* with nanosecond precision tv_usec holds nanoseconds */
	struct timespec ts = { .tv_sec = h->ts.tv_sec, .tv_nsec = h->ts.tv_usec };

	if (s->packets == 0)
		s->first = ts;
	s->last = ts;
	s->packets++;
	s->bytes += h->len;
	if (!cfir_pcap_decode(s->linktype, data, h->caplen, &k))
		s->not_ip++;
	else
		count_conv(s, t, &k, h, &ts);
}

/* Largest first: bytes, then packets, then the key, so that the order is always the same. */
static int
conv_cmp(const void *x, const void *y)
{
	const struct cfir_pcap_conv *a = x, *b = y;

	if (a->bytes != b->bytes)
		return a->bytes > b->bytes ? -1 : 1;
	if (a->packets != b->packets)
		return a->packets > b->packets ? -1 : 1;
	return key_cmp(&a->key, &b->key);
}

/* The table packed to its front and sorted; the TOP first copied out. */
static int
take_top(struct cfir_pcap_summary *s, struct table *t, size_t top, struct cfir_err *err)
{
	size_t i, n = 0;

	for (i = 0; i < t->cap; i++)
		if (t->slot[i].packets != 0)
			t->slot[n++] = t->slot[i];
	s->conversations = n;
	if (top > n)
		top = n;
	if (top == 0)
		return 0;
	qsort(t->slot, n, sizeof(*t->slot), conv_cmp);
	s->top = malloc(top * sizeof(*s->top));
	if (s->top == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "pcap summary");
	memcpy(s->top, t->slot, top * sizeof(*s->top));
	s->ntop = top;
	return 0;
}

/* libpcap on a FILE of its own over FD, from the start, nanoseconds kept. */
static pcap_t *
open_capture(int fd, struct cfir_err *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;
	FILE *f;
	int dfd;

	if (lseek(fd, 0, SEEK_SET) < 0) {
		cfir_err_set(err, EX_IOERR, errno, "pcap: seek");
		return NULL;
	}
	if ((dfd = dup(fd)) < 0 || (f = fdopen(dfd, "rb")) == NULL) {
		cfir_err_set(err, EX_OSERR, errno, "pcap: open");
		if (dfd >= 0)
			close(dfd);
		return NULL;
	}
	p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (p == NULL) {
		/* libpcap closes the FILE only once it holds it */
		fclose(f);
		cfir_err_set(err, EX_DATAERR, 0, "not a pcap: %s", ebuf);
	}
	return p;
}

/* One capture file's packets into S and T; a cut file said in S, the first one kept. */
static int
sum_file(int fd, struct cfir_pcap_summary *s, struct table *t, struct cfir_err *err)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;
	int r;

	if ((p = open_capture(fd, err)) == NULL)
		return -1;
	s->linktype = pcap_datalink(p);
	while ((r = pcap_next_ex(p, &h, &data)) == 1)
		count_packet(s, t, h, data);
	if (r == PCAP_ERROR && !s->cut) {
		s->cut = true;
		snprintf(s->error, sizeof(s->error), "%s", pcap_geterr(p));
	}
	pcap_close(p);
	return 0;
}

int
cfir_pcap_summarize_files(const int *fds, size_t n, size_t top, struct cfir_pcap_summary *s,
			  struct cfir_err *err)
{
	struct cfir_err ferr = { 0 };
	struct table t = { 0 };
	size_t i, read = 0;
	int r;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < n; i++) {
		if (sum_file(fds[i], s, &t, &ferr) == 0) {
			read++;
		} else if (!s->cut) {
			s->cut = true;
			snprintf(s->error, sizeof(s->error), "file %zu: %s", i + 1, cfir_err_str(&ferr));
		}
	}
	if (read == 0) {
		free(t.slot);
		*err = ferr;
		return -1;
	}
	r = take_top(s, &t, top, err);
	free(t.slot);
	return r;
}

int
cfir_pcap_summarize(int fd, size_t top, struct cfir_pcap_summary *s, struct cfir_err *err)
{
	int r = cfir_pcap_summarize_files(&fd, 1, top, s, err);

	if (r == 0 && s->cut && strncmp(s->error, "file 1: ", 8) == 0)
		memmove(s->error, s->error + 8, strlen(s->error + 8) + 1);
	return r;
}

void
cfir_pcap_summary_free(struct cfir_pcap_summary *s)
{
	free(s->top);
	s->top = NULL;
	s->ntop = 0;
}

const char *
cfir_pcap_proto_name(uint8_t proto, char *buf)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmp6";
	default:
		snprintf(buf, 8, "ip/%u", proto);
		return buf;
	}
}

const char *
cfir_pcap_addr(const struct cfir_pcap_key *k, bool b, char *buf)
{
	const uint8_t *a = b ? k->b : k->a;

	if (k->family == 4 && inet_ntop(AF_INET, a, buf, INET6_ADDRSTRLEN) != NULL)
		return buf;
	if (k->family == 6 && inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN) != NULL)
		return buf;
	snprintf(buf, INET6_ADDRSTRLEN, "-");
	return buf;
}
