/* tarstream.c - tee the engine's tar into the bag while indexing it */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/hash.h"
#include "common/tarstream.h"
#include "common/tarwrite.h"
#include "common/teeq.h"

struct sctx {
	struct cfir_writer *tar, *mtree, *index;
	struct cfir_tarw *z;		/* compressor, when asked for */
	struct cfir_teeq *q;		/* the tee's own thread */
	struct cfir_hash *raw;
	const struct cfir_tarstream_opts *o;
	uint64_t bytes;
};

int
cfir_tarstream_compress_ok(const char *name)
{
	return name == NULL || strcmp(name, "gzip") == 0 || strcmp(name, "zstd") == 0 ? 0 : -1;
}

/* Every byte the engine sends, once, in order: hashed and stored. */
static int
tee(void *ctx, const void *buf, size_t len, struct cfir_err *err)
{
	struct sctx *s = ctx;

	if (s->raw != NULL)
		cfir_hash_update(s->raw, buf, len);
	s->bytes += len;
	if (s->o->progress != NULL)
		s->o->progress(s->o->progress_ctx, s->bytes, false);
	if (s->z == NULL)
		return cfir_writer_write(s->tar, buf, len, err);
	return cfir_tarw_data(s->z, buf, len, err);
}

static int
sink_index(void *ctx, const void *buf, size_t len, struct cfir_err *err)
{
	return cfir_writer_write(((struct sctx *)ctx)->index, buf, len, err);
}

static int
sink_mtree(void *ctx, const void *buf, size_t len, struct cfir_err *err)
{
	return cfir_writer_write(((struct sctx *)ctx)->mtree, buf, len, err);
}

/* Close one artifact; keep the first error. */
static void
finish(struct cfir_writer **w, bool whole, int *r, struct cfir_err *err)
{
	struct cfir_err e = { 0 };

	if (*w == NULL)
		return;
	if (!whole)
		cfir_writer_abort(*w);
	else if (cfir_writer_commit(*w, &e) < 0 && *r == 0) {
		*err = e;
		*r = -1;
	}
	*w = NULL;
}

/* <base>.tar (or .tar.gz, .tar.zst), .mtree and .index.jsonl, and the tee's thread to fill the first. */
static int
open_files(struct sctx *s, struct cfir_bag *b, struct cfir_tarstream_result *r, struct cfir_err *err)
{
	const struct cfir_tarstream_opts *o = s->o;
	cleanup_free char *tarname = NULL, *mname = NULL, *iname = NULL;

	if (asprintf(&tarname, "%s.tar%s", o->base,
		     o->compress == NULL ? "" : strcmp(o->compress, "zstd") == 0 ? ".zst" : ".gz") < 0 ||
	    asprintf(&mname, "%s.mtree", o->base) < 0 ||
	    asprintf(&iname, "%s.index.jsonl", o->base) < 0 ||
	    (o->compress != NULL && (s->raw = cfir_hash_new()) == NULL))
		return cfir_err_set(err, EX_OSERR, ENOMEM, "export");
	if (cfir_writer_open(b, o->dir, tarname, &s->tar, err) < 0 ||
	    cfir_writer_open(b, o->dir, mname, &s->mtree, err) < 0 ||
	    cfir_writer_open(b, o->dir, iname, &s->index, err) < 0 ||
	    (o->compress != NULL &&
	     cfir_tarw_open_compressed(&s->z, o->compress, tarname, cfir_tarw_to_writer, s->tar, err) < 0))
		return -1;
	snprintf(r->stored_path, sizeof(r->stored_path), "%s", cfir_writer_path(s->tar));
	/* stored as it came, the file's own hash is the stream's: one pass over it, not two */
	if (o->compress == NULL)
		cfir_writer_digest_to(s->tar, r->stream_sha256);
	/* stored and hashed on another core than the one that indexes it */
	return cfir_teeq_open(tee, s, &s->q, err);
}

/* The tee drained, the compressor's tail flushed, the files kept whole or as partial. */
static int
close_files(struct sctx *s, struct cfir_tarstream_result *r, int rc, struct cfir_err *err)
{
	const struct cfir_tarstream_opts *o = s->o;
	struct cfir_err zerr = { 0 };

	cfir_teeq_close(s->q, NULL);	/* left early: what was handed over is stored all the same */
	/* closing flushes the compressor's tail into the stored file */
	if (s->z != NULL && cfir_tarw_close(s->z, &zerr) < 0 && r->stream_complete) {
		r->stream_complete = false;
		*err = zerr;
		rc = -1;
	}
	if (s->raw != NULL) {
		cfir_hash_final_hex(s->raw, r->stream_sha256);
		cfir_hash_free(s->raw);
	}
	r->stream_bytes = s->bytes;
	if (o->progress != NULL)
		o->progress(o->progress_ctx, s->bytes, true);
	finish(&s->tar, r->stream_complete, &rc, err);
	finish(&s->mtree, r->stream_complete && r->index.complete, &rc, err);
	finish(&s->index, r->stream_complete && r->index.complete, &rc, err);
	return rc;
}

int
cfir_tarstream(struct cfir_engine *e, struct cfir_bag *b,
	       const struct cfir_tarstream_opts *o, struct cfir_tarstream_result *r,
	       struct cfir_err *err)
{
	struct sctx s = { .o = o };
	struct cfir_tarindex_sink sink = { sink_index, sink_mtree, &s, o->no_magic };
	struct cfir_engine_pull *p = NULL;
	const void *buf;
	ssize_t n;
	int rc;

	memset(r, 0, sizeof(*r));
	if (cfir_tarstream_compress_ok(o->compress) < 0)
		return cfir_err_set(err, EX_USAGE, 0, "--compress takes gzip or zstd");
	if (o->produce != NULL ? cfir_engine_pull_produce(o->produce, o->produce_ctx, &p, err) < 0
			       : cfir_engine_pull_open(e, o->path, &p, err) < 0)
		return -1;
	r->opened = true;
	rc = open_files(&s, b, r, err);
	if (rc == 0) {
		cfir_engine_pull_tee(p, cfir_teeq_put, s.q);
		rc = cfir_tarindex_pull(p, &sink, &r->index, err);
		/* the index may stop early (a broken tar): the stream is taken whole anyway */
		while (rc == 0 && (n = cfir_engine_pull_read(p, &buf, err)) != 0)
			if (n < 0)
				rc = -1;
		/* every byte read is stored once the tee has drained */
		if (cfir_teeq_close(s.q, rc == 0 ? err : NULL) < 0)
			rc = -1;
		s.q = NULL;
		r->stream_complete = rc == 0;
		if (rc == 0 && r->index.error[0] != '\0')
			rc = cfir_err_set(err, EX_DATAERR, 0, "index: %s", r->index.error);
	}
	rc = close_files(&s, r, rc, err);
	cfir_engine_pull_close(p);
	return rc;
}
