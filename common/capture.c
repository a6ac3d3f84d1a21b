/* capture.c - the capture thread: packets of host-side interfaces into the bag
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
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <net/if.h>
#include <pcap/pcap.h>

#include "common/capture.h"
#include "common/cleanup.h"
#include "common/dl.h"
#include "common/out.h"
#include "common/util.h"

#define TIMEOUT_MS 100		/* TPACKET_V3 block retire timeout */
#define DRAIN_MS (2 * TIMEOUT_MS + 50)
#define RING_BYTES (16 << 20)	/* per interface: bursts at line rate */

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
		return cfir_dl_fail(err, "libpcap", "capture filter");
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
	int fd;			/* selectable, -1 once it failed */
	int linktype;
	struct cfir_writer *w;
	unsigned nfiles;
	uint64_t fpackets;	/* in the current file */
	uint64_t packets, bytes;
	uint32_t handed;	/* packets libpcap handed over, written or not: as its counters wrap */
	struct pcap_stat st;
	bool have_stats;
	char *error;		/* why the interface stopped early: libpcap's words */
	struct cfir_err werr;	/* a packet's write failure: not zeroed for every packet */
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
	char *notices;		/* for the examiner, a line each (cfir_capture_notices) */
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
	cJSON *dropped;

	if (c->o.rotate == 0)
		snprintf(name, sizeof(name), "%s.pcap", f->base);
	else
		snprintf(name, sizeof(name), "%s-%06u.pcap", f->base, f->nfiles + 1);
	/* the ring: keep the newest KEEP files, this one among them */
	while (c->o.rotate && c->o.keep && (unsigned)cJSON_GetArraySize(f->files) >= c->o.keep) {
		oldest = cJSON_GetArrayItem(f->files, 0);
		dropped = c->o.side ? cfir_bag_discard_side(c->bag, c->o.side, oldest->valuestring, &e) :
				   cfir_bag_discard(c->bag, oldest->valuestring, &e);
		if (dropped == NULL) {
			fail(c, &e);
			return -1;
		}
		cJSON_AddItemToArray(f->discarded, dropped);
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
	uint32_t rec[4];
	uint64_t need = sizeof(rec) + h->caplen;

	f->handed++;
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
	if (cfir_writer_write(f->w, rec, sizeof(rec), &f->werr) < 0 ||
	    cfir_writer_write(f->w, data, h->caplen, &f->werr) < 0) {
		fail(c, &f->werr);
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
		if (asprintf(&f->error, "%s", pcap_geterr(f->p)) < 0)
			f->error = NULL;
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

/*
 * What the kernel had put in F's ring when asked (its counter counts the
 * drops too); 0 when it does not say, and then the drain waits its time.
 */
static uint32_t
in_ring(struct cap_if *f, bool *known)
{
	struct pcap_stat st;

	if (f->fd < 0)
		return 0;
	if (pcap_stats(f->p, &st) != 0) {
		*known = false;
		return 0;
	}
	return st.ps_recv - st.ps_drop;
}

/*
 * Asked to stop, or out of time: the packets in blocks the kernel has not
 * retired yet are part of what was asked for. The drain ends when every
 * packet the kernel had counted then was handed over, at the latest after
 * a block's timeout twice (a filter or direction libpcap applies itself
 * hands over fewer than were counted). The reason it ended stays.
 */
static void
drain(struct cfir_capture *c, struct pollfd *pf)
{
	const char *why = c->ended;
	struct timespec d0;
	uint32_t *want = calloc(c->n, sizeof(*want));
	bool known = want != NULL, left;
	size_t i;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &d0);
	for (i = 0; known && i < c->n; i++)
		want[i] = in_ring(&c->ifs[i], &known);
	c->ended = NULL;
	while (c->ended == NULL && (ms = DRAIN_MS - elapsed_ms(&d0)) > 0) {
		for (i = 0, left = !known; known && i < c->n; i++)
			left |= c->ifs[i].fd >= 0 && (int32_t)(c->ifs[i].handed - want[i]) < 0;
		if (!left)
			break;
		pf[c->n].fd = pf[c->n + 1].fd = -1;
		if (poll_once(c, pf, (int)ms + 1) < 0)
			break;
	}
	free(want);
	if (c->ended == NULL || strcmp(c->ended, "interfaces gone") == 0)
		c->ended = why;
}

static void *
capture_thread(void *arg)
{
	struct cfir_capture *c = arg;
	struct pollfd *pf = calloc(c->n + 2, sizeof(*pf));
	double left;
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
	if (strcmp(c->ended, "stopped") == 0 || strcmp(c->ended, "duration") == 0)
		drain(c, pf);
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
	free(f->error);
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
	free(c->notices);
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
		cfir_err_notice(&f->c->notices, "pcap on %s: %s", f->i.dev, pcap_statustostr(r));
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

char *
cfir_capture_notices(struct cfir_capture *c)
{
	return steal_pointer(&c->notices);
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
	if (f->error != NULL)
		cfir_json_add_bytes(o, "error", f->error, strlen(f->error));
	return o;
}

int
cfir_capture_wait(struct cfir_capture *c, cJSON **result, struct cfir_err *err)
{
	cJSON *d = cJSON_CreateObject(), *b, *list;
	const struct cap_if *lost = NULL;
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
		if (c->ifs[i].error != NULL && lost == NULL)
			lost = &c->ifs[i];
	}
	rc = c->rc;
	if (rc < 0)
		*err = c->err;
	else if (lost != NULL)
		rc = cfir_err_set(err, EX_UNAVAILABLE, 0, "%s (%s) went away during the capture: %s",
				  lost->base, lost->i.dev, lost->error);
	*result = d;
	capture_free(c);
	return rc;
}
