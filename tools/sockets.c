/* sockets.c - the container's sockets, as its network namespace sees them */
#include <errno.h>
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

/* The table's head: before the first socket (the namespace is known by then). */
static void
table_head(FILE *f, const cJSON *head)
{
	fprintf(f, "network namespace net:[%.0f]\n", cJSON_GetObjectItem(head, "netns")->valuedouble);
	if (cJSON_IsTrue(cJSON_GetObjectItem(head, "host_netns")))
		fputs("the container shares the host's network namespace: these are the host's sockets\n", f);
	fprintf(f, "%-8s %-40s %-40s %-12s %s\n", "Proto", "Local Address", "Foreign Address", "State",
		"PID/Program name");
}

/* One row like netstat -tunap, or -xp, or a packet socket's. */
static void
table_row(FILE *f, const cJSON *s)
{
	const char *proto = tool_jstr(s, "proto");
	char l[80], r[80];

	if (strcmp(proto, "unix") == 0) {
		fprintf(f, "%-8s %-10s %-13s %8.0f ", proto, tool_jstr(s, "type"), tool_jstr(s, "state"),
			cJSON_GetObjectItem(s, "inode")->valuedouble);
		holders(f, s);
		fputc(' ', f);
		unix_name(f, s);
	} else if (strcmp(proto, "packet") == 0) {
		fprintf(f, "%-8s %-10s proto 0x%04x ifindex %.0f ", proto, tool_jstr(s, "type"),
			(unsigned)cJSON_GetObjectItem(s, "protocol")->valuedouble,
			cJSON_GetObjectItem(s, "ifindex")->valuedouble);
		holders(f, s);
	} else {
		endpoint(l, sizeof(l), s, "local", "lport");
		endpoint(r, sizeof(r), s, "remote", "rport");
		fprintf(f, "%-8s %-40s %-40s %-12s ", proto, l, r, tool_jstr(s, "state"));
		holders(f, s);
	}
	fputc('\n', f);
}

/* sockets.json is written as the kernel answers: one socket at a time. */
struct out {
	struct cfir_global *g;
	struct cfir_writer *w;
	struct cfir_err err;
	size_t n;
	bool text;
};

static int
one(void *ctx, const cJSON *head, cJSON *sock)
{
	struct out *o = ctx;
	cleanup_free char *js = NULL;
	size_t len;
	int r = 0;

	if (o->n == 0 && o->text)
		table_head(o->g->out.fp, head);
	js = cfir_json_print(sock, &len);
	if (js == NULL)
		r = cfir_err_set(&o->err, EX_OSERR, ENOMEM, "sockets");
	else if ((o->n > 0 && cfir_writer_write(o->w, ",\n", 2, &o->err) < 0) ||
		 cfir_writer_write(o->w, js, len, &o->err) < 0)
		r = -1;
	if (r == 0 && o->g->out.format == CFIR_FORMAT_JSON)
		cfir_out_record(&o->g->out, sock, NULL, NULL);
	else if (r == 0 && o->text)
		table_row(o->g->out.fp, sock);
	o->n++;
	cJSON_Delete(sock);
	return r;
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
	struct out o = { .g = g };
	cleanup_cjson cJSON *head = cJSON_CreateObject();
	cleanup_free char *hs = NULL, *ts = NULL;
	cJSON *details, *tail;
	size_t hlen = 0, tlen = 0;
	int c, rc = 0, r = 0, wr = 0;
	bool read_any;

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
	o.text = g->out.format != CFIR_FORMAT_JSON && !g->out.quiet;
	{
		cJSON *first = cJSON_CreateObject();

		cfir_json_add_str(first, "container", t->id);
		cJSON_AddBoolToObject(first, "frozen", t->paused);
		hs = cfir_json_print(first, &hlen);
		cJSON_Delete(first);
	}
	/* {"container":...,"frozen":...,"sockets":[ ... streamed ... ],"netns":...,"tables":...} */
	if (head == NULL || hs == NULL || cfir_writer_open(bag, "net", "sockets.json", &o.w, &err) < 0) {
		if (head == NULL || hs == NULL)
			cfir_err_set(&err, EX_OSERR, ENOMEM, "sockets");
		rc = -1;
		goto end;
	}
	if (cfir_writer_write(o.w, hs, hlen - 1, &err) < 0 || cfir_writer_write(o.w, ",\"sockets\":[", 12, &err) < 0) {
		cfir_writer_abort(o.w);
		rc = -1;
		goto end;
	}
	rc = cfir_netsock_each(t, "/proc", head, one, &o, &err);
	if (rc < 0 && o.err.msg[0] != '\0')
		err = o.err;	/* the writer's own failure */
	read_any = cJSON_GetObjectItem(head, "complete") != NULL;
	if (o.n == 0 && o.text && cJSON_GetObjectItem(head, "netns") != NULL)
		table_head(g->out.fp, head);
	/* whole JSON also when cut short: what was read, "complete": false */
	ts = cfir_json_print(head, &tlen);
	wr = ts == NULL || cfir_writer_write(o.w, "],", 2, &o.err) < 0 ||
	     cfir_writer_write(o.w, ts + 1, tlen - 1, &o.err) < 0 || cfir_writer_write(o.w, "\n", 1, &o.err) < 0 ? -1 : 0;
	if (wr == 0 && read_any) {
		if (cfir_writer_commit(o.w, &o.err) < 0)
			wr = -1;
	} else {
		cleanup_free char *path = strdup(cfir_writer_path(o.w));
		struct cfir_err derr = { 0 };

		cfir_writer_abort(o.w);
		/* nothing was read: no file that only looks like an answer; the record says failed */
		if (!read_any && path != NULL)
			cJSON_Delete(cfir_bag_discard(bag, path, &derr));
	}
	if (wr < 0 && rc == 0) {
		err = o.err;
		rc = -1;
	}
	if (rc == 0 && cJSON_IsTrue(cJSON_GetObjectItem(head, "host_netns")))
		cfir_err_warn("container '%s' shares the host's network namespace", t->name);
end:
	details = cJSON_CreateObject();
	if (cJSON_GetObjectItem(head, "netns") != NULL) {
		cfir_json_add_num(details, "netns", cJSON_GetObjectItem(head, "netns")->valuedouble);
		cJSON_AddBoolToObject(details, "host_netns", cJSON_IsTrue(cJSON_GetObjectItem(head, "host_netns")));
		if (cJSON_IsTrue(cJSON_GetObjectItem(head, "init_netns_moved")))
			cJSON_AddBoolToObject(details, "init_netns_moved", true);
		cfir_json_add_num(details, "sockets", (double)o.n);
		tail = cJSON_GetObjectItem(head, "complete");
		cJSON_AddBoolToObject(details, "complete", cJSON_IsTrue(tail));
	}
	if (tool_end(bag, rc, cJSON_GetArraySize(cfir_bag_artifacts(bag)) > 0, &err, details) < 0)
		goto out;
	if (rc < 0)
		r = cfir_err_report(&err);	/* partial: printed, recorded, and said */
out:
	return tool_done(e, t, bag, &err, r);
}
