/* timeline.c - every time in a bag gathered as events: files, processes, containers, custody, findings */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/bagread.h"
#include "common/cleanup.h"
#include "common/timeline-private.h"
#include "common/util.h"

#define ELEM_MAX (16u << 20)	/* one diff entry, one process */
#define SMALL_MAX (16u << 20)	/* inspect.json, state.json */
#define CUSTODY_LINE (16u << 20)
#define FINDING_LINE (1u << 20)
#define CMDLINE_MAX 512
#define KEPT_MAX 65536		/* hunt records and names kept from the custody log */

void
tl_read_failed(struct tl *t, struct cfir_err *e, const char *path)
{
	if (t->dead)
		return;	/* the timeline ends: T->fatal says why */
	if (e->msg[0] == '\0')
		cfir_err_set(e, EX_OSERR, ENOMEM, "out of memory");
	cfir_err_wrap(e, "'%s'", path);
	tl_fail(t, e);
}

void
tl_fail(struct tl *t, struct cfir_err *e)
{
	if (t->o->fail != NULL)
		t->o->fail(t->o->ctx, e);
	memset(e, 0, sizeof(*e));
}

/* A time member of O: false when absent, unparsable, or Docker's "never" (year 1). */
static bool
time_of(const cJSON *o, const char *key, struct timespec *ts)
{
	const char *s = cfir_json_str(o, key);

	if (s == NULL || strncmp(s, "0001-01-01", 10) == 0)
		return false;
	return cfir_util_time_parse(s, strlen(s), ts);
}

/* An event of a fixed TEXT (printf) at TS; false when the sort failed. */
static bool
add_msg(struct tl *t, struct tl_event *e, const struct timespec *ts, const char *desc,
	const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static bool
add_msg(struct tl *t, struct tl_event *e, const struct timespec *ts, const char *desc,
	const char *fmt, ...)
{
	struct cfir_text m = { 0 }, raw = { 0 };
	va_list ap;
	bool ok;

	va_start(ap, fmt);
	cfir_text_vprintf(&raw, fmt, ap);
	va_end(ap);
	tl_msg_add(&m, raw.p ? raw.p : "", raw.len);
	cfir_text_add(&m, "", 1);
	e->t = *ts;
	e->desc = desc;
	e->msg = m.p ? m.p : "";
	ok = !m.oom && !raw.oom ? tl_add(t, e) : false;
	free(m.p);
	free(raw.p);
	return ok;
}

/* ---- custody ---- */

static void
keep_name(struct tl *t, const char *id, const char *name)
{
	size_t i;

	if (id == NULL || name == NULL || t->nnames >= KEPT_MAX)
		return;
	for (i = 0; i < t->nnames; i++)
		if (strcmp(t->names[i].id, id) == 0)
			return;
	if (!cfir_util_grow((void **)&t->names, &t->namecap, t->nnames, sizeof(*t->names), 8, KEPT_MAX))
		return;
	t->names[t->nnames].id = strdup(id);
	t->names[t->nnames].name = strdup(name);
	if (t->names[t->nnames].id == NULL || t->names[t->nnames].name == NULL) {
		free(t->names[t->nnames].id);
		free(t->names[t->nnames].name);
		return;
	}
	t->nnames++;
}

/* The artifacts of a record that are findings, kept with its time (the latest wins). */
static void
keep_hunts(struct tl *t, const cJSON *rec, const struct timespec *ts)
{
	const cJSON *a;
	const char *p;
	size_t i, n;

	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(rec, "artifacts")) {
		p = cfir_json_str(a, "path");
		n = p ? strlen(p) : 0;
		if (n < 6 || strcmp(p + n - 6, ".jsonl") != 0 || strstr(p, "hunt/") == NULL)
			continue;
		for (i = 0; i < t->nhunts && strcmp(t->hunts[i].path, p) != 0; i++)
			;
		if (i == t->nhunts) {
			if (t->nhunts >= KEPT_MAX ||
			    !cfir_util_grow((void **)&t->hunts, &t->huntcap, t->nhunts, sizeof(*t->hunts), 8, KEPT_MAX) ||
			    (t->hunts[i].path = strdup(p)) == NULL)
				continue;
			t->nhunts++;
		}
		t->hunts[i].t = *ts;
	}
}

