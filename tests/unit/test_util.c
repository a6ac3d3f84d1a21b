/* test_util.c - the small helpers every module leans on */
#include <fcntl.h>
#include <unistd.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/cleanup.h"
#include "common/err.h"
#include "common/util.h"
#include "tests/unit/unit.h"

static void
grow(void)
{
	int *v = NULL;
	size_t cap = 0, n;

	for (n = 0; n < 5; n++) {
		CHECK(cfir_util_grow((void **)&v, &cap, n, sizeof(*v), 2, 4) == (n < 4));
		if (n < 4)
			v[n] = (int)n;
	}
	CHECK(cap == 4 && v != NULL && v[3] == 3);
	free(v);
	CHECK(CFIR_UTIL_CMP(1u, 2u) == -1 && CFIR_UTIL_CMP(2, 2) == 0 && CFIR_UTIL_CMP(UINT64_MAX, 1ull) == 1);
}

static void
notices(void)
{
	cleanup_free char *n = NULL;

	cfir_err_notice(&n, "pcap on %s: %s", "veth1", "promiscuous mode not supported");
	cfir_err_notice(&n, "second");
	CHECK_STR(n, "pcap on veth1: promiscuous mode not supported\nsecond\n");
}

struct seen_lines {
	char got[4][16];
	size_t n;
};

static int
seen_line(void *ctx, char *line, size_t len)
{
	struct seen_lines *s = ctx;

	if (s->n < 4)
		snprintf(s->got[s->n++], 16, "%.*s", (int)len, line);
	return 0;
}

static void
lines_cut(void)
{
	struct seen_lines s = { 0 };
	struct cfir_err err = { 0 };
	char path[512];
	size_t cut = 0;
	FILE *f;
	int fd, i;

	snprintf(path, sizeof(path), "%s/lines", unit_tmpdir());
	f = fopen(path, "w");
	fputs("short\n", f);
	for (i = 0; i < 100000; i++)
		fputc('x', f);
	fputs("\nnext", f);
	fclose(f);
	/* an error where every line counts */
	fd = open(path, O_RDONLY);
	CHECK(cfir_util_lines(fd, 10, seen_line, &s, &err) == -1 && err.exit == EX_DATAERR);
	close(fd);
	/* cut, counted, and on to the next line where a line is only shown */
	memset(&s, 0, sizeof(s));
	fd = open(path, O_RDONLY);
	CHECK(cfir_util_lines_cut(fd, 10, seen_line, &s, &cut, &err) == 0);
	close(fd);
	CHECK(s.n == 3 && cut == 1);
	CHECK_STR(s.got[0], "short");
	CHECK_STR(s.got[1], "xxxxxxxxxx");
	CHECK_STR(s.got[2], "next");
}

UNIT_SUITE(util_tests) = {
	{ "util: a line too long is an error, or cut and counted where it is only shown", lines_cut },
	{ "util: an array grows by doubling up to its bound, never past", grow },
	{ "err: notices for the runner, a line each", notices },
	UNIT_END
};
