/* netlink.h - links of a network namespace and their peers, from rtnetlink */
#ifndef CFIR_NETLINK_H
#define CFIR_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct nlmsghdr;

/* ---- the walk over a datagram, for every netlink family ---- */

/* FN sees each message's type and payload; nonzero stops the walk with it. */
typedef int (*cfir_netlink_msg_fn)(void *ctx, uint16_t type, const unsigned char *p, size_t n);

/*
 * The messages of one datagram (LEN bytes, hostile: every length is checked
 * against what is left) that answer SEQ. Returns 1 at NLMSG_DONE or an
 * acknowledgement, 0 when more datagrams follow, FN's nonzero value, or -1
 * when the kernel answered an error (its errno in *NLERR) or the bytes are
 * malformed (*NLERR is then EBADMSG).
 */
int cfir_netlink_each(const void *buf, size_t len, uint32_t seq, cfir_netlink_msg_fn fn,
		 void *ctx, int *nlerr);

/* One attribute (rtattr/nlattr) of P[0..N) at *OFF, which moves past it. */
struct cfir_netlink_attr {
	uint16_t type;		/* without NLA_F_NESTED and NLA_F_NET_BYTEORDER */
	const unsigned char *p;
	size_t n;
};
bool cfir_netlink_attr_next(const unsigned char *p, size_t n, size_t *off,
			    struct cfir_netlink_attr *a);
/* The attribute's first N bytes into V; false when it holds fewer. */
bool cfir_netlink_attr_copy(const struct cfir_netlink_attr *a, void *v, size_t n);
/* The attribute as a u32, OTHERWISE when it is shorter. */
uint32_t cfir_netlink_attr_u32(const struct cfir_netlink_attr *a, uint32_t otherwise);

/* ---- rtnetlink ---- */

/* One RTM_NEWLINK message. NAME may hold any byte but NUL: it is hostile. */
struct cfir_netlink_link {
	int index;
	char name[32];
	char kind[32];		/* IFLA_INFO_KIND: "veth", "macvlan"... "" when none */
	unsigned flags;		/* IFF_* */
	unsigned type;		/* ARPHRD_* */
	int link;		/* IFLA_LINK: the peer or parent's index, 0 when none */
	int link_netnsid;	/* IFLA_LINK_NETNSID, -1 when the peer is in this namespace */
	unsigned char addr[32];	/* IFLA_ADDRESS */
	size_t addrlen;
};

typedef void (*cfir_netlink_link_fn)(void *ctx, const struct cfir_netlink_link *l);

/*
 * Parse one datagram of a RTM_GETLINK dump answering SEQ: FN for every
 * link. Returns 1 at NLMSG_DONE, 0 when more datagrams follow, -1 when the
 * kernel answered an error (its errno in *NLERR) or the bytes are malformed
 * (*NLERR is then EBADMSG).
 */
int cfir_netlink_parse_links(const void *buf, size_t len, uint32_t seq,
			cfir_netlink_link_fn fn, void *ctx, int *nlerr);

/*
 * Parse the answer to RTM_GETNSID: the namespace's id in *NSID (-1 when it
 * has none). Returns 0, or -1 with *NLERR as above.
 */
int cfir_netlink_parse_nsid(const void *buf, size_t len, uint32_t seq, int *nsid,
		       int *nlerr);

/*
 * A netlink socket of PROTO (NETLINK_ROUTE, NETLINK_SOCK_DIAG) in this
 * namespace (NSFD -1) or in the network namespace NSFD refers to: a thread
 * of its own enters it, and the socket stays bound to it.
 */
/*
 * FN(CTX) run in a thread that entered the network namespace NSFD (what it
 * opens there stays of that namespace; /proc/thread-self/net is it).
 */
int cfir_netlink_in_netns(int nsfd, void (*fn)(void *ctx), void *ctx, struct cfir_err *err);
int cfir_netlink_socket(int proto, int nsfd, struct cfir_err *err);
/* A NETLINK_ROUTE socket in this namespace, or in the one NSFD refers to. */
int cfir_netlink_open(struct cfir_err *err);
int cfir_netlink_open_in(int nsfd, struct cfir_err *err);

/* Parses one datagram of a dump; returns as cfir_netlink_each does. */
typedef int (*cfir_netlink_parse_fn)(const void *buf, size_t len, uint32_t seq, void *ctx,
				int *nlerr);
/*
 * Send REQ (its nlmsg_len, nlmsg_type and body set; flags and sequence are
 * filled in) as a dump request and hand every datagram of the answer to
 * PARSE until it is done. A refusal by the kernel leaves its errno in *NLERR
 * and ERR says "netlink WHAT".
 */
int cfir_netlink_dump(int fd, struct nlmsghdr *req, const char *what, cfir_netlink_parse_fn parse,
		 void *ctx, int *nlerr, struct cfir_err *err);

/* Every link of the socket's namespace. */
int cfir_netlink_links(int fd, cfir_netlink_link_fn fn, void *ctx, struct cfir_err *err);
/* The socket namespace's link INDEX alone, to FN; none (ENODEV) is no call and 0. */
int cfir_netlink_link(int fd, int index, cfir_netlink_link_fn fn, void *ctx, struct cfir_err *err);

/* Link INDEX of the socket's namespace set up or down (RTM_NEWLINK, IFF_UP), acknowledged. */
int cfir_netlink_link_set_up(int fd, int index, bool up, struct cfir_err *err);

/* The id the socket's namespace gives the namespace NSFD refers to. */
int cfir_netlink_nsid(int fd, int nsfd, int *nsid, struct cfir_err *err);

#endif
