/* tarindex.c - per-member index and mtree of a tar stream, in one pass */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "common/cleanup.h"
#include "common/dl.h"
#include "common/fileflags.h"
#include "common/filetype.h"
#include "common/hash.h"
#include "common/mtree.h"
#include "common/out.h"
#include "common/tarindex.h"
#include "common/typeq.h"
#include "common/util.h"

#define HOLES_MAX (1ull << 30)	/* zeros hashed for holes, over the whole stream */

/*
 * libmagic costs 0.05 to 2 ms a member, more than everything else about
 * it: it runs on the type queue's workers, one a core (the indexer mostly
 * waits for the engine; their cookies share one mapping of the database),
 * and the index lines come out in member order.
 */

/* A member's line without mime, magic, flags; and its flags. */
struct member {
	cJSON *o;
	cJSON *flags;
};

struct ictx {
	struct cfir_typeq *q;
	const struct cfir_tarindex_sink *s;
	struct cfir_err *err;
	struct cfir_engine_pull *pull;	/* source, or NULL for memory */
	bool source_failed;	/* the pull failed: err says why */
	bool sink_failed;
	struct cfir_mtree *mtree;	/* written at the end, from the digests of the index */
	struct cfir_hash *h;
	uint64_t holes;		/* zeros hashed so far for sparse members */
	unsigned char head[CFIR_FILETYPE_BYTES];
	size_t headlen;
	unsigned char digest[CFIR_SHA256_LEN];	/* the last member's data, for the mtree */
};

static const unsigned char zeros[64 << 10];

static la_ssize_t
read_pull(struct archive *a, void *ctx, const void **buf)
{
	struct ictx *c = ctx;
	ssize_t n = cfir_engine_pull_read(c->pull, buf, c->err);

	if (n < 0) {
		c->source_failed = true;
		archive_set_error(a, EIO, "%s", cfir_err_str(c->err));
		return -1;
	}
	return n;
}

/* libarchive's file types are the system's: one name for each, and one set of flags */
_Static_assert(AE_IFREG == S_IFREG && AE_IFDIR == S_IFDIR && AE_IFLNK == S_IFLNK && AE_IFCHR == S_IFCHR &&
	       AE_IFBLK == S_IFBLK && AE_IFIFO == S_IFIFO && AE_IFSOCK == S_IFSOCK, "libarchive's file types");

/* What a responder scans for in an image's file system. */
#define INDEX_FLAGS (CFIR_FILEFLAG_SETUID | CFIR_FILEFLAG_SETGID | CFIR_FILEFLAG_WORLD_WRITABLE | \
		     CFIR_FILEFLAG_ELF | CFIR_FILEFLAG_ELF_OUTSIDE_BIN | CFIR_FILEFLAG_SCRIPT | CFIR_FILEFLAG_TMP)

static void
feed(struct ictx *c, const void *buf, size_t len)
{
	size_t take;

	cfir_hash_update(c->h, buf, len);
	if (c->headlen < sizeof(c->head)) {
		take = sizeof(c->head) - c->headlen < len ? sizeof(c->head) - c->headlen : len;
		memcpy(c->head + c->headlen, buf, take);
		c->headlen += take;
	}
}

/* Zeros for a hole of a sparse member, up to a bound; false past it. */
static bool
fill(struct ictx *c, uint64_t n)
{
	size_t take;

	if (c->holes + n > HOLES_MAX)
		return false;
	c->holes += n;
	while (n > 0) {
		take = n < sizeof(zeros) ? (size_t)n : sizeof(zeros);
		feed(c, zeros, take);
		n -= take;
	}
	return true;
}

/*
 * Read the member's data; its SHA-256, or why there is none, into O. The
 * content is the member's size in bytes: holes are zeros, a block past the
 * size (a hostile sparse map) is not hashed, as bsdtar's mtree takes it.
 */
static int
content(struct ictx *c, struct archive *in, struct archive_entry *e, cJSON *o,
	struct cfir_tarindex_stats *st)
{
	const void *buf;
	size_t size;
	la_int64_t off, pos = 0, want = archive_entry_size(e);
	bool hashable = true, sparse = false;
	char hex[CFIR_SHA256_HEX];
	int r;

