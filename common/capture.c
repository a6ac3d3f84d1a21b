/* capture.c - a container's traffic from its host-side interfaces into the bag
 *
 * We capture on the host's end of each veth pair: what the container sends
 * and receives crosses it, and nothing inside the container can reach it.
 * One thread polls every interface's packet ring and a stop eventfd; each
 * packet goes straight into a bag writer, hashed as it is written. libpcap
 * hands over whole TPACKET_V3 blocks, so a capture that is asked to stop
 * keeps reading for two block timeouts: the packets the kernel still held
 * are written too.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <net/if.h>
#include <pcap/pcap.h>

#include "common/capture.h"
#include "common/cleanup.h"
#include "common/netlink.h"
#include "common/out.h"
#include "common/target.h"
#include "common/util.h"

#define TIMEOUT_MS 100		/* TPACKET_V3 block retire timeout */
#define DRAIN_MS (2 * TIMEOUT_MS + 50)
#define RING_BYTES (16 << 20)	/* per interface: bursts at line rate */

/* ---- capabilities ------------------------------------------------------- */

const char *
cfir_caps_missing(bool setns)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = { 0 };
	bool raw, admin;

	if (syscall(SYS_capget, &h, d) < 0)
		return NULL;	/* let the operations themselves say */
	raw = d[CAP_NET_RAW / 32].effective & (1u << (CAP_NET_RAW % 32));
	admin = d[CAP_SYS_ADMIN / 32].effective & (1u << (CAP_SYS_ADMIN % 32));
	if (!setns)
		admin = true;
	if (!raw && !admin)
		return "CAP_NET_RAW and CAP_SYS_ADMIN";
	if (!raw)
		return "CAP_NET_RAW";
	if (!admin)
		return "CAP_SYS_ADMIN";
	return NULL;
}

/* ---- interfaces ------------------------------------------------------- */

struct links {
	struct cfir_netlink_link *v;
	size_t n, cap;
	bool oom;
};

static void
add_link(void *ctx, const struct cfir_netlink_link *l)
{
	struct links *ls = ctx;
	struct cfir_netlink_link *nv;

	if (ls->n == ls->cap) {
		/* a namespace may hold thousands of links; it cannot hold more than memory */
		nv = ls->cap < (1u << 20) ? realloc(ls->v, (ls->cap ? 2 * ls->cap : 16) * sizeof(*nv)) : NULL;
		if (nv == NULL) {
			ls->oom = true;
			return;
		}
		ls->v = nv;
		ls->cap = ls->cap ? 2 * ls->cap : 16;
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
	if (hfd < 0 || dump(cfd, &in, err) < 0 || dump(hfd, &host, err) < 0 ||
	    cfir_netlink_nsid(hfd, nsfd, &nsid, err) < 0 || cfir_netlink_nsid(cfd, selffd, &hostid, err) < 0)
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

/* ---- filters ---------------------------------------------------------- */

int
cfir_capture_check_filter(const char *filter, struct cfir_err *err)
{
	struct bpf_program prog;
	pcap_t *p;
	int r = 0;

	if (filter == NULL)
		return 0;
	p = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, CFIR_SNAPLEN, PCAP_TSTAMP_PRECISION_NANO);
	if (p == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "libpcap");
	if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0)
		r = cfir_err_set(err, EX_USAGE, 0, "bad filter: %s", pcap_geterr(p));
	else
		pcap_freecode(&prog);
	pcap_close(p);
	return r;
}

/* ---- the capture ------------------------------------------------------ */

void
cfir_capture_pcap_header(unsigned char out[24], uint32_t snaplen, uint32_t linktype)
{
	uint32_t magic = 0xa1b23c4d;	/* nanosecond timestamps, our byte order */
	uint16_t major = 2, minor = 4;
	uint32_t zero = 0;

	memcpy(out, &magic, 4);
	memcpy(out + 4, &major, 2);
	memcpy(out + 6, &minor, 2);
	memcpy(out + 8, &zero, 4);	/* thiszone */
	memcpy(out + 12, &zero, 4);	/* sigfigs */
	memcpy(out + 16, &snaplen, 4);
	memcpy(out + 20, &linktype, 4);
}

struct cap_if {
	struct cfir_capture_iface i;
	struct cfir_capture *c;
	char *base;		/* file name base: the container's name, made safe */
	pcap_t *p;
	int fd;			/* selectable, -1 once it is gone */
	int linktype;
	struct cfir_writer *w;
	unsigned nfiles;
	uint64_t fpackets;	/* in the current file */
	uint64_t packets, bytes;
	struct pcap_stat st;
	bool have_stats;
	char *gone;		/* why the interface stopped early */
	cJSON *files;		/* paths written, oldest first */
	cJSON *discarded;	/* artifact records of files the ring dropped */
};

