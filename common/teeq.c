/* teeq.c - a sink in a thread of its own, fed through a bounded ring */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "common/ring.h"
#include "common/teeq.h"
#include "common/util.h"

#define RING	(8u << 20)
#define CHUNK	(1u << 20)	/* handed to FN at most at once */

struct cfir_teeq {
	cfir_teeq_fn fn;
	void *ctx;
	pthread_t thread;
	struct cfir_ring r;	/* its stop: FN failed */
	bool end;
	struct cfir_err err;	/* FN's */
};

static void *
drain(void *arg)
{
	struct cfir_teeq *q = arg;
	struct cfir_ring *r = &q->r;
	struct cfir_err err = { 0 };
	const char *at;
	size_t n;
	bool stop;
	int rc;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		cfir_ring_wait(r, &q->end);
		if (r->len == 0)
			break;
		n = cfir_ring_readable(r);
		if (n > CHUNK)
			n = CHUNK;
		stop = r->stop;
		at = r->buf + r->start;
		pthread_mutex_unlock(&r->lock);
		/* the writer never touches the unread part of the ring; after a failure it is drained unread */
		rc = stop ? 0 : q->fn(q->ctx, at, n, &err);
		pthread_mutex_lock(&r->lock);
		if (rc < 0 && !r->stop) {
			r->stop = true;
			q->err = err;
		}
		cfir_ring_consumed(r, n);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int
cfir_teeq_open(cfir_teeq_fn fn, void *ctx, struct cfir_teeq **qp, struct cfir_err *err)
{
	struct cfir_teeq *q = calloc(1, sizeof(*q));
	int rc;

	*qp = NULL;
	if (q == NULL || cfir_ring_init(&q->r, RING) < 0) {
		free(q);
		return cfir_err_set(err, EX_OSERR, ENOMEM, "tee");
	}
	q->fn = fn;
	q->ctx = ctx;
	rc = cfir_util_thread_create(&q->thread, drain, q);
	if (rc != 0) {
		cfir_ring_destroy(&q->r);
		free(q);
		return cfir_err_set(err, EX_OSERR, rc, "tee thread");
	}
	*qp = q;
	return 0;
}

/* FN's failure, once it failed: said by the next put and by close. */
static int
failed(struct cfir_teeq *q, struct cfir_err *err)
{
	bool stop;

	pthread_mutex_lock(&q->r.lock);
	stop = q->r.stop;
	if (stop && err != NULL)
		*err = q->err;
	pthread_mutex_unlock(&q->r.lock);
	return stop ? -1 : 0;
}

int
cfir_teeq_put(void *arg, const void *buf, size_t len, struct cfir_err *err)
{
	struct cfir_teeq *q = arg;

	/* the ring refuses once FN failed; a failure meanwhile is said now too */
	cfir_ring_put(&q->r, buf, len);
	return failed(q, err);
}

int
cfir_teeq_close(struct cfir_teeq *q, struct cfir_err *err)
{
	int rc;

	if (q == NULL)
		return 0;
	pthread_mutex_lock(&q->r.lock);
	q->end = true;
	pthread_cond_signal(&q->r.more);
	pthread_mutex_unlock(&q->r.lock);
	pthread_join(q->thread, NULL);
	rc = failed(q, err);
	cfir_ring_destroy(&q->r);
	free(q);
	return rc;
}
