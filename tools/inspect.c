/* inspect.c - the engine's or the runtime's metadata and logs of one container, into the bag */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/disk.h"
#include "common/logs.h"
#include "common/podlogs.h"
#include "common/runtime.h"
#include "common/util.h"
#include "tools/tool.h"

#define TAIL_MAX 1000
#define TAIL_LINE 1024

struct line {
	int stream;
	size_t len;
	bool cut;
	char buf[TAIL_LINE];
};

/* The log stream's files in the bag and the last lines for a preview. */
struct logs {
	struct cfir_bag *bag;
	struct cfir_writer *w[4];
	struct line cur[4];
	struct line *ring;
	size_t nring, head, count;
};

static const char *const log_names[4] = { "stdin.log", "stdout.log", "stderr.log",
					  "undecoded.log" };

static void
tail_push(struct logs *l, struct line *ln)
{
	if (l->nring == 0)
		return;
	l->ring[l->head] = *ln;
	l->head = (l->head + 1) % l->nring;
	if (l->count < l->nring)
		l->count++;
	ln->len = 0;
	ln->cut = false;
}

static void
tail_feed(struct logs *l, int stream, const char *p, size_t len)
{
	struct line *ln = &l->cur[stream];
	size_t i;

	ln->stream = stream;
	for (i = 0; i < len; i++) {
		if (p[i] == '\n') {
			tail_push(l, ln);
			continue;
		}
		if (ln->len < TAIL_LINE)
			ln->buf[ln->len++] = p[i];
		else
			ln->cut = true;
	}
}

static int
open_stream(struct logs *l, int stream, struct cfir_err *err)
{
	if (l->w[stream] != NULL)
		return 0;
	return cfir_writer_open(l->bag, "engine", log_names[stream], &l->w[stream], err);
}

static int
on_log(void *ctx, int stream, const void *buf, size_t len, struct cfir_err *err)
{
	struct logs *l = ctx;

	if (open_stream(l, stream, err) < 0)
		return -1;
	if (stream != CFIR_STREAM_RAW)
		tail_feed(l, stream, buf, len);
	return cfir_writer_write(l->w[stream], buf, len, err);
}

static int
on_demux(void *ctx, const void *buf, size_t len, struct cfir_err *err)
{
	return cfir_demux_feed(ctx, buf, len, err);
}

static int
on_raw(void *ctx, const void *buf, size_t len, struct cfir_err *err)
{
	return on_log(ctx, CFIR_STREAM_STDOUT, buf, len, err);
}

/* Close every log file; keep the first error. */
static int
logs_close(struct logs *l, bool ok, struct cfir_err *err)
{
	struct cfir_err cerr = { 0 };
	int i, r = 0;

	for (i = 0; i < 4; i++) {
		if (l->w[i] == NULL)
			continue;
		if (!ok)
			cfir_writer_abort(l->w[i]);
		else if (cfir_writer_commit(l->w[i], &cerr) < 0 && r == 0) {
			*err = cerr;
			r = -1;
		}
		l->w[i] = NULL;
	}
	return r;
}