/* pause and unpause records: when cfir froze or thawed the container */
static bool
custody_pause(struct tl *t, struct tl_event *e, const cJSON *rec, const struct timespec *at)
{
	const char *action = cfir_json_str(rec, "action");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(rec, "details");
	bool pause = strcmp(action, "pause") == 0;
	const char *desc = pause ? "Container Paused" : "Container Unpaused";
	struct timespec ts;

	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "already")))
		return add_msg(t, e, at, desc, "Container found already %s", pause ? "paused" : "running");
	if (!time_of(d, "confirmed", &ts) && !time_of(d, "requested", &ts))
		return true;
	return add_msg(t, e, &ts, desc, "Container %s by cfir", pause ? "paused" : "unpaused");
}

static int
custody_one(void *ctx, const cJSON *rec)
{
	struct tl *t = ctx;
	const char *action = cfir_json_str(rec, "action"), *status = cfir_json_str(rec, "status");
	const char *error = cfir_json_str(rec, "error");
	struct tl_event e;
	struct timespec ts;

	if (!time_of(rec, "time", &ts) || action == NULL)
		return 0;
	keep_name(t, cfir_json_str(rec, "target"), cfir_json_str(rec, "target_name"));
	keep_hunts(t, rec, &ts);
	tl_event_init(t, &e, TL_CUSTODY, "custody/log.jsonl");
	e.container = cfir_json_str(rec, "target");
	e.name = cfir_json_str(rec, "target_name");
	if (!add_msg(t, &e, &ts, "Acquisition Time", "cfir %s %s, %d artifacts%s%s", action,
		     status ? status : "-", cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(rec, "artifacts")),
		     error ? ": " : "", error ? error : ""))
		return -1;
	e.src = TL_CONTAINER;
	if ((strcmp(action, "pause") == 0 || strcmp(action, "unpause") == 0) && !custody_pause(t, &e, rec, &ts))
		return -1;
	return 0;
}

static void
custody(struct tl *t)
{
	cleanup_close int fd = cfir_bagread_open(t->bagfd, "custody/log.jsonl");
	struct cfir_bagread_stats bs = { 0 };
	struct cfir_err e = { 0 };

	if (fd < 0) {
		cfir_err_set(&e, cfir_err_sys_exit(errno), errno, "'custody/log.jsonl'");
		tl_fail(t, &e);
		return;
	}
	if (cfir_bagread_jsonl(fd, CUSTODY_LINE, custody_one, t, &bs, &e) < 0)
		tl_read_failed(t, &e, "custody/log.jsonl");
	t->st->bad += bs.bad;
}

/* ---- the container: who it is, and the engine's and runtime's times ---- */

static char *
path_of(const struct tl *t, const char *rest)
{
	char *p = NULL;

	if (asprintf(&p, "data/%s/%s", t->dir, rest) < 0)
		return NULL;
	return p;
}

/* A small JSON artifact of the container; NULL, quietly, when the bag has none. */
static cJSON *
small_json(struct tl *t, const char *path)
{
	struct cfir_err e = { 0 };
	cJSON *j = NULL;

	if (cfir_bagread_json(t->bagfd, path, SMALL_MAX, &j, &e) < 0) {
		if (e.sys != ENOENT)
			tl_fail(t, &e);
		return NULL;
	}
	return j;
}

static void
set_identity(struct tl *t, const char *id, const char *name)
{
	size_t i;

	if (t->id == NULL && id != NULL && strncmp(id, t->dir, strlen(t->dir)) == 0)
		t->id = strdup(id);
	if (name != NULL && *name == '/')
		name++;
	if (t->name == NULL && name != NULL && *name != '\0')
		t->name = strdup(name);
	/* no engine's or runtime's word: what the custody log called it */
	for (i = 0; t->name == NULL && i < t->nnames; i++) {
		if (t->id != NULL ? strcmp(t->names[i].id, t->id) != 0
				  : strncmp(t->names[i].id, t->dir, strlen(t->dir)) != 0)
			continue;
		if (t->id == NULL)
			t->id = strdup(t->names[i].id);
		t->name = strdup(t->names[i].name);
	}
}

static bool
inspect_events(struct tl *t, const cJSON *j, const char *artifact)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "State");
	const char *image = cfir_json_str(cJSON_GetObjectItemCaseSensitive(j, "Config"), "Image");
	struct tl_event e;
	struct timespec ts;

	tl_event_init(t, &e, TL_CONTAINER, artifact);
	if (time_of(j, "Created", &ts) &&
	    !add_msg(t, &e, &ts, "Container Created", "Container created from image %s", image ? image : "-"))
		return false;
	if (time_of(st, "StartedAt", &ts) && !add_msg(t, &e, &ts, "Container Started", "Container started"))
		return false;
	if (time_of(st, "FinishedAt", &ts) &&
	    !add_msg(t, &e, &ts, "Container Finished", "Container finished, exit code %.0f",
		     cfir_json_num(st, "ExitCode")))
		return false;
	return true;
}

