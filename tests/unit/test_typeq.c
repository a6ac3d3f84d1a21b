/* test_typeq.c - the ordered type queue: order, failure, the cache's answers */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/filetype.h"
#include "common/typeq.h"
#include "tests/unit/unit.h"

#define KINDS 5

/* Heads libmagic tells apart: a script, an ELF, text, random bytes, and the script cut short. */
static size_t
head_of(unsigned kind, unsigned char *buf)
{
	static const char sh[] = "#!/bin/sh\necho hello\nexit 0\n";
	static const unsigned char elf[] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x3e, 0 };
	static const char txt[] = "the quick brown fox jumps over the lazy dog\n";
	uint32_t x = 12345;
	size_t i;

	switch (kind) {
	case 0:
		memcpy(buf, sh, sizeof(sh) - 1);
		return sizeof(sh) - 1;
	case 1:
		memset(buf, 0, 64);
		memcpy(buf, elf, sizeof(elf));
		return 64;
	case 2:
		memcpy(buf, txt, sizeof(txt) - 1);
		return sizeof(txt) - 1;
	case 3:
		for (i = 0; i < CFIR_FILETYPE_BYTES; i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = (unsigned char)(x >> 16);
		}
		return CFIR_FILETYPE_BYTES;
	default:
		memcpy(buf, sh, 2);	/* "#!": the same bytes as kind 0's start, shorter */
		return 2;
	}
}

struct seen {
	uint64_t next;		/* the payload the next emit must carry */
	uint64_t emitted, dropped;
	uint64_t fail_at;	/* emit fails on this payload, 0: never */
	bool in_order, right;
	bool typing;
	char mime[KINDS][128], desc[KINDS][512];
	bool has_mime[KINDS], has_desc[KINDS];
};

static bool
same(const char *a, bool has, const char *want)
{
	return has ? a != NULL && strcmp(a, want) == 0 : a == NULL;
}

static int
emit(void *ctx, void *payload, const unsigned char *head, size_t headlen, bool typed,
     const char *mime, const char *desc, struct cfir_err *err)
{
	struct seen *s = ctx;
	uint64_t n = (uint64_t)(uintptr_t)payload;
	unsigned kind = (unsigned)(n % KINDS);
	unsigned char want[CFIR_FILETYPE_BYTES];

	if (n != s->next)
		s->in_order = false;
	s->next = n + 1;
	s->emitted++;
	if (headlen != head_of(kind, want) || memcmp(head, want, headlen) != 0 || typed != s->typing)
		s->right = false;
	if (typed && (!same(mime, s->has_mime[kind], s->mime[kind]) || !same(desc, s->has_desc[kind], s->desc[kind])))
		s->right = false;
	if (!typed && (mime != NULL || desc != NULL))
		s->right = false;
	if (s->fail_at != 0 && n == s->fail_at)
		return cfir_err_set(err, EX_IOERR, 0, "the disk is full at %llu", (unsigned long long)n);
	return 0;
}

static void
drop(void *ctx, void *payload)
{
	struct seen *s = ctx;

	(void)payload;
	s->dropped++;
}

/* What libmagic says of each kind, asked here directly. */
static bool
expect(struct seen *s)
{
	unsigned char buf[CFIR_FILETYPE_BYTES];
	struct cfir_err err = { 0 };
	const char *mime, *desc;
	unsigned k;

	memset(s, 0, sizeof(*s));
	s->in_order = s->right = s->typing = true;
	if (cfir_filetype_open(&err) < 0)
		return false;
	for (k = 0; k < KINDS; k++) {
		cfir_filetype(buf, head_of(k, buf), &mime, &desc);
		s->has_mime[k] = mime != NULL;
		s->has_desc[k] = desc != NULL;
		snprintf(s->mime[k], sizeof(s->mime[k]), "%s", mime ? mime : "");
		snprintf(s->desc[k], sizeof(s->desc[k]), "%s", desc ? desc : "");
	}
	return true;
}

