/* timeline-log.c - the container's log lines, each at its own time, and its captures' first and last packets */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/bagread.h"
#include "common/cleanup.h"
#include "common/pcapsum.h"
#include "common/podlogs.h"
#include "common/timeline-private.h"
#include "common/util.h"

#define LOG_LINE (1u << 20)	/* Docker splits a line at 16 KiB; a longer one is the bag's doing */
#define NAMES_MAX 4096		/* files of one log directory */

bool
cfir_timeline_logline(const char *line, size_t len, struct timespec *ts, const char **text,
		      size_t *tlen)
{
	const char *sp = memchr(line, ' ', len);
	size_t tl = sp ? (size_t)(sp - line) : len;

	if (tl > 64 || !cfir_util_time_parse(line, tl, ts))
		return false;
	*text = sp ? sp + 1 : line + len;
	*tlen = sp ? len - tl - 1 : 0;
	return true;
}

bool
cfir_timeline_jsonlog(const cJSON *j, struct timespec *ts, const char **text, const char **stream)
{
	const char *time = cfir_json_str(j, "time");

	*text = cfir_json_str(j, "log");
	*stream = cfir_json_str(j, "stream");
	if (*stream == NULL)
		*stream = "-";
	return *text != NULL && time != NULL && strlen(time) <= 64 &&
	       cfir_util_time_parse(time, strlen(time), ts);
}

struct log {
	struct tl *t;
	const char *artifact;
	const char *stream;	/* the engine's log's stream, from its name */
	struct cfir_text m;
};

/* A log line's event: "STREAM: TEXT", the text cut at TL_MSG_MAX. */
static int
log_event(struct log *l, const struct timespec *ts, const char *stream, const char *text, size_t len,
	  bool partial)
{
	struct tl_event e;

	if (len > 0 && text[len - 1] == '\n')
		len--;
	l->m.len = 0;
	tl_msg_add(&l->m, stream, strlen(stream));
	tl_msg_add(&l->m, ": ", 2);
	tl_msg_add(&l->m, text, len);
	if (partial)
		tl_msg_add(&l->m, " [partial]", 10);
	cfir_text_add(&l->m, "", 1);
	if (l->m.oom)
		return -1;
	tl_event_init(l->t, &e, TL_LOG, l->artifact);
	e.t = *ts;
	e.desc = "Log Time";
	e.msg = l->m.p;
	return tl_add(l->t, &e) ? 0 : -1;
}

static int
engine_line(void *ctx, char *line, size_t len)
{
	struct log *l = ctx;
	struct timespec ts;
	const char *text;
	size_t tlen;

	if (len == 0)
		return 0;
	if (!cfir_timeline_logline(line, len, &ts, &text, &tlen)) {
		l->t->st->untimed++;
		return 0;
	}
	return log_event(l, &ts, l->stream, text, tlen, false);
}

static int
cri_line(void *ctx, char *line, size_t len)
{
	struct log *l = ctx;
	struct cfir_crilog_line c;

	if (len == 0)
		return 0;
	if (cfir_crilog_parse(line, len, &c, NULL) < 0) {
		l->t->st->untimed++;
		return 0;
	}
	return log_event(l, &c.time, c.stream == CFIR_CRILOG_STDERR ? "stderr" : "stdout", c.msg, c.msg_len,
			 c.partial);
}

static int
json_line(void *ctx, const cJSON *j)
{
	struct log *l = ctx;
	struct timespec ts;
	const char *text, *stream;

	if (!cfir_timeline_jsonlog(j, &ts, &text, &stream)) {
		l->t->st->untimed++;
		return 0;
	}
	return log_event(l, &ts, stream, text, strlen(text), false);
}

/* One log file of the container: its lines by FN (text) or JFN (JSON Lines). */
static void
log_file(struct tl *t, const char *path, const char *stream, cfir_util_line_fn fn, cfir_bagread_json_fn jfn)
{
	cleanup_close int fd = cfir_bagread_open(t->bagfd, path);
	struct log l = { t, path, stream, { 0 } };
	struct cfir_bagread_stats bs = { 0 };
	struct cfir_err e = { 0 };
	int r;

	if (fd < 0) {
		if (errno != ENOENT) {
			cfir_err_set(&e, cfir_err_sys_exit(errno), errno, "'%s'", path);
			tl_fail(t, &e);
		}
		return;
	}
	r = fn != NULL ? cfir_util_lines_cut(fd, LOG_LINE, fn, &l, &t->st->cut, &e)
		       : cfir_bagread_jsonl(fd, LOG_LINE, jfn, &l, &bs, &e);
	if (r != 0)
		tl_read_failed(t, &e, path);
	t->st->untimed += bs.bad;
	free(l.m.p);
}

