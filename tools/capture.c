/* capture.c - the container's traffic, from its host-side interfaces */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/caps.h"
#include "common/capture.h"
#include "common/cleanup.h"
#include "common/netsock.h"
#include "common/proc.h"
#include "common/util.h"
#include "tools/tool.h"

static const char usage[] =
	"usage: cfir capture [-h] [-o bag] [--case case] [--examiner name] [-d seconds]\n"
	"                    [-c packets] [-s bytes] [--rotate size] [--keep n]\n"
	"                    [--host-iface iface] container [filter ...]\n";

enum { OPT_ROTATE = 0x400, OPT_KEEP, OPT_HOST_IFACE };

#define PORTS_MAX 256

/* tcpdump's way: the words after the container are one expression. */
static char *
join(int argc, char **argv)
{
	size_t len = 0;
	char *s;
	int i;

	if (argc == 0)
		return NULL;
	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = malloc(len);
	if (s == NULL)
		return NULL;
	s[0] = '\0';
	for (i = 0; i < argc; i++) {
		if (i > 0)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
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
	const char *proto = tool_jstr(s, "proto");
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
	const char *mode = tool_jstr(hc, "NetworkMode");
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
		fputs("cfir: ", stderr);
		cfir_vis_str(stderr, l->v[i].name);
		fprintf(stderr, ": %s\n", l->v[i].problem);
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
		if (strcmp(tool_jstr(a, "path"), path) == 0)
			return tool_jstr(a, "sha256");
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
		cfir_json_add_str(r, "ended", tool_jstr(d, "ended"));
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
text(FILE *f, const cJSON *recs, const char *bagdir)
{
	const cJSON *r, *p;

	cJSON_ArrayForEach(r, recs) {
		cfir_vis_str(f, tool_jstr(r, "iface"));
		fprintf(f, " (host %s): %.0f packets, %.0f bytes written; received %.0f, dropped %.0f by the kernel, "
			   "%.0f by the interface\n",
			tool_jstr(r, "host_iface"), num(r, "packets"), num(r, "bytes"), num(r, "received"),
			num(r, "dropped"), num(r, "ifdropped"));
		cJSON_ArrayForEach(p, cJSON_GetObjectItem(r, "files")) {
			fprintf(f, "  %s  ", tool_jstr(p, "sha256") ? tool_jstr(p, "sha256") : "-");
			cfir_vis_str(f, bagdir);
			fputc('/', f);
			cfir_vis_str(f, tool_jstr(p, "path"));
			fputc('\n', f);
		}
	}
}

int
cmd_capture(int argc, char **argv, struct cfir_global *g)
{
	static const struct option longopts[] = {
		TOOL_BAG_LONGOPTS,
		{ "count", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "host-iface", required_argument, NULL, OPT_HOST_IFACE },
		{ "keep", required_argument, NULL, OPT_KEEP },
		{ "rotate", required_argument, NULL, OPT_ROTATE },
		{ "size", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct cfir_capture *cap = NULL;
	struct cfir_capture_opts o = { 0 };
	struct cfir_capture_ifaces ifs = { 0 };
	struct cfir_engine *e = NULL;
	struct cfir_target *t = NULL;
	struct cfir_bag *bag = NULL;
	struct cfir_err err = { 0 };
	struct tool_bagopts bo;
	cleanup_free char *filter = NULL, *hfilter = NULL;
	cleanup_cjson cJSON *recs = NULL;
	const char *host_iface = NULL, *missing;
	cJSON *details = NULL;
	const cJSON *r;
	unsigned long v;
	char *end;
	size_t i;
	int c, rc = 0;

	tool_bagopts_init(&bo, g);
	while ((c = getopt_long(argc, argv, "c:d:ho:s:", longopts, NULL)) != -1) {
		if (tool_bagopt(&bo, c, optarg))
			continue;
		switch (c) {
		case 'c':
			if (cfir_util_parse_ulong(optarg, ~0ul, &v) < 0 || v == 0)
				goto bad;
			o.packets = v;
			continue;
		case 'd':
			errno = 0;
			o.seconds = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' || !(o.seconds > 0) || o.seconds > 1e7)
				goto bad;
			continue;
		case 's':
			if (cfir_util_parse_size(optarg, &o.bytes) < 0 || o.bytes < 24)
				goto bad;
			continue;
		case OPT_ROTATE:
			if (cfir_util_parse_size(optarg, &o.rotate) < 0 || o.rotate < 4096)
				goto bad;
			continue;
		case OPT_KEEP:
			if (cfir_util_parse_ulong(optarg, 1000000, &v) < 0 || v == 0)
				goto bad;
			o.keep = (unsigned)v;
			continue;
		case OPT_HOST_IFACE:
			host_iface = optarg;
			continue;
		}
		return tool_usage(usage, c != 'h');
bad:
		{
			const char *name = c == 'c' ? "-c/--count" : c == 'd' ? "-d/--duration" : c == 's' ? "-s/--size" :
					   c == OPT_ROTATE ? "--rotate (at least 4096)" : "--keep";

			cfir_err_print("%s: bad value '%s'", name, optarg);
		}
		return EX_USAGE;
	}
	if (argc - optind < 1)
		return tool_usage(usage, true);
	if (o.keep && !o.rotate) {
		cfir_err_print("--keep needs --rotate");
		return EX_USAGE;
	}
	filter = join(argc - optind - 1, argv + optind + 1);
	/* nothing is touched for a bad filter or missing privileges */
	if (cfir_capture_check_filter(filter, &err) < 0)
		goto out;
	missing = cfir_caps_missing(host_iface == NULL);
	if (missing != NULL) {
		cfir_err_set(&err, EX_NOPERM, 0, "capture needs %s, which this process does not have", missing);
		goto out;
	}
	if (tool_target(g, argv[optind], &e, &t, &err) < 0 || interfaces(t, host_iface, &ifs, &err) < 0)
		goto out;
	o.filter = filter;
	if (ifs.host_netns) {
		if (host_filter(t, filter, &hfilter, &err) < 0 || cfir_capture_check_filter(hfilter, &err) < 0)
			goto out;
		o.filter = hfilter;
	}
	if (tool_bag_open(&bo, t->name, &bag, &err) < 0 || cfir_bag_begin(bag, "capture", t, &err) < 0)
		goto out;
	rc = cfir_capture_start(&cap, bag, &o, ifs.v, ifs.n, &err);
	if (rc == 0) {
		tool_warn_lines(cfir_capture_notices(cap));
		for (i = 0; i < ifs.n; i++)
			if (ifs.v[i].problem[0] == '\0' && !g->out.quiet) {
				fputs("cfir: capturing on ", stderr);
				cfir_vis_str(stderr, ifs.v[i].name);
				fprintf(stderr, " (host %s)\n", ifs.v[i].dev);
			}
		if (o.filter != NULL && !g->out.quiet) {
			fputs("cfir: filter: ", stderr);
			cfir_vis_str(stderr, o.filter);
			fputc('\n', stderr);
		}
		rc = cfir_capture_wait(cap, &details, &err);
	}
	if (details == NULL)
		details = cJSON_CreateObject();
	if (ifs.host_netns)
		cJSON_AddBoolToObject(details, "host_netns", true);
	if (ifs.init_netns_moved)
		cJSON_AddBoolToObject(details, "init_netns_moved", true);
	cfir_json_add_num(details, "netns", (double)ifs.netns);
	for (i = 0; i < ifs.n; i++)
		if (ifs.v[i].problem[0] != '\0') {
			cJSON *skipped = cJSON_GetObjectItem(details, "skipped");
			cJSON *s = cJSON_CreateObject();

			if (skipped == NULL)
				skipped = cJSON_AddArrayToObject(details, "skipped");
			cfir_json_add_bytes(s, "iface", ifs.v[i].name, strlen(ifs.v[i].name));
			cfir_json_add_str(s, "kind", ifs.v[i].kind);
			cfir_json_add_str(s, "why", ifs.v[i].problem);
			cJSON_AddItemToArray(skipped, s);
		}
	recs = records(details, t, cfir_bag_artifacts(bag));
	if (tool_end(bag, rc, cJSON_GetObjectItem(details, "interfaces") != NULL, &err, details) < 0)
		rc = -1;
	cJSON_ArrayForEach(r, recs) {
		if (num(r, "dropped") > 0 || num(r, "ifdropped") > 0) {
			fputs("cfir: ", stderr);
			cfir_vis_str(stderr, tool_jstr(r, "iface"));
			fprintf(stderr, ": %.0f packets dropped by the kernel, %.0f by the interface: the capture is "
					"incomplete\n", num(r, "dropped"), num(r, "ifdropped"));
		}
		if (g->out.format == CFIR_FORMAT_JSON)
			cfir_out_record(&g->out, r, NULL, NULL);
	}
	if (g->out.format != CFIR_FORMAT_JSON && !g->out.quiet)
		text(g->out.fp, recs, cfir_bag_dir(bag));
out:
	cfir_capture_ifaces_free(&ifs);
	return tool_done(e, t, bag, &err, 0);
}
