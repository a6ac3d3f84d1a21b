/* tool.c - the command runner: options, setup, the custody record, teardown, exit */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/hunt.h"
#include "common/tarstream.h"
#include "common/util.h"
#include "tools/tool.h"

#define OPTS_MAX 48

/* Options every command has, after its name as well as before it. */
const struct option tool_global_longopts[TOOL_GLOBAL_LONGOPTS + 1] = {
	{ "engine-timeout", required_argument, NULL, OPT_ENGINE_TIMEOUT },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "help", no_argument, NULL, 'h' },
	{ "host", required_argument, NULL, 'H' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "root-image", required_argument, NULL, OPT_ROOT_IMAGE },
	{ "source", required_argument, NULL, OPT_SOURCE },
	{ "verbose", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};

/* Options of every command that writes evidence. */
static const struct option bag_longopts[] = {
	{ "bag", required_argument, NULL, 'o' },
	{ "case", required_argument, NULL, OPT_CASE },
	{ "examiner", required_argument, NULL, OPT_EXAMINER },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static bool
wants_bag(const struct tool_cmd *cmd)
{
	return cmd->needs & (TOOL_BAG | TOOL_BAG_ASKED | TOOL_BAG_SELF);
}

/* The command's options, the bag's and the global ones, in one getopt table. */
static void
options(const struct tool_cmd *cmd, struct option *lo, char *so, size_t solen)
{
	const struct tool_opt *o;
	size_t n = 0, i, k = 0;

	for (o = cmd->opts; o != NULL && (o->name || o->letter) && n < OPTS_MAX - 10; o++) {
		if (o->name != NULL)
			lo[n++] = (struct option){ o->name, o->kind == TOOL_OPT_FLAG ? no_argument : required_argument,
						   NULL, o->letter ? o->letter : OPT_CMD + (int)(o - cmd->opts) };
		if (o->letter && k + 3 < solen) {
			so[k++] = (char)o->letter;
			if (o->kind != TOOL_OPT_FLAG)
				so[k++] = ':';
		}
	}
	for (i = 0; wants_bag(cmd) && i < NELEM(bag_longopts); i++)
		lo[n++] = bag_longopts[i];
	for (i = 0; i < TOOL_GLOBAL_LONGOPTS; i++)
		lo[n++] = tool_global_longopts[i];
	lo[n] = (struct option){ NULL, 0, NULL, 0 };
	snprintf(so + k, solen - k, "%sH:hqv", wants_bag(cmd) ? "o:" : "");
}

static int
bad(struct cfir_err *err, const struct tool_opt *o, const char *what, const char *arg)
{
	if (o->name == NULL)
		return cfir_err_set(err, EX_USAGE, 0, "-%c takes %s, not '%s'", o->letter, what, arg);
	return cfir_err_set(err, EX_USAGE, 0, "--%s takes %s, not '%s'", o->name, what, arg);
}

/* One of the command's options, its value checked and kept. */
static int
option(const struct tool_opt *o, void *opts, const char *arg, struct cfir_err *err)
{
	void *at = (char *)opts + o->off;
	unsigned long v;
	uint64_t sz;
	double d;
	char *end;
	int sev;

	switch (o->kind) {
	case TOOL_OPT_FLAG:
		*(bool *)at = true;
		return 0;
	case TOOL_OPT_STRING:
		*(const char **)at = arg;
		return 0;
	case TOOL_OPT_SIZE:
		if (cfir_util_parse_size(arg, &sz) < 0 || sz < o->min)
			return bad(err, o, o->min ? "a size (bytes, or 64K, 64M, 1G) of at least the minimum" :
					    "a size (bytes, or 64K, 64M, 1G)", arg);
		*(uint64_t *)at = sz;
		return 0;
	case TOOL_OPT_NUMBER:
		if (cfir_util_parse_ulong(arg, o->max ? o->max : ~0ul, &v) < 0 || v < o->min) {
			char range[64];

			snprintf(range, sizeof(range), o->max ? "%lu to %lu" : "a whole number from %lu", o->min, o->max);
			return bad(err, o, range, arg);
		}
		*(unsigned long *)at = v;
		return 0;
	case TOOL_OPT_SECONDS:
		errno = 0;
		d = strtod(arg, &end);
		if (errno != 0 || end == arg || *end != '\0' || !(d > 0) || (o->max && d > (double)o->max))
			return bad(err, o, "a number of seconds", arg);
		*(double *)at = d;
		return 0;
	case TOOL_OPT_SEVERITY:
		sev = cfir_severity_parse(arg);
		if (sev < 0)
			return bad(err, o, "critical, high, medium, low or info", arg);
		*(int *)at = sev;
		return 0;
	case TOOL_OPT_COMPRESS:
		if (cfir_tarstream_compress_ok(arg) < 0)
			return bad(err, o, "gzip or zstd", arg);
		*(const char **)at = arg;
		return 0;
	case TOOL_OPT_CALL:
		return o->fn(opts, arg, err);
	}
	return -1;
}

/* 0 to run, 1 for -h, -1 for a usage error (ERR says why when it can). */
static int
parse(const struct tool_cmd *cmd, int argc, char **argv, struct cfir_global *g, void *opts,
      struct cfir_err *err)
{
	struct option lo[OPTS_MAX];
	const struct tool_opt *o;
	char so[64];
	int c;

	options(cmd, lo, so, sizeof(so));
	optind = 0;	/* glibc: a fresh getopt after main's */
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (c == 'h')
			return 1;
		if (tool_global_option(g, c, optarg))
			continue;
		if (wants_bag(cmd) && (c == 'o' || c == OPT_CASE || c == OPT_EXAMINER)) {
			if (c == 'o')
				g->bag = optarg;
			else if (c == OPT_CASE)
				g->meta.case_id = optarg;
			else
				g->meta.examiner = optarg;
			continue;
		}
		for (o = cmd->opts; o != NULL && (o->name || o->letter); o++)
			if (c == (o->letter ? o->letter : OPT_CMD + (int)(o - cmd->opts)))
				break;
		if (o == NULL || !(o->name || o->letter) || option(o, opts, optarg, err) < 0)
			return -1;
	}
	return 0;
}

