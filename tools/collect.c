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

#include <openssl/crypto.h>

#include "common/caps.h"
#include "common/capture.h"
#include "common/cleanup.h"
#include "common/hunt.h"
#include "common/minisign.h"
#include "common/util.h"
#include "tools/tool.h"

static const char usage[] =
	"usage: cfir collect [-h] [-o dir] [--case case] [--examiner name] [-k seckey]\n"
	"                    [--no-pause] [--unpause] [--isolate] [--capture-seconds s]\n"
	"                    [--no-export] [--magic] [--no-memory] [--max-total bytes]\n"
	"                    [--hunt severity] [-j n] [container ...]\n";

enum {
	OPT_NO_PAUSE = 0x800, OPT_UNPAUSE, OPT_ISOLATE, OPT_CAPTURE_SECONDS, OPT_NO_EXPORT,
	OPT_NO_MEMORY, OPT_MAX_TOTAL, OPT_HUNT, OPT_MAGIC,
};

struct copts {
	const char *key;
	bool no_pause, unpause, isolate, no_export, no_memory, magic;
	double capture_seconds;
	const char *max_total;
	int hunt;		/* severity, -1 for none */
	unsigned jobs;
};

struct run {
	struct cfir_global *g, sg;	/* the steps print nowhere; errors still go to stderr */
	struct cfir_bag *bag;
	struct cfir_target *t;
	const char *dir;
	cJSON *steps;
	cJSON *skipped;		/* steps not run after SIGINT */
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
step_done(struct run *r, const char *name, int rc, double t0, const char *note)
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
	if (r->tty) {
		fprintf(stderr, "cfir collect: [%u/%u] %-8s %s (%.1f s)%s%s\n", ++r->n, r->total, name,
			rc == 0 ? "ok" : "FAILED", now_s() - t0, note ? ": " : "", note ? note : "");
	}
}

static void
not_run(struct run *r, const char *name)
{
	cJSON_AddItemToArray(r->skipped, cJSON_CreateString(name));
	step_done(r, name, EX_TEMPFAIL, now_s(), "not run: interrupted");
}

/*
 * One step: a command run in this process against the shared engine,
 * target and bag. A step that failed before it reached the bag still gets
 * a custody record, so that the log says every step that was tried.
 */
static int
step(struct run *r, const char *name, int (*fn)(int, char **, struct cfir_global *), char **before,
     char **after)
{
	char *argv[40];
	int argc = 0, rc;
	uint64_t seq = cfir_bag_seq(r->bag);
	double t0 = now_s();
	struct cfir_err err = { 0 };

	/* after SIGINT no step starts: each is said, the bag closes consistent */
	if (cfir_interrupt_pending()) {
		not_run(r, name);
		return EX_TEMPFAIL;
	}
	argv[argc++] = (char *)name;
	argv[argc++] = (char *)"-o";
	argv[argc++] = (char *)r->dir;
	while (before != NULL && *before != NULL && argc < 20)
		argv[argc++] = *before++;
	argv[argc++] = r->t->id;
	while (after != NULL && *after != NULL && argc < 39)
		argv[argc++] = *after++;
	argv[argc] = NULL;
	optind = 0;	/* glibc: start getopt afresh */
	rc = fn(argc, argv, &r->sg);
	if (rc != 0 && cfir_bag_seq(r->bag) == seq) {
		char why[96];

		snprintf(why, sizeof(why), "the step ended with exit status %d before it wrote its record", rc);
		if (cfir_bag_begin(r->bag, name, r->t, &err) == 0)
			cfir_bag_end(r->bag, "failed", why, NULL, &err);
	}
	step_done(r, name, rc, t0, NULL);
	return rc;
}