static cJSON *
tail_json(struct logs *l, bool tty)
{
	cJSON *a = cJSON_CreateArray();
	size_t i, idx;

	for (i = 0; i < 4; i++)
		if (l->cur[i].len > 0)
			tail_push(l, &l->cur[i]);
	for (i = 0; i < l->count; i++) {
		struct line *ln;
		cJSON *o = cJSON_CreateObject();
		const char *sp;

		idx = (l->head + l->nring - l->count + i) % l->nring;
		ln = &l->ring[idx];
		cfir_json_add_str(o, "stream", tty ? "tty" : ln->stream == 2 ? "stderr" : "stdout");
		/* timestamps=1: "2026-11-28T21:30:00.123456789Z text" */
		sp = memchr(ln->buf, ' ', ln->len);
		if (sp != NULL && sp - ln->buf >= 20 && sp - ln->buf < 40 && ln->buf[4] == '-' &&
		    sp[-1] == 'Z') {
			cfir_json_add_bytes(o, "time", ln->buf, (size_t)(sp - ln->buf));
			cfir_json_add_bytes(o, "line", sp + 1, ln->len - (size_t)(sp - ln->buf) - 1);
		} else {
			cfir_json_add_bytes(o, "line", ln->buf, ln->len);
		}
		if (ln->cut)
			cJSON_AddBoolToObject(o, "cut", true);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static int
take_logs(struct cfir_engine *e, struct cfir_bag *bag, const struct cfir_target *t,
	  size_t tail, cJSON *details, cJSON **tailj, struct cfir_err *err)
{
	cleanup_free char *path = NULL;
	struct logs l = { .bag = bag };
	struct cfir_demux d = { .out = on_log, .ctx = &l };
	uint64_t bytes = 0;
	cJSON *lj;
	int r;

	l.nring = tail;
	l.ring = tail ? calloc(tail, sizeof(*l.ring)) : NULL;
	if ((tail && l.ring == NULL) ||
	    asprintf(&path, "/containers/%s/logs?stdout=1&stderr=1&timestamps=1", t->id) < 0)
		return cfir_err_set(err, EX_OSERR, 0, "out of memory");
	/* the files exist even when a stream said nothing: that is a finding too */
	if (t->tty)
		r = cfir_writer_open(bag, "engine", "tty.log", &l.w[CFIR_STREAM_STDOUT], err);
	else
		r = open_stream(&l, CFIR_STREAM_STDOUT, err) < 0 ? -1 :
		    open_stream(&l, CFIR_STREAM_STDERR, err);
	if (r == 0)
		r = cfir_engine_stream(e, path, t->tty ? on_raw : on_demux,
				       t->tty ? (void *)&l : (void *)&d, &bytes, err);
	if (r == 0 && !t->tty)
		r = cfir_demux_finish(&d, err);
	if (logs_close(&l, r == 0, err) < 0)
		r = -1;
	lj = cJSON_AddObjectToObject(details, "logs");
	cJSON_AddBoolToObject(lj, "tty", t->tty);
	cfir_json_add_num(lj, "stream_bytes", (double)bytes);
	if (!t->tty) {
		cfir_json_add_num(lj, "frames", (double)d.frames);
		cfir_json_add_num(lj, "stdout_bytes", (double)d.bytes[CFIR_STREAM_STDOUT]);
		cfir_json_add_num(lj, "stderr_bytes", (double)d.bytes[CFIR_STREAM_STDERR]);
		if (d.raw)
			cfir_json_add_num(lj, "undecoded_bytes", (double)d.bytes[CFIR_STREAM_RAW]);
	}
	*tailj = tail_json(&l, t->tty);
	free(l.ring);
	return r;
}

/* One engine reply, byte for byte, as an artifact. */
static int
take_reply(struct cfir_engine *e, struct cfir_bag *bag, const char *path,
	   const char *name, struct cfir_err *err)
{
	cleanup_free char *reply = NULL;
	size_t len = 0;

	if (cfir_engine_call(e, "GET", path, NULL, &reply, &len, err) < 0)
		return cfir_err_wrap(err, "%s", name);
	return cfir_bag_add_buffer(bag, "engine", name, reply, len, err);
}

/* One of the pod's log files into the bag, byte for byte, and its CRI lines summarized. */
static int
take_pod_log(struct cfir_bag *bag, const struct cfir_podlogs *pl, size_t i, cJSON *files, struct cfir_err *err)
{
	char buf[16384];
	struct cfir_crilog_summary sum;
	struct cfir_writer *w = NULL;
	struct stat st;
	cleanup_close int fd = cfir_podlogs_file_open(pl, i, &st, err);
	cJSON *f;
	ssize_t n;

	if (fd < 0 || cfir_writer_open(bag, "pod-logs", pl->v[i].name, &w, err) < 0)
		return -1;
	cfir_crilog_summary_init(&sum);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (cfir_writer_write(w, buf, (size_t)n, err) < 0) {
			cfir_writer_abort(w);
			return -1;
		}
		if (!pl->v[i].compressed)
			cfir_crilog_summary_feed(&sum, buf, (size_t)n);
	}
	if (n < 0) {
		cfir_writer_abort(w);
		return cfir_err_set(err, EX_IOERR, errno, "pod log '%s'", pl->v[i].name);
	}
	cfir_crilog_summary_end(&sum);
	f = cJSON_CreateObject();
	cfir_json_add_bytes(f, "file", pl->v[i].name, strlen(pl->v[i].name));
	cfir_json_add_str(f, "artifact", cfir_writer_path(w));
	if (!pl->v[i].compressed)
		cJSON_AddItemToObject(f, "summary", cfir_crilog_summary_json(&sum));
	cJSON_AddItemToArray(files, f);
	return cfir_writer_commit(w, err);
}

static void
title(struct cfir_text *t, const cJSON *rec)
{
	tool_title(t, "inspected", rec);
	cfir_text_printf(t, " into %s", cfir_json_str(rec, "bag"));
}

static void
command(struct cfir_text *t, const cJSON *rec)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(rec, "command"))
		cfir_text_printf(t, "%s%s", a == cJSON_GetObjectItemCaseSensitive(rec, "command")->child ? "" : " ",
				 a->valuestring);
}

