/* teeq.c - a sink in a thread of its own, fed through a bounded ring */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/teeq.h"
#include "common/util.h"

#define RING	(8u << 20)
#define CHUNK	(1u << 20)	/* handed to FN at most at once */

struct cfir_teeq {
	cfir_teeq_fn fn;
	void *ctx;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t more, room;
	char *ring;
	size_t start, len;	/* unread bytes at ring[start], wrapping */
	bool end, failed;
	struct cfir_err err;	/* FN's */
};

static void *
drain(void *arg)
{
	struct cfir_teeq *q = arg;
	struct cfir_err err = { 0 };
	size_t n;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (q->len == 0 && !q->end)
			pthread_cond_wait(&q->more, &q->lock);
		if (q->len == 0)
			break;
		n = q->len < RING - q->start ? q->len : RING - q->start;
		if (n > CHUNK)
			n = CHUNK;
		pthread_mutex_unlock(&q->lock);
		/* the writer never touches the unread part of the ring */
		if (!q->failed && q->fn(q->ctx, q->ring + q->start, n, &err) < 0) {
			pthread_mutex_lock(&q->lock);
			q->failed = true;
			q->err = err;
		} else {
			pthread_mutex_lock(&q->lock);
		}
		q->start = (q->start + n) % RING;
		q->len -= n;
		pthread_cond_signal(&q->room);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

int
cfir_teeq_open(cfir_teeq_fn fn, void *ctx, struct cfir_teeq **qp, struct cfir_err *err)
{
	struct cfir_teeq *q = calloc(1, sizeof(*q));
	int rc;

	*qp = NULL;
	if (q == NULL || (q->ring = malloc(RING)) == NULL) {
		free(q);
		return cfir_err_set(err, EX_OSERR, ENOMEM, "tee");
	}
	q->fn = fn;
	q->ctx = ctx;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->more, NULL);
	pthread_cond_init(&q->room, NULL);
	rc = cfir_util_thread_create(&q->thread, drain, q);
	if (rc != 0) {
		pthread_cond_destroy(&q->more);
		pthread_cond_destroy(&q->room);
		pthread_mutex_destroy(&q->lock);
		free(q->ring);
		free(q);
		return cfir_err_set(err, EX_OSERR, rc, "tee thread");
	}
	*qp = q;
	return 0;
}

int
cfir_teeq_put(void *arg, const void *buf, size_t len, struct cfir_err *err)
{
	struct cfir_teeq *q = arg;
	const char *p = buf;
	size_t at, take;

	pthread_mutex_lock(&q->lock);
	while (len > 0 && !q->failed) {
		while (q->len == RING && !q->failed)
			pthread_cond_wait(&q->room, &q->lock);
		if (q->failed)
			break;
		at = (q->start + q->len) % RING;
		take = RING - q->len;
		if (take > RING - at)
			take = RING - at;
		if (take > len)
			take = len;
		pthread_mutex_unlock(&q->lock);
		memcpy(q->ring + at, p, take);
		pthread_mutex_lock(&q->lock);
		q->len += take;
		p += take;
		len -= take;
		pthread_cond_signal(&q->more);
	}
	if (q->failed) {
		*err = q->err;
		pthread_mutex_unlock(&q->lock);
		return -1;
	}
	pthread_mutex_unlock(&q->lock);
	return 0;
}

int
cfir_teeq_close(struct cfir_teeq *q, struct cfir_err *err)
{
	int rc = 0;

	if (q == NULL)
		return 0;
	pthread_mutex_lock(&q->lock);
	q->end = true;
	pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	if (q->failed) {
		if (err != NULL)
			*err = q->err;
		rc = -1;
	}
	pthread_cond_destroy(&q->more);
	pthread_cond_destroy(&q->room);
	pthread_mutex_destroy(&q->lock);
	free(q->ring);
	free(q);
	return rc;
}