	while ((r = archive_read_data_block(in, &buf, &size, &off)) == ARCHIVE_OK) {
		if (off > pos) {
			sparse = true;
			if (hashable && pos < want)
				hashable = fill(c, (uint64_t)((off < want ? off : want) - pos));
			pos = off;
		}
		if (hashable && pos < want)
			feed(c, buf, (la_int64_t)size < want - pos ? size : (size_t)(want - pos));
		st->content_bytes += size;
		pos += (la_int64_t)size;
	}
	if (r == ARCHIVE_EOF && want > pos) {
		sparse = true;
		if (hashable)
			hashable = fill(c, (uint64_t)(want - pos));
	}
	if (sparse)
		cJSON_AddBoolToObject(o, "sparse", true);
	cfir_hash_final(c->h, c->digest);
	cfir_hex(c->digest, sizeof(c->digest), hex);
	if (r != ARCHIVE_EOF) {
		cJSON_AddBoolToObject(o, "truncated", true);
		cfir_json_add_str(o, "sha256", NULL);
		return -1;
	}
	cfir_json_add_str(o, "sha256", hashable ? hex : NULL);
	if (!hashable)
		cfir_json_add_str(o, "note", "sparse holes past 1 GiB in this stream: not hashed");
	return 0;
}

static void
add_time(cJSON *o, const char *key, la_int64_t sec, long nsec)
{
	struct timespec ts = { .tv_sec = (time_t)sec, .tv_nsec = nsec };
	char t[CFIR_TIME_LEN];

	cfir_util_time_rfc3339(&ts, t);
	cfir_json_add_str(o, key, t);
}

/* A member's turn: its type, its flags, and its line written. */
static int
emit(void *ctx, void *payload, const unsigned char *head, size_t headlen, bool typed,
     const char *mime, const char *desc, struct cfir_err *err)
{
	const struct cfir_tarindex_sink *s = ctx;
	struct member *m = payload;
	size_t len;
	char *line;
	int r;

	(void)head, (void)headlen;
	if (typed)
		cfir_filetype_json_add(m->o, mime, desc);
	cJSON_AddItemToObject(m->o, "flags", m->flags);
	line = cfir_json_line(m->o, &len);
	cJSON_Delete(m->o);
	free(m);
	if (line == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "index");
	r = s->index(s->ctx, line, len, err);
	free(line);
	return r;
}

static void
drop(void *ctx, void *payload)
{
	struct member *m = payload;

	(void)ctx;
	cJSON_Delete(m->o);
	cJSON_Delete(m->flags);
	free(m);
}

/* Hand a member to the queue; -1 once the index sink has failed. */
static int
enqueue(struct ictx *c, cJSON *o, cJSON *flags)
{
	struct member *m = malloc(sizeof(*m));

	if (m == NULL) {
		cJSON_Delete(o);
		cJSON_Delete(flags);
		c->sink_failed = true;
		return cfir_err_set(c->err, EX_OSERR, ENOMEM, "index");
	}
	m->o = o;
	m->flags = flags;
	/* the head decided the flags (elf, script) already: it goes on only to be typed */
	if (cfir_typeq_put(c->q, c->head, c->s->no_magic ? 0 : c->headlen, m, c->err) < 0) {
		c->sink_failed = true;
		return -1;
	}
	return 0;
}

/* The bytes of E's holes, from its sparse map: its size less its data. */
static uint64_t
holes(struct archive_entry *e)
{
	la_int64_t off, len, data = 0, size = archive_entry_size(e);

	if (archive_entry_sparse_reset(e) == 0)
		return 0;
	while (archive_entry_sparse_next(e, &off, &len) == ARCHIVE_OK)
		data += len;
	return size > data ? (uint64_t)(size - data) : 0;
}