struct cfir_capture {
	struct cfir_bag *bag;
	struct cfir_capture_opts o;
	char *filter;
	struct cap_if *ifs;
	size_t n;
	int efd;
	pthread_t th;
	uint64_t packets, bytes;	/* written, all interfaces */
	const char *ended;
	struct timespec t0, t1;
	char started[CFIR_TIME_LEN], stopped[CFIR_TIME_LEN];
	int rc;
	struct cfir_err err;
};

static int cancel_fd = -1;
static volatile sig_atomic_t cancelled;

void
cfir_capture_cancel(void)
{
	uint64_t one = 1;
	int fd = cancel_fd;

	cancelled = 1;
	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
		/* the counter is full: it is readable already */
	}
}

void
cfir_capture_stop(struct cfir_capture *c)
{
	uint64_t one = 1;

	if (write(c->efd, &one, sizeof(one)) < 0) {
		/* as above */
	}
}

static double
elapsed_ms(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) * 1e3 + (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

static void
fail(struct cfir_capture *c, struct cfir_err *e)
{
	if (c->rc == 0) {
		c->rc = -1;
		c->err = *e;
	}
	c->ended = "error";
}

static int
file_open(struct cap_if *f)
{
	struct cfir_capture *c = f->c;
	unsigned char hdr[24];
	struct cfir_err e = { 0 };
	char name[300];
	const cJSON *oldest;
	cJSON *gone;

	if (c->o.rotate == 0)
		snprintf(name, sizeof(name), "%s.pcap", f->base);
	else
		snprintf(name, sizeof(name), "%s-%06u.pcap", f->base, f->nfiles + 1);
	/* the ring: keep the newest KEEP files, this one among them */
	while (c->o.rotate && c->o.keep && (unsigned)cJSON_GetArraySize(f->files) >= c->o.keep) {
		oldest = cJSON_GetArrayItem(f->files, 0);
		gone = c->o.side ? cfir_bag_discard_side(c->bag, c->o.side, oldest->valuestring, &e) :
				   cfir_bag_discard(c->bag, oldest->valuestring, &e);
		if (gone == NULL) {
			fail(c, &e);
			return -1;
		}
		cJSON_AddItemToArray(f->discarded, gone);
		cJSON_DeleteItemFromArray(f->files, 0);
	}
	cfir_capture_pcap_header(hdr, CFIR_SNAPLEN, (uint32_t)f->linktype);
	if ((c->o.side ? cfir_writer_open_side(c->bag, c->o.side, "net", name, &f->w, &e) :
			 cfir_writer_open(c->bag, "net", name, &f->w, &e)) < 0 ||
	    cfir_writer_write(f->w, hdr, sizeof(hdr), &e) < 0) {
		if (f->w != NULL)
			cfir_writer_abort(f->w);
		f->w = NULL;
		fail(c, &e);
		return -1;
	}
	f->nfiles++;
	f->fpackets = 0;
	cJSON_AddItemToArray(f->files, cJSON_CreateString(cfir_writer_path(f->w)));
	c->bytes += sizeof(hdr);
	return 0;
}

static int
file_close(struct cap_if *f)
{
	struct cfir_err e = { 0 };
	int r;

	if (f->w == NULL)
		return 0;
	r = cfir_writer_commit(f->w, &e);
	f->w = NULL;
	if (r < 0)
		fail(f->c, &e);
	return r;
}

/* One packet: written whole, or not at all when a bound says so. */
static void
on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct cap_if *f = (struct cap_if *)user;
	struct cfir_capture *c = f->c;
	struct cfir_err e = { 0 };
	uint32_t rec[4];
	uint64_t need = sizeof(rec) + h->caplen;

	if (c->ended != NULL) {
		pcap_breakloop(f->p);
		return;
	}
	if (c->o.bytes && c->bytes + need > c->o.bytes) {
		c->ended = "bytes";
		pcap_breakloop(f->p);
		return;
	}
	if (c->o.rotate && f->fpackets > 0 && cfir_writer_bytes(f->w) + need > c->o.rotate &&
	    (file_close(f) < 0 || file_open(f) < 0)) {
		pcap_breakloop(f->p);
		return;
	}
	rec[0] = (uint32_t)h->ts.tv_sec;
	rec[1] = (uint32_t)h->ts.tv_usec;	/* nanoseconds: the handle's precision */
	rec[2] = h->caplen;
	rec[3] = h->len;
	if (cfir_writer_write(f->w, rec, sizeof(rec), &e) < 0 ||
	    cfir_writer_write(f->w, data, h->caplen, &e) < 0) {
		fail(c, &e);
		pcap_breakloop(f->p);
		return;
	}
	f->fpackets++;
	f->packets++;
	f->bytes += need;
	c->packets++;
	c->bytes += need;
	if (c->o.packets && c->packets >= c->o.packets) {
		c->ended = "packets";
		pcap_breakloop(f->p);
	}
}