/* The PIDs the live checks flag: their memory is worth its bytes. */
static cJSON *
flagged(const struct cfir_target *t)
{
	static const char *const checks[] = {
		"exe-deleted", "exe-tmp", "exe-upper", "reverse-shell", "anon-exec", "foreign-process", NULL,
	};
	struct cfir_hunt_sel sel;
	struct cfir_err err = { 0 };
	cJSON *fs = cJSON_CreateArray(), *notes = cJSON_CreateArray(), *pids = cJSON_CreateArray();
	const cJSON *f;
	size_t i;

	for (i = 0; i < cfir_nchecks; i++) {
		const char *const *c;

		sel.off[i] = true;
		for (c = checks; *c; c++)
			if (strcmp(*c, cfir_checks[i].id) == 0)
				sel.off[i] = false;
	}
	cfir_hunt_live(t, "/proc", &sel, fs, notes, &err);
	cJSON_ArrayForEach(f, fs) {
		const cJSON *pid = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(f, "evidence"), "value"),
						       "pid");
		const cJSON *p;
		bool seen = false;

		if (!cJSON_IsNumber(pid))
			continue;
		cJSON_ArrayForEach(p, pids)
			seen |= p->valuedouble == pid->valuedouble;
		if (!seen)
			cJSON_AddItemToArray(pids, cJSON_CreateNumber(pid->valuedouble));
	}
	cJSON_Delete(fs);
	cJSON_Delete(notes);
	return pids;
}

/* The capture in the background: its own side action, its own record at the end. */
struct bgcap {
	struct cfir_capture *c;
	struct cfir_bag_side *side;
	double t0;
};

static void
capture_start(struct run *r, const struct copts *o, struct bgcap *bc)
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
	tool_warn_lines(cfir_capture_notices(bc->c));
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
capture_stop(struct run *r, struct bgcap *bc)
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
seal_bag(struct run *r, const struct cfir_ms_sec *sk)
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
interrupted(struct run *r)
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

