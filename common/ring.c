/* ring.c - a bounded byte ring between two threads */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/ring.h"

/*
 * A reader waits for a batch, a writer for room for one: a wakeup per
 * batch, not per piece (context switches were a tenth of a stream's CPU).
 * A batch small enough to be read while it is still in the cache: 1 MiB
 * halved the switches again but cost more in copies from memory.
 */
#define BATCH (256u << 10)
#define SLOW_NS 20000000L	/* a writer slower than that: its bytes are read anyway */

int
cfir_ring_init(struct cfir_ring *r, size_t size)
{
	pthread_condattr_t ca;

	memset(r, 0, sizeof(*r));
	r->buf = malloc(size);
	if (r->buf == NULL)
		return -1;
	r->size = size;
	pthread_mutex_init(&r->lock, NULL);
	/* the slow writer's wait on the monotonic clock: a wall clock stepped back does not stretch it */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->more, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&r->room, NULL);
	return 0;
}

void
cfir_ring_destroy(struct cfir_ring *r)
{
	if (r->buf == NULL)
		return;
	pthread_cond_destroy(&r->more);
	pthread_cond_destroy(&r->room);
	pthread_mutex_destroy(&r->lock);
	free(r->buf);
	r->buf = NULL;
}

bool
cfir_ring_put(struct cfir_ring *r, const void *data, size_t n)
{
	const char *p = data;
	size_t at, take;

	pthread_mutex_lock(&r->lock);
	while (n > 0) {
		r->lowroom = r->size / 4 < n ? r->size / 4 : n;
		while (r->len == r->size && !r->stop)
			pthread_cond_wait(&r->room, &r->lock);
		r->lowroom = 0;
		if (r->stop)
			break;
		at = (r->start + r->len) % r->size;
		take = r->size - r->len;
		if (take > r->size - at)
			take = r->size - at;
		if (take > n)
			take = n;
		/* the reader never touches the free part of the ring */
		pthread_mutex_unlock(&r->lock);
		memcpy(r->buf + at, p, take);
		pthread_mutex_lock(&r->lock);
		r->len += take;
		p += take;
		n -= take;
		if (r->len >= r->low)
			pthread_cond_signal(&r->more);
	}
	pthread_mutex_unlock(&r->lock);
	return n == 0;
}

size_t
cfir_ring_readable(const struct cfir_ring *r)
{
	return r->len < r->size - r->start ? r->len : r->size - r->start;
}

void
cfir_ring_consumed(struct cfir_ring *r, size_t n)
{
	r->start = (r->start + n) % r->size;
	r->len -= n;
	if (r->size - r->len >= r->lowroom)
		pthread_cond_signal(&r->room);
}

void
cfir_ring_wait(struct cfir_ring *r, const bool *done)
{
	struct timespec until;
	bool slow = false;

	if (r->len >= BATCH || r->len == r->size || *done)
		return;
	r->low = BATCH < r->size ? BATCH : r->size;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += SLOW_NS;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (r->len < r->low && !*done && !r->stop) {
		if (slow) {
			pthread_cond_wait(&r->more, &r->lock);
		} else if (pthread_cond_timedwait(&r->more, &r->lock, &until) != 0) {
			/* a slow writer: what it put so far, else its next piece */
			slow = true;
			r->low = 1;
		}
	}
	r->low = 0;
}
