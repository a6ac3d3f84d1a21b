/* tool.c - helpers shared by the subcommands */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/tarstream.h"
#include "common/util.h"
#include "tools/tool.h"

void
tool_bagopts_init(struct tool_bagopts *bo, struct cfir_global *g)
{
	memset(bo, 0, sizeof(*bo));
	bo->dir = getenv("CFIR_BAG");
	if (bo->dir != NULL && *bo->dir == '\0')
		bo->dir = NULL;
	bo->meta.case_id = getenv("CFIR_CASE");
	bo->meta.examiner = getenv("CFIR_EXAMINER");
	bo->meta.argc = g->argc;
	bo->meta.argv = g->argv;
}

bool
tool_bagopt(struct tool_bagopts *bo, int c, const char *arg)
{
	switch (c) {
	case 'o':
		bo->dir = arg;
		return true;
	case OPT_CASE:
		bo->meta.case_id = arg;
		return true;
	case OPT_EXAMINER:
		bo->meta.examiner = arg;
		return true;
	}
	return false;
}

struct tool_shared tool_shared;

static int
bag_close(struct cfir_bag *bag, struct cfir_err *err)
{
	tool_notices(bag);
	return bag == tool_shared.bag ? 0 : cfir_bag_close(bag, err);
}

void
tool_release(struct cfir_engine *e, struct cfir_target *t)
{
	if (t != tool_shared.t)
		cfir_target_free(t);
	if (e != tool_shared.e)
		cfir_engine_close(e);
}

int
tool_bag_open(struct tool_bagopts *bo, const char *default_name,
	      struct cfir_bag **bp, struct cfir_err *err)
{
	cleanup_free char *dir = NULL;

	*bp = tool_shared.bag;
	if (*bp != NULL)
		return 0;
	if (bo->dir != NULL)
		dir = strdup(bo->dir);
	else if (default_name != NULL)
		dir = cfir_bag_default_dir(default_name);
	else
		return 0;
	if (dir == NULL)
		return cfir_err_set(err, EX_OSERR, 0, "out of memory");
	if (*dir == '\0')
		return cfir_err_set(err, EX_USAGE, 0, "empty bag directory");
	if (cfir_bag_open(bp, dir, &bo->meta, err) < 0)
		return -1;
	tool_notices(*bp);
	return 0;
}

void
tool_notices(struct cfir_bag *bag)
{
	tool_warn_lines(bag ? cfir_bag_notices(bag) : NULL);
}

void
tool_warn_lines(char *lines)
{
	cleanup_free char *n = lines;
	char *line, *save = NULL;

	for (line = n ? strtok_r(n, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save))
		cfir_err_warn("%s", line);
}

int
tool_record(struct tool_bagopts *bo, const char *action,
	    const struct cfir_target *t, const struct cfir_err *failure,
	    const cJSON *details, struct cfir_err *err)
{
	struct cfir_bag *bag = NULL;
	const char *why = failure->msg[0] ? failure->msg : NULL;
	int r;

	if (tool_bag_open(bo, NULL, &bag, err) < 0)
		return -1;
	if (bag == NULL)
		return 0;
	r = cfir_bag_begin(bag, action, t, err);
	if (r == 0)
		r = cfir_bag_end(bag, why ? "failed" : "ok", why,
				 details ? cJSON_Duplicate(details, true) : NULL, err);
	if (bag_close(bag, r < 0 ? NULL : err) < 0)
		r = -1;
	return r;
}

int
tool_done(struct cfir_engine *e, struct cfir_target *t, struct cfir_bag *bag,
	  struct cfir_err *err, int r)
{
	if (bag != NULL && bag_close(bag, err->msg[0] ? NULL : err) < 0 && r == 0)
		r = cfir_err_report(err);
	if (err->msg[0] != '\0' && r == 0)
		r = cfir_err_report(err);
	tool_release(e, t);
	return r;
}

int
tool_usage(const char *usage, bool error)
{
	fputs(usage, error ? stderr : stdout);
	return error ? EX_USAGE : 0;
}

int
tool_target(struct cfir_global *g, const char *ref, struct cfir_engine **ep,
	    struct cfir_target **tp, struct cfir_err *err)
{
	*tp = NULL;
	if (tool_shared.t != NULL) {
		*ep = tool_shared.e;
		*tp = tool_shared.t;
		return 0;
	}
	if (cfir_engine_open(ep, g->host, err) < 0)
		return -1;
	return cfir_target_resolve(*ep, ref, tp, err);
}

void
tool_kv(struct cfir_out *o, const char *key, const char *val)
{
	fprintf(o->fp, "%-12s ", key);
	cfir_vis_str(o->fp, val);
	fputc('\n', o->fp);
}

const char *
tool_jstr(const cJSON *o, const char *key)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(j) ? j->valuestring : NULL;
}

void
tool_progress_init(struct tool_progress *p, const struct cfir_global *g)
{
	memset(p, 0, sizeof(*p));
	p->on = g->out.format == CFIR_FORMAT_TEXT && !g->out.quiet && isatty(STDERR_FILENO);
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

int
tool_end(struct cfir_bag *bag, int rc, bool some, struct cfir_err *err, cJSON *details)
{
	struct cfir_err berr = { 0 };
	unsigned long refused = cfir_util_noatime_refused();

	/* evidence opened without O_NOATIME (the kernel refused it): said in every record after */
	if (refused > 0) {
		if (details == NULL)
			details = cJSON_CreateObject();
		cfir_json_add_num(details, "noatime_refused", (double)refused);
	}
	if (cfir_bag_end(bag, rc == 0 ? "ok" : some ? "partial" : "failed",
			 rc == 0 ? NULL : err->msg, details, &berr) == 0) {
		tool_notices(bag);
		return 0;
	}
	tool_notices(bag);
	if (rc == 0) {
		*err = berr;
		return -1;
	}
	cfir_err_report(&berr);	/* the action's own error is reported after */
	return 0;
}