static void
dispatch(struct cap_if *f)
{
	struct cfir_capture *c = f->c;
	int n, cnt;

	if (f->fd < 0 || c->ended != NULL)
		return;
	cnt = -1;
	if (c->o.packets && c->o.packets - c->packets < 0x7fffffff)
		cnt = (int)(c->o.packets - c->packets);
	n = pcap_dispatch(f->p, cnt, on_packet, (u_char *)f);
	if (n == PCAP_ERROR) {
		/* the container stopped, or its interface was deleted */
		if (asprintf(&f->gone, "%s", pcap_geterr(f->p)) < 0)
			f->gone = NULL;
		f->have_stats = pcap_stats(f->p, &f->st) == 0;
		f->fd = -1;
	}
}

static int
poll_once(struct cfir_capture *c, struct pollfd *pf, int timeout)
{
	size_t i, live = 0;
	int r;

	for (i = 0; i < c->n; i++) {
		pf[i].fd = c->ifs[i].fd;
		pf[i].events = POLLIN;
		live += c->ifs[i].fd >= 0;
	}
	if (live == 0) {
		c->ended = c->ended ? c->ended : "interfaces gone";
		return -1;
	}
	r = poll(pf, c->n + 2, timeout);
	if (r < 0 && errno != EINTR) {
		struct cfir_err e = { 0 };

		cfir_err_set(&e, EX_OSERR, errno, "poll");
		fail(c, &e);
		return -1;
	}
	for (i = 0; r > 0 && i < c->n; i++)
		if (pf[i].revents)
			dispatch(&c->ifs[i]);
	return 0;
}

static void *
capture_thread(void *arg)
{
	struct cfir_capture *c = arg;
	struct pollfd *pf = calloc(c->n + 2, sizeof(*pf));
	double left, ms;
	size_t i;
	uint64_t v;

	if (pf == NULL) {
		struct cfir_err e = { 0 };

		cfir_err_set(&e, EX_OSERR, ENOMEM, "capture");
		fail(c, &e);
		goto done;
	}
	pf[c->n].fd = c->efd;
	pf[c->n + 1].fd = cancel_fd;
	pf[c->n].events = pf[c->n + 1].events = POLLIN;
	while (c->ended == NULL) {
		if (cancelled || pf[c->n].revents || pf[c->n + 1].revents) {
			c->ended = "stopped";
			break;
		}
		left = -1;
		if (c->o.seconds > 0) {
			left = c->o.seconds * 1e3 - elapsed_ms(&c->t0);
			if (left <= 0) {
				c->ended = "duration";
				break;
			}
		}
		if (poll_once(c, pf, left < 0 ? -1 : (int)left + 1) < 0)
			break;
	}
	if (pf[c->n].revents && read(c->efd, &v, sizeof(v)) < 0) {
		/* nothing to do: we end either way */
	}
	/*
	 * Asked to stop, or out of time: the packets in blocks the kernel has
	 * not retired yet are part of what was asked for.
	 */
	if (strcmp(c->ended, "stopped") == 0 || strcmp(c->ended, "duration") == 0) {
		const char *why = c->ended;
		struct timespec d0;

		clock_gettime(CLOCK_MONOTONIC, &d0);
		c->ended = NULL;
		while (c->ended == NULL && (ms = DRAIN_MS - elapsed_ms(&d0)) > 0) {
			pf[c->n].fd = pf[c->n + 1].fd = -1;
			if (poll_once(c, pf, (int)ms + 1) < 0)
				break;
		}
		if (c->ended == NULL || strcmp(c->ended, "interfaces gone") == 0)
			c->ended = why;
	}
done:
	clock_gettime(CLOCK_MONOTONIC, &c->t1);
	cfir_util_now_rfc3339(c->stopped);
	for (i = 0; i < c->n; i++) {
		struct cap_if *f = &c->ifs[i];

		if (f->fd >= 0)
			f->have_stats = pcap_stats(f->p, &f->st) == 0;
		file_close(f);
	}
	free(pf);
	return NULL;
}