/* The member's mtree entry, from its data's digest (none: the empty one); 1 when it has none. */
static int
mtree_add(struct ictx *c, struct archive_entry *e, const char *path, bool data)
{
	struct cfir_mtree_entry me = {
		.path = path, .type = archive_entry_filetype(e), .perm = archive_entry_perm(e),
		.uid = archive_entry_uid(e), .gid = archive_entry_gid(e), .size = archive_entry_size(e),
		.mtime = archive_entry_mtime(e), .mtime_nsec = archive_entry_mtime_nsec(e),
		.symlink = archive_entry_symlink(e), .sha256 = data ? c->digest : NULL,
	};
	int r = cfir_mtree_add(c->mtree, &me);

	if (r < 0) {
		cfir_err_set(c->err, EX_OSERR, ENOMEM, "mtree");
		c->sink_failed = true;
	}
	return r;
}

static int
one_member(struct ictx *c, struct archive *in, struct archive_entry *e,
	   struct cfir_tarindex_stats *st)
{
	cJSON *o = cJSON_CreateObject(), *flags;
	const char *path = archive_entry_pathname(e), *link;
	mode_t type = archive_entry_filetype(e), mode = archive_entry_perm(e);
	char m[16];
	int broken = 0, r = 0;
	bool nomtree, data;

	if (path == NULL)
		path = "";
	c->headlen = 0;
	cfir_json_add_bytes(o, "path", path, strlen(path));
	link = archive_entry_hardlink(e);
	cfir_json_add_str(o, "type", link ? "hardlink" : cfir_filetype_name(type));
	cfir_json_add_num(o, "size", (double)archive_entry_size(e));
	snprintf(m, sizeof(m), "%04o", (unsigned)(archive_entry_mode(e) & 07777));
	cfir_json_add_str(o, "mode", m);
	cfir_json_add_num(o, "uid", (double)archive_entry_uid(e));
	cfir_json_add_num(o, "gid", (double)archive_entry_gid(e));
	add_time(o, "mtime", archive_entry_mtime(e), archive_entry_mtime_nsec(e));
	if (link == NULL)
		link = archive_entry_symlink(e);
	if (link != NULL)
		cfir_json_add_bytes(o, "link", link, strlen(link));
	if (type == AE_IFCHR || type == AE_IFBLK) {
		snprintf(m, sizeof(m), "%u,%u", (unsigned)archive_entry_rdevmajor(e),
			 (unsigned)archive_entry_rdevminor(e));
		cfir_json_add_str(o, "rdev", m);
	}
	cfir_json_add_num(o, "offset", (double)archive_read_header_position(in));

	/* a member whose holes cannot be hashed has no line in the mtree: none that would lie */
	nomtree = type == AE_IFREG && holes(e) > HOLES_MAX - c->holes;
	data = type == AE_IFREG && archive_entry_hardlink(e) == NULL;
	if (data)
		broken = content(c, in, e, o, st);
	/* out of memory: the index says so once this member is queued */
	if (!nomtree)
		r = mtree_add(c, e, path, data);
	if (nomtree || r > 0)
		cJSON_AddBoolToObject(o, "mtree", false);
	flags = cfir_fileflags_json(cfir_fileflags_get(&(struct cfir_fileflags_of){
		.path = path, .mode = type | mode, .head = c->head, .headlen = c->headlen }, INDEX_FLAGS));
	if (cJSON_GetArraySize(flags) > 0)
		st->flagged++;
	if (enqueue(c, o, flags) < 0)
		return -1;
	return broken;
}

static int members(struct ictx *c, struct archive *in, struct cfir_tarindex_stats *st);

static int
run(struct ictx *c, struct archive *in, struct cfir_tarindex_stats *st)
{
	const struct cfir_typeq_ops ops = { emit, drop, (void *)c->s };
	struct cfir_typeq_stats qs;
	struct cfir_err qerr = { 0 };
	int rc;

	memset(st, 0, sizeof(*st));
	st->typed = !c->s->no_magic;
	if (cfir_typeq_open(&c->q, 0, !c->s->no_magic, &ops, c->err) < 0)
		return cfir_err_wrap(c->err, "index");
	rc = members(c, in, st);
	if (cfir_typeq_close(c->q, &qs, &qerr) < 0) {
		*c->err = qerr;	/* the index sink's */
		c->sink_failed = true;
		rc = -1;
	}
	if (qs.untyped[0] != '\0') {
		st->typed = false;
		snprintf(st->untyped, sizeof(st->untyped), "%.250s", qs.untyped);
	}
	return rc;
}

