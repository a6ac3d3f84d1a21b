/* test_teeq.c - the sink in a thread of its own, and the reader over bytes a thread makes */
#include <stdlib.h>
#include <string.h>

#include "common/engine.h"
#include "common/teeq.h"
#include "tests/unit/unit.h"

struct got {
	unsigned char *p;
	size_t n;
	size_t fail_at;		/* fail once this many bytes arrived, 0: never */
};

static int
collect(void *ctx, const void *buf, size_t len, struct cfir_err *err)
{
	struct got *g = ctx;

	if (g->fail_at && g->n + len >= g->fail_at)
		return cfir_err_set(err, EX_IOERR, 0, "the disk is full");
	g->p = realloc(g->p, g->n + len);
	memcpy(g->p + g->n, buf, len);
	g->n += len;
	return 0;
}

/* 20 MiB through the 8 MiB ring in odd pieces: every byte, in order. */
static void
teeq_order(void)
{
	struct cfir_teeq *q;
	struct cfir_err err = { 0 };
	struct got g = { 0 };
	static unsigned char piece[77777];
	size_t i, sent = 0;
	bool same = true;

	CHECK(cfir_teeq_open(collect, &g, &q, &err) == 0);
	while (sent < (20u << 20)) {
		for (i = 0; i < sizeof(piece); i++)
			piece[i] = (unsigned char)((sent + i) * 31);
		CHECK(cfir_teeq_put(q, piece, sizeof(piece), &err) == 0);
		sent += sizeof(piece);
	}
	CHECK(cfir_teeq_close(q, &err) == 0);
	CHECK(g.n == sent);
	for (i = 0; i < g.n && same; i++)
		same = g.p[i] == (unsigned char)(i * 31);
	CHECK(same);
	free(g.p);
}

/* The sink fails: the next put says why, and so does close. */
static void
teeq_failure(void)
{
	struct cfir_teeq *q;
	struct cfir_err err = { 0 };
	struct got g = { .fail_at = 3u << 20 };
	static unsigned char piece[1 << 20];
	int i, r = 0;

	CHECK(cfir_teeq_open(collect, &g, &q, &err) == 0);
	for (i = 0; i < 64 && r == 0; i++)
		r = cfir_teeq_put(q, piece, sizeof(piece), &err);
	CHECK(r < 0 && strstr(err.msg, "disk is full") != NULL);
	cfir_err_clear(&err);
	CHECK(cfir_teeq_close(q, &err) < 0 && err.exit == EX_IOERR);
	free(g.p);
}

struct maker {
	size_t total;
	bool fail;
};

static int
make_bytes(void *ctx, cfir_engine_sink_fn put, void *put_ctx, struct cfir_err *err)
{
	struct maker *m = ctx;
	unsigned char buf[4096];
	size_t sent = 0, i;

	while (sent < m->total) {
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = (unsigned char)(sent + i);
		if (put(put_ctx, buf, sizeof(buf), err) < 0)
			return -1;
		sent += sizeof(buf);
	}
	return m->fail ? cfir_err_set(err, EX_DATAERR, 0, "the layer went away") : 0;
}

/* Every byte the producer made, in order, then its failure after the last of them. */
static void
produce_pull(void)
{
	struct maker m = { .total = 12u << 20, .fail = true };
	struct cfir_engine_pull *p;
	struct cfir_err err = { 0 };
	const void *buf;
	ssize_t n;
	size_t got = 0;
	bool same = true;

	CHECK(cfir_engine_pull_produce(make_bytes, &m, &p, &err) == 0);
	while ((n = cfir_engine_pull_read(p, &buf, &err)) > 0) {
		for (ssize_t i = 0; i < n && same; i++)
			same = ((const unsigned char *)buf)[i] == (unsigned char)(got + (size_t)i);
		got += (size_t)n;
	}
	CHECK(same && got == m.total);
	CHECK(n < 0 && strstr(err.msg, "went away") != NULL);
	cfir_engine_pull_close(p);
	/* a reader that stops early: the producer is told and the close returns */
	m.total = 64u << 20;
	m.fail = false;
	CHECK(cfir_engine_pull_produce(make_bytes, &m, &p, &err) == 0);
	CHECK(cfir_engine_pull_read(p, &buf, &err) > 0);
	cfir_engine_pull_close(p);
}

UNIT_SUITE(teeq_tests) = {
	{ "teeq: 20 MiB through the ring, every byte in order", teeq_order },
	{ "teeq: the sink's failure said by the next put and by close", teeq_failure },
	{ "engine pull over produced bytes: in order, the failure after them, an early close", produce_pull },
	UNIT_END,
};
