/* capture.c - the container's traffic, from its host-side interfaces */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/capture.h"
#include "common/caps.h"
#include "common/cleanup.h"
#include "common/netsock.h"
#include "common/proc.h"
#include "common/util.h"
#include "tools/tool.h"


#define PORTS_MAX 256

/* tcpdump's way: the words after the container are one expression. */
static char *
join(int argc, char **argv)
{
	struct cfir_text t = { 0 };
	int i;

	for (i = 0; i < argc; i++)
		cfir_text_printf(&t, "%s%s", i > 0 ? " " : "", argv[i]);
	if (t.oom) {
		free(t.p);
		return NULL;
	}
	return t.p;
}

static bool
port_seen(const unsigned *ports, size_t n, unsigned p)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ports[i] == p)
			return true;
	return false;
}

/*
 * The host's namespace carries everyone's traffic: keep the container's,
 * the TCP and UDP ports its own processes hold open right now.
 */
struct held {
	const struct cfir_proc_list *members;
	unsigned *ports;
	size_t n;
};

/* A TCP or UDP port that one of the container's own processes holds. */
static int
held_port(void *ctx, const cJSON *head, cJSON *s)
{
	struct held *x = ctx;
	const char *proto = cfir_json_str(s, "proto");
	const cJSON *lport = cJSON_GetObjectItem(s, "lport"), *h;
	unsigned port;

	(void)head;
	if (proto != NULL && (strncmp(proto, "tcp", 3) == 0 || strncmp(proto, "udp", 3) == 0) &&
	    cJSON_IsNumber(lport)) {
		port = (unsigned)lport->valuedouble;
		cJSON_ArrayForEach(h, cJSON_GetObjectItem(s, "holders"))
			if (cfir_proc_list_has(x->members, (pid_t)cJSON_GetObjectItem(h, "pid")->valuedouble))
				break;
		if (h != NULL && port != 0 && x->n < PORTS_MAX && !port_seen(x->ports, x->n, port))
			x->ports[x->n++] = port;
	}
	cJSON_Delete(s);
	return 0;
}

static int
host_filter(const struct cfir_target *t, const char *user, char **out, struct cfir_err *err)
{
	struct cfir_proc_list members = { 0 };
	cleanup_cjson cJSON *head = cJSON_CreateObject();
	unsigned ports[PORTS_MAX];
	struct held x = { &members, ports, 0 };
	size_t n, i, len, at;
	char *f;

	*out = NULL;
	/* the host's sockets stream past: only the ports the container's own hold are kept */
	if (cfir_proc_members(t, "/proc", &members, err) < 0 ||
	    cfir_netsock_each(t, "/proc", head, held_port, &x, err) < 0) {
		cfir_proc_list_free(&members);
		return -1;
	}
	n = x.n;
	cfir_proc_list_free(&members);
	if (n == 0) {
		if (user == NULL)
			return cfir_err_set(err, EX_UNAVAILABLE, 0,
					    "container '%s' holds no TCP or UDP socket to filter the host's traffic on; "
					    "give a filter to capture with it alone", t->name);
		cfir_err_warn("container '%s' holds no TCP or UDP socket: capturing with your filter alone", t->name);
		*out = strdup(user);
		return *out ? 0 : cfir_err_set(err, EX_OSERR, ENOMEM, "filter");
	}
	len = (user ? strlen(user) : 0) + 40 + n * 16;
	f = malloc(len);
	if (f == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "filter");
	at = (size_t)snprintf(f, len, "%s%s%s(tcp or udp) and (", user ? "(" : "", user ? user : "",
			      user ? ") and " : "");
	for (i = 0; i < n && at < len; i++)
		at += (size_t)snprintf(f + at, len - at, "%sport %u", i ? " or " : "", ports[i]);
	if (at < len)
		snprintf(f + at, len - at, ")");
	*out = f;
	return 0;
}

/* Which interfaces, or exactly why none. */
static int
interfaces(const struct cfir_target *t, const char *host_iface, struct cfir_capture_ifaces *l,
	   struct cfir_err *err)
{
	const cJSON *hc = cJSON_GetObjectItemCaseSensitive(t->inspect, "HostConfig");
	const char *mode = cfir_json_str(hc, "NetworkMode");
	size_t i, ok = 0;