/* One container into one bag; the exit status says whether every step went well. */
static int
collect_one(struct cfir_global *g, const char *ref, const char *dir, const struct copts *o,
	    const struct cfir_ms_sec *sk, struct tool_bagopts *bo)
{
	struct run r = { .g = g, .dir = dir, .first_fail = 0 };
	struct cfir_engine *e = NULL;
	struct bgcap bc = { 0 };
	struct cfir_err err = { 0 };
	cleanup_cjson cJSON *steps = cJSON_CreateArray(), *pids = NULL, *skipped = cJSON_CreateArray();
	char membytes[32];
	const cJSON *p;
	cJSON *d;
	FILE *null = fopen("/dev/null", "w");

	r.steps = steps;
	r.skipped = skipped;
	r.tty = isatty(STDERR_FILENO) && g->out.format != CFIR_FORMAT_JSON && !g->out.quiet;
	r.sg = *g;
	r.sg.out.fp = null ? null : stdout;
	r.sg.out.quiet = true;
	r.sg.out.format = CFIR_FORMAT_TEXT;
	r.total = 10 + o->isolate + o->unpause - o->no_pause - o->no_export - o->no_memory;
	/* resolved once: the /proc, overlay and pcap steps outlive the engine */
	if (cfir_engine_open(&e, g->host, &err) < 0 || cfir_target_resolve(e, ref, &r.t, &err) < 0)
		goto out;
	bo->dir = dir;
	if (tool_bag_open(bo, r.t->name, &r.bag, &err) < 0)
		goto out;
	tool_shared = (struct tool_shared){ e, r.t, r.bag };

	/* the record of the collection itself: what will be taken, with the clocks */
	d = cJSON_CreateObject();
	cJSON_AddItemToObject(d, "target", cfir_target_json(r.t));
	cJSON_AddBoolToObject(d, "pause", !o->no_pause);
	cJSON_AddBoolToObject(d, "export", !o->no_export);
	cJSON_AddBoolToObject(d, "memory", !o->no_memory);
	cJSON_AddBoolToObject(d, "isolate", o->isolate);
	cJSON_AddBoolToObject(d, "signed", sk != NULL);
	{
		struct timespec rt, mt, bt;

		clock_gettime(CLOCK_REALTIME, &rt);
		clock_gettime(CLOCK_MONOTONIC, &mt);
		clock_gettime(CLOCK_BOOTTIME, &bt);
		cfir_json_add_num(d, "clock_realtime", (double)rt.tv_sec + rt.tv_nsec / 1e9);
		cfir_json_add_num(d, "clock_monotonic", (double)mt.tv_sec + mt.tv_nsec / 1e9);
		cfir_json_add_num(d, "clock_boottime", (double)bt.tv_sec + bt.tv_nsec / 1e9);
	}
	if (cfir_bag_begin(r.bag, "collect", r.t, &err) < 0 || cfir_bag_end(r.bag, "ok", NULL, d, &err) < 0)
		goto out;

	{
		char *none[] = { NULL };
		char *tail[] = { (char *)"--tail", (char *)"0", NULL };
		char *nomagic[] = { (char *)"--no-magic", NULL };

		if (o->isolate)
			step(&r, "isolate", cmd_isolate, none, NULL);
		step(&r, "inspect", cmd_inspect, tail, NULL);
		capture_start(&r, o, &bc);
		if (!o->no_pause)
			step(&r, "pause", cmd_pause, none, NULL);
		step(&r, "ps", cmd_ps, none, NULL);
		step(&r, "sockets", cmd_sockets, none, NULL);
		if (!o->no_memory) {
			/* memory takes the container, then the PIDs: at most 16 of them */
			char *margs[] = { (char *)"--max-bytes", membytes, NULL };
			char pidbuf[16][16], *pargs[17];
			int np = 0;

			pids = flagged(r.t);
			snprintf(membytes, sizeof(membytes), "%s", o->max_total ? o->max_total : "268435456");
			cJSON_ArrayForEach(p, pids) {
				if (np == 16)
					break;
				snprintf(pidbuf[np], sizeof(pidbuf[np]), "%.0f", p->valuedouble);
				pargs[np] = pidbuf[np];
				np++;
			}
			pargs[np] = NULL;
			if (cfir_interrupt_pending())
				not_run(&r, "memory");
			else if (np == 0)
				step_done(&r, "memory", 0, now_s(), "no process flagged");
			else
				step(&r, "memory", cmd_memory, margs, pargs);
		}
		{
			char *dargs[4] = { NULL };

			if (o->max_total != NULL) {
				dargs[0] = (char *)"--max-total";
				dargs[1] = (char *)o->max_total;
			}
			step(&r, "diff", cmd_diff, dargs, NULL);
		}
		/* the rootfs stays byte for byte; typing 20,000 members can wait (the diff typed the changes) */
		if (!o->no_export)
			step(&r, "export", cmd_export, o->magic ? none : nomagic, NULL);
		step(&r, "hunt", cmd_hunt, none, NULL);
		capture_stop(&r, &bc);
		if (o->unpause)
			step(&r, "unpause", cmd_unpause, none, NULL);
		if (cfir_interrupt_pending())
			interrupted(&r);
		else
			seal_bag(&r, sk);
	}
out:
	if (err.msg[0] != '\0') {
		cfir_err_report(&err);
		if (r.first_fail == 0)
			r.first_fail = err.exit;
	}
	tool_shared = (struct tool_shared){ NULL, NULL, NULL };
	if (r.bag != NULL) {
		tool_notices(r.bag);
		cfir_bag_close(r.bag, NULL);
	}
	if (g->out.format == CFIR_FORMAT_JSON) {
		cJSON *rec = cJSON_CreateObject();

		cfir_json_add_str(rec, "container", r.t ? r.t->id : NULL);
		cfir_json_add_bytes(rec, "bag", dir, strlen(dir));
		cJSON_AddItemToObject(rec, "steps", cJSON_Duplicate(steps, true));
		cfir_json_add_num(rec, "exit", r.first_fail);
		cfir_out_record(&g->out, rec, NULL, NULL);
		cJSON_Delete(rec);
	} else if (!g->out.quiet) {
		const cJSON *s;

		fputs(r.t != NULL ? "collected " : "could not collect ", g->out.fp);
		cfir_vis_str(g->out.fp, r.t ? r.t->name : ref);
		fputs(" into ", g->out.fp);
		cfir_vis_str(g->out.fp, dir);
		fputc('\n', g->out.fp);
		cJSON_ArrayForEach(s, steps)
			fprintf(g->out.fp, "  %-8s %-6s %6.1f s%s%s\n", tool_jstr(s, "step"), tool_jstr(s, "status"),
				cJSON_GetObjectItem(s, "seconds")->valuedouble, tool_jstr(s, "note") ? "  " : "",
				tool_jstr(s, "note") ? tool_jstr(s, "note") : "");
	}
	cfir_target_free(r.t);
	cfir_engine_close(e);
	if (null != NULL)
		fclose(null);
	return r.first_fail;
}

