/* extsort.c - records sorted in bounded memory: sorted runs on unlinked temporary files, then merged */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/extsort.h"
#include "common/util.h"

#define RUN_BUF (64 << 10)

struct cfir_extsort {
	size_t keylen, chunk;
	char *tmpdir;
	char *arena;		/* [uint32 len][record] ... */
	size_t used, cap;
	size_t *off;		/* where each record of the chunk begins */
	size_t n, offcap;
	FILE **runs;		/* oldest first: a tie goes to the older */
	size_t nruns, runcap, spilled;
};

struct cfir_extsort *
cfir_extsort_new(size_t keylen, size_t chunk, const char *tmpdir)
{
	struct cfir_extsort *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->keylen = keylen;
	s->chunk = chunk;
	s->tmpdir = strdup(tmpdir != NULL && *tmpdir != '\0' ? tmpdir : "/tmp");
	if (s->tmpdir == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

static FILE *
tmp_open(const char *dir, struct cfir_err *err)
{
	cleanup_free char *tmpl = NULL;
	int fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	FILE *f;

	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		/* no O_TMPFILE on this filesystem: a name, gone at once */
		if (asprintf(&tmpl, "%s/cfir-sort-XXXXXX", dir) < 0)
			return cfir_err_set(err, EX_OSERR, ENOMEM, "sort"), NULL;
		fd = mkostemp(tmpl, O_CLOEXEC);
		if (fd >= 0)
			unlink(tmpl);
	}
	if (fd < 0)
		return cfir_err_set(err, EX_CANTCREAT, errno, "temporary file in '%s'", dir), NULL;
	f = fdopen(fd, "w+");
	if (f == NULL) {
		close(fd);
		return cfir_err_set(err, EX_OSERR, errno, "fdopen"), NULL;
	}
	setvbuf(f, NULL, _IOFBF, RUN_BUF);
	return f;
}

static int
by_key(const void *a, const void *b, void *ctx)
{
	const struct cfir_extsort *s = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = memcmp(s->arena + x + 4, s->arena + y + 4, s->keylen);

	return c != 0 ? c : CFIR_UTIL_CMP(x, y);
}

static uint32_t
rec_len(const char *p)
{
	uint32_t n;

	memcpy(&n, p, 4);
	return n;
}

static int
push_run(struct cfir_extsort *s, FILE *f, size_t at, struct cfir_err *err)
{
	if (!cfir_util_grow((void **)&s->runs, &s->runcap, s->nruns, sizeof(FILE *), 8, SIZE_MAX / 16)) {
		fclose(f);
		return cfir_err_set(err, EX_OSERR, ENOMEM, "sort");
	}
	memmove(s->runs + at + 1, s->runs + at, (s->nruns - at) * sizeof(FILE *));
	s->runs[at] = f;
	s->nruns++;
	s->spilled++;
	return 0;
}

/* A run's end: flushed, checked, read from its start. */
static int
run_done(FILE *f, const char *dir, struct cfir_err *err)
{
	if (fflush(f) != 0 || ferror(f) || fseek(f, 0, SEEK_SET) != 0) {
		int e = errno;

		fclose(f);
		return cfir_err_set(err, e == ENOSPC ? EX_IOERR : cfir_err_sys_exit(e), e,
				    "temporary file in '%s'", dir);
	}
	return 0;
}

/* The chunk in memory sorted and written as the newest run. */
static int
spill(struct cfir_extsort *s, struct cfir_err *err)
{
	FILE *f;
	size_t i;

	if (s->n == 0)
		return 0;
	qsort_r(s->off, s->n, sizeof(size_t), by_key, s);
	if ((f = tmp_open(s->tmpdir, err)) == NULL)
		return -1;
	for (i = 0; i < s->n; i++)
		fwrite(s->arena + s->off[i], 1, 4 + (size_t)rec_len(s->arena + s->off[i]), f);
	if (run_done(f, s->tmpdir, err) < 0)
		return -1;
	s->n = s->used = 0;
	return push_run(s, f, s->nruns, err);
}

int
cfir_extsort_add(struct cfir_extsort *s, const void *rec, size_t len, struct cfir_err *err)
{
	uint32_t n = (uint32_t)len;

	if (len < s->keylen || len > UINT32_MAX - 4)
		return cfir_err_set(err, EX_SOFTWARE, 0, "sort: a record of %zu bytes", len);
	if (s->n > 0 && s->used + 4 + len + (s->n + 1) * sizeof(size_t) > s->chunk && spill(s, err) < 0)
		return -1;
	if (!cfir_util_grow((void **)&s->off, &s->offcap, s->n, sizeof(size_t), 256, SIZE_MAX / 16))
		return cfir_err_set(err, EX_OSERR, ENOMEM, "sort");
	while (s->used + 4 + len > s->cap)
		if (!cfir_util_grow((void **)&s->arena, &s->cap, s->cap, 1, 4096, SIZE_MAX / 4))
			return cfir_err_set(err, EX_OSERR, ENOMEM, "sort");
	s->off[s->n++] = s->used;
	memcpy(s->arena + s->used, &n, 4);
	memcpy(s->arena + s->used + 4, rec, len);
	s->used += 4 + len;
	return 0;
}

/* One run being merged: its current record. */
struct reader {
	FILE *f;
	char *rec;
	size_t len, cap;
	size_t run;		/* its age: a tie goes to the older */
};

/* The next record of R; 0 at its end, -1 on an error. */
static int
next(struct reader *r, struct cfir_err *err)
{
	uint32_t n;

	if (fread(&n, 1, 4, r->f) != 4)
		return ferror(r->f) ? cfir_err_set(err, EX_IOERR, errno, "sort: read") : 0;
	if (n > r->cap) {
		char *p = realloc(r->rec, n);

		if (p == NULL)
			return cfir_err_set(err, EX_OSERR, ENOMEM, "sort");
		r->rec = p;
		r->cap = n;
	}
	if (fread(r->rec, 1, n, r->f) != n)
		return cfir_err_set(err, EX_IOERR, errno, "sort: a run cut short");
	r->len = n;
	return 1;
}

static bool
before(const struct reader *a, const struct reader *b, size_t keylen)
{
	int c = memcmp(a->rec, b->rec, keylen);

	return c < 0 || (c == 0 && a->run < b->run);
}

static void
sift(struct reader **h, size_t n, size_t i, size_t keylen)
{
	struct reader *t;
	size_t m, l;

	for (;;) {
		m = i;
		l = 2 * i + 1;
		if (l < n && before(h[l], h[m], keylen))
			m = l;
		if (l + 1 < n && before(h[l + 1], h[m], keylen))
			m = l + 1;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

struct merge {
	struct reader *r;
	struct reader **heap;
	size_t n;
};

static void
merge_free(struct merge *m, size_t k)
{
	size_t i;

	for (i = 0; m->r != NULL && i < k; i++) {
		if (m->r[i].f != NULL)
			fclose(m->r[i].f);
		free(m->r[i].rec);
	}
	free(m->r);
	free(m->heap);
}

/* The K oldest runs, taken over, merged into FN. */
static int
merge(struct cfir_extsort *s, size_t k, cfir_extsort_fn fn, void *ctx, struct cfir_err *err)
{
	struct merge m = { calloc(k, sizeof(struct reader)), calloc(k, sizeof(struct reader *)), 0 };
	size_t i;
	int r = 0;

	if (m.r == NULL || m.heap == NULL) {
		merge_free(&m, 0);
		return cfir_err_set(err, EX_OSERR, ENOMEM, "sort");
	}
	for (i = 0; i < k; i++) {
		m.r[i].f = s->runs[i];
		m.r[i].run = i;
	}
	s->nruns -= k;
	memmove(s->runs, s->runs + k, s->nruns * sizeof(FILE *));
	for (i = 0; i < k && r >= 0; i++)
		if ((r = next(&m.r[i], err)) > 0)
			m.heap[m.n++] = &m.r[i];
	for (i = m.n; i-- > 0;)
		sift(m.heap, m.n, i, s->keylen);
	while (r >= 0 && m.n > 0) {
		if ((r = fn(ctx, m.heap[0]->rec, m.heap[0]->len)) != 0)
			break;
		if ((r = next(m.heap[0], err)) == 0)
			m.heap[0] = m.heap[--m.n];
		sift(m.heap, m.n, 0, s->keylen);
	}
	merge_free(&m, k);
	return r;
}

static int
to_run(void *ctx, const void *rec, size_t len)
{
	FILE *f = ctx;
	uint32_t n = (uint32_t)len;

	return fwrite(&n, 1, 4, f) == 4 && fwrite(rec, 1, len, f) == len ? 0 : -2;
}

/* Runs merged FANIN at a time into one, oldest first, till one merge is left. */
static int
cascade(struct cfir_extsort *s, struct cfir_err *err)
{
	FILE *f;
	int r;

	while (s->nruns > CFIR_EXTSORT_FANIN) {
		if ((f = tmp_open(s->tmpdir, err)) == NULL)
			return -1;
		r = merge(s, CFIR_EXTSORT_FANIN, to_run, f, err);
		if (r == 0 && run_done(f, s->tmpdir, err) < 0)
			return -1;
		if (r != 0) {
			fclose(f);
			return r == -1 ? -1 : cfir_err_set(err, EX_IOERR, errno, "sort: write in '%s'", s->tmpdir);
		}
		if (push_run(s, f, 0, err) < 0)
			return -1;
	}
	return 0;
}

int
cfir_extsort_finish(struct cfir_extsort *s, cfir_extsort_fn fn, void *ctx, struct cfir_err *err)
{
	size_t i;
	int r;

	if (s->nruns == 0) {
		qsort_r(s->off, s->n, sizeof(size_t), by_key, s);
		for (i = 0; i < s->n; i++)
			if ((r = fn(ctx, s->arena + s->off[i] + 4, rec_len(s->arena + s->off[i]))) != 0)
				return r;
		s->n = 0;
		return 0;
	}
	if (spill(s, err) < 0)
		return -1;
	free(steal_pointer(&s->arena));
	free(steal_pointer(&s->off));
	s->cap = s->offcap = 0;
	if (cascade(s, err) < 0)
		return -1;
	return merge(s, s->nruns, fn, ctx, err);
}

size_t
cfir_extsort_runs(const struct cfir_extsort *s)
{
	return s->spilled;
}

void
cfir_extsort_free(struct cfir_extsort *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nruns; i++)
		fclose(s->runs[i]);
	free(s->runs);
	free(s->arena);
	free(s->off);
	free(s->tmpdir);
	free(s);
}
