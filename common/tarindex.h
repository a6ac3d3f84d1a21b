/* tarindex.h - index a tar stream: one JSON line and one mtree entry per member */
#ifndef CFIR_TARINDEX_H
#define CFIR_TARINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/engine.h"
#include "common/err.h"

struct cfir_tarindex_sink {
	cfir_engine_sink_fn index;	/* JSON Lines, one member a line */
	cfir_engine_sink_fn mtree;	/* libarchive's mtree of the same members */
	void *ctx;
	bool no_magic;		/* leave libmagic's mime and magic out; the flags stay */
};

struct cfir_tarindex_stats {
	uint64_t members;
	uint64_t content_bytes;	/* member data read */
	uint64_t flagged;	/* members with at least one flag */
	bool complete;		/* the end-of-archive was reached */
	bool typed;		/* libmagic typed the members */
	char error[320];	/* why the index stops early, when it does */
};

/*
 * Index the tar that the pull hands out (only tar is read: no other
 * format, no decompression). Nothing is ever extracted. A broken archive
 * ends the index early and says why in stats->error; the return is -1
 * only when a sink or the pull fails (err set).
 */
int cfir_tarindex_pull(struct cfir_engine_pull *p, const struct cfir_tarindex_sink *s,
		       struct cfir_tarindex_stats *st, struct cfir_err *err);
/* The same over a buffer (tests, fuzzing). */
int cfir_tarindex_memory(const void *buf, size_t len, const struct cfir_tarindex_sink *s,
			 struct cfir_tarindex_stats *st, struct cfir_err *err);

/* The mtree keywords written, as bsdtar's --options takes them. */
#define CFIR_MTREE_KEYWORDS "!all,type,mode,uid,gid,size,time,link,sha256"

#endif
