/* collect.c - the whole response in one command, in order of volatility */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/capture.h"
#include "common/caps.h"
#include "common/cleanup.h"
#include "common/hunt.h"
#include "common/minisign.h"
#include "common/seckey.h"
#include "common/util.h"
#include "tools/tool.h"

/* The memory step takes at most this many of the processes the live checks flag. */
#define MEMORY_PIDS 16
#define MEMORY_DEFAULT (256ull << 20)

struct copts {
	const char *key;
	bool no_pause, unpause, isolate, no_export, no_memory, magic;
	double capture_seconds;
	uint64_t max_total;	/* 0: each step's own default */
	int hunt;		/* severity, -1 for none */
	unsigned long jobs;
	struct cfir_minisign_sec sk;	/* loaded before anything is touched */
};

/* One container's collection: its bag, its steps and how each ended. */
struct collection {
	struct cfir_global *g;
	struct cfir_out mute;	/* the steps print nowhere; errors still go to stderr */
	struct cfir_engine *e;
	struct cfir_bag *bag;
	struct cfir_target *t;
	const char *dir;
	cJSON *steps;
	cJSON *skipped;		/* steps not run after SIGINT */
	char *fallback;		/* why the engine was not the source, NULL when it was asked and answered */
	int first_fail;
	unsigned n, total;
	bool tty;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
step_done(struct collection *r, const char *name, int rc, double t0, const char *note)
{
	cJSON *s = cJSON_CreateObject();

	cfir_json_add_str(s, "step", name);
	cfir_json_add_str(s, "status", rc == 0 ? "ok" : "failed");
	cfir_json_add_num(s, "exit", rc);
	cfir_json_add_num(s, "seconds", now_s() - t0);
	if (note != NULL)
		cfir_json_add_str(s, "note", note);
	cJSON_AddItemToArray(r->steps, s);
	if (rc != 0 && r->first_fail == 0)
		r->first_fail = rc;
	if (r->tty)
		cfir_err_note("collect: [%u/%u] %-8s %s (%.1f s)%s%s", ++r->n, r->total, name, rc == 0 ? "ok" : "FAILED",
			  now_s() - t0, note ? ": " : "", note ? note : "");
}

static void
not_run(struct collection *r, const char *name)
{
	cJSON_AddItemToArray(r->skipped, cJSON_CreateString(name));
	step_done(r, name, EX_TEMPFAIL, now_s(), "not run: interrupted");
}

/*
 * One step: the command's own action against the collection's engine,
 * target and bag, recorded as the command records it. OPTS NULL: the
 * command's defaults.
 */
static int
step(struct collection *r, const struct tool_cmd *cmd, void *opts)
{
	struct tool_step s = { .g = r->g, .out = &r->mute, .e = r->e, .t = r->t, .bag = r->bag };
	cleanup_free void *defaults = NULL;
	char *argv[] = { r->t->id, NULL };
	double t0 = now_s();
	int rc;

	/* after SIGINT no step starts: each is said, the bag closes consistent */
	if (cfir_interrupt_pending()) {
		not_run(r, cmd->name);
		return EX_TEMPFAIL;
	}
	if (opts == NULL)
		opts = defaults = tool_opts_new(cmd);
	if (opts == NULL)
		cfir_err_set(&s.err, EX_OSERR, ENOMEM, "out of memory");
	else
		tool_step_run(cmd, &s, opts, 1, argv);
	if (opts != NULL && cmd->fini != NULL)
		cmd->fini(opts);
	cJSON_Delete(s.warnings);
	rc = tool_exit(&s);
	step_done(r, cmd->name, rc, t0, NULL);
	return rc;
}

/* The PIDs the live checks flag: their memory is worth its bytes. */
static size_t
flagged(const struct cfir_target *t, int *pids, size_t max)
{
	static const char *const checks[] = {
		"exe-deleted", "exe-tmp", "exe-upper", "reverse-shell", "anon-exec", "foreign-process", NULL,
	};
	struct cfir_hunt_sel sel;
	struct cfir_err err = { 0 };
	cleanup_cjson cJSON *fs = cJSON_CreateArray(), *notes = cJSON_CreateArray();
	const cJSON *f;
	size_t i, n = 0;

	for (i = 0; i < cfir_nchecks; i++) {
		const char *const *c;

		sel.off[i] = true;
		for (c = checks; *c; c++)
			if (strcmp(*c, cfir_checks[i].id) == 0)
				sel.off[i] = false;
	}
	cfir_hunt_live(t, "/proc", &sel, fs, notes, &err);
	cJSON_ArrayForEach(f, fs) {
		const cJSON *pid = cfir_json_get(f, "evidence.value.pid");
		bool seen = false;

		if (!cJSON_IsNumber(pid))
			continue;
		for (i = 0; i < n; i++)
			seen |= pids[i] == pid->valueint;
		if (!seen && n < max)
			pids[n++] = pid->valueint;
	}
	return n;
}

/* The capture in the background: its own side action, its own record at the end. */
struct bgcap {
	struct cfir_capture *c;
	struct cfir_bag_side *side;
	double t0;
};

static void
capture_start(struct collection *r, const struct copts *o, struct bgcap *bc)
{
	struct cfir_capture_ifaces ifs = { 0 };
	struct cfir_capture_opts co = { .seconds = o->capture_seconds };
	struct cfir_err err = { 0 };
	const char *missing;
	size_t i, live = 0;

	bc->t0 = now_s();
	if (cfir_bag_side_begin(r->bag, "capture", r->t, &bc->side, &err) < 0)
		goto fail;
	co.side = bc->side;
	if ((missing = cfir_caps_missing(true)) != NULL) {
		cfir_err_set(&err, EX_NOPERM, 0, "capture needs %s", missing);
		goto fail;
	}
	if (cfir_capture_ifaces_find(r->t, "/proc", &ifs, &err) < 0)
		goto fail;
	for (i = 0; i < ifs.n; i++)
		live += ifs.v[i].dev[0] != '\0';
	/* nothing to capture is no failure: an isolated container, network none or host */
	if (ifs.host_netns || live == 0) {
		cJSON *d = cJSON_CreateObject();
		const char *why = ifs.host_netns ? "the container shares the host's network namespace"
						 : "no interface with a host-side peer (isolated, or network none)";

		cfir_json_add_str(d, "skipped", why);
		cfir_bag_side_end(r->bag, bc->side, "ok", NULL, d, &err);
		bc->side = NULL;
		cfir_capture_ifaces_free(&ifs);
		step_done(r, "capture", 0, bc->t0, "skipped: nothing to capture");
		return;
	}
	if (cfir_capture_start(&bc->c, r->bag, &co, ifs.v, ifs.n, &err) < 0)
		goto fail;
	tool_warn_lines(NULL, cfir_capture_notices(bc->c));
	cfir_capture_ifaces_free(&ifs);
	return;
fail:
	cfir_capture_ifaces_free(&ifs);
	cfir_err_print("capture: %s", err.msg);
	if (bc->side != NULL)
		cfir_bag_side_end(r->bag, bc->side, "failed", err.msg, NULL, &err);
	bc->side = NULL;
	step_done(r, "capture", err.exit ? err.exit : EX_SOFTWARE, bc->t0, "not started");
}

static void
capture_stop(struct collection *r, struct bgcap *bc)
{
	struct cfir_err err = { 0 }, berr = { 0 };
	cJSON *details = NULL;
	int rc;

	if (bc->c == NULL)
		return;
	cfir_capture_stop(bc->c);
	rc = cfir_capture_wait(bc->c, &details, &err);
	if (rc < 0)
		cfir_err_print("capture: %s", err.msg);
	cfir_bag_side_end(r->bag, bc->side, rc == 0 ? "ok" : "partial", rc == 0 ? NULL : err.msg, details, &berr);
	step_done(r, "capture", rc == 0 ? 0 : err.exit, bc->t0, NULL);
}

static int
seal_bag(struct collection *r, const struct cfir_minisign_sec *sk)
{
	struct cfir_err err = { 0 };
	cleanup_free char *trusted = NULL;
	double t0 = now_s();
	cJSON *d = cJSON_CreateObject();
	int rc = 0;

	cJSON_AddBoolToObject(d, "signed", sk != NULL);
	if (cfir_bag_begin(r->bag, "seal", NULL, &err) < 0 || cfir_bag_end(r->bag, "ok", NULL, d, &err) < 0 ||
	    cfir_bag_seal(r->bag, sk, &trusted, &err) < 0) {
		cfir_err_print("seal: %s", err.msg);
		rc = err.exit ? err.exit : EX_SOFTWARE;
	}
	step_done(r, "seal", rc, t0, trusted);
	return rc;
}

/*
 * SIGINT: the steps that did not run and the seal that was not made, in one
 * record; the bag stays open (more evidence may follow) and verifies.
 */
static void
interrupted(struct collection *r)
{
	struct cfir_err err = { 0 };
	cJSON *d = cJSON_CreateObject();

	cJSON_AddItemToObject(d, "not_run", cJSON_Duplicate(r->skipped, true));
	cJSON_AddBoolToObject(d, "sealed", false);
	if (cfir_bag_begin(r->bag, "collect", r->t, &err) < 0 ||
	    cfir_bag_end(r->bag, "partial", "interrupted", d, &err) < 0)
		cfir_err_print("collect: %s", err.msg);
	not_run(r, "seal");
}

/* The record of the collection itself: what will be taken, with the clocks. */
static int
plan(struct collection *r, const struct copts *o, struct cfir_err *err)
{
	cJSON *d = cJSON_CreateObject();
	struct timespec rt, mt, bt;

	cJSON_AddItemToObject(d, "target", cfir_target_json(r->t));
	cfir_json_add_str(d, "source", r->t->source);
	if (r->fallback != NULL)
		cfir_json_add_str(d, "engine_fallback", r->fallback);
	cJSON_AddBoolToObject(d, "pause", !o->no_pause);
	cJSON_AddBoolToObject(d, "export", !o->no_export);
	cJSON_AddBoolToObject(d, "memory", !o->no_memory);
	cJSON_AddBoolToObject(d, "isolate", o->isolate);
	cJSON_AddBoolToObject(d, "signed", o->key != NULL);
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	cfir_json_add_num(d, "clock_realtime", (double)rt.tv_sec + rt.tv_nsec / 1e9);
	cfir_json_add_num(d, "clock_monotonic", (double)mt.tv_sec + mt.tv_nsec / 1e9);
	cfir_json_add_num(d, "clock_boottime", (double)bt.tv_sec + bt.tv_nsec / 1e9);
	if (cfir_bag_begin(r->bag, "collect", r->t, err) < 0)
		return -1;
	return cfir_bag_end(r->bag, "ok", NULL, d, err);
}

/* memory takes the container's flagged processes, at most MEMORY_PIDS of them */
static void
memory_step(struct collection *r, const struct copts *o)
{
	struct memory_opts mo = { .max_bytes = o->max_total ? o->max_total : MEMORY_DEFAULT };
	int pids[MEMORY_PIDS];

	mo.pids = pids;
	mo.npids = flagged(r->t, pids, MEMORY_PIDS);
	if (cfir_interrupt_pending())
		not_run(r, "memory");
	else if (mo.npids == 0)
		step_done(r, "memory", 0, now_s(), "no process flagged");
	else
		step(r, &cmd_memory, &mo);
}

/* A step that cannot be taken of this container, recorded as skipped and why. */
static void
skip_step(struct collection *r, const char *name, const char *why)
{
	struct cfir_err err = { 0 };
	cJSON *d = cJSON_CreateObject();

	cfir_json_add_str(d, "skipped", why);
	if (cfir_bag_begin(r->bag, name, r->t, &err) < 0 || cfir_bag_end(r->bag, "skipped", why, d, &err) < 0)
		cfir_err_print("%s: %s", name, err.msg);
	step_done(r, name, 0, now_s(), "skipped");
	cJSON_ReplaceItemInObject(cJSON_GetArrayItem(r->steps, cJSON_GetArraySize(r->steps) - 1), "status",
				  cJSON_CreateString("skipped"));
}

/* Read from disk (a dead host's image, a stopped engine's): nothing of it runs here. */
static bool
still(const struct cfir_target *t)
{
	return t->layers != NULL && t->pid <= 0;
}

/* The steps a container on disk has: its engine's files, its layers, the checks on both. */
static void
offline_steps(struct collection *r, const struct copts *o, struct inspect_opts *io,
	      struct diff_opts *dopts, struct export_opts *xo)
{
	static const char *const live[] = { "pause", "ps", "sockets", "memory", "capture", NULL };
	const char *why = r->t->source != NULL && strcmp(r->t->source, "offline") == 0
				  ? "a container on a disk image: nothing of it runs here"
				  : "read from the engine's files on disk: it does not run";
	size_t i;