static void
cap_if_free(struct cap_if *f)
{
	if (f->w != NULL)
		cfir_writer_abort(f->w);
	if (f->p != NULL)
		pcap_close(f->p);
	free(f->base);
	free(f->gone);
	cJSON_Delete(f->files);
	cJSON_Delete(f->discarded);
}

static void
capture_free(struct cfir_capture *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		cap_if_free(&c->ifs[i]);
	free(c->ifs);
	free(c->filter);
	if (c->efd >= 0)
		close(c->efd);
	free(c);
}

/* Open one device: a usage error for what libpcap refuses to set. */
static int
cap_open(struct cap_if *f, const char *filter, struct cfir_err *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog;
	int r;

	f->p = pcap_create(f->i.dev, ebuf);
	if (f->p == NULL)
		return cfir_err_set(err, EX_OSERR, 0, "pcap on %s: %s", f->i.dev, ebuf);
	if (pcap_set_snaplen(f->p, CFIR_SNAPLEN) != 0 || pcap_set_promisc(f->p, 0) != 0 ||
	    pcap_set_timeout(f->p, TIMEOUT_MS) != 0 || pcap_set_buffer_size(f->p, RING_BYTES) != 0 ||
	    pcap_set_tstamp_precision(f->p, PCAP_TSTAMP_PRECISION_NANO) != 0)
		return cfir_err_set(err, EX_SOFTWARE, 0, "pcap on %s: cannot set its options", f->i.dev);
	r = pcap_activate(f->p);
	if (r == PCAP_ERROR_PERM_DENIED)
		return cfir_err_set(err, EX_NOPERM, EPERM, "capturing on %s needs CAP_NET_RAW: %s", f->i.dev,
				    pcap_geterr(f->p));
	if (r == PCAP_ERROR_NO_SUCH_DEVICE || r == PCAP_ERROR_IFACE_NOT_UP)
		return cfir_err_set(err, EX_TEMPFAIL, 0, "pcap on %s: %s (did the container stop?)", f->i.dev,
				    pcap_geterr(f->p));
	if (r < 0)
		return cfir_err_set(err, EX_OSERR, 0, "pcap on %s: %s", f->i.dev, pcap_geterr(f->p));
	if (r > 0)
		cfir_err_warn("pcap on %s: %s", f->i.dev, pcap_statustostr(r));
	/* the device we opened is the one we matched, not one renamed into its place */
	if ((int)if_nametoindex(f->i.dev) != f->i.dev_index)
		return cfir_err_set(err, EX_TEMPFAIL, 0, "%s changed while it was opened (did the container restart?)",
				    f->i.dev);
	f->linktype = pcap_datalink(f->p);
	if (filter != NULL) {
		if (pcap_compile(f->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0)
			return cfir_err_set(err, EX_USAGE, 0, "bad filter on %s: %s", f->i.dev, pcap_geterr(f->p));
		r = pcap_setfilter(f->p, &prog);
		pcap_freecode(&prog);
		if (r < 0)
			return cfir_err_set(err, EX_OSERR, 0, "filter on %s: %s", f->i.dev, pcap_geterr(f->p));
	}
	if (pcap_setnonblock(f->p, 1, ebuf) < 0)
		return cfir_err_set(err, EX_OSERR, 0, "pcap on %s: %s", f->i.dev, ebuf);
	f->fd = pcap_get_selectable_fd(f->p);
	if (f->fd < 0)
		return cfir_err_set(err, EX_OSERR, 0, "pcap on %s: no selectable descriptor", f->i.dev);
	return 0;
}

int
cfir_capture_start(struct cfir_capture **cp, struct cfir_bag *bag,
		   const struct cfir_capture_opts *o,
		   const struct cfir_capture_iface *ifs, size_t n,
		   struct cfir_err *err)
{
	struct cfir_capture *c;
	size_t i;
	int r;

	*cp = NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "capture");
	c->bag = bag;
	c->o = *o;
	c->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->ifs = calloc(n ? n : 1, sizeof(*c->ifs));
	if (o->filter != NULL && (c->filter = strdup(o->filter)) == NULL)
		goto oom;
	c->o.filter = c->filter;
	if (c->efd < 0 || c->ifs == NULL)
		goto oom;
	if (cancel_fd < 0)
		cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	for (i = 0; i < n; i++) {
		struct cap_if *f;

		if (ifs[i].dev[0] == '\0')
			continue;
		f = &c->ifs[c->n++];
		f->i = ifs[i];
		f->c = c;
		f->fd = -1;
		f->base = cfir_util_safe_name(ifs[i].name, 64);
		f->files = cJSON_CreateArray();
		f->discarded = cJSON_CreateArray();
		if (f->base == NULL || f->files == NULL || f->discarded == NULL)
			goto oom;
		if (cap_open(f, c->filter, err) < 0)
			goto fail;
	}
	if (c->n == 0) {
		cfir_err_set(err, EX_UNAVAILABLE, 0, "no interface to capture on");
		goto fail;
	}
	/* every handle is live before the first file: nothing is written for a refusal */
	for (i = 0; i < c->n; i++)
		if (file_open(&c->ifs[i]) < 0) {
			*err = c->err;
			goto fail;
		}
	cfir_util_now_rfc3339(c->started);
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	r = cfir_util_thread_create(&c->th, capture_thread, c);
	if (r != 0) {
		cfir_err_set(err, EX_OSERR, r, "capture thread");
		goto fail;
	}
	*cp = c;
	return 0;
oom:
	cfir_err_set(err, EX_OSERR, ENOMEM, "capture");
fail:
	capture_free(c);
	return -1;
}

