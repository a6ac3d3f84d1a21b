/* tarstream.h - an engine tar stream into the bag: raw, hashed, indexed, one pass */
#ifndef CFIR_TARSTREAM_H
#define CFIR_TARSTREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "common/bag.h"
#include "common/engine.h"
#include "common/tarindex.h"

struct cfir_tarstream_opts {
	const char *path;	/* engine path, escaped: /containers/ID/export */
	/* or, with no engine, the tar PRODUCE writes (cfir_engine_pull_produce) */
	cfir_engine_produce_fn produce;
	void *produce_ctx;
	const char *dir;	/* under data/<id12>/: "export", "copy" */
	const char *base;	/* file names: <base>.tar, .mtree, .index.jsonl */
	const char *compress;	/* NULL, "gzip" or "zstd" for the stored tar */
	bool no_magic;		/* the index without libmagic's types */
	void (*progress)(void *ctx, uint64_t bytes, bool done);
	void *progress_ctx;
};

struct cfir_tarstream_result {
	bool opened;		/* the engine answered 2xx: files were made */
	char stream_sha256[CFIR_SHA256_HEX];	/* of the engine's bytes */
	uint64_t stream_bytes;
	char stored_path[512];
	struct cfir_tarindex_stats index;
	bool stream_complete;	/* the engine's reply arrived whole */
};

/* Check a --compress value: NULL, "gzip" or "zstd"; -1 otherwise. */
int cfir_tarstream_compress_ok(const char *name);

/*
 * GET PATH (or take what PRODUCE writes) and store the reply in the bag byte for byte (or compressed
 * through libarchive), hashing it as it streams, while libarchive reads
 * the same bytes as a tar for the index and the mtree. Returns 0 when
 * everything is whole; -1 with err otherwise, and whatever arrived is in
 * the bag as partial artifacts (R says how far it got).
 */
int cfir_tarstream(struct cfir_engine *e, struct cfir_bag *b,
		   const struct cfir_tarstream_opts *o, struct cfir_tarstream_result *r,
		   struct cfir_err *err);

#endif
