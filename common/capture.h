/* capture.h - a container's traffic from its host-side interfaces into the bag */
#ifndef CFIR_CAPTURE_H
#define CFIR_CAPTURE_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/bag.h"
#include "common/err.h"

struct cfir_target;

#define CFIR_SNAPLEN 262144

/* One interface of the container and the host-side device that carries it. */
struct cfir_capture_iface {
	char name[32];		/* the container's side, "eth0"; hostile bytes */
	int index;
	char kind[32];		/* "veth", "macvlan"... */
	char dev[IF_NAMESIZE];	/* the host's side, "" when there is none */
	int dev_index;
	char problem[400];	/* why it cannot be captured, "" when it can */
};

struct cfir_capture_ifaces {
	struct cfir_capture_iface *v;
	size_t n;
	unsigned long netns;	/* inode of the container's network namespace */
	bool host_netns;	/* the container shares the host's */
	bool init_netns_moved;	/* its init left the engine's namespace, which is captured */
};

/*
 * capture-ifaces.c: the container's interfaces and their host-side peers:
 * a netlink dump of links inside its network namespace (from a thread that
 * entered it), one of the host's, matched both ways by ifindex and by the
 * namespace id. Loopback is left out. PROC is "/proc" but for tests.
 */
int cfir_capture_ifaces_find(const struct cfir_target *t, const char *proc,
			     struct cfir_capture_ifaces *out, struct cfir_err *err);
void cfir_capture_ifaces_free(struct cfir_capture_ifaces *l);

/* Compile FILTER for Ethernet: a usage error with libpcap's reason if bad. */
int cfir_capture_check_filter(const char *filter, struct cfir_err *err);

struct cfir_capture_opts {
	const char *filter;	/* BPF, NULL for everything */
	double seconds;		/* bounds, 0 for none; the first one reached ends it */
	uint64_t packets;	/* packets written, all interfaces together */
	uint64_t bytes;		/* pcap bytes written, all interfaces together */
	uint64_t rotate;	/* start a new file at this size, 0: one file */
	unsigned keep;		/* with rotate: files kept per interface, 0: all */
	struct cfir_bag_side *side;	/* write under this side action, not the bag's own */
};

struct cfir_capture;

/*
 * Open every interface of IFS that has a device (snaplen CFIR_SNAPLEN,
 * nanosecond timestamps, a buffer for bursts, the filter set), open its
 * pcap in BAG under net/, and capture in a thread of its own until a bound
 * is reached, cfir_capture_stop() or cfir_capture_cancel() is called, or
 * every interface went away. BAG must have an action in progress and be
 * left alone until cfir_capture_wait() returns; or, with O->side, the files
 * belong to that side action and other actions may run meanwhile.
 */
int cfir_capture_start(struct cfir_capture **cp, struct cfir_bag *bag,
		       const struct cfir_capture_opts *o,
		       const struct cfir_capture_iface *ifs, size_t n,
		       struct cfir_err *err);
/* Ask the capture to end: buffered packets are still written. Async-signal-safe. */
void cfir_capture_stop(struct cfir_capture *c);
/* Stop every capture of the process (SIGINT); async-signal-safe. */
void cfir_capture_cancel(void);
/*
 * What the examiner should be told (libpcap's warnings on opening a device),
 * a line each, NULL when nothing; the caller frees it. Ask after start.
 */
char *cfir_capture_notices(struct cfir_capture *c);
/*
 * Wait for the end, close and record the files, free C. *RESULT gets the
 * custody details: the bounds, why it ended, and per interface the packets
 * written, libpcap's counters (received, dropped by the kernel, by the
 * interface) and the files. A failure (disk full, an interface gone) is
 * in ERR; what was captured before it is kept.
 */
int cfir_capture_wait(struct cfir_capture *c, cJSON **result, struct cfir_err *err);

/* The pcap file header: nanosecond magic, version 2.4. */
void cfir_capture_pcap_header(unsigned char out[24], uint32_t snaplen, uint32_t linktype);

#endif