/* Every running container whose worst finding is at least SEV. */
static int
hunted(struct cfir_global *g, int sev, cJSON **ids, struct cfir_err *err)
{
	struct cfir_engine *e = NULL;
	cleanup_cjson cJSON *list = NULL;
	const cJSON *c;

	*ids = cJSON_CreateArray();
	if (cfir_engine_open(&e, g->host, err) < 0 ||
	    cfir_engine_json(e, "GET", "/containers/json", NULL, &list, err) < 0) {
		cfir_engine_close(e);
		return -1;
	}
	cJSON_ArrayForEach(c, list) {
		struct cfir_target *t = NULL;
		struct cfir_err one = { 0 };
		cJSON *fs = cJSON_CreateArray(), *notes = cJSON_CreateArray();

		if (tool_jstr(c, "Id") != NULL && cfir_target_resolve(e, tool_jstr(c, "Id"), &t, &one) == 0 &&
		    cfir_hunt_container(t, "/proc", NULL, fs, notes) >= sev)
			cJSON_AddItemToArray(*ids, cJSON_CreateString(t->name));	/* bags by name */
		cfir_target_free(t);
		cJSON_Delete(fs);
		cJSON_Delete(notes);
	}
	cfir_engine_close(e);
	return 0;
}

/* What became of one container of a collect_many. */
struct job {
	pid_t pid;		/* while it runs */
	bool started, ended;
	int exit;
	char why[160];		/* why it did not run or how it ended */
};