	step(r, &cmd_inspect, io);
	for (i = 0; live[i] != NULL; i++)
		skip_step(r, live[i], why);
	step(r, &cmd_diff, dopts);
	if (!o->no_export)
		step(r, &cmd_export, xo);
	step(r, &cmd_hunt, NULL);
	if (cfir_interrupt_pending())
		interrupted(r);
	else
		seal_bag(r, o->key ? &o->sk : NULL);
}

/* Will the diff find a writable layer? Found now, before anything else reads the container. */
static bool
diff_can_run(struct collection *r)
{
	struct tool_step probe = { .g = r->g, .out = &r->mute, .e = r->e, .t = r->t, .bag = r->bag };

	return r->e != NULL && r->t->inspect != NULL && tool_layers_known(&probe);
}

/* In order of volatility; the capture runs beside the steps from inspect to hunt. */
static void
steps(struct collection *r, const struct copts *o)
{
	struct inspect_opts io = { .tail = 0 };
	struct export_opts xo = { .no_magic = !o->magic };
	cleanup_free struct diff_opts *dopts = tool_opts_new(&cmd_diff);
	struct bgcap bc = { 0 };

	if (dopts != NULL && o->max_total)
		dopts->max_total = o->max_total;
	/* the engine's change list once, after the pause, by the diff: where a diff can be taken */
	if (dopts != NULL && diff_can_run(r)) {
		dopts->keep_changes = true;
		io.no_changes = true;
	}
	if (still(r->t)) {
		offline_steps(r, o, &io, dopts, &xo);
		return;
	}
	if (o->isolate)
		step(r, &cmd_isolate, NULL);
	step(r, &cmd_inspect, &io);
	capture_start(r, o, &bc);
	if (!o->no_pause)
		step(r, &cmd_pause, NULL);
	step(r, &cmd_ps, NULL);
	step(r, &cmd_sockets, NULL);
	if (!o->no_memory)
		memory_step(r, o);
	step(r, &cmd_diff, dopts);
	/* the rootfs stays byte for byte; typing 20,000 members can wait (the diff typed the changes) */
	if (!o->no_export)
		step(r, &cmd_export, &xo);
	step(r, &cmd_hunt, NULL);
	capture_stop(r, &bc);
	if (o->unpause)
		step(r, &cmd_unpause, NULL);
	if (cfir_interrupt_pending())
		interrupted(r);
	else
		seal_bag(r, o->key ? &o->sk : NULL);
}

static void
collected_title(struct cfir_text *t, const cJSON *rec)
{
	cfir_text_printf(t, "%s %s into %s", cJSON_IsNull(cJSON_GetObjectItem(rec, "container")) ?
			 "could not collect" : "collected", cfir_json_str(rec, "name"), cfir_json_str(rec, "bag"));
}

static const struct cfir_view collected_view = { collected_title, NULL };

/* a step's note, nothing when it has none */
static void
note(struct cfir_text *t, const cJSON *step)
{
	const char *n = cfir_json_str(step, "note");

	if (n != NULL)
		cfir_text_printf(t, "%s", n);
}

static const struct cfir_field step_cols[] = {
	{ "step", "STEP", CFIR_FMT_STR, 8, 0, NULL },
	{ "status", "STATUS", CFIR_FMT_STR, 7, 0, NULL },
	{ "seconds", "TIME", CFIR_FMT_SECONDS, 8, CFIR_FIELD_RIGHT, NULL },
	{ "note", "NOTE", CFIR_FMT_STR, 0, 0, note },
	{ 0 },
};

/* the collection as one record: the steps and the exit status */
static void
output(struct collection *r, const char *ref)
{
	cleanup_cjson cJSON *rec = cJSON_CreateObject();
	const cJSON *s;

	cfir_json_add_str(rec, "container", r->t ? r->t->id : NULL);
	ref = r->t ? r->t->name : ref;
	cfir_json_add_bytes(rec, "name", ref, strlen(ref));
	cfir_json_add_bytes(rec, "bag", r->dir, strlen(r->dir));
	cJSON_AddItemToObject(rec, "steps", cJSON_Duplicate(r->steps, true));
	cfir_json_add_num(rec, "exit", r->first_fail);
	cfir_out_record(&r->g->out, rec, &collected_view);
	if (r->g->out.format == CFIR_FORMAT_JSON)
		return;
	cJSON_ArrayForEach(s, r->steps)
		cfir_out_row(&r->g->out, s, step_cols);
}

/* One container into one bag; the exit status says whether every step went well. */
static int
collect_one(struct cfir_global *g, const char *ref, const char *dir, const struct copts *o)
{
	struct collection r = { .g = g, .dir = dir };
	struct cfir_err err = { 0 };

	r.steps = cJSON_CreateArray();
	r.skipped = cJSON_CreateArray();
	r.mute = (struct cfir_out){ .format = CFIR_FORMAT_TEXT, .quiet = true, .fp = stdout };
	r.tty = isatty(STDERR_FILENO) && g->out.format != CFIR_FORMAT_JSON && !g->out.quiet;
	r.total = 10 + o->isolate + o->unpause - o->no_pause - o->no_export - o->no_memory;
	/* resolved once: the /proc, overlay and pcap steps outlive the engine */
	if (tool_source_engine(g, &r.e, &r.fallback, &err) == 0) {
		if (r.fallback != NULL)
			cfir_err_warn("%s", r.fallback);
		if (tool_source_target(g, r.e, ref, &r.t, &err) == 0 && r.fallback == NULL &&
		    g->engine_down.exit != 0) {
			/* it answered its ping, then nothing: said, and in the plan's record */
			r.fallback = strdup(g->engine_down.msg);
			cfir_err_warn("%s; the containers are taken from the runtime state on the host",
				      g->engine_down.msg);
		}
		if (r.t != NULL && tool_bag_open(g, dir, r.t->name, &r.bag, &err) == 0 && plan(&r, o, &err) == 0)
			steps(&r, o);
	}
	if (err.msg[0] != '\0') {
		cfir_err_report(&err);
		if (r.first_fail == 0)
			r.first_fail = err.exit;
	}
	if (r.bag != NULL) {
		tool_notices(r.bag);
		cfir_bag_close(r.bag, NULL);
	}
	output(&r, ref);
	cJSON_Delete(r.steps);
	cJSON_Delete(r.skipped);
	cfir_target_free(r.t);
	cfir_engine_close(r.e);
	free(r.fallback);
	return r.first_fail;
}

struct worth {
	int sev;
	cJSON *ids;
	struct cfir_hunt_host *host;	/* the host's processes, read once for all of them */
	bool host_read;
};

/*
 * A container to collect: the reference that names it alone (its full ID;
 * NAMESPACE/ID in a runtime's namespace), and its name for the index and
 * the bag (a Kubernetes name's slashes would be a path: its ID's first 12
 * after it).
 */
static cJSON *
job_of(const struct cfir_target *t)
{
	cJSON *j = cJSON_CreateObject();
	cleanup_free char *ref = NULL, *bag = NULL;

	if (t->inspect == NULL && t->rt_ns != NULL && asprintf(&ref, "%s/%s", t->rt_ns, t->id) < 0)
		ref = NULL;
	cfir_json_add_str(j, "ref", ref ? ref : t->id);
	cfir_json_add_text(j, "name", t->name);
	if (strchr(t->name, '/') != NULL && asprintf(&bag, "%s-%s", t->name, t->id12) >= 0)
		cfir_json_add_text(j, "bag", bag);
	return j;
}

static void
judge(void *ctx, struct cfir_target *t)
{
	struct worth *w = ctx;
	cJSON *fs = cJSON_CreateArray(), *notes = cJSON_CreateArray();

	if (t->pid > 0 && !w->host_read) {
		struct cfir_err err = { 0 };

		w->host_read = true;
		if (cfir_hunt_host_read("/proc", &w->host, &err) < 0)
			w->host = NULL;	/* each walks /proc itself, as alone */
	}
	if (cfir_hunt_container_on(w->host, t, "/proc", NULL, fs, notes) >= w->sev)
		cJSON_AddItemToArray(w->ids, job_of(t));
	cfir_target_free(t);
	cJSON_Delete(fs);
	cJSON_Delete(notes);
}

/* Every running container on the host whose worst finding is at least SEV. */
static int
worth_collecting(struct cfir_global *g, int sev, cJSON **ids, struct cfir_err *err)
{
	struct tool_step s = { .g = g };
	struct worth w = { .sev = sev };
	cleanup_free char *why = NULL;
	int r;

	*ids = w.ids = cJSON_CreateArray();
	if (tool_source_engine(g, &s.e, &why, err) < 0)
		return -1;
	if (why != NULL)
		cfir_err_warn("%s", why);
	r = tool_source_each(&s, false, false, judge, &w);
	if (r < 0)
		*err = s.err;
	cfir_hunt_host_free(w.host);
	cfir_engine_close(s.e);
	cJSON_Delete(s.warnings);
	return r;
}

/* the case directory's index: a line a container */
static const struct cfir_field bag_cols[] = {
	{ "container", "CONTAINER", CFIR_FMT_STR, 24, 0, NULL },
	{ "status", "STATUS", CFIR_FMT_STR, 13, 0, NULL },
	{ "exit", "EXIT", CFIR_FMT_NUM, 4, CFIR_FIELD_RIGHT, NULL },
	{ "bag", "BAG", CFIR_FMT_STR, 24, 0, NULL },
	{ "error", "ERROR", CFIR_FMT_STR, 0, CFIR_FIELD_PRESENT, NULL },
	{ 0 },
};

/* What became of one container of a collect_many. */
struct job {
	pid_t pid;		/* while it runs */
	bool started, ended;
	int exit;
	char why[160];		/* why it did not run or how it ended */
};

/* A child: one container; its output is flushed before it ends. */
static void
child(struct cfir_global *g, const char *ref, const char *bagdir, const struct copts *o)
{
	int rc = collect_one(g, ref, bagdir, o);

	if (fflush(NULL) != 0 && rc == 0)
		rc = EX_IOERR;
	_exit(rc);
}

/* Tell the running children: a SIGINT sent to cfir alone reaches them too. */
static void
forward_interrupt(const struct job *j, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (j[i].started && !j[i].ended && j[i].pid > 0)
			kill(j[i].pid, SIGINT);
}

/* A job's reference: the string given, or the one worth_collecting chose. */
static const char *
job_ref(const cJSON *item)
{
	return cJSON_IsString(item) ? item->valuestring : cfir_json_str(item, "ref");
}

/* A job's bag's name, made safe: the bag worth_collecting named, else its name, else the reference. */
static char *
bag_name(const cJSON *it)
{
	const char *b = cJSON_IsString(it) ? it->valuestring : cfir_json_str(it, "bag");

	if (b == NULL)
		b = cfir_json_str(it, "name");
	if (b == NULL)
		b = cfir_json_str(it, "ref");
	return cfir_util_safe_name(b ? b : "-", 64);
}

/* Job K's bag directory: its bag's name, "-K" after it when an earlier job has it too. */
static char *
job_bag(const cJSON *refs, size_t k)
{
	char *mine = bag_name(cJSON_GetArrayItem(refs, (int)k)), *out = NULL;
	bool taken = false;
	size_t i;

	for (i = 0; mine != NULL && i < k && !taken; i++) {
		cleanup_free char *other = bag_name(cJSON_GetArrayItem(refs, (int)i));

		taken = other != NULL && strcmp(other, mine) == 0;
	}
	if (taken && asprintf(&out, "%s-%zu", mine, k) >= 0) {
		free(mine);
		return out;
	}
	return mine;
}

/* The children of a collect_many, and how many run. */
struct jobs {
	struct cfir_global *g;
	const cJSON *refs;
	const char *dir;
	const struct copts *o;
	struct job *j;
	size_t n, next, running;
};

/* Start children while there is room and no SIGINT came. */
static void
start_jobs(struct jobs *js)
{
	struct job *j = js->j;

	while (js->next < js->n && js->running < js->o->jobs && !cfir_interrupt_pending()) {
		size_t k = js->next++;
		const char *ref = job_ref(cJSON_GetArrayItem(js->refs, (int)k));
		cleanup_free char *name = job_bag(js->refs, k), *bagdir = NULL;

		if (name == NULL || asprintf(&bagdir, "%s/%s", js->dir, name) < 0) {
			snprintf(j[k].why, sizeof(j[k].why), "out of memory");
			j[k].exit = EX_OSERR;
		} else if ((j[k].pid = fork()) == 0) {
			child(js->g, ref, bagdir, js->o);
		} else if (j[k].pid < 0) {
			snprintf(j[k].why, sizeof(j[k].why), "fork: %s", strerror(errno));
			j[k].exit = EX_OSERR;
			cfir_err_print("'%s': not collected: %s", ref, j[k].why);
		} else {
			j[k].started = true;
			js->running++;
		}
	}
}

/* Every started child is waited for, also after a SIGINT. */
static void
run_jobs(struct jobs *js)
{
	bool forwarded = false;
	int status;
	pid_t done;
	size_t i;

	for (;;) {
		start_jobs(js);
		/* the terminal's ^C reached the whole group; a kill reached cfir alone */
		if (cfir_interrupt_pending() && cfir_interrupt_sent() && !forwarded) {
			forward_interrupt(js->j, js->n);
			forwarded = true;
		}
		if (js->running == 0)
			break;	/* all done, or interrupted before the rest started */
		done = wait(&status);
		if (done < 0 && errno == EINTR)
			continue;	/* a signal: every started child is still waited for */
		if (done < 0)
			break;
		for (i = 0; i < js->n; i++)
			if (js->j[i].started && !js->j[i].ended && js->j[i].pid == done) {
				js->j[i].ended = true;
				js->j[i].exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
				js->running--;
			}
	}
}

/* The index's line for one container; its exit status. */
static int
index_entry(cJSON *list, const cJSON *refs, size_t k, struct job *j)
{
	const cJSON *item = cJSON_GetArrayItem(refs, (int)k);
	const char *ref = cJSON_IsString(item) ? item->valuestring :
			  cfir_json_str(item, "name") ? cfir_json_str(item, "name") : job_ref(item);
	cleanup_free char *name = job_bag(refs, k);
	cJSON *b = cJSON_CreateObject();

	if (!j->started && j->why[0] == '\0') {
		snprintf(j->why, sizeof(j->why), "not started: interrupted");
		j->exit = EX_TEMPFAIL;
	} else if (j->started && !j->ended) {
		snprintf(j->why, sizeof(j->why), "its end was not seen");
		j->exit = EX_SOFTWARE;
	}
	cfir_json_add_text(b, "container", ref);
	if (j->started)
		cfir_json_add_str(b, "bag", name);
	cfir_json_add_num(b, "exit", j->exit);
	cfir_json_add_str(b, "status", j->exit == 0 ? "ok" : !j->started ? "not collected" : "failed");
	if (j->why[0] != '\0')
		cfir_json_add_str(b, "error", j->why);
	cJSON_AddItemToArray(list, b);
	return j->exit;
}

/* DIR/index.json, synced; a failure's exit status, else 0 */
static int
write_index(const char *dir, const cJSON *index)
{
	cleanup_free char *json = NULL, *path = NULL;
	size_t len = 0;
	int fd, r = 0;

	json = cfir_json_line(index, &len);
	if (json == NULL || asprintf(&path, "%s/index.json", dir) < 0) {
		cfir_err_print("'%s/index.json': out of memory", dir);
		return EX_OSERR;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		cfir_err_print("'%s': %s", path, strerror(errno));
		return EX_CANTCREAT;
	}
	if (cfir_util_write_all(fd, json, len) < 0 || fsync(fd) < 0) {
		cfir_err_print("'%s': %s", path, strerror(errno));
		r = EX_IOERR;
	}
	if (close(fd) < 0 && r == 0)
		r = EX_IOERR;
	return r;
}

/*
 * Several containers: one bag each under DIR, up to JOBS at once, and an
 * index. Every container named is in the index with what became of it,
 * also one whose fork failed or that SIGINT kept from starting; the
 * parent waits for every child it started before it writes the index.
 */
static int
collect_many(struct cfir_global *g, const cJSON *refs, const char *dir, const struct copts *o)
{
	struct jobs js = { .g = g, .refs = refs, .dir = dir, .o = o, .n = (size_t)cJSON_GetArraySize(refs) };
	cleanup_cjson cJSON *index = cJSON_CreateObject();
	cJSON *list = cJSON_AddArrayToObject(index, "bags");
	const cJSON *b;
	int worst = 0, r;
	size_t i;

	js.j = calloc(js.n + 1, sizeof(*js.j));
	if (js.j == NULL || (mkdir(dir, 0700) < 0 && errno != EEXIST)) {
		cfir_err_print("'%s': %s", dir, js.j ? strerror(errno) : "out of memory");
		free(js.j);
		return EX_CANTCREAT;
	}
	fflush(NULL);
	run_jobs(&js);
	for (i = 0; i < js.n; i++)
		if ((r = index_entry(list, refs, i, &js.j[i])) != 0 && worst == 0)
			worst = r;
	if (cfir_interrupt_pending())
		cJSON_AddBoolToObject(index, "interrupted", true);
	if ((r = write_index(dir, index)) != 0 && worst == 0)
		worst = r;
	cfir_out_record(&g->out, index, NULL);
	if (g->out.format == CFIR_FORMAT_TEXT) {
		cfir_out_head(&g->out, bag_cols);
		cJSON_ArrayForEach(b, list)
			cfir_out_row(&g->out, b, bag_cols);
	}
	free(js.j);
	return worst;
}

static void
init(void *opts)
{
	struct copts *o = opts;

	o->hunt = -1;
	o->jobs = 1;
}

/* the passphrase now, not at 3 a.m. an hour later */
static int
check(struct tool_step *s, void *opts, int argc, char **argv)
{
	struct copts *o = opts;

	(void)argv;
	if ((argc == 0) == (o->hunt < 0))
		return cfir_err_set(&s->err, EX_USAGE, 0, "collect takes containers, or --hunt, one of them");
	if (s->g->bag == NULL)
		return cfir_err_set(&s->err, EX_USAGE, 0,
				    "collect needs -o: the bag, or with several containers the case directory");
	if (o->key != NULL && cfir_seckey_load(o->key, &o->sk, &s->err) < 0)
		return -1;
	return 0;
}

static void
none_found(struct cfir_text *t, const cJSON *rec)
{
	cfir_text_printf(t, "no running container has a finding of %s or worse", cfir_json_str(rec, "hunt"));
}

static int
run(struct tool_step *s, void *opts, int argc, char **argv)
{
	struct copts *o = opts;
	cleanup_cjson cJSON *refs = NULL;
	const char *dir = s->g->bag;
	int i;

	if (o->hunt >= 0) {
		if (worth_collecting(s->g, o->hunt, &refs, &s->err) < 0)
			return -1;
		if (cJSON_GetArraySize(refs) == 0) {
			cleanup_cjson cJSON *rec = cJSON_CreateObject();

			cfir_json_add_str(rec, "hunt", cfir_severity_name((enum cfir_severity)o->hunt));
			cfir_out_line(s->out, rec, none_found);
		}
		s->status = collect_many(s->g, refs, dir, o);
	} else if (argc == 1) {
		s->status = collect_one(s->g, argv[0], dir, o);
	} else {
		refs = cJSON_CreateArray();
		for (i = 0; i < argc; i++)
			cJSON_AddItemToArray(refs, cJSON_CreateString(argv[i]));
		s->status = collect_many(s->g, refs, dir, o);
	}
	return 0;
}

static void
fini(void *opts)
{
	struct copts *o = opts;

	cfir_seckey_wipe(&o->sk, sizeof(o->sk));
}

static const struct tool_opt opts[] = {
	TOOL_OPT("capture-seconds", 0, TOOL_OPT_SECONDS, struct copts, capture_seconds),
	TOOL_OPT("hunt", 0, TOOL_OPT_SEVERITY, struct copts, hunt),
	TOOL_OPT("isolate", 0, TOOL_OPT_FLAG, struct copts, isolate),
	TOOL_OPT_RANGE("jobs", 'j', TOOL_OPT_NUMBER, struct copts, jobs, 1, 64),
	TOOL_OPT("key", 'k', TOOL_OPT_STRING, struct copts, key),
	TOOL_OPT("magic", 0, TOOL_OPT_FLAG, struct copts, magic),
	TOOL_OPT("max-total", 0, TOOL_OPT_SIZE, struct copts, max_total),
	TOOL_OPT("no-export", 0, TOOL_OPT_FLAG, struct copts, no_export),
	TOOL_OPT("no-memory", 0, TOOL_OPT_FLAG, struct copts, no_memory),
	TOOL_OPT("no-pause", 0, TOOL_OPT_FLAG, struct copts, no_pause),
	TOOL_OPT("unpause", 0, TOOL_OPT_FLAG, struct copts, unpause),
	{ 0 },
};

/* Each container's steps keep their own records; collect's are in each bag. */
static const char collect_usage[] =
	"usage: cfir collect [-h] [-o dir] [--case case] [--examiner name] [-k seckey]\n"
	"                    [--no-pause] [--unpause] [--isolate] [--capture-seconds s]\n"
	"                    [--no-export] [--magic] [--no-memory] [--max-total size]\n"
	"                    [--hunt severity] [-j n] [container ...]\n";

const struct tool_cmd cmd_collect = {
	.name = "collect", .usage = collect_usage, .needs = TOOL_BAG_SELF | TOOL_OWN_RECORDS,
	.summary = "the whole response: every step, in order of volatility, one sealed bag",
	.min_args = 0, .max_args = -1, .opts = opts, .opts_size = sizeof(struct copts), .init = init,
	.check = check, .run = run, .fini = fini,
};