/* engine/inspect.json and runtime/state.json: the container's ID and name, and its times */
static bool
container(struct tl *t)
{
	cleanup_free char *ip = path_of(t, "engine/inspect.json"), *sp = path_of(t, "runtime/state.json");
	cleanup_cjson cJSON *in = ip ? small_json(t, ip) : NULL;
	cleanup_cjson cJSON *rs = sp ? small_json(t, sp) : NULL;
	struct tl_event e;
	struct timespec ts;

	set_identity(t, cfir_json_str(in, "Id"), cfir_json_str(in, "Name"));
	set_identity(t, cfir_json_str(rs, "id"), NULL);
	set_identity(t, NULL, NULL);
	if (in != NULL && !inspect_events(t, in, ip))
		return false;
	tl_event_init(t, &e, TL_CONTAINER, sp);
	if (rs != NULL && time_of(rs, "created", &ts) &&
	    !add_msg(t, &e, &ts, "Container Created", "Container created (runtime state)"))
		return false;
	return true;
}

/* ---- the writable layer: fs/diff.json ---- */

static const struct {
	const char *key, *desc;
} file_times[] = {
	{ "mtime", "Content Modification Time" },
	{ "atime", "Last Access Time" },
	{ "ctime", "Metadata Modification Time" },
	{ "btime", "Creation Time" },
};
#define NTIMES (sizeof(file_times) / sizeof(file_times[0]))

struct file_ctx {
	struct tl *t;
	const char *artifact;
};

static int
unhex(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* PATH_hex's bytes when the entry has them, else the path: malloc'd into *OUT. */
static size_t
exact_path(const cJSON *j, char **out)
{
	const char *p = cfir_json_str(j, "path"), *h = cfir_json_str(j, "path_hex");
	size_t n = h ? strlen(h) : 0, i;

	*out = NULL;
	if (h != NULL && n % 2 == 0 && (*out = malloc(n / 2 + 1)) != NULL) {
		for (i = 0; i < n / 2; i++) {
			int a = unhex(h[2 * i]), b = unhex(h[2 * i + 1]);

			if (a < 0 || b < 0)
				break;
			(*out)[i] = (char)(a << 4 | b);
		}
		if (i == n / 2)
			return n / 2;
		free(steal_pointer(out));
	}
	if (p == NULL || (*out = strdup(p)) == NULL)
		return 0;
	return strlen(p);
}

static void
file_message(struct cfir_text *m, const cJSON *j)
{
	const char *path = cfir_json_str(j, "path"), *kind = cfir_json_str(j, "kind");
	const char *type = cfir_json_str(j, "type"), *mode = cfir_json_str(j, "mode");
	char num[80];
	const cJSON *f;
	bool first = true;

	snprintf(num, sizeof(num), "%s %s ", kind ? kind : "-", type ? type : "-");
	tl_msg_add(m, num, strlen(num));
	tl_msg_add(m, path ? path : "-", strlen(path ? path : "-"));
	snprintf(num, sizeof(num), " %s %.0f:%.0f %.0f bytes", mode ? mode : "-", cfir_json_num(j, "uid"),
		 cfir_json_num(j, "gid"), cfir_json_num(j, "size"));
	tl_msg_add(m, num, strlen(num));
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(j, "flags")) {
		if (!cJSON_IsString(f))
			continue;
		tl_msg_add(m, first ? " [" : " ", first ? 2 : 1);
		tl_msg_add(m, f->valuestring, strlen(f->valuestring));
		first = false;
	}
	if (!first)
		tl_msg_add(m, "]", 1);
	cfir_text_add(m, "", 1);
}

/* One event for each distinct time of the entry, its descriptions joined. */
static int
file_one(void *ctx, const cJSON *j)
{
	struct file_ctx *fc = ctx;
	struct timespec ts[NTIMES];
	bool has[NTIMES], done[NTIMES] = { false };
	struct cfir_text m = { 0 }, desc = { 0 };
	cleanup_free char *path = NULL;
	struct tl_event e;
	size_t i, k;
	int r = 0;

	/* a deleted file (a whiteout) has no times of its own */
	if (cfir_json_str(j, "kind") != NULL && strcmp(cfir_json_str(j, "kind"), "D") == 0)
		return 0;
	for (i = 0; i < NTIMES; i++)
		has[i] = time_of(j, file_times[i].key, &ts[i]);
	tl_event_init(fc->t, &e, TL_FILE, fc->artifact);
	e.pathlen = exact_path(j, &path);
	e.path = path;
	file_message(&m, j);
	e.msg = m.p ? m.p : "";
	for (i = 0; i < NTIMES && r == 0; i++) {
		if (!has[i] || done[i])
			continue;
		desc.len = 0;
		for (k = i; k < NTIMES; k++)
			if (has[k] && !done[k] && ts[k].tv_sec == ts[i].tv_sec && ts[k].tv_nsec == ts[i].tv_nsec) {
				cfir_text_printf(&desc, "%s%s", desc.len ? "; " : "", file_times[k].desc);
				done[k] = true;
			}
		e.t = ts[i];
		e.desc = desc.p;
		if (m.oom || desc.oom || !tl_add(fc->t, &e))
			r = -1;
	}
	free(m.p);
	free(desc.p);
	return r;
}

