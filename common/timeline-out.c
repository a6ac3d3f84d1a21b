/* timeline-out.c - an event serialized for the sort, and written as JSON Lines or CSV */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/timeline-private.h"
#include "common/util.h"

const char *const cfir_timeline_columns[] = {
	"datetime", "timestamp", "timestamp_desc", "message", "source", "container",
	"container_name", "artifact", "path", "path_hex", "pid", "time_ns", NULL,
};

static const char *const source_names[] = {
	[TL_FILE] = "file", [TL_PROCESS] = "process", [TL_CONTAINER] = "container",
	[TL_LOG] = "log", [TL_CAPTURE] = "capture", [TL_CUSTODY] = "custody",
	[TL_FINDING] = "finding",
};

#define NO_STR UINT32_MAX

static void
put_be(struct cfir_text *r, uint64_t v, int bytes)
{
	unsigned char b[8];
	int i;

	for (i = 0; i < bytes; i++)
		b[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
	cfir_text_add(r, b, (size_t)bytes);
}

static uint64_t
get_be(const unsigned char *p, int bytes)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

static void
put_str(struct cfir_text *r, const void *s, size_t len)
{
	uint32_t n = s == NULL ? NO_STR : (uint32_t)len;

	cfir_text_add(r, &n, 4);
	if (s != NULL)
		cfir_text_add(r, s, len);
}

static void
put_cstr(struct cfir_text *r, const char *s, size_t max)
{
	put_str(r, s, s ? strnlen(s, max) : 0);
}

void
tl_event_init(struct tl *t, struct tl_event *e, enum tl_source src, const char *artifact)
{
	memset(e, 0, sizeof(*e));
	e->src = src;
	e->container = t->id ? t->id : t->dir;
	e->name = t->name;
	e->artifact = artifact;
	e->pid = -1;
}

bool
tl_add(struct tl *t, const struct tl_event *e)
{
	if (t->dead)
		return false;
	t->rec.len = 0;
	/* the sign flipped: times before 1970 sort before those after */
	put_be(&t->rec, (uint64_t)(int64_t)e->t.tv_sec ^ (UINT64_C(1) << 63), 8);
	put_be(&t->rec, (uint64_t)e->t.tv_nsec, 4);
	put_be(&t->rec, t->seq++, 8);
	cfir_text_add(&t->rec, &(uint8_t){ (uint8_t)e->src }, 1);
	cfir_text_add(&t->rec, &e->pid, sizeof(e->pid));
	put_cstr(&t->rec, e->desc, TL_MSG_MAX);
	put_cstr(&t->rec, e->msg, TL_MSG_MAX + 8);
	put_cstr(&t->rec, e->container, TL_NAME_MAX);
	put_cstr(&t->rec, e->name, TL_NAME_MAX);
	put_cstr(&t->rec, e->artifact, TL_NAME_MAX);
	put_str(&t->rec, e->path, e->pathlen);
	if (t->rec.oom) {
		t->dead = true;
		cfir_err_set(&t->fatal, EX_OSERR, ENOMEM, "timeline");
		return false;
	}
	if (cfir_extsort_add(t->sort, t->rec.p, t->rec.len, &t->fatal) < 0) {
		t->dead = true;
		return false;
	}
	t->st->events++;
	return true;
}

/* The event back from its record; strings point into it, NUL-terminated copies in BUF. */
struct tl_out {
	struct timespec t;
	enum tl_source src;
	long long pid;
	char *s[6];		/* desc, msg, container, name, artifact, path */
	size_t len[6];
};

static bool
unpack(const unsigned char *p, size_t len, struct tl_out *o, char *buf)
{
	size_t at = TL_KEY + 1 + sizeof(long long), i;
	uint32_t n;

	if (len < at)
		return false;
	o->t.tv_sec = (time_t)(int64_t)(get_be(p, 8) ^ (UINT64_C(1) << 63));
	o->t.tv_nsec = (long)get_be(p + 8, 4);
	o->src = p[TL_KEY];
	memcpy(&o->pid, p + TL_KEY + 1, sizeof(o->pid));
	for (i = 0; i < 6; i++) {
		if (at + 4 > len)
			return false;
		memcpy(&n, p + at, 4);
		at += 4;
		o->s[i] = NULL;
		o->len[i] = 0;
		if (n == NO_STR)
			continue;
		if (n > len - at)
			return false;
		memcpy(buf, p + at, n);
		buf[n] = '\0';
		o->s[i] = buf;
		o->len[i] = n;
		buf += n + 1;
		at += n;
	}
	return true;
}

void
cfir_timeline_datetime(const struct timespec *ts, char *buf)
{
	struct tm tm;

	/* the parser's years are 0 to 9999: four digits always */
	if (gmtime_r(&ts->tv_sec, &tm) == NULL || tm.tm_year > 9999 - 1900 || tm.tm_year < -1900) {
		snprintf(buf, CFIR_TIME_LEN, "@%lld", (long long)ts->tv_sec);
		return;
	}
	snprintf(buf, CFIR_TIME_LEN, "%04u-%02u-%02uT%02u:%02u:%02u.%06u+00:00",
		 (unsigned)(tm.tm_year + 1900) % 10000, (unsigned)(tm.tm_mon + 1) % 100, (unsigned)tm.tm_mday % 100,
		 (unsigned)tm.tm_hour % 100, (unsigned)tm.tm_min % 100, (unsigned)tm.tm_sec % 100,
		 (unsigned)(ts->tv_nsec / 1000) % 1000000);
}

static long long
micros(const struct timespec *ts)
{
	return (long long)ts->tv_sec * 1000000 + ts->tv_nsec / 1000;
}

/* an absent column is left out of the line */
static void
add_some(cJSON *j, const char *key, const char *s)
{
	if (s != NULL)
		cfir_json_add_str(j, key, s);
}

static int
render_json(const struct tl_out *e, FILE *out)
{
	cleanup_cjson cJSON *j = cJSON_CreateObject();
	cleanup_free char *line = NULL;
	char dt[CFIR_TIME_LEN], ns[CFIR_TIME_LEN], num[32];
	size_t n = 0;

	cfir_timeline_datetime(&e->t, dt);
	cfir_util_time_rfc3339(&e->t, ns);
	cfir_json_add_str(j, "datetime", dt);
	/* an integer as written: a double loses microseconds past 2255 and prints an exponent */
	snprintf(num, sizeof(num), "%lld", micros(&e->t));
	cJSON_AddRawToObject(j, "timestamp", num);
	add_some(j, "timestamp_desc", e->s[0]);
	add_some(j, "message", e->s[1]);
	cfir_json_add_str(j, "source", source_names[e->src]);
	add_some(j, "container", e->s[2]);
	add_some(j, "container_name", e->s[3]);
	add_some(j, "artifact", e->s[4]);
	if (e->s[5] != NULL)
		cfir_json_add_bytes(j, "path", e->s[5], e->len[5]);
	if (e->pid >= 0)
		cfir_json_add_num(j, "pid", (double)e->pid);
	cfir_json_add_str(j, "time_ns", ns);
	line = cfir_json_line(j, &n);
	if (line == NULL)
		return -1;
	return fwrite(line, 1, n, out) == n ? 0 : -1;
}

void
cfir_timeline_csv_cell(struct cfir_text *t, const void *buf, size_t len)
{
	struct cfir_text v = { 0 };
	const unsigned char *s = buf;
	size_t i;

	cfir_vis_text(&v, buf, len, 0);
	cfir_text_add(t, "\"", 1);
	/* OWASP's CSV injection: a cell a spreadsheet would take for a formula */
	if ((len > 0 && (s[0] == '\t' || s[0] == '\r')) ||
	    (v.len > 0 && strchr("=+-@", v.p[0]) != NULL))
		cfir_text_add(t, "'", 1);
	for (i = 0; i < v.len; i++)
		cfir_text_add(t, v.p[i] == '"' ? "\"\"" : v.p + i, v.p[i] == '"' ? 2 : 1);
	cfir_text_add(t, "\"", 1);
	free(v.p);
}

static void
csv_str(struct cfir_text *t, const char *s, size_t len, bool last)
{
	if (s != NULL)
		cfir_timeline_csv_cell(t, s, len);
	cfir_text_add(t, last ? "\n" : ",", 1);
}

static void
csv_hex(struct cfir_text *t, const struct tl_out *e)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	/* as JSON has it: only when the path is no clean text */
	if (e->s[5] == NULL || (cfir_utf8_valid(e->s[5], e->len[5]) && memchr(e->s[5], '\0', e->len[5]) == NULL)) {
		cfir_text_add(t, ",", 1);
		return;
	}
	cfir_text_add(t, "\"", 1);
	for (i = 0; i < e->len[5]; i++) {
		cfir_text_add(t, hex + ((unsigned char)e->s[5][i] >> 4), 1);
		cfir_text_add(t, hex + ((unsigned char)e->s[5][i] & 15), 1);
	}
	cfir_text_add(t, "\",", 2);
}

