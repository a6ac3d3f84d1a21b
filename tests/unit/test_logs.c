/* test_logs.c - the engine's framed log stream */
#include <stdlib.h>

#include "common/logs.h"
#include "tests/unit/unit.h"

struct sink {
	char out[4][256];
	size_t len[4];
};

static int
collect(void *ctx, int stream, const void *buf, size_t len, struct cfir_err *err)
{
	struct sink *s = ctx;

	(void)err;
	if (s->len[stream] + len > sizeof(s->out[0]))
		return -1;
	memcpy(s->out[stream] + s->len[stream], buf, len);
	s->len[stream] += len;
	return 0;
}

static const unsigned char frames[] = {
	1, 0, 0, 0, 0, 0, 0, 6, 'h', 'e', 'l', 'l', 'o', '\n',
	2, 0, 0, 0, 0, 0, 0, 4, 'e', 'r', 'r', '\n',
	1, 0, 0, 0, 0, 0, 0, 0,
	1, 0, 0, 0, 0, 0, 0, 3, 0xff, 0x1b, '\n',
};

static void
demux_any_split(void)
{
	size_t cut1, cut2;

	/* every way of cutting the stream in three gives the same result */
	for (cut1 = 0; cut1 <= sizeof(frames); cut1++) {
		for (cut2 = cut1; cut2 <= sizeof(frames); cut2++) {
			struct sink s = { 0 };
			struct cfir_demux d = { .out = collect, .ctx = &s };
			struct cfir_err err = { 0 };

			CHECK(cfir_demux_feed(&d, frames, cut1, &err) == 0);
			CHECK(cfir_demux_feed(&d, frames + cut1, cut2 - cut1, &err) == 0);
			CHECK(cfir_demux_feed(&d, frames + cut2, sizeof(frames) - cut2, &err) == 0);
			CHECK(cfir_demux_finish(&d, &err) == 0);
			CHECK(s.len[1] == 9 && memcmp(s.out[1], "hello\n\xff\x1b\n", 9) == 0);
			CHECK(s.len[2] == 4 && memcmp(s.out[2], "err\n", 4) == 0);
			CHECK(d.frames == 4);
			if (unit_failed_checks)
				return;
		}
	}
}

static void
demux_malformed_goes_raw(void)
{
	static const unsigned char bad[] = { 1, 0, 0, 0, 0, 0, 0, 2, 'o', 'k',
					     'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'X', 'Y' };
	struct sink s = { 0 };
	struct cfir_demux d = { .out = collect, .ctx = &s };
	struct cfir_err err = { 0 };

	CHECK(cfir_demux_feed(&d, bad, sizeof(bad), &err) == 0);
	CHECK(cfir_demux_finish(&d, &err) < 0 && err.exit == EX_DATAERR);
	CHECK(s.len[1] == 2);
	/* nothing dropped: the rest is kept exactly */
	CHECK(s.len[CFIR_STREAM_RAW] == 10 && memcmp(s.out[3], "GET / HTXY", 10) == 0);
}

static void
demux_truncated(void)
{
	struct sink s = { 0 };
	struct cfir_demux d = { .out = collect, .ctx = &s };
	struct cfir_err err = { 0 };

	CHECK(cfir_demux_feed(&d, frames, 10, &err) == 0);
	CHECK(cfir_demux_finish(&d, &err) < 0);
	CHECK(strstr(err.msg, "4 bytes short") != NULL);
	memset(&d, 0, sizeof(d));
	d.out = collect;
	d.ctx = &s;
	CHECK(cfir_demux_feed(&d, frames, 5, &err) == 0);
	CHECK(cfir_demux_finish(&d, &err) < 0 && d.bytes[CFIR_STREAM_RAW] == 5);
}

UNIT_SUITE(logs_tests) = {
	{ "logs: demux gives the same streams however the bytes arrive", demux_any_split },
	{ "logs: a malformed header keeps the rest raw", demux_malformed_goes_raw },
	{ "logs: a stream cut inside a frame is an error", demux_truncated },
	UNIT_END,
};
