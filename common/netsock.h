/* netsock.h - sockets of a network namespace from sock_diag netlink */
#ifndef CFIR_NETSOCK_H
#define CFIR_NETSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/err.h"
#include "common/target.h"

/* One socket as a sock_diag reply describes it. */
struct cfir_netsock {
	const char *proto;	/* tcp tcp6 udp udp6 udplite udplite6 raw raw6 unix packet */
	char local[48], remote[48];	/* inet: address text; "" for unix and packet */
	unsigned lport, rport;	/* inet; raw: the IP protocol is the local port, as ss shows it */
	const char *state;	/* LISTEN, ESTABLISHED, UNCONN, CONNECTED... "" for packet */
	unsigned long inode;	/* 0 for a socket no file holds (TIME_WAIT, SYN_RECV) */
	long long uid;		/* -1 when the reply does not say */
	unsigned long rqueue, wqueue;
	unsigned ifindex;	/* packet: bound interface; inet: SO_BINDTODEVICE; 0 none */
	unsigned protocol;	/* raw: IPPROTO_*; packet: ETH_P_* */
	const char *type;	/* unix: STREAM, DGRAM, SEQPACKET; packet: RAW, DGRAM */
	/*
	 * unix: the bound name's exact bytes, into the reply; an abstract
	 * name starts with its NUL. NULL when the socket has no name.
	 */
	const unsigned char *name;
	size_t namelen;
	unsigned long peer;	/* unix: the peer's inode, 0 when none */
	unsigned long long vfs_dev, vfs_ino;	/* unix: the socket file, 0 when none */
	long filter;		/* packet: BPF instructions attached, -1 when not said */
};

typedef void (*cfir_netsock_fn)(void *ctx, const struct cfir_netsock *s);

/*
 * Parse one datagram of a SOCK_DIAG_BY_FAMILY dump answering SEQ, for a
 * request of FAMILY (AF_INET, AF_INET6, AF_UNIX, AF_PACKET) and, for
 * AF_INET and AF_INET6, PROTOCOL (IPPROTO_TCP, _UDP, _UDPLITE, _RAW): the
 * replies do not repeat it. FN sees each socket. The bytes are hostile:
 * every length is checked against what is left, nothing is read past LEN.
 * Returns 1 at NLMSG_DONE, 0 when more datagrams follow, -1 when the kernel
 * refused (its errno in *NLERR) or a message is malformed (EBADMSG).
 */
int cfir_netsock_parse(const void *buf, size_t len, uint32_t seq, int family,
		       int protocol, cfir_netsock_fn fn, void *ctx, int *nlerr);

/*
 * /proc/PID/net/raw or raw6 (V6), read only where the kernel has no
 * raw_diag: rows of numbers, none of them a name a container chose. A line
 * of any other shape is skipped. Returns the number of sockets.
 */
size_t cfir_netsock_parse_raw(const char *text, size_t len, bool v6,
			      cfir_netsock_fn fn, void *ctx);

/*
 * Every socket of the container's network namespace (the engine's, see
 * cfir_target_netns), each as one JSON object with the PIDs, fds and comms
 * that hold it, handed to FN, which takes it over: nothing is kept per
 * socket, so memory does not grow with how many the container opens. HEAD
 * (the caller's object) gets netns, host_netns and init_netns_moved before
 * the first socket, then tables (where each came from), sockets_total and
 * complete. Returns 0, or -1 with ERR: a table that failed, a FN that
 * failed or an interruption ("complete": false, HEAD still filled).
 */
typedef int (*cfir_netsock_json_fn)(void *ctx, const cJSON *head, cJSON *sock);
int cfir_netsock_each(const struct cfir_target *t, const char *proc, cJSON *head,
		      cfir_netsock_json_fn fn, void *ctx, struct cfir_err *err);
/*
 * The same gathered into one document, HEAD with a "sockets" array: for
 * the callers that need them all at once. Returns 0, or -1 with ERR: a
 * table that failed or an interruption leaves what was read in *OUT
 * ("complete": false), anything else leaves NULL.
 */
int cfir_netsock_list(const struct cfir_target *t, const char *proc, cJSON **out,
		 struct cfir_err *err);

/*
 * cfir_netsock_each for a caller that read the host's network namespaces
 * once for many containers: IN_NETNS gives the PIDs it found in the
 * namespace whose inode is NETNS, in the order PROC lists them, in place of
 * a walk of PROC for the sockets' holders; each is checked again through
 * its own fd. An inet table that the namespace's own counters show empty
 * (sockstat: none in use, and for TCP none orphaned or in TIME_WAIT) is
 * not dumped, each dump being a walk of the host's whole hash table: its
 * record says "source": "sockstat". A TCP socket only bound, never
 * listening nor connected, is then not listed.
 */
int cfir_netsock_each_among(const struct cfir_target *t, const char *proc,
			    size_t (*in_netns)(void *nctx, unsigned long netns, const pid_t **pids), void *nctx,
			    cJSON *head, cfir_netsock_json_fn fn, void *ctx, struct cfir_err *err);
/*
 * Whether TEXT, a namespace's /proc/net/sockstat or sockstat6, says TABLE
 * ("tcp", "udp6", "raw"...) has no socket: its line has "inuse 0" and no
 * other count of orphaned or TIME_WAIT sockets. False when it does not say.
 */
bool cfir_netsock_sockstat_empty(const char *text, size_t len, const char *table);

#endif