static int
put_all(struct cfir_typeq *q, uint64_t n, struct cfir_err *err)
{
	unsigned char buf[CFIR_FILETYPE_BYTES];
	uint64_t i;

	for (i = 1; i <= n; i++)
		if (cfir_typeq_put(q, buf, head_of((unsigned)(i % KINDS), buf), (void *)(uintptr_t)i, err) < 0)
			return -1;
	return 0;
}

/* N items through WORKERS workers; what emit saw in S, the queue's counts in ST. */
static int
run(struct seen *s, unsigned workers, bool type, uint64_t n, struct cfir_typeq_stats *st, struct cfir_err *err)
{
	struct cfir_typeq_ops ops = { emit, drop, s };
	struct cfir_err cerr = { 0 };
	struct cfir_typeq *q;
	int r;

	s->next = 1;
	s->typing = type;
	if (cfir_typeq_open(&q, workers, type, &ops, err) < 0)
		return -2;
	r = put_all(q, n, err);
	if (cfir_typeq_close(q, st, &cerr) < 0) {
		CHECK(r < 0 && strcmp(cerr.msg, err->msg) == 0);	/* close says what put said */
		return -1;
	}
	return r;
}

/* Many workers, many more items than the queue holds: every one out, in order, with its own answer. */
static void
typeq_order(void)
{
	struct cfir_typeq_stats st;
	struct cfir_err err = { 0 };
	struct seen s;

	if (!expect(&s)) {
		unit_skip("libmagic cannot be opened here");
		return;
	}
	CHECK(run(&s, 8, true, 3000, &st, &err) == 0);
	CHECK(s.emitted == 3000 && s.dropped == 0);
	CHECK(s.in_order);
	CHECK(s.right);
	CHECK(st.items == 3000 && st.typed == 3000);
	CHECK(st.untyped[0] == '\0');
}

/* An emit fails: the items after it are dropped, put and close say the first error. */
static void
typeq_failure(void)
{
	struct cfir_typeq_stats st;
	struct cfir_err err = { 0 };
	struct seen s;

	expect(&s);
	s.fail_at = 700;
	CHECK(run(&s, 4, true, 100000, &st, &err) == -1);
	CHECK(strstr(err.msg, "the disk is full at 700") != NULL);
	CHECK(s.emitted == 700);
	CHECK(s.in_order);
	/* what was queued after the failure (a queue's worth at most), and the item put refused, went to drop */
	CHECK(s.dropped >= 1 && s.emitted + s.dropped < 700 + 1024 + 64);
}

/* Equal heads get the answer libmagic gave the first; heads that differ (even a prefix) their own. */
static void
typeq_cache(void)
{
	struct cfir_typeq_stats st;
	struct cfir_err err = { 0 };
	struct seen s;

	if (!expect(&s)) {
		unit_skip("libmagic cannot be opened here");
		return;
	}
	CHECK(run(&s, 1, true, 500, &st, &err) == 0);
	CHECK(s.right && s.in_order);
	/* one worker: each kind typed once, every other item a hit */
	CHECK(st.cache_hits == 500 - KINDS);
}

/* Typing off: the heads still arrive, untyped. */
static void
typeq_untyped(void)
{
	struct cfir_typeq_stats st;
	struct cfir_err err = { 0 };
	struct seen s;

	expect(&s);
	CHECK(run(&s, 0, false, 1000, &st, &err) == 0);
	CHECK(s.emitted == 1000 && s.right && s.in_order);
	CHECK(st.typed == 0 && st.cache_hits == 0);
}

UNIT_SUITE(typeq_tests) = {
	{ "typeq: 3,000 items through 8 workers come out in order, each with its own type", typeq_order },
	{ "typeq: a failing emit stops the queue with its error; the rest is dropped", typeq_failure },
	{ "typeq: equal heads answered from the cache, a shorter prefix typed on its own", typeq_cache },
	{ "typeq: typing off still hands every head over in order", typeq_untyped },
	UNIT_END,
};