bool
tool_global_option(struct cfir_global *g, int c, const char *arg)
{
	switch (c) {
	case 'H':
		g->host = arg;
		return true;
	case 'q':
		g->out.quiet = true;
		return true;
	case 'v':
		g->out.verbose++;
		return true;
	case OPT_FORMAT:
		g->format = arg;
		return true;
	case OPT_SOURCE:
		g->source = arg;
		return true;
	case OPT_ENGINE_TIMEOUT:
		g->engine_timeout = arg;
		return true;
	case OPT_ROOT:
		g->root = arg;
		return true;
	case OPT_ROOT_IMAGE:
		g->root_image = arg;
		return true;
	}
	return false;
}

static int
format(struct cfir_global *g, struct cfir_err *err)
{
	if (g->format == NULL)
		g->out.format = isatty(STDOUT_FILENO) ? CFIR_FORMAT_TEXT : CFIR_FORMAT_JSON;
	else if (strcmp(g->format, "text") == 0)
		g->out.format = CFIR_FORMAT_TEXT;
	else if (strcmp(g->format, "json") == 0)
		g->out.format = CFIR_FORMAT_JSON;
	else
		return cfir_err_set(err, EX_USAGE, 0, "--format takes text or json, not '%s'", g->format);
	return 0;
}

/* -h: usage to stdout, exit 0; a usage error: to stderr, exit 64. */
static int
tool_usage(const char *usage, bool error)
{
	fputs(usage, error ? stderr : stdout);
	return error ? EX_USAGE : 0;
}

void
tool_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfir_err_vsay("warning", fmt, ap);
	va_end(ap);
}