static int
members(struct ictx *c, struct archive *in, struct cfir_tarindex_stats *st)
{
	struct archive_entry *e;
	struct cfir_err merr = { 0 };	/* the source's error is the one to say */
	int r;

	c->h = cfir_hash_new();
	c->mtree = cfir_mtree_new();
	if (c->h == NULL || c->mtree == NULL) {
		cfir_hash_free(c->h);
		cfir_mtree_free(c->mtree);
		return cfir_err_set(c->err, EX_OSERR, ENOMEM, "index");
	}
	for (;;) {
		r = archive_read_next_header(in, &e);
		if (r == ARCHIVE_EOF) {
			st->complete = true;
			break;
		}
		if (r < ARCHIVE_WARN) {
			snprintf(st->error, sizeof(st->error), "the tar breaks at member %llu: %s",
				 (unsigned long long)st->members + 1, archive_error_string(in));
			break;
		}
		st->members++;
		r = one_member(c, in, e, st);
		if (c->sink_failed || c->source_failed)
			break;
		if (r < 0) {
			snprintf(st->error, sizeof(st->error), "member %llu is cut short: %s",
				 (unsigned long long)st->members,
				 archive_error_string(in) ? archive_error_string(in) : "no data");
			break;
		}
	}
	/* the members read so far, also when the source broke: kept as partial with the rest */
	if (!c->sink_failed && cfir_mtree_write(c->mtree, c->s->mtree, c->s->ctx,
						c->source_failed ? &merr : c->err) < 0)
		c->sink_failed = !c->source_failed;
	cfir_mtree_free(c->mtree);
	cfir_hash_free(c->h);
	return c->sink_failed || c->source_failed ? -1 : 0;
}

static struct archive *
tar_reader(void)
{
	struct archive *in = archive_read_new();

	/* tar only: hostile bytes choose no other format and no decompressor */
	if (in != NULL && archive_read_support_format_tar(in) != ARCHIVE_OK) {
		archive_read_free(in);
		return NULL;
	}
	return in;
}

int
cfir_tarindex_pull(struct cfir_engine_pull *p, const struct cfir_tarindex_sink *s,
		   struct cfir_tarindex_stats *st, struct cfir_err *err)
{
	struct ictx c = { .s = s, .err = err, .pull = p };
	struct archive *in = tar_reader();
	int r;

	if (in == NULL)
		return cfir_dl_fail(err, "libarchive", "tar reader");
	if (archive_read_open(in, &c, NULL, read_pull, NULL) != ARCHIVE_OK) {
		memset(st, 0, sizeof(*st));
		if (!c.source_failed)
			snprintf(st->error, sizeof(st->error), "not a tar: %s",
				 archive_error_string(in));
		archive_read_free(in);
		return c.source_failed ? -1 : 0;
	}
	r = run(&c, in, st);
	archive_read_free(in);
	return r;
}

int
cfir_tarindex_memory(const void *buf, size_t len, const struct cfir_tarindex_sink *s,
		     struct cfir_tarindex_stats *st, struct cfir_err *err)
{
	struct ictx c = { .s = s, .err = err };
	struct archive *in = tar_reader();
	int r;

	if (in == NULL)
		return cfir_dl_fail(err, "libarchive", "tar reader");
	if (archive_read_open_memory(in, buf, len) != ARCHIVE_OK) {
		memset(st, 0, sizeof(*st));
		snprintf(st->error, sizeof(st->error), "not a tar: %s", archive_error_string(in));
		archive_read_free(in);
		return 0;
	}
	r = run(&c, in, st);
	archive_read_free(in);
	return r;
}
