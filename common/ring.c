/* ring.c - a bounded byte ring between two threads */
#include <stdlib.h>
#include <string.h>

#include "common/ring.h"

int
cfir_ring_init(struct cfir_ring *r, size_t size)
{
	memset(r, 0, sizeof(*r));
	r->buf = malloc(size);
	if (r->buf == NULL)
		return -1;
	r->size = size;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->more, NULL);
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
		while (r->len == r->size && !r->stop)
			pthread_cond_wait(&r->room, &r->lock);
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
	pthread_cond_signal(&r->room);
}