static int
render_csv(const struct tl_out *e, FILE *out)
{
	struct cfir_text t = { 0 };
	char dt[CFIR_TIME_LEN], ns[CFIR_TIME_LEN], num[32];
	int r;

	cfir_timeline_datetime(&e->t, dt);
	cfir_util_time_rfc3339(&e->t, ns);
	csv_str(&t, dt, strlen(dt), false);
	snprintf(num, sizeof(num), "%lld", micros(&e->t));
	/* cfir's own number: a time before 1970 is negative, not a formula */
	cfir_text_printf(&t, "\"%s\",", num);
	csv_str(&t, e->s[0], e->len[0], false);
	csv_str(&t, e->s[1], e->len[1], false);
	csv_str(&t, source_names[e->src], strlen(source_names[e->src]), false);
	csv_str(&t, e->s[2], e->len[2], false);
	csv_str(&t, e->s[3], e->len[3], false);
	csv_str(&t, e->s[4], e->len[4], false);
	csv_str(&t, e->s[5], e->len[5], false);
	csv_hex(&t, e);
	snprintf(num, sizeof(num), "%lld", e->pid);
	csv_str(&t, e->pid >= 0 ? num : NULL, strlen(num), false);
	csv_str(&t, ns, strlen(ns), true);
	r = t.oom || fwrite(t.p, 1, t.len, out) != t.len ? -1 : 0;
	free(t.p);
	return r;
}

void
tl_csv_header(FILE *out)
{
	size_t i;

	for (i = 0; cfir_timeline_columns[i] != NULL; i++)
		fprintf(out, "%s%s", i ? "," : "", cfir_timeline_columns[i]);
	fputc('\n', out);
}

int
tl_render(const void *rec, size_t len, FILE *out, enum cfir_tl_format format)
{
	cleanup_free char *buf = malloc(len + 6);
	struct tl_out e;

	if (buf == NULL || !unpack(rec, len, &e, buf) || e.src > TL_FINDING)
		return -1;
	return format == CFIR_TL_CSV ? render_csv(&e, out) : render_json(&e, out);
}

void
tl_msg_add(struct cfir_text *m, const void *buf, size_t len)
{
	const char *p = buf, *z;
	size_t room, n;

	while (len > 0 && m->len < TL_MSG_MAX) {
		room = TL_MSG_MAX - m->len;
		z = memchr(p, '\0', len);
		n = z ? (size_t)(z - p) : len;
		if (n > room)
			n = room;
		cfir_text_add(m, p, n);
		p += n;
		len -= n;
		if (len > 0 && *p == '\0') {
			cfir_text_add(m, "\xef\xbf\xbd", 3);
			p++;
			len--;
		}
	}
}