/* ---- processes: proc/processes.json ---- */

static void
process_message(struct cfir_text *m, const cJSON *j)
{
	const char *comm = cfir_json_str(j, "comm"), *exe = cfir_json_str(j, "exe");
	const cJSON *a;
	char head[96];
	size_t start;

	snprintf(head, sizeof(head), "Process %.0f (", cfir_json_num(j, "pid"));
	tl_msg_add(m, head, strlen(head));
	tl_msg_add(m, comm ? comm : "-", strlen(comm ? comm : "-"));
	tl_msg_add(m, ") started:", 10);
	start = m->len;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(j, "cmdline")) {
		if (!cJSON_IsString(a))
			continue;
		if (m->len - start + 1 + strlen(a->valuestring) > CMDLINE_MAX) {
			tl_msg_add(m, " ...", 4);
			break;
		}
		tl_msg_add(m, " ", 1);
		tl_msg_add(m, a->valuestring, strlen(a->valuestring));
	}
	if (exe != NULL) {
		tl_msg_add(m, " [exe ", 6);
		tl_msg_add(m, exe, strlen(exe));
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "exe_deleted")) && strstr(exe, "(deleted)") == NULL)
			tl_msg_add(m, " (deleted)", 10);
		tl_msg_add(m, "]", 1);
	}
	cfir_text_add(m, "", 1);
}

static int
process_one(void *ctx, const cJSON *j)
{
	struct file_ctx *fc = ctx;
	struct cfir_text m = { 0 };
	struct tl_event e;
	int r;

	tl_event_init(fc->t, &e, TL_PROCESS, fc->artifact);
	if (!time_of(j, "start", &e.t))
		return 0;
	e.pid = cfir_json_int(cJSON_GetObjectItemCaseSensitive(j, "pid"), -1, 1LL << 31, -1);
	e.desc = "Process Start Time";
	process_message(&m, j);
	e.msg = m.p ? m.p : "";
	r = m.oom || !tl_add(fc->t, &e) ? -1 : 0;
	free(m.p);
	return r;
}

/* A streamed array of the container's: diff.json's entries, processes.json's processes. */
static void
stream(struct tl *t, const char *rest, const char *key, cfir_bagread_json_fn fn)
{
	cleanup_free char *path = path_of(t, rest);
	cleanup_close int fd = path ? cfir_bagread_open(t->bagfd, path) : -1;
	struct file_ctx fc = { t, path };
	struct cfir_bagread_stats bs = { 0 };
	struct cfir_err e = { 0 };

	if (fd < 0) {
		if (errno != ENOENT) {
			cfir_err_set(&e, cfir_err_sys_exit(errno), errno, "'%s'", path ? path : rest);
			tl_fail(t, &e);
		}
		return;
	}
	if (cfir_bagread_stream(fd, key, ELEM_MAX, fn, &fc, NULL, &bs, &e) < 0)
		tl_read_failed(t, &e, path);
	t->st->bad += bs.bad;
}

/* ---- hunt findings, at the time of the record that wrote them ---- */

struct finding_ctx {
	struct tl *t;
	const char *artifact;
	const struct timespec *at;
};

static int
finding_one(void *ctx, const cJSON *j)
{
	struct finding_ctx *fc = ctx;
	const char *sev = cfir_json_str(j, "severity"), *check = cfir_json_str(j, "check");
	const char *title = cfir_json_str(j, "title");
	const char *type = cfir_json_str(j, "type");
	struct tl_event e;

	if (type != NULL && strcmp(type, "finding") != 0)
		return 0;	/* the hunt's summary line */
	tl_event_init(fc->t, &e, TL_FINDING, fc->artifact);
	e.container = cfir_json_str(j, "container");
	e.name = cfir_json_str(j, "name");
	return add_msg(fc->t, &e, fc->at, "Finding Time", "%s %s: %s", sev ? sev : "-", check ? check : "-",
		       title ? title : "-") ? 0 : -1;
}

