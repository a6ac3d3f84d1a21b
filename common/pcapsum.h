/* pcapsum.h - a capture summed up: counts, times and the top conversations */
#ifndef CFIR_PCAPSUM_H
#define CFIR_PCAPSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/err.h"

/*
 * A pcap in a bag holds the container's traffic: every byte of every
 * packet is the attacker's. The summary is one pass with libpcap and a
 * bounded table: memory does not grow with the capture.
 */

/* One packet's conversation key, as decoded from its link layer up. */
struct cfir_pcap_key {
	uint8_t family;		/* 4 or 6; 0: not IP (what is left is zero) */
	uint8_t proto;		/* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6, ... */
	uint8_t a[16], b[16];	/* the endpoints, A the lower of the two (address, then port) */
	uint16_t aport, bport;	/* 0 for a protocol without ports or a later fragment */
};

/*
 * The key of one packet of link type LINKTYPE (DLT_EN10MB with up to two
 * 802.1Q/802.1ad tags, DLT_RAW, DLT_IPV4, DLT_IPV6, DLT_LINUX_SLL,
 * DLT_LINUX_SLL2, DLT_NULL, DLT_LOOP): false when it is not IPv4 or IPv6 or
 * too short to say. The endpoints are ordered so that both directions of a
 * conversation have one key. Ports are 0 when the transport header is not
 * there to read (a later fragment, cut short, past 8 IPv6 extension
 * headers); PROTO is then the last header reached.
 */
bool cfir_pcap_decode(int linktype, const unsigned char *pkt, size_t caplen,
		      struct cfir_pcap_key *k);

struct cfir_pcap_conv {
	struct cfir_pcap_key key;
	uint64_t packets, bytes;	/* bytes on the wire (the packet's len) */
	struct timespec first, last;
};

struct cfir_pcap_summary {
	int linktype;
	uint64_t packets, bytes;	/* every packet of the file */
	uint64_t not_ip;		/* packets with no IP conversation (ARP, say) */
	struct timespec first, last;	/* of the first and the last packet; zero when none */
	struct cfir_pcap_conv *top;	/* the TOP largest conversations by bytes, largest first */
	size_t ntop;
	uint64_t conversations;		/* distinct ones counted, at most CFIR_PCAP_CONV_MAX */
	uint64_t untracked_packets, untracked_bytes;	/* those past the table's bound (or its probing's) */
	bool cut;			/* the file ended inside a packet, or libpcap stopped on an error */
	char error[256];		/* libpcap's word when CUT */
};

/* The most conversations a summary tells apart; the rest are counted together. */
#define CFIR_PCAP_CONV_MAX 65536

/*
 * Sum up the capture open on FD (the fd is the caller's; it is read from
 * its start through libpcap, nanosecond times kept), keeping the TOP
 * largest conversations (SIZE_MAX: all of them): -1 with ERR only when it
 * is no pcap at all (EX_DATAERR, libpcap's word) or cannot be read. A
 * capture cut short sums up what was whole and says so in CUT.
 */
int cfir_pcap_summarize(int fd, size_t top, struct cfir_pcap_summary *s, struct cfir_err *err);
/*
 * The same over the N files of one interface's rotated capture, in order,
 * into one summary (one table of conversations across them): a file that
 * is no pcap is said in CUT and ERROR and the others summed; -1 only when
 * none is.
 */
int cfir_pcap_summarize_files(const int *fds, size_t n, size_t top, struct cfir_pcap_summary *s,
			      struct cfir_err *err);
void cfir_pcap_summary_free(struct cfir_pcap_summary *s);

/* "tcp", "udp", "icmp", "icmp6", else "ip/N". BUF at least 8 bytes. */
const char *cfir_pcap_proto_name(uint8_t proto, char *buf);
/* Endpoint A, or B when B, as text: "10.0.0.1", "fd00::1", "-" when not IP; BUF at least INET6_ADDRSTRLEN. */
const char *cfir_pcap_addr(const struct cfir_pcap_key *k, bool b, char *buf);

#endif