static cJSON *
iface_json(const struct cap_if *f)
{
	cJSON *o = cJSON_CreateObject();

	cfir_json_add_bytes(o, "iface", f->i.name, strlen(f->i.name));
	cfir_json_add_num(o, "ifindex", f->i.index);
	cfir_json_add_str(o, "host_iface", f->i.dev);
	cfir_json_add_num(o, "host_ifindex", f->i.dev_index);
	cfir_json_add_str(o, "linktype", pcap_datalink_val_to_name(f->linktype) ?
						 pcap_datalink_val_to_name(f->linktype) : "unknown");
	cfir_json_add_num(o, "packets", (double)f->packets);
	cfir_json_add_num(o, "bytes", (double)f->bytes);
	if (f->have_stats) {
		cfir_json_add_num(o, "received", f->st.ps_recv);
		cfir_json_add_num(o, "dropped", f->st.ps_drop);
		cfir_json_add_num(o, "ifdropped", f->st.ps_ifdrop);
	} else {
		cJSON_AddNullToObject(o, "received");
		cJSON_AddNullToObject(o, "dropped");
		cJSON_AddNullToObject(o, "ifdropped");
	}
	cJSON_AddItemToObject(o, "files", cJSON_Duplicate(f->files, true));
	if (cJSON_GetArraySize(f->discarded) > 0)
		cJSON_AddItemToObject(o, "discarded", cJSON_Duplicate(f->discarded, true));
	if (f->gone != NULL)
		cfir_json_add_bytes(o, "error", f->gone, strlen(f->gone));
	return o;
}

int
cfir_capture_wait(struct cfir_capture *c, cJSON **result, struct cfir_err *err)
{
	cJSON *d = cJSON_CreateObject(), *b, *list;
	const struct cap_if *gone = NULL;
	int rc;
	size_t i;

	pthread_join(c->th, NULL);
	if (c->filter != NULL)
		cfir_json_add_bytes(d, "filter", c->filter, strlen(c->filter));
	else
		cJSON_AddNullToObject(d, "filter");
	cfir_json_add_num(d, "snaplen", CFIR_SNAPLEN);
	b = cJSON_AddObjectToObject(d, "bounds");
	cfir_json_add_num(b, "seconds", c->o.seconds);
	cfir_json_add_num(b, "packets", (double)c->o.packets);
	cfir_json_add_num(b, "bytes", (double)c->o.bytes);
	cfir_json_add_num(b, "rotate", (double)c->o.rotate);
	cfir_json_add_num(b, "keep", c->o.keep);
	cfir_json_add_str(d, "started", c->started);
	cfir_json_add_str(d, "stopped", c->stopped);
	cfir_json_add_num(d, "seconds", (double)(c->t1.tv_sec - c->t0.tv_sec) +
						(double)(c->t1.tv_nsec - c->t0.tv_nsec) / 1e9);
	cfir_json_add_str(d, "ended", c->ended ? c->ended : "error");
	cfir_json_add_num(d, "packets", (double)c->packets);
	list = cJSON_AddArrayToObject(d, "interfaces");
	for (i = 0; i < c->n; i++) {
		cJSON_AddItemToArray(list, iface_json(&c->ifs[i]));
		if (c->ifs[i].gone != NULL && gone == NULL)
			gone = &c->ifs[i];
	}
	rc = c->rc;
	if (rc < 0)
		*err = c->err;
	else if (gone != NULL)
		rc = cfir_err_set(err, EX_UNAVAILABLE, 0, "%s (%s) went away during the capture: %s",
				  gone->base, gone->i.dev, gone->gone);
	*result = d;
	capture_free(c);
	return rc;
}