	if (mode != NULL && strcmp(mode, "none") == 0)
		return cfir_err_set(err, EX_UNAVAILABLE, 0,
				    "container '%s' has no network (network mode none): it has no traffic to capture",
				    t->name);
	if (cfir_capture_ifaces_find(t, "/proc", l, err) < 0)
		return -1;
	if (l->host_netns || (mode != NULL && strcmp(mode, "host") == 0)) {
		l->host_netns = true;
		if (host_iface == NULL)
			return cfir_err_set(err, EX_USAGE, 0,
					    "container '%s' shares the host's network namespace (network mode host): "
					    "it has no interface of its own; give --host-iface IFACE to capture there, "
					    "filtered on the container's ports", t->name);
		free(l->v);
		l->v = calloc(1, sizeof(*l->v));
		if (l->v == NULL)
			return cfir_err_set(err, EX_OSERR, ENOMEM, "interfaces");
		l->n = 1;
		snprintf(l->v[0].name, sizeof(l->v[0].name), "%s", host_iface);
		snprintf(l->v[0].dev, sizeof(l->v[0].dev), "%s", host_iface);
		snprintf(l->v[0].kind, sizeof(l->v[0].kind), "host");
		l->v[0].index = l->v[0].dev_index = (int)if_nametoindex(host_iface);
		if (l->v[0].dev_index == 0)
			return cfir_err_set(err, EX_USAGE, errno, "--host-iface '%s'", host_iface);
		return 0;
	}
	if (host_iface != NULL)
		return cfir_err_set(err, EX_USAGE, 0,
				    "--host-iface is for containers in the host's network namespace; "
				    "'%s' has its own", t->name);
	for (i = 0; i < l->n; i++) {
		if (l->v[i].problem[0] == '\0') {
			ok++;
			continue;
		}
		cfir_err_warn("%s: %s", l->v[i].name, l->v[i].problem);
	}
	if (l->n == 0)
		return cfir_err_set(err, EX_UNAVAILABLE, 0,
				    "container '%s' has only a loopback interface: it has no traffic to capture",
				    t->name);
	if (ok == 0)
		return cfir_err_set(err, EX_UNAVAILABLE, 0,
				    "no interface of container '%s' can be captured from the host", t->name);
	return 0;
}

static const char *
sha_of(const cJSON *artifacts, const char *path)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, artifacts)
		if (strcmp(cfir_json_str(a, "path"), path) == 0)
			return cfir_json_str(a, "sha256");
	return NULL;
}

/* Output records: one an interface, its files with their hashes. */
static cJSON *
records(const cJSON *d, const struct cfir_target *t, const cJSON *artifacts)
{
	cJSON *out = cJSON_CreateArray(), *r, *files;
	const cJSON *i, *p;

	cJSON_ArrayForEach(i, cJSON_GetObjectItem(d, "interfaces")) {
		r = cJSON_Duplicate(i, true);
		cJSON_DeleteItemFromObject(r, "files");
		files = cJSON_AddArrayToObject(r, "files");
		cJSON_ArrayForEach(p, cJSON_GetObjectItem(i, "files")) {
			cJSON *f = cJSON_CreateObject();
			const char *sha = sha_of(artifacts, p->valuestring);

			cfir_json_add_str(f, "path", p->valuestring);
			if (sha != NULL)
				cfir_json_add_str(f, "sha256", sha);
			cJSON_AddItemToArray(files, f);
		}
		cfir_json_add_str(r, "container", t->id);
		cJSON_AddItemToObject(r, "filter", cJSON_Duplicate(cJSON_GetObjectItem(d, "filter"), true));
		cfir_json_add_str(r, "ended", cfir_json_str(d, "ended"));
		cfir_json_add_num(r, "seconds", cJSON_GetObjectItem(d, "seconds")->valuedouble);
		cJSON_AddItemToArray(out, r);
	}
	return out;
}

static double
num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static void
title(struct cfir_text *t, const cJSON *r)
{
	cfir_text_printf(t, "%s (host %s): %.0f packets, %.0f bytes written; received %.0f, dropped %.0f by the "
			 "kernel, %.0f by the interface", cfir_json_str(r, "iface"), cfir_json_str(r, "host_iface"),
			 num(r, "packets"), num(r, "bytes"), num(r, "received"), num(r, "dropped"),
			 num(r, "ifdropped"));
}

static const struct cfir_view view = { title, NULL };

/* One record an interface, then its files with their hashes. */
static void
output(struct tool_step *s, const cJSON *recs)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, recs) {
		if (num(r, "dropped") > 0 || num(r, "ifdropped") > 0)
			tool_warn(s, "%s: %.0f packets dropped by the kernel, %.0f by the interface: the capture is "
				  "incomplete", cfir_json_str(r, "iface"), num(r, "dropped"), num(r, "ifdropped"));
		cfir_out_record(s->out, r, &view);
		tool_artifacts(s->out, cJSON_GetObjectItem(r, "files"));
	}
}

struct capture_opts {
	struct cfir_capture_opts o;
	unsigned long keep, packets;	/* the options' own types, copied into O */
	const char *host_iface;
	char *filter, *hfilter;
	struct cfir_capture_ifaces ifs;
};

/* Nothing is touched, not even the engine, for a bad filter or missing privileges. */
static int
check(struct tool_step *s, void *opts, int argc, char **argv)
{
	struct capture_opts *co = opts;
	const char *missing;

	if (co->keep && !co->o.rotate)
		return cfir_err_set(&s->err, EX_USAGE, 0, "--keep needs --rotate");
	co->o.keep = (unsigned)co->keep;
	co->o.packets = co->packets;
	co->filter = join(argc - 1, argv + 1);
	if (cfir_capture_check_filter(co->filter, &s->err) < 0)
		return -1;
	missing = cfir_caps_missing(co->host_iface == NULL);
	if (missing != NULL)
		return cfir_err_set(&s->err, EX_NOPERM, 0, "capture needs %s, which this process does not have",
				    missing);
	return 0;
}

