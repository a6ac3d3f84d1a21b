/* extsort.h - records sorted in bounded memory: sorted runs on unlinked temporary files, then merged */
#ifndef CFIR_EXTSORT_H
#define CFIR_EXTSORT_H

#include <stddef.h>

#include "common/err.h"

/*
 * Records of any length, each beginning with a key of KEYLEN bytes,
 * compared with memcmp (equal keys keep the order they were added in).
 * Up to CHUNK bytes are held and sorted in memory; past that each sorted
 * chunk goes to a temporary file made in TMPDIR with O_TMPFILE (else made
 * and unlinked at once): no name is ever visible, nothing is left behind.
 * The runs are merged with a heap, at most CFIR_EXTSORT_FANIN at a time.
 * A sort that fits in one chunk never touches the disk.
 */
#define CFIR_EXTSORT_FANIN 64

struct cfir_extsort;

struct cfir_extsort *cfir_extsort_new(size_t keylen, size_t chunk, const char *tmpdir);
/* REC (LEN bytes, at least KEYLEN) copied in; a chunk spilled when full. */
int cfir_extsort_add(struct cfir_extsort *s, const void *rec, size_t len, struct cfir_err *err);
/* FN returns 0 to go on, anything else to stop with that. */
typedef int (*cfir_extsort_fn)(void *ctx, const void *rec, size_t len);
/* Every record to FN in key order, once: the sorter is spent after. */
int cfir_extsort_finish(struct cfir_extsort *s, cfir_extsort_fn fn, void *ctx, struct cfir_err *err);
/* Runs written to disk so far (0 when it all fit in memory). */
size_t cfir_extsort_runs(const struct cfir_extsort *s);
void cfir_extsort_free(struct cfir_extsort *s);

#endif