/* The regular names of data/<dir>/SUB, sorted; none when it is absent. */
static size_t
list_dir(struct tl *t, const char *sub, char ***names)
{
	cleanup_free char *rel = NULL;

	*names = NULL;
	if (asprintf(&rel, "data/%s/%s", t->dir, sub) < 0)
		return 0;
	return cfir_bagread_names(t->bagfd, rel, NULL, NAMES_MAX, names);
}

static bool
ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);

	return n >= k && strcmp(s + n - k, tail) == 0;
}

/* pod-logs/ (CRI lines, as inspect keeps a pod's) and disk/ (dockerd's json-file log) */
static void
dir_logs(struct tl *t, const char *sub)
{
	char **names, *path;
	size_t n = list_dir(t, sub, &names), i;
	bool cri = strcmp(sub, "pod-logs") == 0;

	for (i = 0; i < n && !t->dead; i++) {
		if (cri && ends_with(names[i], ".gz")) {
			t->st->compressed++;
			continue;
		}
		if ((!cri && !ends_with(names[i], "-json.log")) ||
		    asprintf(&path, "data/%s/%s/%s", t->dir, sub, names[i]) < 0)
			continue;
		log_file(t, path, NULL, cri ? cri_line : NULL, cri ? NULL : json_line);
		free(path);
	}
	cfir_util_free_strv(names, n);
}

void
tl_logs(struct tl *t)
{
	static const char *const streams[] = { "stdout", "stderr", "tty" };
	char *path;
	size_t i;

	for (i = 0; i < 3 && !t->dead; i++) {
		if (asprintf(&path, "data/%s/engine/%s.log", t->dir, streams[i]) < 0)
			continue;
		log_file(t, path, streams[i], engine_line, NULL);
		free(path);
	}
	if (!t->dead)
		dir_logs(t, "pod-logs");
	if (!t->dead)
		dir_logs(t, "disk");
}

/* One capture's first and last packets (one event when they are at one time). */
static void
capture(struct tl *t, const char *path, const char *name)
{
	cleanup_close int fd = cfir_bagread_open(t->bagfd, path);
	struct cfir_pcap_summary sum;
	struct cfir_err e = { 0 };
	struct cfir_text m = { 0 };
	struct tl_event ev;
	bool one;

	if (fd < 0)
		cfir_err_set(&e, cfir_err_sys_exit(errno), errno, "open");
	if (fd < 0 || cfir_pcap_summarize(fd, 0, &sum, &e) < 0) {
		tl_read_failed(t, &e, path);
		return;
	}
	if (sum.packets > 0) {
		one = sum.first.tv_sec == sum.last.tv_sec && sum.first.tv_nsec == sum.last.tv_nsec;
		cfir_text_printf(&m, "Capture %s: %llu packets, %llu bytes%s", name, (unsigned long long)sum.packets,
				 (unsigned long long)sum.bytes, sum.cut ? " (cut short)" : "");
		cfir_text_add(&m, "", 1);
		tl_event_init(t, &ev, TL_CAPTURE, path);
		ev.msg = m.p ? m.p : "";
		ev.t = sum.first;
		ev.desc = one ? "First Packet Time; Last Packet Time" : "First Packet Time";
		if (!m.oom && tl_add(t, &ev) && !one) {
			ev.t = sum.last;
			ev.desc = "Last Packet Time";
			tl_add(t, &ev);
		}
	}
	free(m.p);
	cfir_pcap_summary_free(&sum);
}

void
tl_captures(struct tl *t)
{
	char **names, *path;
	size_t n = list_dir(t, "net", &names), i;

	for (i = 0; i < n && !t->dead; i++) {
		if (!ends_with(names[i], ".pcap") || asprintf(&path, "data/%s/net/%s", t->dir, names[i]) < 0)
			continue;
		capture(t, path, names[i]);
		free(path);
	}
	cfir_util_free_strv(names, n);
}