static const struct cfir_field fields[] = {
	{ "state", "state", CFIR_FMT_STR, 0, 0, NULL },
	{ "pid", "pid", CFIR_FMT_NUM, 0, 0, NULL },
	{ "image", "image", CFIR_FMT_STR, 0, 0, NULL },
	{ "command", "command", CFIR_FMT_STR, 0, 0, command },
	{ "rootfs.upperdir", "upperdir", CFIR_FMT_STR, 0, CFIR_FIELD_PRESENT, NULL },
	{ "rootfs_check", "rootfs", CFIR_FMT_BYTES, 0, CFIR_FIELD_PRESENT, NULL },
	{ 0 },
};

static const struct cfir_view view = { title, fields };

static const struct cfir_field tail_cols[] = {
	{ "stream", "STREAM", CFIR_FMT_STR, 6, 0, NULL },
	{ "line", "LOG", CFIR_FMT_BYTES, 0, 0, NULL },
	{ 0 },
};

static int
output(struct cfir_out *o, const cJSON *rec)
{
	const cJSON *a;

	if (cfir_out_record(o, rec, &view) < 0)
		return -1;
	if (o->format == CFIR_FORMAT_JSON)
		return 0;
	tool_artifacts(o, cJSON_GetObjectItemCaseSensitive(rec, "artifacts"));
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(rec, "log_tail"))
		cfir_out_row(o, a, tail_cols);
	return ferror(o->fp) ? -1 : 0;
}

/* Path and Args (the engine's), else process.args (the spec's): what the container runs. */
static cJSON *
command_json(const struct cfir_target *t)
{
	const cJSON *path = cJSON_GetObjectItemCaseSensitive(t->inspect, "Path");
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(t->inspect, "Args"), *a;
	cJSON *cmd = cJSON_CreateArray();
	size_t i;

	for (i = 0; t->inspect == NULL && t->oci != NULL && i < t->oci->args.n; i++)
		cJSON_AddItemToArray(cmd, cJSON_CreateString(t->oci->args.v[i]));

	if (cJSON_IsString(path))
		cJSON_AddItemToArray(cmd, cJSON_CreateString(path->valuestring));
	cJSON_ArrayForEach(a, args)
		if (cJSON_IsString(a))
			cJSON_AddItemToArray(cmd, cJSON_CreateString(a->valuestring));
	return cmd;
}

static void
init(void *opts)
{
	((struct inspect_opts *)opts)->tail = 5;
}

/* The layer is told, not required: inspect takes the engine's view whatever it finds. */
static int
prepare(struct tool_step *s, void *opts, int argc, char **argv)
{
	struct cfir_err err = { 0 };

	(void)opts, (void)argc, (void)argv;
	s->details = cJSON_CreateObject();
	if (cfir_target_rootfs(s->t, "/proc", &err) < 0) {
		tool_warn(s, "%s", cfir_err_str(&err));
		cfir_json_add_str(s->details, "rootfs_error", err.msg);
	}
	return 0;
}

/* Each artifact is taken whatever became of the one before. */
struct tally {
	struct tool_step *s;
	struct cfir_err first;
	int ok, failed;
};

static void
tally(struct tally *y, int r, struct cfir_err *err)
{
	if (r == 0) {
		y->ok++;
		return;
	}
	if (y->failed++ == 0)
		y->first = *err;
	tool_warn(y->s, "%s", cfir_err_str(err));
	cfir_err_clear(err);
}

/*
 * The pod's identity is the container's annotations' word: its sandbox, a
 * container of its own the runtime lists, must say the same (a container
 * that copies another pod's names gets no other pod's logs unsaid).
 */
