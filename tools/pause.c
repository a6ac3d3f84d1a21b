/* pause.c - freeze and thaw a container through the Engine API */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "tools/tool.h"

#define CONFIRM_POLLS 100	/* 10 ms apart: up to a second for the state to show */

static const char pause_usage[] =
	"usage: cfir pause [-h] [-o bag] [--case case] [--examiner name] container\n";
static const char unpause_usage[] =
	"usage: cfir unpause [-h] [-o bag] [--case case] [--examiner name] container\n";

static void
text(struct cfir_out *o, const cJSON *rec, void *ctx)
{
	const cJSON *already = cJSON_GetObjectItemCaseSensitive(rec, "already");
	bool pause = ctx != NULL;

	fputs(pause ? "paused " : "unpaused ", o->fp);
	cfir_vis_str(o->fp, tool_jstr(rec, "name"));
	fprintf(o->fp, " (%.12s)", tool_jstr(rec, "id"));
	if (cJSON_IsTrue(already))
		fprintf(o->fp, ": it was already %s", pause ? "paused" : "running");
	fputc('\n', o->fp);
	if (o->verbose || !cJSON_IsTrue(already)) {
		tool_kv(o, "  requested", tool_jstr(rec, "requested"));
		tool_kv(o, "  confirmed", tool_jstr(rec, "confirmed"));
	}
	tool_kv(o, "  state", tool_jstr(rec, "state"));
	tool_kv(o, "  freezer", tool_jstr(rec, "freezer"));
}

/* The engine answers once the runtime has frozen the cgroup; confirm it. */
static int
confirm(struct cfir_engine *e, struct cfir_target *t, bool pause, char *when,
	struct cfir_err *err)
{
	int i;

	for (i = 0; i < CONFIRM_POLLS; i++) {
		if (cfir_target_refresh(e, t, err) < 0)
			return -1;
		if (t->paused == pause) {
			cfir_util_now_rfc3339(when);
			return 0;
		}
		usleep(10000);
	}
	return cfir_err_set(err, EX_TEMPFAIL, 0, "the engine accepted %s but still reports '%s'",
			    pause ? "pause" : "unpause", t->status);
}

static int
run(int argc, char **argv, struct cfir_global *g, bool pause)
{
	static const struct option longopts[] = {
		TOOL_BAG_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = pause ? pause_usage : unpause_usage;
	const char *action = pause ? "pause" : "unpause";
	struct cfir_engine *e = NULL;
	struct cfir_target *t = NULL;
	struct cfir_err err = { 0 }, berr = { 0 };
	struct tool_bagopts bo;
	cleanup_cjson cJSON *rec = NULL;
	cleanup_free char *path = NULL;
	char requested[CFIR_TIME_LEN] = "", confirmed[CFIR_TIME_LEN] = "";
	char freezer[64] = "unknown";
	bool already = false;
	int c, r = 0;

	tool_bagopts_init(&bo, g);
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		if (tool_bagopt(&bo, c, optarg))
			continue;
		return tool_usage(usage, c != 'h');
	}
	if (argc - optind != 1)
		return tool_usage(usage, true);

	if (tool_target(g, argv[optind], &e, &t, &err) < 0)
		goto out;
	if (!t->running) {
		cfir_err_set(&err, EX_UNAVAILABLE, 0, "container '%s' is %s, not running",
			     t->name, t->status);
		goto out;
	}
	already = pause ? t->paused : !t->paused;
	if (!already) {
		if (asprintf(&path, "/containers/%s/%s", t->id, action) < 0) {
			cfir_err_set(&err, EX_OSERR, 0, "out of memory");
			goto out;
		}
		cfir_util_now_rfc3339(requested);
		if (cfir_engine_call(e, "POST", path, NULL, NULL, NULL, &err) == 0)
			confirm(e, t, pause, confirmed, &err);
	}
	if (cfir_target_freezer(t, freezer, sizeof(freezer), NULL) < 0)
		snprintf(freezer, sizeof(freezer), "unknown");

	rec = cfir_target_json(t);
	cfir_json_add_str(rec, "action", action);
	cJSON_AddBoolToObject(rec, "already", already);
	cfir_json_add_str(rec, "requested", requested[0] ? requested : NULL);
	cfir_json_add_str(rec, "confirmed", confirmed[0] ? confirmed : NULL);
	cfir_json_add_str(rec, "freezer", freezer);
	cfir_json_add_str(rec, "engine", cfir_engine_host(e));

	if (err.msg[0] == '\0')
		cfir_out_record(&g->out, rec, text, pause ? (void *)1 : NULL);
out:
	/* frozen first, written down second: the bag may have to wait for its lock */
	if (t != NULL && tool_record(&bo, action, t, &err, rec, &berr) < 0)
		r = cfir_err_report(&berr);
	if (err.msg[0] != '\0')
		r = cfir_err_report(&err);
	tool_release(e, t);
	return r;
}

int
cmd_pause(int argc, char **argv, struct cfir_global *g)
{
	return run(argc, argv, g, true);
}

int
cmd_unpause(int argc, char **argv, struct cfir_global *g)
{
	return run(argc, argv, g, false);
}