static int
count_one(void *ctx, const cJSON *j)
{
	const char *type = cfir_json_str(j, "type");

	if (type == NULL || strcmp(type, "finding") == 0)
		(*(uint64_t *)ctx)++;
	return 0;
}

/* The findings of PATH at AT; with no AT only counted, as findings with no time. */
static void
findings(struct tl *t, const char *path, const struct timespec *at)
{
	cleanup_close int fd = cfir_bagread_open(t->bagfd, path);
	struct finding_ctx fc = { t, path, at };
	struct cfir_bagread_stats bs = { 0 };
	struct cfir_err e = { 0 };

	if (fd < 0) {
		if (errno != ENOENT) {
			cfir_err_set(&e, cfir_err_sys_exit(errno), errno, "'%s'", path);
			tl_fail(t, &e);
		}
		return;
	}
	if ((at != NULL ? cfir_bagread_jsonl(fd, FINDING_LINE, finding_one, &fc, &bs, &e)
			: cfir_bagread_jsonl(fd, FINDING_LINE, count_one, &t->st->orphans, &bs, &e)) < 0)
		tl_read_failed(t, &e, path);
	t->st->bad += bs.bad;
}

static bool
hunt_listed(const struct tl *t, const char *path)
{
	size_t i;

	for (i = 0; i < t->nhunts; i++)
		if (strcmp(t->hunts[i].path, path) == 0)
			return true;
	return false;
}

/* findings.jsonl no record lists: counted, for the caller to say */
static void
orphans(struct tl *t, const char *dir)
{
	cleanup_free char *p = NULL;

	if (asprintf(&p, "data/%s%shunt/findings.jsonl", dir ? dir : "", dir ? "/" : "") < 0 || hunt_listed(t, p))
		return;
	findings(t, p, NULL);
}

/* ---- the whole bag ---- */

static void
one_container(struct tl *t, const char *dir)
{
	t->dir = (char *)dir;
	t->id = t->name = NULL;
	if (container(t)) {
		stream(t, "fs/diff.json", "entries", file_one);
		stream(t, "proc/processes.json", "processes", process_one);
		tl_logs(t);
		tl_captures(t);
		orphans(t, dir);
	}
	free(t->id);
	free(t->name);
	t->id = t->name = NULL;
	t->dir = NULL;
}

static void
gather(struct tl *t)
{
	char **dirs = NULL;
	size_t n = 0, i;
	struct cfir_err e = { 0 };

	custody(t);
	if (cfir_bagread_containers(t->bagfd, &dirs, &n, &e) < 0)
		tl_fail(t, &e);
	for (i = 0; i < n && !t->dead; i++)
		one_container(t, dirs[i]);
	cfir_util_free_strv(dirs, n);
	for (i = 0; i < t->nhunts && !t->dead; i++)
		findings(t, t->hunts[i].path, &t->hunts[i].t);
	if (!t->dead)
		orphans(t, NULL);
}

struct emit {
	FILE *out;
	enum cfir_tl_format format;
};

static int
emit(void *ctx, const void *rec, size_t len)
{
	struct emit *m = ctx;

	return tl_render(rec, len, m->out, m->format) < 0 || ferror(m->out) ? -2 : 0;
}

static void
tl_free(struct tl *t)
{
	size_t i;

	for (i = 0; i < t->nhunts; i++)
		free(t->hunts[i].path);
	for (i = 0; i < t->nnames; i++) {
		free(t->names[i].id);
		free(t->names[i].name);
	}
	free(t->hunts);
	free(t->names);
	free(t->rec.p);
	cfir_extsort_free(t->sort);
}

int
cfir_timeline_write(int bagfd, FILE *out, const struct cfir_tl_opts *o, struct cfir_tl_stats *st,
		    struct cfir_err *err)
{
	struct tl t = { .bagfd = bagfd, .o = o, .st = st };
	struct emit m = { out, o->format };
	int r;

	memset(st, 0, sizeof(*st));
	t.sort = cfir_extsort_new(TL_KEY, o->chunk ? o->chunk : 32u << 20, o->tmpdir);
	if (t.sort == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "timeline");
	gather(&t);
	if (t.dead) {
		*err = t.fatal;
		tl_free(&t);
		return -1;
	}
	if (o->format == CFIR_TL_CSV)
		tl_csv_header(out);
	r = cfir_extsort_finish(t.sort, emit, &m, err);
	st->runs = cfir_extsort_runs(t.sort);
	tl_free(&t);
	if (r == -2)
		return cfir_err_set(err, cfir_err_sys_exit(errno ? errno : EIO), errno, "write");
	return r < 0 ? -1 : 0;
}