static const char *
pod_confirmed(const struct cfir_target *t)
{
	struct cfir_runtime_list l;
	const struct cfir_runtime_entry *sb = NULL;
	struct cfir_err ierr = { 0 };
	const char *why;

	if (t->k8s_sandbox_id == NULL)
		return "no sandbox named";
	if (cfir_runtime_list(NULL, NULL, &l, &ierr) < 0)
		return "the runtime state cannot be read";
	if (cfir_runtime_find(&l, t->k8s_sandbox_id, &sb, &ierr) < 0 || strcmp(sb->id, t->k8s_sandbox_id) != 0)
		why = "its sandbox is not on this host";
	else if (!sb->sandbox || sb->k8s_ns == NULL || sb->k8s_pod == NULL || sb->k8s_uid == NULL ||
		 t->k8s_ns == NULL || t->k8s_uid == NULL || strcmp(sb->k8s_ns, t->k8s_ns) != 0 ||
		 strcmp(sb->k8s_pod, t->k8s_pod) != 0 || strcmp(sb->k8s_uid, t->k8s_uid) != 0)
		why = "its sandbox names another pod";
	else
		why = NULL;
	cfir_runtime_list_free(&l);
	return why;
}

/* A Kubernetes container's logs as the kubelet keeps them, each file whole. */
static int
take_pod_logs(struct cfir_bag *bag, const struct cfir_target *t, cJSON *details, struct tally *y)
{
	struct cfir_podlogs_id id = { t->k8s_ns, t->k8s_pod, t->k8s_uid, t->k8s_container };
	struct cfir_podlogs pl;
	struct cfir_err err = { 0 };
	cJSON *files;
	size_t i;

	const char *unconfirmed;

	if (t->k8s_pod == NULL || t->sandbox)
		return 0;
	if ((unconfirmed = pod_confirmed(t)) != NULL) {
		tool_warn(y->s, "the pod's logs are found by the names in '%s''s annotations, which its sandbox "
			  "does not confirm (%s)", t->name, unconfirmed);
		cfir_json_add_str(details, "pod_unconfirmed", unconfirmed);
	}
	cfir_json_add_str(details, "pod_logs_by", "the container's annotations (namespace, pod, uid, container)");
	if (cfir_podlogs_open(NULL, &id, &pl, &err) < 0) {
		/* kubelet keeps no log of it here (another log path, removed): said, no failure */
		if (err.exit == EX_NOINPUT) {
			tool_warn(y->s, "%s", err.msg);
			cfir_json_add_str(details, "pod_logs_missing", err.msg);
			return 0;
		}
		tally(y, -1, &err);
		return -1;
	}
	cJSON_AddItemToObject(details, "pod_logs", cfir_podlogs_json(&pl));
	files = cJSON_AddArrayToObject(details, "pod_log_files");
	for (i = 0; i < pl.n; i++)
		tally(y, take_pod_log(bag, &pl, i, files, &err), &err);
	cfir_podlogs_close(&pl);
	return 0;
}

/* dockerd's json-file log of T on disk under ROOT, streamed whole into the bag. */
static int
take_disk_log(struct tool_step *s, int root, struct cfir_err *err)
{
	cleanup_free char *path = NULL, *name = NULL;
	cleanup_close int fd = -1;
	struct cfir_writer *w;
	static char buf[1 << 16];
	struct stat st;
	ssize_t n;

	if (asprintf(&path, "%s/containers/%s/%s-json.log", CFIR_DISK_DOCKER, s->t->id, s->t->id) < 0 ||
	    asprintf(&name, "%s-json.log", s->t->id) < 0)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "log");
	fd = cfir_disk_open(root, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		return 0;	/* another log driver, or nothing logged */
	if (fd < 0 && errno != EINVAL)
		return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "open '%s'", path);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return cfir_err_set(err, EX_DATAERR, 0, "'%s': not a log file (a regular file)", path);
	if (cfir_writer_open(s->bag, "disk", name, &w, err) < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && cfir_writer_write(w, buf, (size_t)n, err) < 0) {
			cfir_writer_abort(w);
			return -1;
		}
	if (n < 0) {
		cfir_writer_abort(w);
		return cfir_err_set(err, EX_IOERR, errno, "read '%s'", path);
	}
	return cfir_writer_commit(w, err);
}

/* What the engine kept on disk, byte for byte: a dead host's, or a silent engine's. */
static void
take_disk(struct tool_step *s, struct tally *y, cJSON *details)
{
	const struct cfir_target *t = s->t;
	struct cfir_err err = { 0 };
	const char *base;
	int root;

	if (t->disk_config_raw != NULL) {
		base = t->disk_config_name != NULL && strrchr(t->disk_config_name, '/') != NULL
			       ? strrchr(t->disk_config_name, '/') + 1 : "config";
		/* containers.json and meta.db hold every container: the name says which part */
		if (strcmp(base, "config.v2.json") != 0)
			base = "config.json";
		tally(y, cfir_bag_add_buffer(s->bag, "disk", base, t->disk_config_raw, t->disk_config_len, &err), &err);
		cfir_json_add_bytes(details, "disk_config", t->disk_config_name ? t->disk_config_name : "",
				    t->disk_config_name ? strlen(t->disk_config_name) : 0);
	}
	if (t->disk_hostconfig_raw != NULL)
		tally(y, cfir_bag_add_buffer(s->bag, "disk", "hostconfig.json", t->disk_hostconfig_raw,
					     t->disk_hostconfig_len, &err), &err);
	if (t->manager != NULL && strcmp(t->manager, "docker") == 0 && (root = tool_source_root(s->g)) >= 0) {
		tally(y, take_disk_log(s, root, &err), &err);
		close(root);
	}
}

