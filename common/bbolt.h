/*
 * bbolt.h - a read-only reader of bbolt (go.etcd.io/bbolt) database files,
 * the format containerd keeps its metadata in.
 *
 * The file is read with pread, a page at a time, never mapped, written or
 * locked: it may be another host's, or evidence. Every page id, count,
 * offset and size in it is checked against the file and the page, the
 * depth of a tree is bounded and so is the number of pages one handle may
 * visit, so that a hostile file (a branch page pointing to itself, a tree
 * shared by many buckets) ends in an error, not a loop.
 */
#ifndef CFIR_BBOLT_H
#define CFIR_BBOLT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define CFIR_BBOLT_DEPTH_MAX	64		/* levels of one B+tree */
#define CFIR_BBOLT_SPAN_MAX	(16u << 20)	/* bytes of one page and its overflow */
#define CFIR_BBOLT_BUDGET	(1u << 20)	/* pages one handle may read, by default */
#define CFIR_BBOLT_BYTES	(1ull << 30)	/* bytes one handle may read */

struct cfir_bbolt;

/* A bucket: its root page, or its leaf kept inline in its parent's value. */
struct cfir_bbolt_bucket {
	uint64_t root;		/* 0 when inline */
	unsigned char *inl;	/* the inline page (malloc'd), NULL otherwise */
	size_t inl_len;
};

/*
 * Called for each key of a bucket in key order: VAL is the value, or the
 * bucket's header when IS_BUCKET. Both are valid during the call only.
 * Returns 0 to go on, > 0 to stop (handed back by cfir_bbolt_each), or -1
 * after setting ERR.
 */
typedef int (*cfir_bbolt_fn)(void *ctx, const unsigned char *key, size_t klen,
			     const unsigned char *val, size_t vlen, bool is_bucket,
			     struct cfir_err *err);

/* The database in FD (not taken over: the caller closes it) or in LEN bytes at BUF (not copied). */
int cfir_bbolt_open(int fd, struct cfir_bbolt **db, struct cfir_err *err);
int cfir_bbolt_open_mem(const void *buf, size_t len, struct cfir_bbolt **db, struct cfir_err *err);
void cfir_bbolt_close(struct cfir_bbolt *db);
/* How many more pages DB may read before every call fails (EX_DATAERR). */
void cfir_bbolt_set_budget(struct cfir_bbolt *db, unsigned long pages);
/* The transaction the chosen meta page is of. */
uint64_t cfir_bbolt_txid(const struct cfir_bbolt *db);

/*
 * The bucket at the end of the N nested NAMES (N == 0: the root bucket).
 * EX_NOINPUT when one is absent, EX_DATAERR when it is a value, not a bucket.
 */
int cfir_bbolt_bucket(struct cfir_bbolt *db, const char *const *names, size_t n,
		      struct cfir_bbolt_bucket *b, struct cfir_err *err);
/* The bucket NAME inside PARENT, as cfir_bbolt_bucket. */
int cfir_bbolt_child(struct cfir_bbolt *db, const struct cfir_bbolt_bucket *parent,
		     const unsigned char *name, size_t nlen, struct cfir_bbolt_bucket *b,
		     struct cfir_err *err);
/* A bucket from the value of a bucket entry (as given to a cfir_bbolt_fn). */
int cfir_bbolt_bucket_value(const unsigned char *val, size_t vlen, struct cfir_bbolt_bucket *b,
			    struct cfir_err *err);
void cfir_bbolt_bucket_free(struct cfir_bbolt_bucket *b);

/*
 * The value of KEY in B, at most MAX bytes: a malloc'd copy with a NUL
 * after its LEN bytes. EX_NOINPUT when absent, EX_DATAERR when KEY is a
 * bucket or its value is longer than MAX.
 */
int cfir_bbolt_get(struct cfir_bbolt *db, const struct cfir_bbolt_bucket *b, const char *key,
		   size_t max, unsigned char **val, size_t *len, struct cfir_err *err);
/* Every key of B in order through FN: 0, FN's stop value (> 0), or -1. */
int cfir_bbolt_each(struct cfir_bbolt *db, const struct cfir_bbolt_bucket *b, cfir_bbolt_fn fn,
		    void *ctx, struct cfir_err *err);

#endif