/* The interfaces, and on the host's network namespace the filter to the container's ports. */
static int
prepare(struct tool_step *s, void *opts, int argc, char **argv)
{
	struct capture_opts *co = opts;

	(void)argc, (void)argv;
	if (interfaces(s->t, co->host_iface, &co->ifs, &s->err) < 0)
		return -1;
	co->o.filter = co->filter;
	if (co->ifs.host_netns) {
		if (host_filter(s->t, co->filter, &co->hfilter, &s->err) < 0 ||
		    cfir_capture_check_filter(co->hfilter, &s->err) < 0)
			return -1;
		co->o.filter = co->hfilter;
	}
	return 0;
}

/* The record's details: the capture's, the namespace, the interfaces not taken. */
static void
details_add(cJSON *details, const struct cfir_capture_ifaces *ifs)
{
	size_t i;

	if (ifs->host_netns)
		cJSON_AddBoolToObject(details, "host_netns", true);
	if (ifs->init_netns_moved)
		cJSON_AddBoolToObject(details, "init_netns_moved", true);
	cfir_json_add_num(details, "netns", (double)ifs->netns);
	for (i = 0; i < ifs->n; i++)
		if (ifs->v[i].problem[0] != '\0') {
			cJSON *skipped = cJSON_GetObjectItem(details, "skipped");
			cJSON *s = cJSON_CreateObject();

			if (skipped == NULL)
				skipped = cJSON_AddArrayToObject(details, "skipped");
			cfir_json_add_bytes(s, "iface", ifs->v[i].name, strlen(ifs->v[i].name));
			cfir_json_add_str(s, "kind", ifs->v[i].kind);
			cfir_json_add_str(s, "why", ifs->v[i].problem);
			cJSON_AddItemToArray(skipped, s);
		}
}

/* what is captured, said before the wait */
static void
announce(const struct tool_step *s, const struct capture_opts *co)
{
	size_t i;

	if (s->out->quiet)
		return;
	for (i = 0; i < co->ifs.n; i++)
		if (co->ifs.v[i].problem[0] == '\0')
			cfir_err_note("capturing on %s (host %s)", co->ifs.v[i].name, co->ifs.v[i].dev);
	if (co->o.filter != NULL)
		cfir_err_note("filter: %s", co->o.filter);
}

static int
run(struct tool_step *s, void *opts, int argc, char **argv)
{
	struct capture_opts *co = opts;
	struct cfir_capture *cap = NULL;
	cleanup_cjson cJSON *recs = NULL;
	cJSON *details = NULL;
	int rc;

	(void)argc, (void)argv;
	rc = cfir_capture_start(&cap, s->bag, &co->o, co->ifs.v, co->ifs.n, &s->err);
	if (rc == 0) {
		tool_warn_lines(s, cfir_capture_notices(cap));
		announce(s, co);
		rc = cfir_capture_wait(cap, &details, &s->err);
	}
	if (details == NULL)
		details = cJSON_CreateObject();
	details_add(details, &co->ifs);
	recs = records(details, s->t, cfir_bag_artifacts(s->bag));
	s->some = cJSON_GetObjectItem(details, "interfaces") != NULL;
	s->details = details;
	output(s, recs);
	return rc;
}

static void
fini(void *opts)
{
	struct capture_opts *co = opts;

	cfir_capture_ifaces_free(&co->ifs);
	free(co->filter);
	free(co->hfilter);
}

#define CAPTURE_OPT(n, l, k, field, lo, hi) TOOL_OPT_RANGE(n, l, k, struct capture_opts, o.field, lo, hi)

static const struct tool_opt opts[] = {
	TOOL_OPT_RANGE("count", 'c', TOOL_OPT_NUMBER, struct capture_opts, packets, 1, 0),
	CAPTURE_OPT("duration", 'd', TOOL_OPT_SECONDS, seconds, 0, 10000000),
	TOOL_OPT("host-iface", 0, TOOL_OPT_STRING, struct capture_opts, host_iface),
	TOOL_OPT_RANGE("keep", 0, TOOL_OPT_NUMBER, struct capture_opts, keep, 1, 1000000),
	CAPTURE_OPT("rotate", 0, TOOL_OPT_SIZE, rotate, 4096, 0),
	CAPTURE_OPT("size", 's', TOOL_OPT_SIZE, bytes, 24, 0),
	{ 0 },
};

static const char capture_usage[] =
	"usage: cfir capture [-h] [-o bag] [--case case] [--examiner name] [-d seconds]\n"
	"                    [-c packets] [-s size] [--rotate size] [--keep n]\n"
	"                    [--host-iface iface] container [filter ...]\n";

const struct tool_cmd cmd_capture = {
	.name = "capture", .usage = capture_usage, .needs = TOOL_TARGET | TOOL_BAG,
	.summary = "the container's traffic from its host-side interfaces into pcaps",
	.min_args = 1, .max_args = -1, .opts = opts, .opts_size = sizeof(struct capture_opts),
	.check = check, .prepare = prepare, .run = run, .fini = fini,
};
