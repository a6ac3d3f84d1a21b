/* netlink.h - links of a network namespace and their peers, from rtnetlink */
#ifndef CFIR_NETLINK_H
#define CFIR_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* One RTM_NEWLINK message. NAME may hold any byte but NUL: it is hostile. */
struct cfir_link {
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

typedef void (*cfir_link_fn)(void *ctx, const struct cfir_link *l);

/*
 * Parse one datagram of a RTM_GETLINK dump answering SEQ: FN for every
 * link. Returns 1 at NLMSG_DONE, 0 when more datagrams follow, -1 when the
 * kernel answered an error (its errno in *NLERR) or the bytes are malformed
 * (*NLERR is then EBADMSG).
 */
int cfir_nl_parse_links(const void *buf, size_t len, uint32_t seq,
			cfir_link_fn fn, void *ctx, int *nlerr);

/*
 * Parse the answer to RTM_GETNSID: the namespace's id in *NSID (-1 when it
 * has none). Returns 0, or -1 with *NLERR as above.
 */
int cfir_nl_parse_nsid(const void *buf, size_t len, uint32_t seq, int *nsid,
		       int *nlerr);

/* A NETLINK_ROUTE socket in this namespace, or in the one NSFD refers to. */
int cfir_nl_open(struct cfir_err *err);
int cfir_nl_open_in(int nsfd, struct cfir_err *err);

/* Every link of the socket's namespace. */
int cfir_nl_links(int fd, cfir_link_fn fn, void *ctx, struct cfir_err *err);

/* The id the socket's namespace gives the namespace NSFD refers to. */
int cfir_nl_nsid(int fd, int nsfd, int *nsid, struct cfir_err *err);

#endif