void
tool_warn_lines(struct tool_step *s, char *lines)
{
	cleanup_free char *n = lines;
	char *line, *save = NULL;

	for (line = n ? strtok_r(n, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		if (s != NULL)
			tool_warn(s, "%s", line);
		else
			cfir_err_warn("%s", line);
	}
}

void
tool_notices(struct cfir_bag *bag)
{
	tool_warn_lines(NULL, bag ? cfir_bag_notices(bag) : NULL);
}

int
tool_bag_open(const struct cfir_global *g, const char *dir, const char *default_name,
	      struct cfir_bag **bp, struct cfir_err *err)
{
	cleanup_free char *made = NULL;

	*bp = NULL;
	if (dir == NULL)
		dir = g->bag;
	if (dir == NULL && default_name != NULL)
		dir = made = cfir_bag_default_dir(default_name);
	if (dir == NULL)
		return default_name != NULL ? cfir_err_set(err, EX_OSERR, ENOMEM, "out of memory") : 0;
	if (*dir == '\0')
		return cfir_err_set(err, EX_USAGE, 0, "empty bag directory");
	if (tool_source_bag_outside(g, dir, err) < 0)
		return -1;
	if (cfir_bag_open(bp, dir, &g->meta, err) < 0)
		return -1;
	tool_notices(*bp);
	return 0;
}

/* Said on stderr, and kept for the record. */
static void
warn_v(struct tool_step *s, const char *fmt, va_list ap)
{
	struct cfir_text t = { 0 };

	cfir_text_vprintf(&t, fmt, ap);
	cfir_err_warn("%s", t.p ? t.p : "");
	cJSON_AddItemToArray(s->warnings, cJSON_CreateString(t.p ? t.p : ""));
	free(t.p);
}

void
tool_warn(struct tool_step *s, const char *fmt, ...)
{
	va_list ap;

	if (s->warnings == NULL)
		s->warnings = cJSON_CreateArray();
	va_start(ap, fmt);
	warn_v(s, fmt, ap);
	va_end(ap);
}

void
tool_soft_fail(struct tool_step *s, const struct cfir_err *e)
{
	cfir_err_report(e);
	if (s->soft.exit == 0)
		s->soft = *e;
}

/* Why a step failed, for its record: its error, else the first it said. */
static const char *
why(const struct tool_step *s)
{
	return s->err.msg[0] ? s->err.msg : s->soft.msg[0] ? s->soft.msg : "failed";
}

/* The record's end: "ok", else "partial" when SOME was taken, else "failed". */
static int
record_end(struct tool_step *s, int rc, bool some, cJSON *details)
{
	struct cfir_err berr = { 0 };
	unsigned long refused = cfir_util_noatime_refused();
	int r;

	if (details == NULL && (s->warnings != NULL || refused > 0))
		details = cJSON_CreateObject();
	if (s->warnings != NULL)
		cJSON_AddItemToObject(details, "warnings", steal_pointer(&s->warnings));
	/* evidence opened without O_NOATIME (the kernel refused it): said in every record after */
	if (refused > 0)
		cfir_json_add_num(details, "noatime_refused", (double)refused);
	/* a dead host's image: every record says which */
	if (s->g != NULL && s->g->root != NULL) {
		if (details == NULL)
			details = cJSON_CreateObject();
		cJSON_AddItemToObject(details, "offline", tool_source_offline_json(s->g));
	}
	r = cfir_bag_end(s->bag, rc == 0 ? "ok" : some ? "partial" : "failed", rc == 0 ? NULL : why(s),
			 details, &berr);
	tool_notices(s->bag);
	if (r == 0)
		return 0;
	if (rc == 0) {
		s->err = berr;
		return -1;
	}
	cfir_err_report(&berr);	/* the action's own error is reported after */
	return 0;
}

int
tool_record_end(struct tool_step *s, int rc)
{
	bool some = s->some || cJSON_GetArraySize(cfir_bag_artifacts(s->bag)) > 0;

	return record_end(s, rc, some, steal_pointer(&s->details));
}

/*
 * One custody record of its own for ACTION: begun, then ended as record_end
 * says. A failure to write it becomes the step's error when the action
 * itself went well.
 */
static int
tool_record(struct tool_step *s, const char *action, const struct cfir_target *t, int rc, bool some,
	    cJSON *details)
{
	struct cfir_err berr = { 0 };

	if (cfir_bag_begin(s->bag, action, t, &berr) == 0)
		return record_end(s, rc, some, details);
	cJSON_Delete(details);
	tool_notices(s->bag);
	if (rc == 0) {
		s->err = berr;
		return -1;
	}
	cfir_err_report(&berr);
	return 0;
}

/* The action between the begin and the end of its custody record. */
static int
run_recorded(const struct tool_cmd *cmd, struct tool_step *s, void *opts, int argc, char **argv)
{
	int rc;

	if (s->bag == NULL || (cmd->needs & TOOL_OWN_RECORDS))
		return cmd->run(s, opts, argc, argv) < 0 ? -1 : 0;
	if (cmd->needs & TOOL_RECORD_AFTER) {
		rc = cmd->run(s, opts, argc, argv) < 0 ? -1 : 0;
		return tool_record(s, s->action, s->t, rc, s->some, steal_pointer(&s->details)) < 0 ? -1 : rc;
	}
	if (cfir_bag_begin(s->bag, s->action, s->t, &s->err) < 0)
		return -1;
	rc = cmd->run(s, opts, argc, argv) < 0 ? -1 : 0;
	return tool_record_end(s, rc) < 0 ? -1 : rc;
}

int
tool_step_run(const struct tool_cmd *cmd, struct tool_step *s, void *opts, int argc, char **argv)
{
	uint64_t seq = cfir_bag_seq(s->bag);
	int rc;

	if (s->action == NULL)
		s->action = cmd->name;
	if ((cmd->check != NULL && cmd->check(s, opts, argc, argv) < 0) ||
	    (cmd->prepare != NULL && cmd->prepare(s, opts, argc, argv) < 0))
		rc = -1;
	else
		rc = run_recorded(cmd, s, opts, argc, argv);
	/* a step that failed before it reached the bag still has its record */
	if (rc < 0 && cfir_bag_seq(s->bag) == seq) {
		struct cfir_err berr = { 0 };
		char why[96];

		snprintf(why, sizeof(why), "the step ended with exit status %d before it wrote its record",
			 s->err.exit ? s->err.exit : s->soft.exit ? s->soft.exit : EX_SOFTWARE);
		if (cfir_bag_begin(s->bag, s->action, s->t, &berr) == 0)
			cfir_bag_end(s->bag, "failed", why, NULL, &berr);
	}
	cJSON_Delete(steal_pointer(&s->details));
	return rc;
}

int
tool_exit(struct tool_step *s)
{
	if (s->err.msg[0] != '\0')
		return cfir_err_report(&s->err);
	if (s->soft.exit != 0)
		return s->soft.exit;	/* said when it happened */
	return s->status;
}

/* What the command needs, before it runs: the engine, its container, the bag. */
static int
setup(const struct tool_cmd *cmd, struct tool_step *s, void *opts, int argc, char **argv)
{
	struct cfir_global *g = s->g;

	if ((cmd->needs & (TOOL_ENGINE | TOOL_TARGET)) && tool_source_step(s, cmd->needs & TOOL_TARGET ? argv[0] : NULL) < 0)
		return -1;
	if (cmd->prepare != NULL && cmd->prepare(s, opts, argc, argv) < 0)
		return -1;
	if (cmd->needs & (TOOL_RECORD_AFTER | TOOL_BAG_SELF) || !wants_bag(cmd))
		return 0;
	if ((cmd->needs & TOOL_BAG) || g->bag != NULL)
		return tool_bag_open(g, NULL, (cmd->needs & TOOL_BAG) && s->t ? s->t->name : NULL,
				     &s->bag, &s->err);
	return 0;
}

static void
teardown(struct tool_step *s)
{
	struct cfir_err berr = { 0 };

	if (s->bag != NULL && cfir_bag_close(s->bag, &berr) < 0 && s->err.msg[0] == '\0')
		s->err = berr;
	cfir_target_free(s->t);
	cfir_engine_close(s->e);
	cJSON_Delete(s->details);
	cJSON_Delete(s->warnings);
}

void *
tool_opts_new(const struct tool_cmd *cmd)
{
	void *opts = calloc(1, cmd->opts_size ? cmd->opts_size : 1);

	if (opts != NULL && cmd->init != NULL)
		cmd->init(opts);
	return opts;
}

int
tool_main(const struct tool_cmd *cmd, int argc, char **argv, struct cfir_global *g)
{
	struct tool_step s = { .g = g, .out = &g->out, .action = cmd->name };
	cleanup_free void *opts = tool_opts_new(cmd);
	struct cfir_err err = { 0 };
	int r, nargs;

	if (opts == NULL)
		return cfir_err_report(&(struct cfir_err){ EX_OSERR, ENOMEM, "out of memory" });
	r = parse(cmd, argc, argv, g, opts, &err);
	if (r != 0) {
		if (err.msg[0] != '\0')
			cfir_err_print("%s", err.msg);
		return tool_usage(cmd->usage, r < 0);
	}
	nargs = argc - optind;
	if (nargs < cmd->min_args || (cmd->max_args >= 0 && nargs > cmd->max_args))
		return tool_usage(cmd->usage, true);
	if ((!(cmd->needs & TOOL_OWN_FORMAT) && format(g, &err) < 0) || tool_source_check(g, &err) < 0)
		return cfir_err_report(&err);
	argc -= optind;
	argv += optind;
	if (cmd->check != NULL && cmd->check(&s, opts, argc, argv) < 0) {
		if (cmd->fini != NULL)
			cmd->fini(opts);
		return tool_exit(&s);
	}
	if (wants_bag(cmd) || g->bag != NULL)
		cfir_bag_self_hash_begin();
	if (setup(cmd, &s, opts, argc, argv) == 0) {
		r = run_recorded(cmd, &s, opts, argc, argv);
		/* the action first, then the bag: it may have to wait for its lock */
		if ((cmd->needs & TOOL_RECORD_AFTER) && g->bag != NULL) {
			if (tool_bag_open(g, NULL, NULL, &s.bag, &err) == 0)
				tool_record(&s, s.action, s.t, r, s.some, steal_pointer(&s.details));
			else if (s.err.msg[0] == '\0')
				s.err = err;
			else
				cfir_err_report(&err);
		}
	}
	if (cmd->fini != NULL)
		cmd->fini(opts);
	teardown(&s);
	r = tool_exit(&s);
	if (cfir_out_finish(&g->out, &err) < 0 && r == 0)
		r = cfir_err_report(&err);
	return r;
}

/* the bag's files: what a responder checks with sha256sum */
static const struct cfir_field artifact_cols[] = {
	{ "sha256", "SHA-256", CFIR_FMT_STR, 64, 0, NULL },
	{ "bytes", "BYTES", CFIR_FMT_NUM, 12, CFIR_FIELD_RIGHT, NULL },
	{ "path", "PATH", CFIR_FMT_BYTES, 0, 0, NULL },
	{ 0 },
};

int
tool_artifacts(struct cfir_out *o, const cJSON *artifacts)
{
	const cJSON *a;

	if (o->format == CFIR_FORMAT_JSON)
		return 0;	/* the record holds them */
	cJSON_ArrayForEach(a, artifacts)
		if (cfir_out_row(o, a, artifact_cols) < 0)
			return -1;
	return 0;
}

void
tool_title(struct cfir_text *t, const char *verb, const cJSON *rec)
{
	const char *name = cfir_json_str(rec, "name"), *id = cfir_json_str(rec, "id");

	cfir_text_printf(t, "%s %s (%.12s)", verb, name ? name : "-", id ? id : "-");
}

void
tool_progress_init(struct tool_progress *p, const struct cfir_out *o)
{
	memset(p, 0, sizeof(*p));
	p->on = o->format == CFIR_FORMAT_TEXT && !o->quiet && isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &p->start);
}

