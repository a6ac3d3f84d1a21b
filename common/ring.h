/*
 * ring.h - a bounded byte ring between two threads: the writer copies in
 * and waits for room, the reader takes what is there in place and says
 * when it is done with it; the reader can leave, and the writer is told
 */
#ifndef CFIR_RING_H
#define CFIR_RING_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct cfir_ring {
	pthread_mutex_t lock;	/* also the owner's, for what it keeps beside the bytes */
	pthread_cond_t more, room;
	char *buf;
	size_t size, start, len;	/* unread bytes at buf[start], wrapping */
	size_t low, lowroom;	/* what the waiting reader, the waiting writer waits for */
	bool stop;		/* the reader left, or failed: the writer gives up */
};

int cfir_ring_init(struct cfir_ring *r, size_t size);
void cfir_ring_destroy(struct cfir_ring *r);
/* N bytes of DATA copied in, waiting for room; false once the reader stopped. */
bool cfir_ring_put(struct cfir_ring *r, const void *data, size_t n);
/*
 * With the lock held: wait for bytes to read, a batch of them so that a
 * fast reader is not woken for every piece the writer puts (a slow writer's
 * bytes are read after a short wait all the same), or for *DONE.
 */
void cfir_ring_wait(struct cfir_ring *r, const bool *done);
/* With the lock held: the unread bytes up to the wrap, and done with N of them. */
size_t cfir_ring_readable(const struct cfir_ring *r);
void cfir_ring_consumed(struct cfir_ring *r, size_t n);

#endif
