/* typeq.c - an ordered queue of items typed by libmagic on worker threads, with a cache */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/filetype.h"
#include "common/typeq.h"
#include "common/util.h"

/*
 * Items ahead of the typing: enough that the reader keeps the pace of its
 * source while the workers catch up (32 held an export to its slowest
 * libmagic call); about 3 KiB each, touched only when used.
 */
#define QUEUE 1024
#define BATCH 8
#define WORKERS_MAX 64
/*
 * Direct-mapped: an entry holds its head (at most 2 KiB) and libmagic's two
 * strings, allocated when first used: a quarter of a MiB at most.
 */
#define CACHE 128
#define MIME_MAX 128
#define DESC_MAX 512

struct answer {
	bool has_mime, has_desc;
	char mime[MIME_MAX];
	char desc[DESC_MAX];
};

struct job {
	void *payload;
	size_t headlen;
	bool typed, done;
	struct answer a;
	unsigned char head[CFIR_FILETYPE_BYTES];
};

struct centry {
	uint64_t key;
	size_t len;
	struct answer a;
	unsigned char head[];
};

struct cfir_typeq {
	pthread_mutex_t lock;
	pthread_cond_t more, room, turn;
	struct job *jobs;
	uint64_t produced, taken, written;	/* monotonic: written <= taken <= produced */
	bool end, type;
	bool emitting;		/* a worker emits the items typed, in order */
	bool failed;		/* an emit failed: err says why */
	struct cfir_err err;
	char untyped[256];	/* the first worker's reason libmagic could not be opened */
	struct cfir_typeq_ops ops;
	uint64_t typed, hits;
	pthread_t tid[WORKERS_MAX];
	unsigned nworkers;
	pthread_mutex_t clock;	/* the cache's */
	struct centry *cache[CACHE];
};

/* A cheap hash of a head: the cache confirms a hit with memcmp. */
static uint64_t
head_key(const unsigned char *p, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len, w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 29;
	}
	for (; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h ^ (h >> 32);
}

static bool
cache_get(struct cfir_typeq *q, uint64_t key, struct job *j)
{
	struct centry *c;
	bool hit;

	pthread_mutex_lock(&q->clock);
	c = q->cache[key % CACHE];
	hit = c != NULL && c->key == key && c->len == j->headlen && memcmp(c->head, j->head, j->headlen) == 0;
	if (hit) {
		j->a = c->a;
		q->hits++;
	}
	pthread_mutex_unlock(&q->clock);
	return hit;
}

/* The slot's last answer is replaced; without memory the answer is only not kept. */
static void
cache_put(struct cfir_typeq *q, uint64_t key, const struct job *j)
{
	struct centry **slot = &q->cache[key % CACHE], *c;

	pthread_mutex_lock(&q->clock);
	c = *slot;
	if (c == NULL || c->len < j->headlen) {
		free(c);
		c = *slot = malloc(sizeof(*c) + j->headlen);
	}
	if (c != NULL) {
		c->key = key;
		c->len = j->headlen;
		c->a = j->a;
		memcpy(c->head, j->head, j->headlen);
	}
	pthread_mutex_unlock(&q->clock);
}

static void
type_one(struct cfir_typeq *q, struct job *j)
{
	uint64_t key = head_key(j->head, j->headlen);
	const char *mime, *desc;

	if (cache_get(q, key, j))
		return;
	cfir_filetype(j->head, j->headlen, &mime, &desc);
	j->a.has_mime = mime != NULL;
	j->a.has_desc = desc != NULL;
	/* MIME types are short (libmagic's own bound is 80); a description was cut at 511 already */
	snprintf(j->a.mime, sizeof(j->a.mime), "%s", mime ? mime : "");
	snprintf(j->a.desc, sizeof(j->a.desc), "%s", desc ? desc : "");
	if (mime != NULL || desc != NULL)	/* a failure is not the answer for the same bytes */
		cache_put(q, key, j);
}

/*
 * Under the lock, J typed: every item typed in order from the oldest is
 * emitted (or dropped after a failure) by the one worker that holds the
 * emitter's part, the lock let go around each call. A worker whose item
 * is not the oldest goes back to typing: none waits for another's turn
 * (three threads on two cores: the one preempted would hold up the rest).
 */
static void
finish_job(struct cfir_typeq *q, struct job *j)
{
	struct cfir_err err = { 0 };
	bool failed;

	j->done = true;
	if (q->emitting)
		return;	/* the emitter finds it */
	q->emitting = true;
	while (q->written < q->taken && (j = &q->jobs[q->written % QUEUE])->done) {
		failed = q->failed;
		pthread_mutex_unlock(&q->lock);
		/* nobody else emits until written moves on */
		if (failed)
			q->ops.drop(q->ops.ctx, j->payload);
		else if (q->ops.emit(q->ops.ctx, j->payload, j->head, j->headlen, j->typed,
				     j->typed && j->a.has_mime ? j->a.mime : NULL,
				     j->typed && j->a.has_desc ? j->a.desc : NULL, &err) < 0)
			failed = true;
		pthread_mutex_lock(&q->lock);
		if (failed && !q->failed) {
			q->failed = true;
			q->err = err;
		}
		if (j->typed)
			q->typed++;
		j->done = false;
		q->written++;
		pthread_cond_broadcast(&q->turn);
		pthread_cond_signal(&q->room);
	}
	q->emitting = false;
}

