/* pause.c - freeze and thaw a container: through the Engine API, else through its cgroup */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/freezer.h"
#include "common/util.h"
#include "tools/tool.h"

#define CONFIRM_POLLS 100	/* 10 ms apart: up to a second for the state to show */

static void
title(struct cfir_text *t, const cJSON *rec)
{
	bool pause = strcmp(cfir_json_str(rec, "action"), "pause") == 0;

	tool_title(t, pause ? "paused" : "unpaused", rec);
	if (cJSON_IsTrue(cfir_json_get(rec, "already")))
		cfir_text_printf(t, ": it was already %s", pause ? "paused" : "running");
}

static const struct cfir_field fields[] = {
	{ "requested", "requested", CFIR_FMT_STR, 0, CFIR_FIELD_PRESENT, NULL },
	{ "confirmed", "confirmed", CFIR_FMT_STR, 0, CFIR_FIELD_PRESENT, NULL },
	{ "state", "state", CFIR_FMT_STR, 0, 0, NULL },
	{ "freezer", "freezer", CFIR_FMT_STR, 0, 0, NULL },
	{ 0 },
};

static const struct cfir_view view = { title, fields };

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

/*
 * No engine described the container: its cgroup's freezer, found from the
 * checked init's /proc, frozen or thawed and read back, as runc does.
 */
static int
by_cgroup(struct tool_step *s, struct cfir_target *t, bool pause, char *when)
{
	cleanup_close int pfd = cfir_target_pidfd(t, "/proc", &s->err);
	struct cfir_freezer f = { .dfd = -1 };
	int r;

	if (pfd < 0 || cfir_freezer_open_proc(pfd, t->id, NULL, &f, &s->err) < 0)
		return -1;
	r = pause ? cfir_freezer_freeze(&f, CFIR_FREEZER_TIMEOUT_MS, &s->err)
		  : cfir_freezer_thaw(&f, CFIR_FREEZER_TIMEOUT_MS, &s->err);
	cfir_freezer_close(&f);
	if (r < 0)
		return -1;
	cfir_util_now_rfc3339(when);
	t->paused = pause;
	free(t->status);
	t->status = strdup(pause ? "paused" : "running");
	return 0;
}

/*
 * The engine says it runs, its cgroup says frozen: frozen from the host
 * while the engine did not answer. Said; unpause thaws the cgroup.
 */
static bool
frozen_behind(struct tool_step *s, const struct cfir_target *t)
{
	char fz[64];

	if (t->inspect == NULL || t->paused || cfir_target_freezer(t, fz, sizeof(fz), NULL) < 0 ||
	    (strcmp(fz, "FROZEN") != 0 && strcmp(fz, "1") != 0))
		return false;
	tool_warn(s, "the engine says '%s' runs, its cgroup says it is frozen (frozen from the host): "
		  "thawed through the cgroup", t->name);
	return true;
}

/* Frozen, a pod's container fails its liveness probe: kubelet then kills it. */
static void
kubelet_warning(struct tool_step *s, const struct cfir_target *t)
{
	if (t->k8s_pod == NULL || t->sandbox)
		return;
	tool_warn(s, "'%s' is a Kubernetes container: frozen, it fails its liveness probe and kubelet "
		     "restarts it, which ends its processes and memory and gives it a new writable layer; "
		     "take memory, ps and diff while it runs (cfir collect does, in that order), or stop "
		     "kubelet on this node (systemctl stop kubelet) before freezing it", t->name);
}

static int
run(struct tool_step *s, bool pause)
{
	const char *action = pause ? "pause" : "unpause";
	struct cfir_target *t = s->t;
	cleanup_free char *path = NULL;
	char requested[CFIR_TIME_LEN] = "", confirmed[CFIR_TIME_LEN] = "";
	char freezer[64] = "unknown";
	bool already, cgroup, behind;
	cJSON *rec;

	if (!t->running)
		return cfir_err_set(&s->err, EX_UNAVAILABLE, 0, "container '%s' is %s, not running",
				    t->name, t->status);
	already = pause ? t->paused : !t->paused;
	/* no engine described it, or it was frozen through its cgroup while the engine hung */
	behind = !pause && already && frozen_behind(s, t);
	cgroup = t->inspect == NULL || behind;
	if (behind)
		already = false;
	if (pause)
		kubelet_warning(s, t);
	if (!already && cgroup) {
		cfir_util_now_rfc3339(requested);
		by_cgroup(s, t, pause, confirmed);
	} else if (!already) {
		if (asprintf(&path, "/containers/%s/%s", t->id, action) < 0)
			return cfir_err_set(&s->err, EX_OSERR, ENOMEM, "out of memory");
		cfir_util_now_rfc3339(requested);
		if (cfir_engine_call(s->e, "POST", path, NULL, NULL, NULL, &s->err) == 0)
			confirm(s->e, t, pause, confirmed, &s->err);
	}
	if (cfir_target_freezer(t, freezer, sizeof(freezer), NULL) < 0)
		snprintf(freezer, sizeof(freezer), "unknown");

	s->details = rec = cfir_target_json(t);
	cfir_json_add_str(rec, "action", action);
	cJSON_AddBoolToObject(rec, "already", already);
	cfir_json_add_str(rec, "requested", requested[0] ? requested : NULL);
	cfir_json_add_str(rec, "confirmed", confirmed[0] ? confirmed : NULL);
	cfir_json_add_str(rec, "freezer", freezer);
	cfir_json_add_str(rec, "engine", cgroup ? NULL : cfir_engine_host(s->e));
	cfir_json_add_str(rec, "method", cgroup ? "cgroup freezer" : "engine");
	if (s->err.msg[0] != '\0')
		return -1;
	cfir_out_record(s->out, rec, &view);	/* standard output's errors: at the end */
	return 0;
}

/* pause and unpause: the command's name says which */
static int
run_either(struct tool_step *s, void *opts, int argc, char **argv)
{
	(void)opts, (void)argc, (void)argv;
	return run(s, strcmp(s->action, "pause") == 0);
}

/* frozen first, written down second: the bag may have to wait for its lock */
static const char pause_usage[] =
	"usage: cfir pause [-h] [-o bag] [--case case] [--examiner name] container\n";

const struct tool_cmd cmd_pause = {
	.name = "pause", .usage = pause_usage, .needs = TOOL_TARGET | TOOL_BAG_ASKED | TOOL_RECORD_AFTER,
	.summary = "freeze a container through the Engine API, else its cgroup",
	.min_args = 1, .max_args = 1, .run = run_either,
};

static const char unpause_usage[] =
	"usage: cfir unpause [-h] [-o bag] [--case case] [--examiner name] container\n";

const struct tool_cmd cmd_unpause = {
	.name = "unpause", .usage = unpause_usage, .needs = TOOL_TARGET | TOOL_BAG_ASKED | TOOL_RECORD_AFTER,
	.summary = "thaw a container through the Engine API, else its cgroup",
	.min_args = 1, .max_args = 1, .run = run_either,
};
