/* test_timeline.c - the external sort, the CSV cell, log lines and a bag's events */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/extsort.h"
#include "common/timeline.h"
#include "common/util.h"
#include "tests/unit/unit.h"

struct seen {
	unsigned char last[4];
	size_t n;
	bool sorted, stable;
	unsigned last_seq;
};

static int
seen_rec(void *ctx, const void *rec, size_t len)
{
	struct seen *s = ctx;
	unsigned seq;

	if (len != 12)
		s->sorted = false;
	memcpy(&seq, (const char *)rec + 4, sizeof(seq));
	if (s->n > 0 && memcmp(s->last, rec, 4) > 0)
		s->sorted = false;
	if (s->n > 0 && memcmp(s->last, rec, 4) == 0 && seq < s->last_seq)
		s->stable = false;
	memcpy(s->last, rec, 4);
	s->last_seq = seq;
	s->n++;
	return 0;
}

/* N records of a 4-byte key (many equal) and their order added, through a sorter of CHUNK bytes */
static size_t
sort_some(size_t n, size_t chunk, struct seen *s)
{
	struct cfir_extsort *x = cfir_extsort_new(4, chunk, unit_tmpdir());
	struct cfir_err err = { 0 };
	unsigned char rec[12];
	size_t i, runs;
	unsigned v = 12345;

	memset(s, 0, sizeof(*s));
	s->sorted = s->stable = true;
	for (i = 0; i < n; i++) {
		v = v * 1103515245 + 12345;
		rec[0] = (unsigned char)(v >> 24);
		rec[1] = (unsigned char)(v >> 16) & 3;	/* ties */
		rec[2] = rec[3] = 0;
		memcpy(rec + 4, &(unsigned){ (unsigned)i }, sizeof(unsigned));
		memset(rec + 8, 'x', 4);
		CHECK(cfir_extsort_add(x, rec, sizeof(rec), &err) == 0);
	}
	CHECK(cfir_extsort_finish(x, seen_rec, s, &err) == 0);
	runs = cfir_extsort_runs(x);
	cfir_extsort_free(x);
	return runs;
}

static void
test_extsort_memory(void)
{
	struct seen s;

	CHECK(sort_some(1000, 1 << 20, &s) == 0);
	CHECK(s.n == 1000 && s.sorted && s.stable);
}

static void
test_extsort_runs(void)
{
	struct seen s;
	size_t runs = sort_some(20000, 2048, &s);

	/* more runs than one merge takes: merged in a cascade */
	CHECK(runs > CFIR_EXTSORT_FANIN);
	CHECK(s.n == 20000 && s.sorted && s.stable);
}

static char *
cell(const char *s, size_t n)
{
	struct cfir_text t = { 0 };

	cfir_timeline_csv_cell(&t, s, n);
	cfir_text_add(&t, "", 1);
	return t.p;
}

static void
test_timeline_csv_cell(void)
{
	char *c;

	CHECK_STR(c = cell("plain", 5), "\"plain\""); free(c);
	CHECK_STR(c = cell("a\"b", 3), "\"a\"\"b\""); free(c);
	CHECK_STR(c = cell("=1+1", 4), "\"'=1+1\""); free(c);
	CHECK_STR(c = cell("-2", 2), "\"'-2\""); free(c);
	CHECK_STR(c = cell("@x", 2), "\"'@x\""); free(c);
	CHECK_STR(c = cell("\tx", 2), "\"'\\tx\""); free(c);
	CHECK_STR(c = cell("a\r\nb", 4), "\"a\\r\\nb\""); free(c);
	CHECK_STR(c = cell("x\xe2\x80\xaey\xff", 6), "\"x\\u{202e}y\\xff\""); free(c);
	CHECK_STR(c = cell("<script>alert(1)</script>", 25), "\"<script>alert(1)</script>\""); free(c);
}

static void
test_timeline_logline(void)
{
	struct timespec ts;
	const char *text;
	size_t n;
	char dt[CFIR_TIME_LEN];
	static const char good[] = "2026-11-30T19:22:08.798383289Z connecting";

	CHECK(cfir_timeline_logline(good, strlen(good), &ts, &text, &n));
	CHECK(n == 10 && memcmp(text, "connecting", 10) == 0 && ts.tv_nsec == 798383289);
	cfir_timeline_datetime(&ts, dt);
	CHECK_STR(dt, "2026-11-30T19:22:08.798383+00:00");
	CHECK(cfir_timeline_logline("2026-11-30T19:22:08Z", 20, &ts, &text, &n) && n == 0);
	CHECK(!cfir_timeline_logline("hello world", 11, &ts, &text, &n));
	CHECK(!cfir_timeline_logline("", 0, &ts, &text, &n));
	CHECK(!cfir_timeline_logline("2026-13-30T19:22:08Z x", 22, &ts, &text, &n));
}