static void *
work(void *arg)
{
	struct cfir_typeq *q = arg;
	struct cfir_err merr = { 0 };
	struct job *j;

	if (q->type && cfir_filetype_open(&merr) < 0) {
		pthread_mutex_lock(&q->lock);
		if (q->untyped[0] == '\0')
			snprintf(q->untyped, sizeof(q->untyped), "%.250s", merr.msg);
		pthread_mutex_unlock(&q->lock);
	}
	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (q->taken == q->produced && !q->end)
			pthread_cond_wait(&q->more, &q->lock);
		if (q->taken == q->produced)
			break;
		j = &q->jobs[q->taken++ % QUEUE];
		pthread_mutex_unlock(&q->lock);
		if (j->typed)	/* the slow part, in parallel */
			type_one(q, j);
		pthread_mutex_lock(&q->lock);
		finish_job(q, j);
	}
	pthread_mutex_unlock(&q->lock);
	cfir_filetype_thread_done();
	return NULL;
}

static void
typeq_free(struct cfir_typeq *q)
{
	size_t i;

	for (i = 0; i < CACHE; i++)
		free(q->cache[i]);
	pthread_cond_destroy(&q->more);
	pthread_cond_destroy(&q->room);
	pthread_cond_destroy(&q->turn);
	pthread_mutex_destroy(&q->lock);
	pthread_mutex_destroy(&q->clock);
	free(q->jobs);
	free(q);
}

int
cfir_typeq_open(struct cfir_typeq **qp, unsigned workers, bool type,
		const struct cfir_typeq_ops *ops, struct cfir_err *err)
{
	struct cfir_typeq *q = calloc(1, sizeof(*q));
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned want = workers > 0 ? workers : cores < 1 ? 1 : (unsigned)(cores > WORKERS_MAX ? WORKERS_MAX : cores);

	if (!type)
		want = 1;	/* nothing to type: one worker hands the items over in order */
	int e = 0;

	*qp = NULL;
	if (q == NULL || (q->jobs = calloc(QUEUE, sizeof(*q->jobs))) == NULL) {
		free(q);
		return cfir_err_set(err, EX_OSERR, ENOMEM, "type queue");
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_mutex_init(&q->clock, NULL);
	pthread_cond_init(&q->more, NULL);
	pthread_cond_init(&q->room, NULL);
	pthread_cond_init(&q->turn, NULL);
	q->ops = *ops;
	q->type = type;
	if (want > WORKERS_MAX)
		want = WORKERS_MAX;
	for (q->nworkers = 0; q->nworkers < want; q->nworkers++)
		if ((e = cfir_util_thread_create(&q->tid[q->nworkers], work, q)) != 0)
			break;
	if (q->nworkers == 0) {
		typeq_free(q);
		return cfir_err_set(err, EX_OSERR, e, "type queue worker");
	}
	*qp = q;
	return 0;
}

int
cfir_typeq_put(struct cfir_typeq *q, const void *head, size_t headlen, void *payload,
	       struct cfir_err *err)
{
	struct job *j;
	bool failed;

	if (headlen > CFIR_FILETYPE_BYTES)
		headlen = CFIR_FILETYPE_BYTES;
	pthread_mutex_lock(&q->lock);
	while (q->produced - q->written == QUEUE && !q->failed)
		pthread_cond_wait(&q->room, &q->lock);
	failed = q->failed;
	if (!failed) {
		j = &q->jobs[q->produced % QUEUE];
		j->payload = payload;
		j->headlen = headlen;
		j->typed = q->type && headlen > 0;
		memcpy(j->head, head, headlen);
		q->produced++;
		/* a sleeping worker is woken for a few items, not each one */
		if (q->produced - q->taken >= BATCH)
			pthread_cond_signal(&q->more);
	} else {
		if (err != NULL)
			*err = q->err;
		/* its drop after those queued before it: never beside a worker's emit or drop */
		while (q->written != q->produced)
			pthread_cond_wait(&q->turn, &q->lock);
	}
	pthread_mutex_unlock(&q->lock);
	if (failed)
		q->ops.drop(q->ops.ctx, payload);
	return failed ? -1 : 0;
}

int
cfir_typeq_close(struct cfir_typeq *q, struct cfir_typeq_stats *st, struct cfir_err *err)
{
	struct cfir_typeq_stats none;
	unsigned i;
	int rc = 0;

	if (st == NULL)
		st = &none;
	memset(st, 0, sizeof(*st));
	if (q == NULL)
		return 0;
	pthread_mutex_lock(&q->lock);
	q->end = true;
	pthread_cond_broadcast(&q->more);
	pthread_mutex_unlock(&q->lock);
	for (i = 0; i < q->nworkers; i++)
		pthread_join(q->tid[i], NULL);
	st->items = q->written;
	st->typed = q->typed;
	st->cache_hits = q->hits;
	memcpy(st->untyped, q->untyped, sizeof(st->untyped));
	if (q->failed) {
		if (err != NULL)
			*err = q->err;
		rc = -1;
	}
	typeq_free(q);
	return rc;
}
