/* capture-ifaces.c - a container's interfaces and the host-side devices to capture on
 *
 * A netlink dump of the links inside the container's network namespace
 * (from a thread that entered it) and the host's link each names as its peer
 * or parent, matched both ways by ifindex and by the id each namespace gives
 * the other: a veth whose peer is the host's can be captured on; any other
 * kind says why not.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <net/if.h>

#include "common/capture.h"
#include "common/cleanup.h"
#include "common/netlink.h"
#include "common/target.h"
#include "common/util.h"

struct links {
	struct cfir_netlink_link *v;
	size_t n, cap;
	bool oom;
};

static void
add_link(void *ctx, const struct cfir_netlink_link *l)
{
	struct links *ls = ctx;

	/* a namespace may hold thousands of links; it cannot hold more than memory */
	if (!cfir_util_grow((void **)&ls->v, &ls->cap, ls->n, sizeof(*ls->v), 16, 1u << 20)) {
		ls->oom = true;
		return;
	}
	ls->v[ls->n++] = *l;
}

static const struct cfir_netlink_link *
find_link(const struct links *ls, int index)
{
	size_t i;

	for (i = 0; i < ls->n; i++)
		if (ls->v[i].index == index)
			return &ls->v[i];
	return NULL;
}

static int
dump(int fd, struct links *ls, struct cfir_err *err)
{
	if (cfir_netlink_links(fd, add_link, ls, err) < 0)
		return -1;
	if (ls->oom)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "netlink link dump");
	return 0;
}

/*
 * The host's links that the container's name as their peer or parent, each
 * asked alone: a dump of the host's would grow with every container on it.
 */
static int
peers(int hfd, const struct links *in, int hostid, struct links *host, struct cfir_err *err)
{
	const struct cfir_netlink_link *l;
	size_t i;

	for (i = 0; i < in->n; i++) {
		l = &in->v[i];
		if ((l->flags & IFF_LOOPBACK) || l->link <= 0 || l->link_netnsid < 0 ||
		    (hostid >= 0 && l->link_netnsid != hostid) || find_link(host, l->link) != NULL)
			continue;
		if (cfir_netlink_link(hfd, l->link, add_link, host, err) < 0)
			return -1;
		if (host->oom)
			return cfir_err_set(err, EX_OSERR, ENOMEM, "netlink link");
	}
	return 0;
}

