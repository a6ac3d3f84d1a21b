/* netsock.h - socket tables of a network namespace from /proc/PID/net */
#ifndef CFIR_NETSOCK_H
#define CFIR_NETSOCK_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/err.h"
#include "common/proc.h"

struct cfir_sock {
	const char *proto;	/* tcp tcp6 udp udp6 raw raw6 unix packet */
	char local[64], remote[64];	/* address text, "" for unix and packet */
	unsigned lport, rport;
	const char *state;	/* LISTEN, ESTABLISHED, UNCONN... */
	unsigned long inode;
	long uid;
	const char *type;	/* unix: STREAM, DGRAM, SEQPACKET; packet: RAW, DGRAM */
	const char *path;	/* unix: the bound path ("@" for abstract), into the text */
	unsigned ifindex, protocol;	/* packet */
};

typedef void (*cfir_sock_fn)(void *ctx, const struct cfir_sock *s);

/*
 * Parse one table (PROTO names it: "tcp", "udp6", "unix", "packet"...) in
 * place; malformed lines are skipped. Returns the number of sockets.
 */
size_t cfir_net_parse(const char *proto, char *text, cfir_sock_fn fn, void *ctx);

/*
 * Every socket of the container's network namespace, each with the PIDs,
 * fds and comms that hold it, as JSON; NETNS and whether it is the host's.
 */
int cfir_sockets(const struct cfir_target *t, const char *proc, cJSON **out,
		 struct cfir_err *err);

#endif