static int
run(struct tool_step *s, void *opts, int argc, char **argv)
{
	const struct inspect_opts *o = opts;
	struct cfir_target *t = s->t;
	struct tally y = { .s = s };
	struct cfir_err err = { 0 };
	cleanup_free char *path = NULL, *img = NULL;
	cleanup_cjson cJSON *rec = NULL;
	cJSON *details = s->details, *tailj = NULL;

	(void)argc, (void)argv;
	if (t->layers != NULL || t->disk_config_raw != NULL)
		take_disk(s, &y, details);
	if (t->inspect != NULL && t->inspect_raw != NULL && s->e != NULL) {
		tally(&y, cfir_bag_add_buffer(s->bag, "engine", "inspect.json", t->inspect_raw, t->inspect_len, &err), &err);
		img = cfir_engine_escape(t->image_id ? t->image_id : "");
		if (img != NULL && asprintf(&path, "/images/%s/json", img) >= 0)
			tally(&y, take_reply(s->e, s->bag, path, "image.json", &err), &err);
		free(steal_pointer(&path));
		if (!o->no_changes && asprintf(&path, "/containers/%s/changes", t->id) >= 0)
			tally(&y, take_reply(s->e, s->bag, path, "changes.json", &err), &err);
		tally(&y, take_logs(s->e, s->bag, t, o->tail, details, &tailj, &err), &err);
	}
	/* the runtime's own files, byte for byte: beside the engine's view, or instead of it */
	if (t->config_raw != NULL)
		tally(&y, cfir_bag_add_buffer(s->bag, "runtime", "config.json", t->config_raw, t->config_len, &err), &err);
	if (t->state_raw != NULL)
		tally(&y, cfir_bag_add_buffer(s->bag, "runtime", t->state_file, t->state_raw, t->state_len, &err), &err);
	if (s->g->root == NULL)
		take_pod_logs(s->bag, t, details, &y);

	cJSON_AddItemToObject(details, "target", cfir_target_json(t));
	if (t->inspect != NULL && s->e != NULL) {
		cfir_json_add_str(details, "engine", cfir_engine_host(s->e));
		cfir_json_add_str(details, "api", cfir_engine_api(s->e));
		cfir_json_add_str(details, "server", cfir_engine_header(s->e, "Server"));
	}
	cJSON_AddBoolToObject(details, "frozen", t->paused);

	rec = cfir_target_json(t);
	cfir_json_add_str(rec, "bag", cfir_bag_dir(s->bag));
	cJSON_AddItemToObject(rec, "command", command_json(t));
	cJSON_AddItemToObject(rec, "artifacts", cJSON_Duplicate(cfir_bag_artifacts(s->bag), true));
	if (tailj != NULL)
		cJSON_AddItemToObject(rec, "log_tail", tailj);
	output(s->out, rec);
	s->some = y.ok > 0;
	if (y.failed == 0)
		return 0;
	return cfir_err_set(&s->err, y.first.exit, 0, "%d of %d artifacts incomplete; the first: %s",
			    y.failed, y.ok + y.failed, y.first.msg);
}

static const struct tool_opt opts[] = {
	TOOL_OPT_RANGE("tail", 0, TOOL_OPT_NUMBER, struct inspect_opts, tail, 0, TAIL_MAX),
	{ 0 },
};

static const char inspect_usage[] =
	"usage: cfir inspect [-h] [-o bag] [--case case] [--examiner name] [--tail lines]\n"
	"                    container\n";

const struct tool_cmd cmd_inspect = {
	.name = "inspect", .usage = inspect_usage, .needs = TOOL_TARGET | TOOL_BAG,
	.summary = "engine or runtime metadata, image, changes and logs into a bag",
	.min_args = 1, .max_args = 1, .opts = opts, .opts_size = sizeof(struct inspect_opts), .init = init,
	.prepare = prepare, .run = run,
};