/* The kernel names link kinds; still, only plain words go into a message. */
static bool
plain(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

static void
mac_text(char *buf, size_t n, const struct cfir_netlink_link *l)
{
	size_t i, at = 0;

	buf[0] = '\0';
	for (i = 0; i < l->addrlen && at + 4 < n; i++)
		at += (size_t)snprintf(buf + at, n - at, "%s%02x", i ? ":" : "", l->addr[i]);
}

/*
 * NSID: the id the host's namespace gives the container's; HOSTID: the id
 * the container's namespace gives the host's (each -1 when it has none).
 */
static void
match(struct cfir_capture_iface *ci, const struct cfir_netlink_link *l, const struct links *host, int nsid,
      int hostid)
{
	const struct cfir_netlink_link *h = NULL;
	char parent[40] = "a parent device", mac[100];

	ci->index = l->index;
	memcpy(ci->name, l->name, sizeof(ci->name));
	memcpy(ci->kind, l->kind, sizeof(ci->kind));
	/* the peer or parent is ours when its namespace is the host's */
	if (l->link > 0 && l->link_netnsid >= 0 && (hostid < 0 || l->link_netnsid == hostid))
		h = find_link(host, l->link);
	/* the parent's name is the host's: no container bytes in the message */
	if (h != NULL)
		snprintf(parent, sizeof(parent), "the host's %.*s", IF_NAMESIZE - 1, h->name);
	mac_text(mac, sizeof(mac), l);
	if (strcmp(l->kind, "macvlan") == 0 || strcmp(l->kind, "macvtap") == 0) {
		snprintf(ci->problem, sizeof(ci->problem),
			 "a %s on %s has no host-side peer: its frames (MAC %s) cross the parent without the "
			 "host's stack; capture on the parent filtered on that MAC", l->kind, parent, mac);
		return;
	}
	if (strcmp(l->kind, "ipvlan") == 0 || strcmp(l->kind, "ipvtap") == 0) {
		snprintf(ci->problem, sizeof(ci->problem),
			 "an %s on %s has no host-side peer and shares the parent's MAC: capture on the parent "
			 "filtered on the container's addresses", l->kind, parent);
		return;
	}
	if (strcmp(l->kind, "veth") != 0) {
		snprintf(ci->problem, sizeof(ci->problem), "%s%s%s, not a veth pair: there is no host-side peer "
			 "to capture on", l->kind[0] && plain(l->kind) ? "a " : "an interface of no known kind",
			 l->kind[0] && plain(l->kind) ? l->kind : "", l->kind[0] && plain(l->kind) ? " interface" : "");
		return;
	}
	if (l->link_netnsid < 0 || l->link <= 0) {
		snprintf(ci->problem, sizeof(ci->problem), "its veth peer is inside the container's own namespace");
		return;
	}
	if (h == NULL || strcmp(h->kind, "veth") != 0 || h->link != l->index ||
	    (nsid >= 0 && h->link_netnsid != nsid) || strnlen(h->name, sizeof(h->name)) >= IF_NAMESIZE) {
		snprintf(ci->problem, sizeof(ci->problem), "its veth peer is not in cfir's network namespace "
			 "(a rootless engine, or nested inside another container)");
		return;
	}
	ci->dev_index = h->index;
	memcpy(ci->dev, h->name, strnlen(h->name, IF_NAMESIZE - 1));
}

int
cfir_capture_ifaces_find(const struct cfir_target *t, const char *proc,
		    struct cfir_capture_ifaces *out, struct cfir_err *err)
{
	struct links in = { 0 }, host = { 0 };
	cleanup_close int nsfd = -1, cfd = -1, hfd = -1, selffd = -1;
	struct stat st, self;
	char path[64];
	int nsid = -1, hostid = -1, r = -1;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (t->pid <= 0)
		return cfir_err_set(err, EX_UNAVAILABLE, 0, "container '%s' is %s: it has no network to capture",
				    t->name, t->status);
	/* the namespace the engine made (the init could have left it), through checked handles */
	nsfd = cfir_target_netns(t, proc, &out->init_netns_moved, err);
	if (nsfd < 0)
		return -1;
	if (fstat(nsfd, &st) < 0)
		return cfir_err_set(err, EX_OSERR, errno, "network namespace of '%s'", t->name);
	snprintf(path, sizeof(path), "%s/self/ns/net", proc);
	out->netns = (unsigned long)st.st_ino;
	selffd = open(path, O_RDONLY | O_CLOEXEC);
	if (selffd < 0 || fstat(selffd, &self) < 0)
		return cfir_err_set(err, EX_OSERR, errno, "cfir's own network namespace");
	if (self.st_ino == st.st_ino && self.st_dev == st.st_dev) {
		out->host_netns = true;
		return 0;
	}
	cfd = cfir_netlink_open_in(nsfd, err);
	if (cfd < 0)
		return -1;
	hfd = cfir_netlink_open(err);
	if (hfd < 0 || dump(cfd, &in, err) < 0 ||
	    cfir_netlink_nsid(hfd, nsfd, &nsid, err) < 0 || cfir_netlink_nsid(cfd, selffd, &hostid, err) < 0 ||
	    peers(hfd, &in, hostid, &host, err) < 0)
		goto out;
	out->v = calloc(in.n ? in.n : 1, sizeof(*out->v));
	if (out->v == NULL) {
		cfir_err_set(err, EX_OSERR, ENOMEM, "interfaces");
		goto out;
	}
	for (i = 0; i < in.n; i++)
		if (!(in.v[i].flags & IFF_LOOPBACK))
			match(&out->v[out->n++], &in.v[i], &host, nsid, hostid);
	r = 0;
out:
	free(in.v);
	free(host.v);
	return r;
}

void
cfir_capture_ifaces_free(struct cfir_capture_ifaces *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
