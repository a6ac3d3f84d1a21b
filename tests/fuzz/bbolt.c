/* fuzz: bbolt database files (containerd's meta.db, its snapshotter's metadata.db), walked whole */
#include <stdint.h>
#include <stdlib.h>

#include "common/bbolt.h"

#define NEST_MAX	8	/* buckets in buckets: a bucket may name its own page */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct walker {
	struct cfir_bbolt *db;
	unsigned depth;
};

static int
visit(void *ctx, const unsigned char *key, size_t klen, const unsigned char *val, size_t vlen,
      bool is_bucket, struct cfir_err *err)
{
	struct walker *w = ctx;
	struct cfir_bbolt_bucket b;
	unsigned char *v;
	size_t n;
	int rc;

	(void)key, (void)klen;
	if (!is_bucket || w->depth >= NEST_MAX)
		return 0;
	if (cfir_bbolt_bucket_value(val, vlen, &b, err) < 0)
		return 0;
	if (cfir_bbolt_get(w->db, &b, "name", 1 << 16, &v, &n, err) == 0)
		free(v);
	w->depth++;
	rc = cfir_bbolt_each(w->db, &b, visit, w, err);
	w->depth--;
	cfir_bbolt_bucket_free(&b);
	return rc < 0 ? -1 : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct walker w = { 0 };
	struct cfir_bbolt_bucket b;
	struct cfir_err err = { 0 };

	if (cfir_bbolt_open_mem(data, size, &w.db, &err) < 0)
		return 0;
	cfir_bbolt_set_budget(w.db, 4096);
	if (cfir_bbolt_bucket(w.db, NULL, 0, &b, &err) == 0) {
		cfir_bbolt_each(w.db, &b, visit, &w, &err);
		cfir_bbolt_bucket_free(&b);
	}
	if (cfir_bbolt_bucket(w.db, (const char *const[]){ "v1", "snapshots" }, 2, &b, &err) == 0)
		cfir_bbolt_bucket_free(&b);
	cfir_bbolt_close(w.db);
	return 0;
}
