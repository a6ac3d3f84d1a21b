/* test_report.c - HTML escaping, the bag's streamed documents read back, a page and an index */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bagread.h"
#include "common/cleanup.h"
#include "common/html.h"
#include "common/report.h"
#include "tests/unit/unit.h"

static char *
esc(const char *s, size_t len, size_t max)
{
	struct cfir_text t = { 0 };

	cfir_html_escape(&t, s, len, max);
	return t.p ? t.p : strdup("");
}

static void
test_html_escape(void)
{
	char *s;

	s = esc("<script>alert(1)</script>", 25, 0);
	CHECK_STR(s, "&lt;script&gt;alert(1)&lt;/script&gt;");
	free(s);
	s = esc("<img src=x onerror=\"a('b')\">&", 29, 0);
	CHECK_STR(s, "&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;");
	free(s);
	/* invalid UTF-8, a bidi override, a newline and an escape: visible, inert */
	s = esc("a\xff\xe2\x80\xae" "b\n\x1b[1m", 11, 0);
	CHECK_STR(s, "a\\xff\\u{202e}b\\n\\x1b[1m");
	free(s);
	/* cut after MAX characters of the visible form, the whole length said */
	s = esc("abcdef", 6, 3);
	CHECK_STR(s, "abc\xe2\x80\xa6 (6 bytes in all)");
	free(s);
	s = esc("\xc3\xa9\xc3\xa9\xc3\xa9", 6, 2);
	CHECK_STR(s, "\xc3\xa9\xc3\xa9\xe2\x80\xa6 (6 bytes in all)");
	free(s);
}

struct got {
	char names[8][16];
	size_t n;
};

static int
got(void *ctx, const cJSON *j)
{
	struct got *g = ctx;
	const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(j, "p"));

	if (g->n < 8)
		snprintf(g->names[g->n++], 16, "%s", p ? p : "?");
	return 0;
}

static void
stream(const char *doc, struct got *g, cJSON **rest, struct cfir_bagread_stats *st, int *r)
{
	struct cfir_err err = { 0 };

	memset(g, 0, sizeof(*g));
	memset(st, 0, sizeof(*st));
	*r = cfir_bagread_stream_buf(doc, strlen(doc), "entries", 1 << 16, got, g, rest, st, &err);
}

static void
test_bagread_stream(void)
{
	/* diff.json's layout and one line: the same elements, the same rest */
	static const char *const docs[] = {
		"{\"c\":\"x\",\"entries\":[\n{\"p\":\"a\"},\n{\"p\":\"],[\\\"\"}\n],\"tail\":1}\n",
		"{\"c\":\"x\",\"entries\":[{\"p\":\"a\"},{\"p\":\"],[\\\"\"}],\"tail\":1}",
	};
	struct cfir_bagread_stats st;
	cJSON *rest = NULL;
	struct got g;
	size_t i;
	int r;

	for (i = 0; i < 2; i++) {
		stream(docs[i], &g, &rest, &st, &r);
		CHECK(r == 0 && g.n == 2 && st.items == 2 && st.bad == 0);
		CHECK_STR(g.names[0], "a");
		CHECK_STR(g.names[1], "],[\"");
		CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(rest, "entries")) == 0);
		CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(rest, "tail")) == 1);
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(rest, "c")), "x");
		cJSON_Delete(rest);
	}
	/* the key inside an element, or as a value, is not the streamed array */
	stream("{\"k\":\"entries\",\"x\":{\"entries\":[{\"p\":\"no\"}]},\"entries\":[{\"p\":\"yes\"},3]}",
	       &g, &rest, &st, &r);
	CHECK(r == 0 && g.n == 1 && st.bad == 1);
	CHECK_STR(g.names[0], "yes");
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(rest, "x"), "entries")) == 1);
	cJSON_Delete(rest);
	/* cut short: what was whole is handed on, the rest is no object */
	stream("{\"entries\":[{\"p\":\"a\"},{\"p\":", &g, &rest, &st, &r);
	CHECK(r == 0 && g.n == 1 && rest == NULL && st.bad >= 1);
	/* more closing than opening is no JSON object */
	stream("]}", &g, &rest, &st, &r);
	CHECK(r == -1 && rest == NULL);
}

