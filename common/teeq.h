/*
 * teeq.h - a sink run in a thread of its own: what is handed to it is
 * copied into a bounded ring and the thread passes it on in order, so that
 * storing and hashing a stream takes another core than indexing it
 */
#ifndef CFIR_TEEQ_H
#define CFIR_TEEQ_H

#include <stddef.h>

#include "common/err.h"

typedef int (*cfir_teeq_fn)(void *ctx, const void *buf, size_t len, struct cfir_err *err);

struct cfir_teeq;

int cfir_teeq_open(cfir_teeq_fn fn, void *ctx, struct cfir_teeq **qp, struct cfir_err *err);
/* LEN bytes of BUF, copied (waits for room); -1 with FN's error once FN failed. */
int cfir_teeq_put(void *q, const void *buf, size_t len, struct cfir_err *err);
/* Everything handed over passed on, the thread ended and freed: FN's first failure, else 0. */
int cfir_teeq_close(struct cfir_teeq *q, struct cfir_err *err);

#endif