/* A child: one container; its output is flushed before it ends. */
static void
child(struct cfir_global *g, const char *ref, const char *bagdir, const struct copts *o,
      const struct cfir_ms_sec *sk, struct tool_bagopts *bo)
{
	int rc = collect_one(g, ref, bagdir, o, sk, bo);

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

/*
 * Several containers: one bag each under DIR, up to JOBS at once, and an
 * index. Every container named is in the index with what became of it,
 * also one whose fork failed or that SIGINT kept from starting; the
 * parent waits for every child it started before it writes the index.
 */
static int
collect_many(struct cfir_global *g, const cJSON *refs, const char *dir, const struct copts *o,
	     const struct cfir_ms_sec *sk, struct tool_bagopts *bo)
{
	size_t n = (size_t)cJSON_GetArraySize(refs), i, next = 0, running = 0;
	struct job *j = calloc(n + 1, sizeof(*j));
	cJSON *index = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(index, "bags");
	cleanup_free char *json = NULL, *path = NULL;
	bool forwarded = false;
	int worst = 0, fd;
	size_t len = 0;

	if (j == NULL || (mkdir(dir, 0700) < 0 && errno != EEXIST)) {
		cfir_err_print("'%s': %s", dir, j ? strerror(errno) : "out of memory");
		free(j);
		cJSON_Delete(index);
		return EX_CANTCREAT;
	}
	fflush(NULL);
	while (next < n || running > 0) {
		int status;
		pid_t done;

		while (next < n && running < o->jobs && !cfir_interrupt_pending()) {
			const char *ref = cJSON_GetArrayItem(refs, (int)next)->valuestring;
			cleanup_free char *name = cfir_util_safe_name(ref, 64), *bagdir = NULL;

			if (name == NULL || asprintf(&bagdir, "%s/%s", dir, name) < 0) {
				snprintf(j[next].why, sizeof(j[next].why), "out of memory");
				j[next].exit = EX_OSERR;
			} else if ((j[next].pid = fork()) == 0) {
				child(g, ref, bagdir, o, sk, bo);
			} else if (j[next].pid < 0) {
				snprintf(j[next].why, sizeof(j[next].why), "fork: %s", strerror(errno));
				j[next].exit = EX_OSERR;
				cfir_err_print("'%s': not collected: %s", ref, j[next].why);
			} else {
				j[next].started = true;
				running++;
			}
			next++;
		}
		/* the terminal's ^C reached the whole group; a kill reached cfir alone */
		if (cfir_interrupt_pending() && cfir_interrupt_sent() && !forwarded) {
			forward_interrupt(j, n);
			forwarded = true;
		}
		if (running == 0)
			break;	/* interrupted before the rest started */
		done = wait(&status);
		if (done < 0 && errno == EINTR)
			continue;	/* a signal: every started child is still waited for */
		if (done < 0)
			break;
		for (i = 0; i < n; i++)
			if (j[i].started && !j[i].ended && j[i].pid == done) {
				j[i].ended = true;
				j[i].exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
				running--;
			}
	}
	for (i = 0; i < n; i++) {
		cleanup_free char *name = cfir_util_safe_name(cJSON_GetArrayItem(refs, (int)i)->valuestring, 64);
		cJSON *b = cJSON_CreateObject();
		const char *st;

		if (!j[i].started && j[i].why[0] == '\0') {
			snprintf(j[i].why, sizeof(j[i].why), "not started: interrupted");
			j[i].exit = EX_TEMPFAIL;
		} else if (j[i].started && !j[i].ended) {
			snprintf(j[i].why, sizeof(j[i].why), "its end was not seen");
			j[i].exit = EX_SOFTWARE;
		}
		st = j[i].exit == 0 ? "ok" : !j[i].started ? "not collected" : "failed";
		cfir_json_add_str(b, "container", cJSON_GetArrayItem(refs, (int)i)->valuestring);
		if (j[i].started)
			cfir_json_add_str(b, "bag", name);
		cfir_json_add_num(b, "exit", j[i].exit);
		cfir_json_add_str(b, "status", st);
		if (j[i].why[0] != '\0')
			cfir_json_add_str(b, "error", j[i].why);
		cJSON_AddItemToArray(list, b);
		if (j[i].exit != 0 && worst == 0)
			worst = j[i].exit;
	}
	if (cfir_interrupt_pending())
		cJSON_AddBoolToObject(index, "interrupted", true);
	json = cfir_json_line(index, &len);
	if (json == NULL || asprintf(&path, "%s/index.json", dir) < 0) {
		cfir_err_print("'%s/index.json': out of memory", dir);
		worst = worst ? worst : EX_OSERR;
	} else if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
		cfir_err_print("'%s': %s", path, strerror(errno));
		worst = worst ? worst : EX_CANTCREAT;
	} else {
		if (cfir_util_write_all(fd, json, len) < 0 || fsync(fd) < 0) {
			cfir_err_print("'%s': %s", path, strerror(errno));
			worst = worst ? worst : EX_IOERR;
		}
		if (close(fd) < 0 && worst == 0)
			worst = EX_IOERR;
	}
	if (g->out.format == CFIR_FORMAT_JSON)
		cfir_out_record(&g->out, index, NULL, NULL);
	cJSON_Delete(index);
	free(j);
	return worst;
}

