/* typeq.h - libmagic off the reading thread: workers type, results come back in order */
#ifndef CFIR_TYPEQ_H
#define CFIR_TYPEQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/*
 * libmagic costs 30 us to 2 ms a buffer, more than reading and hashing
 * what it describes: the thread that reads hands each item's first bytes
 * and an opaque payload to a bounded queue, workers (one a core, up to
 * the caller's bound) type them with a libmagic cookie each, and the
 * items come out to EMIT strictly in the order they were put: the worker
 * that finds the oldest ones typed emits them, the others go on typing.
 * Equal heads (same length, same bytes) get the answer libmagic gave the
 * first, from a small bounded cache: its answer depends on nothing else.
 */
struct cfir_typeq;

struct cfir_typeq_ops {
	/*
	 * An item's turn: TYPED when its head went to libmagic (MIME and
	 * DESC NULL when libmagic could not answer or could not be opened;
	 * they live until EMIT returns). -1 with ERR stops the queue: the
	 * first error is kept, and the items after it go to DROP.
	 */
	int (*emit)(void *ctx, void *payload, const unsigned char *head, size_t headlen, bool typed,
		    const char *mime, const char *desc, struct cfir_err *err);
	/* An item after a failure: only freed. EMIT and DROP are called one at a time, in order. */
	void (*drop)(void *ctx, void *payload);
	void *ctx;
};

struct cfir_typeq_stats {
	uint64_t items, typed, cache_hits;
	char untyped[256];	/* why libmagic could not be opened, or "" */
};

/*
 * Open with WORKERS workers (0: one a core online: the thread that puts
 * waits on its reads and its source as often as it runs; one more worker
 * than cores less one took a diff from 1.56 to 1.41 times its floor on
 * two); TYPE false types nothing (the heads still reach EMIT).
 */
int cfir_typeq_open(struct cfir_typeq **qp, unsigned workers, bool type,
		    const struct cfir_typeq_ops *ops, struct cfir_err *err);
/*
 * Queue an item: HEAD's first HEADLEN bytes (at most CFIR_FILETYPE_BYTES;
 * 0 types nothing) are copied. Waits while the queue is full. -1 with the
 * failed EMIT's error once one has failed: the payload has gone to DROP.
 */
int cfir_typeq_put(struct cfir_typeq *q, const void *head, size_t headlen, void *payload,
		   struct cfir_err *err);
/* Every item emitted (or dropped), the workers ended, the queue freed; -1 with the first EMIT error. */
int cfir_typeq_close(struct cfir_typeq *q, struct cfir_typeq_stats *st, struct cfir_err *err);

#endif
