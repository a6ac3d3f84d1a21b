/* sockets.c - the container's sockets, as its network namespace sees them */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/netsock.h"
#include "tools/tool.h"

/* "addr:port", "[v6]:port" */
static void
endpoint(struct cfir_text *t, const cJSON *s, const char *a, const char *p)
{
	const char *addr = cfir_json_str(s, a);

	cfir_text_printf(t, addr && strchr(addr, ':') ? "[%s]:%.0f" : "%s:%.0f", addr ? addr : "?",
			 cfir_json_num(s, p));
}

static bool
is(const cJSON *s, const char *proto)
{
	const char *p = cfir_json_str(s, "proto");

	return p != NULL && strcmp(p, proto) == 0;
}

/* A unix socket's name as its exact bytes; a packet socket's protocol. */
static void
local(struct cfir_text *t, const cJSON *s)
{
	static const struct cfir_field path = { "path", NULL, CFIR_FMT_BYTES, 0, 0, NULL };

	if (is(s, "unix"))
		cfir_field_text(t, s, &path);
	else if (is(s, "packet"))
		cfir_text_printf(t, "proto 0x%04x", (unsigned)cfir_json_num(s, "protocol"));
	else
		endpoint(t, s, "local", "lport");
}

static void
remote(struct cfir_text *t, const cJSON *s)
{
	if (is(s, "unix"))
		cfir_text_printf(t, "inode %.0f", cfir_json_num(s, "inode"));
	else if (is(s, "packet"))
		cfir_text_printf(t, "ifindex %.0f", cfir_json_num(s, "ifindex"));
	else
		endpoint(t, s, "remote", "rport");
}

static void
state(struct cfir_text *t, const cJSON *s)
{
	const char *type = cfir_json_str(s, "type"), *st = cfir_json_str(s, "state");

	if (is(s, "unix") || is(s, "packet"))
		cfir_text_printf(t, "%s%s%s", type ? type : "-", st ? " " : "", st ? st : "");
	else
		cfir_text_printf(t, "%s", st ? st : "-");
}

/* PID/comm of each process that holds it */
static void
holders(struct cfir_text *t, const cJSON *s)
{
	const cJSON *h;
	bool first = true;

	cJSON_ArrayForEach(h, cJSON_GetObjectItem(s, "holders")) {
		const char *comm = cfir_json_str(h, "comm");

		cfir_text_printf(t, "%s%.0f/%s", first ? "" : ",", cfir_json_num(h, "pid"), comm ? comm : "-");
		first = false;
	}
	if (first)
		cfir_text_add(t, "-", 1);
}

/* like netstat -tunap, -xp for unix sockets */
static const struct cfir_field columns[] = {
	{ "proto", "Proto", CFIR_FMT_STR, 8, 0, NULL },
	{ NULL, "Local Address", CFIR_FMT_STR, 40, 0, local },
	{ NULL, "Foreign Address", CFIR_FMT_STR, 40, 0, remote },
	{ NULL, "State", CFIR_FMT_STR, 12, 0, state },
	{ NULL, "PID/Program name", CFIR_FMT_STR, 0, 0, holders },
	{ 0 },
};

static void
caption(struct cfir_text *t, const cJSON *head)
{
	cfir_text_printf(t, "network namespace net:[%.0f]", cfir_json_num(head, "netns"));
}

/* The table's head: before the first socket (the namespace is known by then). */
static int
table_head(struct cfir_out *o, const cJSON *head)
{
	if (cfir_out_line(o, head, caption) < 0 ||
	    (cJSON_IsTrue(cJSON_GetObjectItem(head, "host_netns")) && cfir_out_note(o, "the container shares the host's network namespace: these are the host's sockets") < 0))
		return -1;
	return cfir_out_head(o, columns);
}

/* sockets.json is written as the kernel answers: one socket at a time. */
struct out {
	struct cfir_out *o;
	struct cfir_writer *w;
	struct cfir_err err;
	size_t n;
};

static int
one(void *ctx, const cJSON *head, cJSON *sock)
{
	struct out *o = ctx;
	cleanup_free char *js = NULL;
	size_t len;
	int r = 0;

	if (o->n == 0)
		table_head(o->o, head);
	js = cfir_json_print(sock, &len);
	if (js == NULL)
		r = cfir_err_set(&o->err, EX_OSERR, ENOMEM, "sockets");
	else if ((o->n > 0 && cfir_writer_write(o->w, ",\n", 2, &o->err) < 0) ||
		 cfir_writer_write(o->w, js, len, &o->err) < 0)
		r = -1;
	if (r == 0 && o->o->format == CFIR_FORMAT_JSON) {
		js[len] = '\n';	/* the row is the bag's line: printed once, not twice */
		fwrite(js, 1, len + 1, o->o->fp);
	} else if (r == 0) {
		cfir_out_row(o->o, sock, columns);
	}
	o->n++;
	cJSON_Delete(sock);
	return r;
}