int
cmd_collect(int argc, char **argv, struct cfir_global *g)
{
	static const struct option longopts[] = {
		TOOL_BAG_LONGOPTS,
		{ "capture-seconds", required_argument, NULL, OPT_CAPTURE_SECONDS },
		{ "help", no_argument, NULL, 'h' },
		{ "hunt", required_argument, NULL, OPT_HUNT },
		{ "isolate", no_argument, NULL, OPT_ISOLATE },
		{ "jobs", required_argument, NULL, 'j' },
		{ "key", required_argument, NULL, 'k' },
		{ "magic", no_argument, NULL, OPT_MAGIC },
		{ "max-total", required_argument, NULL, OPT_MAX_TOTAL },
		{ "no-export", no_argument, NULL, OPT_NO_EXPORT },
		{ "no-memory", no_argument, NULL, OPT_NO_MEMORY },
		{ "no-pause", no_argument, NULL, OPT_NO_PAUSE },
		{ "unpause", no_argument, NULL, OPT_UNPAUSE },
		{ NULL, 0, NULL, 0 },
	};
	struct copts o = { .hunt = -1, .jobs = 1 };
	struct cfir_ms_sec sk = { { 0 }, { 0 } };
	struct cfir_err err = { 0 };
	struct tool_bagopts bo;
	cleanup_cjson cJSON *refs = NULL;
	unsigned long v;
	uint64_t sz;
	char *end, max_total[32];
	int c, i, r;

	tool_bagopts_init(&bo, g);
	while ((c = getopt_long(argc, argv, "hj:k:o:", longopts, NULL)) != -1) {
		if (tool_bagopt(&bo, c, optarg))
			continue;
		switch (c) {
		case 'k':
			o.key = optarg;
			continue;
		case 'j':
			if (cfir_util_parse_ulong(optarg, 64, &v) < 0 || v == 0) {
				cfir_err_print("-j takes 1 to 64, not '%s'", optarg);
				return EX_USAGE;
			}
			o.jobs = (unsigned)v;
			continue;
		case OPT_NO_PAUSE:
			o.no_pause = true;
			continue;
		case OPT_UNPAUSE:
			o.unpause = true;
			continue;
		case OPT_ISOLATE:
			o.isolate = true;
			continue;
		case OPT_NO_EXPORT:
			o.no_export = true;
			continue;
		case OPT_NO_MEMORY:
			o.no_memory = true;
			continue;
		case OPT_MAGIC:
			o.magic = true;
			continue;
		case OPT_MAX_TOTAL:
			if (cfir_util_parse_size(optarg, &sz) < 0) {
				cfir_err_print("--max-total takes a size, not '%s'", optarg);
				return EX_USAGE;
			}
			/* the steps take plain numbers */
			snprintf(max_total, sizeof(max_total), "%llu", (unsigned long long)sz);
			o.max_total = max_total;
			continue;
		case OPT_CAPTURE_SECONDS:
			errno = 0;
			o.capture_seconds = strtod(optarg, &end);
			if (errno || *end || !(o.capture_seconds > 0)) {
				cfir_err_print("--capture-seconds takes a number of seconds, not '%s'", optarg);
				return EX_USAGE;
			}
			continue;
		case OPT_HUNT:
			o.hunt = cfir_severity_parse(optarg);
			if (o.hunt < 0) {
				cfir_err_print("--hunt takes critical, high, medium, low or info, not '%s'", optarg);
				return EX_USAGE;
			}
			continue;
		}
		return tool_usage(usage, c != 'h');
	}
	if ((argc == optind) == (o.hunt < 0) || bo.dir == NULL) {
		if (bo.dir == NULL)
			cfir_err_print("collect needs -o: the bag, or with several containers the case directory");
		return tool_usage(usage, true);
	}
	/* the passphrase now, not at 3 a.m. an hour later */
	if (o.key != NULL && tool_load_secret(o.key, &sk, &err) < 0)
		return cfir_err_report(&err);
	if (o.hunt >= 0) {
		if (hunted(g, o.hunt, &refs, &err) < 0)
			return cfir_err_report(&err);
		if (cJSON_GetArraySize(refs) == 0 && !g->out.quiet)
			fprintf(g->out.fp, "no running container has a finding of %s or worse\n",
				cfir_severity_name((enum cfir_severity)o.hunt));
		r = collect_many(g, refs, bo.dir, &o, o.key ? &sk : NULL, &bo);
	} else if (argc - optind == 1) {
		r = collect_one(g, argv[optind], bo.dir, &o, o.key ? &sk : NULL, &bo);
	} else {
		refs = cJSON_CreateArray();
		for (i = optind; i < argc; i++)
			cJSON_AddItemToArray(refs, cJSON_CreateString(argv[i]));
		r = collect_many(g, refs, bo.dir, &o, o.key ? &sk : NULL, &bo);
	}
	OPENSSL_cleanse(&sk, sizeof(sk));
	return r;
}
