/* podlogs-cri.c - the CRI log line: parsed, and a whole log summed up */
#include <string.h>

#include "common/out.h"
#include "common/podlogs.h"
#include "common/util.h"

static int
bad(const char **why, const char *what)
{
	if (why != NULL)
		*why = what;
	return -1;
}

int
cfir_crilog_parse(const char *line, size_t len, struct cfir_crilog_line *l, const char **why)
{
	const char *p, *end = line + len, *sp;

	memset(l, 0, sizeof(*l));
	if ((sp = memchr(line, ' ', len)) == NULL)
		return bad(why, "no space after the time");
	if (!cfir_util_time_parse(line, (size_t)(sp - line), &l->time))
		return bad(why, "not an RFC 3339 time");
	l->time_text = line;
	l->time_len = (size_t)(sp - line);
	p = sp + 1;
	if (end - p >= 7 && memcmp(p, "stdout ", 7) == 0)
		l->stream = CFIR_CRILOG_STDOUT;
	else if (end - p >= 7 && memcmp(p, "stderr ", 7) == 0)
		l->stream = CFIR_CRILOG_STDERR;
	else
		return bad(why, "no stdout or stderr");
	p += 7;
	/* tags: P or F first, more after a ':' */
	if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL || sp == p)
		return bad(why, "no tag");
	if ((p[0] != 'P' && p[0] != 'F') || (sp - p > 1 && p[1] != ':'))
		return bad(why, "a tag that is not P or F");
	l->partial = p[0] == 'P';
	l->msg = sp + 1;
	l->msg_len = (size_t)(end - l->msg);
	return 0;
}

void
cfir_crilog_summary_init(struct cfir_crilog_summary *s)
{
	memset(s, 0, sizeof(*s));
}

static bool
before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* The line whose head S holds is complete: counted. */
static void
line_done(struct cfir_crilog_summary *s)
{
	struct cfir_crilog_line l;
	const char *why = NULL;

	s->lines++;
	if (cfir_crilog_parse(s->head, s->head_len, &l, &why) < 0) {
		if (s->malformed++ == 0) {
			s->first_malformed = s->lines;
			s->first_why = why;
		}
	} else {
		if (l.stream == CFIR_CRILOG_STDOUT)
			s->out++;
		else
			s->err++;
		s->partial += l.partial;
		if (!s->has_time)
			s->first = l.time;
		else if (before(&l.time, &s->last))
			s->backwards++;
		s->has_time = true;
		s->last = l.time;
	}
	s->head_len = 0;
	s->line_len = 0;
}

void
cfir_crilog_summary_feed(struct cfir_crilog_summary *s, const void *buf, size_t len)
{
	const char *p = buf, *end = p + len, *nl;
	size_t n, keep;

	s->bytes += len;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		/* only the head is kept: the header is in it, the message is not needed */
		keep = n < sizeof(s->head) - s->head_len ? n : sizeof(s->head) - s->head_len;
		memcpy(s->head + s->head_len, p, keep);
		s->head_len += keep;
		s->line_len += n;
		if (nl == NULL)
			break;
		line_done(s);
		p = nl + 1;
	}
}

void
cfir_crilog_summary_end(struct cfir_crilog_summary *s)
{
	if (s->line_len == 0)
		return;
	s->unterminated = true;
	line_done(s);
}

static void
add_time(cJSON *o, const char *key, const struct timespec *ts)
{
	char buf[CFIR_TIME_LEN];

	cfir_util_time_rfc3339(ts, buf);
	cfir_json_add_str(o, key, buf);
}

cJSON *
cfir_crilog_summary_json(const struct cfir_crilog_summary *s)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cfir_json_add_num(o, "bytes", (double)s->bytes);
	cfir_json_add_num(o, "lines", (double)s->lines);
	cfir_json_add_num(o, "stdout", (double)s->out);
	cfir_json_add_num(o, "stderr", (double)s->err);
	cfir_json_add_num(o, "partial", (double)s->partial);
	cfir_json_add_num(o, "malformed", (double)s->malformed);
	if (s->malformed > 0) {
		cfir_json_add_num(o, "first_malformed_line", (double)s->first_malformed);
		cfir_json_add_str(o, "first_malformed_why", s->first_why);
	}
	if (s->has_time) {
		add_time(o, "first", &s->first);
		add_time(o, "last", &s->last);
	}
	cfir_json_add_num(o, "time_backwards", (double)s->backwards);
	cJSON_AddBoolToObject(o, "unterminated", s->unterminated);
	return o;
}