static void
test_bagread_bounds(void)
{
	struct cfir_err err = { 0 };
	struct got g = { 0 };
	char big[300];
	int r;

	memset(big, 'a', sizeof(big));
	memcpy(big, "{\"entries\":[{\"p\":\"", 18);
	memcpy(big + sizeof(big) - 4, "\"}]}", 4);
	r = cfir_bagread_stream_buf(big, sizeof(big), "entries", 100, got, &g, NULL, NULL, &err);
	CHECK(r == -1 && err.exit == EX_DATAERR && g.n == 0);
}

/* a small bag: the fixture's files, a hostile name in its diff, no manifest */
static char *
make_bag(void)
{
	char *dir = NULL, *cmd = NULL;
	FILE *f;

	if (asprintf(&dir, "%s/bag", unit_tmpdir()) < 0 ||
	    asprintf(&cmd, "cp -a tests/fixtures/timeline %s", dir) < 0 || system(cmd) != 0) {
		free(cmd);
		return dir;
	}
	free(cmd);
	if (asprintf(&cmd, "%s/data/abc123def456/fs/diff.json", dir) >= 0 && (f = fopen(cmd, "w")) != NULL) {
		fputs("{\"entries\":[\n{\"path\":\"/tmp/<script>x</script>\",\"kind\":\"A\",\"type\":\"file\","
		      "\"mode\":\"4755\",\"flags\":[\"setuid\"],\"sha256\":\"<b>\"}\n]}\n", f);
		fclose(f);
	}
	free(cmd);
	return dir;
}

static void
test_report_page(void)
{
	cleanup_free char *dir = make_bag(), *html = NULL;
	struct cfir_report_opts o = { .dir = dir, .href = "bag/", .now = "2026-11-30T12:00:00Z" };
	struct cfir_report_summary sum;
	struct cfir_err err = { 0 };
	size_t len = 0;
	FILE *f = open_memstream(&html, &len);
	int r;

	r = cfir_report_write(f, &o, &sum, &err);
	fclose(f);
	CHECK(r == 0);
	/* the fixture has no manifests: it fails verification, at the top */
	CHECK(!sum.verified && sum.failed > 0);
	CHECK(html != NULL && strstr(html, "<header class=\"top bad\"") != NULL);
	CHECK(html != NULL && strstr(html, "EVIDENCE FAILED VERIFICATION") != NULL);
	CHECK(html != NULL && strstr(html, "&lt;script&gt;x&lt;/script&gt;") != NULL);
	CHECK(html != NULL && strstr(html, "<script") == NULL && strstr(html, "<b>") == NULL);
	CHECK(html != NULL && strstr(html, "<section id=\"custody\">") != NULL);
	CHECK(html != NULL && strstr(html, "Content-Security-Policy") != NULL);
	/* the fixture's one process, and its finding counted */
	CHECK(html != NULL && strstr(html, "<div class=\"proc") != NULL);
	CHECK(sum.findings >= 1 && sum.worst >= 0);
}

static void
test_report_index(void)
{
	struct cfir_report_summary good = { .verified = true, .sealed = true, .worst = 1 };
	struct cfir_report_summary bad = { .verified = false, .worst = 4 };
	struct cfir_report_row rows[] = {
		{ .bag = "a", .page = "a-report.html", .sum = &good },
		{ .bag = "b<i>", .page = "b<i>-report.html", .sum = &bad },
		{ .bag = "c", .page = "c-report.html", .error = "not a bag" },
	};
	cleanup_free char *html = NULL;
	struct cfir_err err = { 0 };
	size_t len = 0;
	FILE *f = open_memstream(&html, &len);
	char *a, *b, *c;

	CHECK(cfir_report_index(f, "case", rows, 3, "2026-11-30T12:00:00Z", &err) == 0);
	fclose(f);
	a = html ? strstr(html, "href=\"a-report.html\"") : NULL;
	b = html ? strstr(html, "href=\"b%3Ci%3E-report.html\"") : NULL;
	c = html ? strstr(html, "href=\"c-report.html\"") : NULL;
	/* the unreadable bag, then the failed one, then the good one */
	CHECK(a != NULL && b != NULL && c != NULL && c < b && b < a);
	CHECK(html != NULL && strstr(html, "b&lt;i&gt;") != NULL && strstr(html, "<i>") == NULL);
}

UNIT_SUITE(report_tests) = {
	{ "html_escape", test_html_escape },
	{ "bagread_stream", test_bagread_stream },
	{ "bagread_bounds", test_bagread_bounds },
	{ "report_page", test_report_page },
	{ "report_index", test_report_index },
	UNIT_END,
};