static double
since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void
tool_progress(void *ctx, uint64_t bytes, bool done)
{
	struct tool_progress *p = ctx;
	struct timespec now;
	double t;

	if (!p->on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!done && since(&p->last, &now) < 0.25)
		return;
	p->last = now;
	t = since(&p->start, &now);
	fprintf(stderr, "\r\033[K  %.1f MiB  %.1f MiB/s  %d:%02d", (double)bytes / 1048576,
		t > 0 ? (double)bytes / 1048576 / t : 0.0, (int)t / 60, (int)t % 60);
	if (p->total > 0 && !done)
		fprintf(stderr, "  of ~%.1f MiB", (double)p->total / 1048576);
	if (done)
		fputs("\r\033[K", stderr);
	fflush(stderr);
}

cJSON *
tool_tarstream_json(const struct cfir_tarstream_result *r, const char *compress)
{
	cJSON *o = cJSON_CreateObject(), *s;

	s = cJSON_AddObjectToObject(o, "stream");
	cfir_json_add_str(s, "sha256", r->stream_sha256);
	cfir_json_add_num(s, "bytes", (double)r->stream_bytes);
	cJSON_AddBoolToObject(s, "complete", r->stream_complete);
	s = cJSON_AddObjectToObject(o, "stored");
	cfir_json_add_str(s, "path", r->stored_path);
	cfir_json_add_str(s, "compress", compress);
	s = cJSON_AddObjectToObject(o, "index");
	cfir_json_add_num(s, "members", (double)r->index.members);
	cfir_json_add_num(s, "flagged", (double)r->index.flagged);
	cJSON_AddBoolToObject(s, "complete", r->index.complete);
	cJSON_AddBoolToObject(s, "typed", r->index.typed);	/* libmagic on each member */
	cfir_json_add_str(s, "error", r->index.error[0] ? r->index.error : NULL);
	return o;
}
