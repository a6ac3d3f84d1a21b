/* sockets.c - the container's sockets, as its network namespace sees them */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/netsock.h"
#include "tools/tool.h"

static const char usage[] =
	"usage: cfir sockets [-h] [-o bag] [--case case] [--examiner name] container\n";

static void
endpoint(char *buf, size_t n, const cJSON *s, const char *a, const char *p)
{
	const char *addr = tool_jstr(s, a);
	double port = cJSON_GetObjectItem(s, p)->valuedouble;

	if (addr != NULL && strchr(addr, ':') != NULL)
		snprintf(buf, n, "[%s]:%.0f", addr, port);
	else
		snprintf(buf, n, "%s:%.0f", addr ? addr : "?", port);
}

static void
holders(FILE *f, const cJSON *s)
{
	const cJSON *h;
	bool first = true;

	cJSON_ArrayForEach(h, cJSON_GetObjectItem(s, "holders")) {
		fprintf(f, "%s%.0f/", first ? "" : ",", cJSON_GetObjectItem(h, "pid")->valuedouble);
		cfir_vis_str(f, tool_jstr(h, "comm"));
		first = false;
	}
	if (first)
		fputc('-', f);
}

/* A unix socket's name as its exact bytes (from path_hex when the JSON
 * string could not hold them), escaped: a newline in it stays on the line. */
static void
unix_name(FILE *f, const cJSON *s)
{
	const char *hex = tool_jstr(s, "path_hex");
	size_t i, n;
	unsigned char *b;

	if (hex == NULL || (n = strlen(hex) / 2) == 0 || (b = malloc(n)) == NULL) {
		cfir_vis_str(f, tool_jstr(s, "path"));
		return;
	}
	for (i = 0; i < n; i++) {
		unsigned v = 0;

		sscanf(hex + 2 * i, "%2x", &v);
		b[i] = (unsigned char)v;
	}
	cfir_vis(f, b, n);
	free(b);
}

/* Like netstat -tunap, then -xp and packet sockets. */
static void
table(FILE *f, const cJSON *doc)
{
	const cJSON *s, *list = cJSON_GetObjectItem(doc, "sockets");
	char l[80], r[80];

	fprintf(f, "network namespace net:[%.0f]\n", cJSON_GetObjectItem(doc, "netns")->valuedouble);
	if (cJSON_IsTrue(cJSON_GetObjectItem(doc, "host_netns")))
		fputs("the container shares the host's network namespace: these are the host's sockets\n", f);
	fprintf(f, "%-8s %-40s %-40s %-12s %s\n", "Proto", "Local Address", "Foreign Address", "State",
		"PID/Program name");
	cJSON_ArrayForEach(s, list) {
		const char *proto = tool_jstr(s, "proto");

		if (strcmp(proto, "unix") == 0 || strcmp(proto, "packet") == 0)
			continue;
		endpoint(l, sizeof(l), s, "local", "lport");
		endpoint(r, sizeof(r), s, "remote", "rport");
		fprintf(f, "%-8s %-40s %-40s %-12s ", proto, l, r, tool_jstr(s, "state"));
		holders(f, s);
		fputc('\n', f);
	}
	cJSON_ArrayForEach(s, list) {
		const char *proto = tool_jstr(s, "proto");

		if (strcmp(proto, "unix") == 0) {
			fprintf(f, "%-8s %-10s %-13s %8.0f ", proto, tool_jstr(s, "type"), tool_jstr(s, "state"),
				cJSON_GetObjectItem(s, "inode")->valuedouble);
			holders(f, s);
			fputc(' ', f);
			unix_name(f, s);
			fputc('\n', f);
		} else if (strcmp(proto, "packet") == 0) {
			fprintf(f, "%-8s %-10s proto 0x%04x ifindex %.0f ", proto, tool_jstr(s, "type"),
				(unsigned)cJSON_GetObjectItem(s, "protocol")->valuedouble,
				cJSON_GetObjectItem(s, "ifindex")->valuedouble);
			holders(f, s);
			fputc('\n', f);
		}
	}
}

int
cmd_sockets(int argc, char **argv, struct cfir_global *g)
{
	static const struct option longopts[] = {
		TOOL_BAG_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cfir_engine *e = NULL;
	struct cfir_target *t = NULL;
	struct cfir_bag *bag = NULL;
	struct cfir_err err = { 0 };
	struct tool_bagopts bo;
	cleanup_cjson cJSON *doc = NULL;
	cleanup_free char *json = NULL;
	const cJSON *s;
	cJSON *details;
	size_t len = 0;
	int c, rc = 0, r = 0;

	tool_bagopts_init(&bo, g);
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		if (tool_bagopt(&bo, c, optarg))
			continue;
		return tool_usage(usage, c != 'h');
	}
	if (argc - optind != 1)
		return tool_usage(usage, true);
	if (tool_target(g, argv[optind], &e, &t, &err) < 0 ||
	    tool_bag_open(&bo, t->name, &bag, &err) < 0 ||
	    cfir_bag_begin(bag, "sockets", t, &err) < 0)
		goto out;
	rc = cfir_sockets(t, "/proc", &doc, &err);
	if (doc != NULL) {	/* also what an interruption or a failed table left */
		struct cfir_err aerr = { 0 };

		cfir_json_add_str(doc, "container", t->id);
		cJSON_AddBoolToObject(doc, "frozen", t->paused);
		json = cfir_json_line(doc, &len);
		if (json == NULL)
			cfir_err_set(&aerr, EX_OSERR, 0, "out of memory");
		if ((json == NULL || cfir_bag_add_buffer(bag, "net", "sockets.json", json, len, &aerr) < 0) && rc == 0) {
			err = aerr;
			rc = -1;
			cJSON_Delete(doc);
			doc = NULL;
		}
	}
	if (rc == 0 && cJSON_IsTrue(cJSON_GetObjectItem(doc, "host_netns")))
		cfir_warn("container '%s' shares the host's network namespace", t->name);
	details = cJSON_CreateObject();
	if (doc != NULL) {
		cfir_json_add_num(details, "netns", cJSON_GetObjectItem(doc, "netns")->valuedouble);
		cJSON_AddBoolToObject(details, "host_netns", cJSON_IsTrue(cJSON_GetObjectItem(doc, "host_netns")));
		cfir_json_add_num(details, "sockets", cJSON_GetArraySize(cJSON_GetObjectItem(doc, "sockets")));
	}
	if (doc != NULL)
		cJSON_AddBoolToObject(details, "complete", cJSON_IsTrue(cJSON_GetObjectItem(doc, "complete")));
	if (tool_end(bag, rc, doc != NULL, &err, details) < 0 || (rc < 0 && doc == NULL))
		goto out;
	if (g->out.format == CFIR_FORMAT_JSON)
		cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "sockets"))
			cfir_out_record(&g->out, s, NULL, NULL);
	else if (!g->out.quiet)
		table(g->out.fp, doc);
	if (rc < 0)
		r = cfir_err_report(&err);	/* partial: printed, recorded, and said */
out:
	return tool_done(e, t, bag, &err, r);
}