/* {"container":...,"frozen":...,"sockets":[ : the file's opening */
static int
open_file(struct tool_step *s, struct out *o)
{
	cleanup_cjson cJSON *first = cJSON_CreateObject();
	cleanup_free char *hs = NULL;
	size_t hlen = 0;

	cfir_json_add_str(first, "container", s->t->id);
	cJSON_AddBoolToObject(first, "frozen", s->t->paused);
	hs = cfir_json_print(first, &hlen);
	if (hs == NULL)
		return cfir_err_set(&s->err, EX_OSERR, ENOMEM, "sockets");
	if (cfir_writer_open(s->bag, "net", "sockets.json", &o->w, &s->err) < 0)
		return -1;
	if (cfir_writer_write(o->w, hs, hlen - 1, &s->err) < 0 ||
	    cfir_writer_write(o->w, ",\"sockets\":[", 12, &s->err) < 0) {
		cfir_writer_abort(o->w);
		return -1;
	}
	return 0;
}

/* ],"netns":...,"complete":...}: whole JSON also when cut short, what was read */
static int
close_file(struct tool_step *s, struct out *o, const cJSON *head)
{
	bool read_any = cJSON_GetObjectItem(head, "complete") != NULL;
	cleanup_free char *ts = NULL;
	size_t tlen = 0;
	int wr;

	ts = cfir_json_print(head, &tlen);
	wr = ts == NULL || cfir_writer_write(o->w, "],", 2, &o->err) < 0 ||
	     cfir_writer_write(o->w, ts + 1, tlen - 1, &o->err) < 0 || cfir_writer_write(o->w, "\n", 1, &o->err) < 0 ? -1 : 0;
	if (wr == 0 && read_any) {
		if (cfir_writer_commit(o->w, &o->err) < 0)
			wr = -1;
	} else {
		cleanup_free char *path = strdup(cfir_writer_path(o->w));
		struct cfir_err derr = { 0 };

		cfir_writer_abort(o->w);
		/* nothing was read: no file that only looks like an answer; the record says failed */
		if (!read_any && path != NULL)
			cJSON_Delete(cfir_bag_discard(s->bag, path, &derr));
	}
	return wr;
}

static cJSON *
details_of(const cJSON *head, size_t n)
{
	cJSON *d = cJSON_CreateObject();

	if (cJSON_GetObjectItem(head, "netns") == NULL)
		return d;
	cfir_json_add_num(d, "netns", cfir_json_num(head, "netns"));
	cJSON_AddBoolToObject(d, "host_netns", cJSON_IsTrue(cJSON_GetObjectItem(head, "host_netns")));
	if (cJSON_IsTrue(cJSON_GetObjectItem(head, "init_netns_moved")))
		cJSON_AddBoolToObject(d, "init_netns_moved", true);
	cfir_json_add_num(d, "sockets", (double)n);
	cJSON_AddBoolToObject(d, "complete", cJSON_IsTrue(cJSON_GetObjectItem(head, "complete")));
	return d;
}

static int
run(struct tool_step *s, void *opts, int argc, char **argv)
{
	struct out o = { .o = s->out };
	cleanup_cjson cJSON *head = cJSON_CreateObject();
	int rc;

	(void)opts, (void)argc, (void)argv;
	if (head == NULL)
		return cfir_err_set(&s->err, EX_OSERR, ENOMEM, "sockets");
	if (open_file(s, &o) < 0) {
		s->details = details_of(head, 0);
		return -1;
	}
	rc = cfir_netsock_each(s->t, "/proc", head, one, &o, &s->err);
	if (rc < 0 && o.err.msg[0] != '\0')
		s->err = o.err;	/* the writer's own failure */
	if (o.n == 0 && cJSON_GetObjectItem(head, "netns") != NULL)
		table_head(s->out, head);
	if (close_file(s, &o, head) < 0 && rc == 0) {
		s->err = o.err;
		rc = -1;
	}
	if (rc == 0 && cJSON_IsTrue(cJSON_GetObjectItem(head, "host_netns")))
		tool_warn(s, "container '%s' shares the host's network namespace", s->t->name);
	s->details = details_of(head, o.n);
	return rc;
}

static const char sockets_usage[] =
	"usage: cfir sockets [-h] [-o bag] [--case case] [--examiner name] container\n";

const struct tool_cmd cmd_sockets = {
	.name = "sockets", .usage = sockets_usage, .needs = TOOL_TARGET | TOOL_BAG,
	.summary = "tcp, udp, raw, unix and packet sockets of the container's netns",
	.min_args = 1, .max_args = 1, .run = run,
};