static void
test_timeline_jsonlog(void)
{
	cJSON *j = cJSON_Parse("{\"log\":\"hi\\n\",\"stream\":\"stderr\",\"time\":\"2026-11-30T19:22:08.5+01:00\"}");
	struct timespec ts;
	const char *text, *stream;

	CHECK(cfir_timeline_jsonlog(j, &ts, &text, &stream));
	CHECK_STR(text, "hi\n");
	CHECK_STR(stream, "stderr");
	CHECK(ts.tv_nsec == 500000000);
	cJSON_Delete(j);
	j = cJSON_Parse("{\"log\":\"hi\",\"time\":\"yesterday\"}");
	CHECK(!cfir_timeline_jsonlog(j, &ts, &text, &stream));
	cJSON_Delete(j);
}

static void
no_fail(void *ctx, const struct cfir_err *e)
{
	(void)e;
	(*(int *)ctx)++;
}

static char *
timeline_of(const char *bag, enum cfir_tl_format f, struct cfir_tl_stats *st, size_t chunk)
{
	int fails = 0;
	struct cfir_tl_opts o = { .format = f, .tmpdir = unit_tmpdir(), .chunk = chunk, .fail = no_fail, .ctx = &fails };
	struct cfir_err err = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int fd = open(bag, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	CHECK(fd >= 0 && out != NULL);
	CHECK(cfir_timeline_write(fd, out, &o, st, &err) == 0);
	CHECK(fails == 0);
	fclose(out);
	close(fd);
	return buf;
}

static void
test_timeline_bag(void)
{
	struct cfir_tl_stats st;
	char *a = timeline_of(unit_fixture("timeline"), CFIR_TL_JSONL, &st, 0);
	char *b = timeline_of(unit_fixture("timeline"), CFIR_TL_JSONL, &st, 256);
	char *line, *save = NULL;
	double last = 0;
	size_t n = 0;

	CHECK(a != NULL && b != NULL && strcmp(a, b) == 0);	/* the same through runs on disk */
	CHECK(st.events == 15 && st.untimed == 1 && st.orphans == 0 && st.runs > 1);
	for (line = strtok_r(a, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
		cJSON *j = cJSON_Parse(line);

		CHECK(cfir_json_str(j, "datetime") && cfir_json_str(j, "message") && cfir_json_str(j, "timestamp_desc"));
		CHECK(cfir_json_num(j, "timestamp") >= last);
		last = cfir_json_num(j, "timestamp");
		cJSON_Delete(j);
	}
	CHECK(n == 15);
	free(b);
	b = timeline_of(unit_fixture("timeline"), CFIR_TL_JSONL, &st, 0);
	/* equal times of a file are one event; the exact bytes of a name beside it */
	CHECK(strstr(b, "\"timestamp_desc\":\"Content Modification Time; Metadata Modification Time\"") != NULL);
	CHECK(strstr(b, "\"path_hex\":\"2f746d702fff0a\"") != NULL);
	/* the finding at its hunt's record; the pause at its confirmation; Docker's "never" left out */
	CHECK(strstr(b, "\"datetime\":\"2026-11-30T10:00:06.000000+00:00\",\"timestamp\":1796032806000000,"
			"\"timestamp_desc\":\"Finding Time\",\"message\":\"critical cap-sys-admin: CAP_SYS_ADMIN added\"") != NULL);
	CHECK(strstr(b, "\"time_ns\":\"2026-11-30T10:00:04.900000000Z\"") != NULL);
	/* a capture's first and last packets */
	CHECK(strstr(b, "\"timestamp\":1796031900000001,\"timestamp_desc\":\"First Packet Time\",\"message\":\"Capture eth0.pcap: 2 packets, 120 bytes\"") != NULL);
	CHECK(strstr(b, "\"time_ns\":\"2026-11-30T09:45:02.500000000Z\"") != NULL);
	CHECK(strstr(b, "Container Finished") == NULL && strstr(b, "/etc/gone") == NULL);
	free(a);
	free(b);
}

static void
test_timeline_csv(void)
{
	struct cfir_tl_stats st;
	char *c = timeline_of(unit_fixture("timeline"), CFIR_TL_CSV, &st, 0), *p;
	size_t lines = 0;

	for (p = c; p && *p; p++)
		lines += *p == '\n';
	CHECK(lines == 16);	/* the header and one line an event, the newline in a name escaped */
	CHECK(strncmp(c, "datetime,timestamp,timestamp_desc,message,source,", 49) == 0);
	CHECK(strstr(c, "\"stdout: =cmd|calc\"") != NULL);
	CHECK(strstr(c, "\"/tmp/\\xff\\n\",\"2f746d702fff0a\"") != NULL);
	free(c);
}

UNIT_SUITE(timeline_tests) = {
	{ "extsort_memory", test_extsort_memory },
	{ "extsort_runs", test_extsort_runs },
	{ "timeline_csv_cell", test_timeline_csv_cell },
	{ "timeline_logline", test_timeline_logline },
	{ "timeline_jsonlog", test_timeline_jsonlog },
	{ "timeline_bag", test_timeline_bag },
	{ "timeline_csv", test_timeline_csv },
	UNIT_END,
};
