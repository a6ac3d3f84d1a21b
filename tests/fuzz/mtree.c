/* fuzz: cfir's mtree against libarchive's own writer, over the members of crafted tar input */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "common/hash.h"
#include "common/mtree.h"
#include "common/tarindex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct buf {
	char *p;
	size_t len;
};

static int
ours(void *ctx, const void *b, size_t len, struct cfir_err *err)
{
	struct buf *o = ctx;
	char *p = realloc(o->p, o->len + len + 1);

	(void)err;
	if (p == NULL)
		abort();
	memcpy(p + o->len, b, len);
	o->len += len;
	o->p = p;
	return 0;
}

static la_ssize_t
theirs(struct archive *a, void *ctx, const void *b, size_t len)
{
	(void)a;
	ours(ctx, b, len, NULL);
	return (la_ssize_t)len;
}

/* A parent path component over 255 bytes: libarchive gives up on the whole mtree; cfir on the member. */
static int
long_component(const char *path)
{
	const char *s = path, *slash;

	while ((slash = strchr(s, '/')) != NULL) {
		if (slash - s > 255)
			return 1;
		s = slash + 1;
	}
	return 0;
}

/* One member into both; -1 when they cannot be compared. */
static int
member(struct archive *in, struct archive_entry *e, struct archive *la, struct cfir_mtree *m, struct cfir_hash *h)
{
	unsigned char md[CFIR_SHA256_LEN], blk[4096];
	const char *path = archive_entry_pathname(e);
	bool data = archive_entry_filetype(e) == AE_IFREG && archive_entry_hardlink(e) == NULL;
	struct cfir_mtree_entry me;
	uint64_t left = archive_entry_size(e) > 0 ? (uint64_t)archive_entry_size(e) : 0;
	la_ssize_t n;

	if (path == NULL || long_component(path) || strlen(path) > 4096 || archive_entry_size(e) > (16 << 20))
		return -1;
	if (archive_write_header(la, e) < ARCHIVE_WARN)
		return -1;
	/* libarchive's writer takes no more than the member's size: neither does the index */
	while (data && (n = archive_read_data(in, blk, sizeof(blk))) > 0) {
		cfir_hash_update(h, blk, (size_t)n < left ? (size_t)n : (size_t)left);
		left -= (size_t)n < left ? (uint64_t)n : left;
		archive_write_data(la, blk, (size_t)n);
	}
	archive_write_finish_entry(la);
	cfir_hash_final(h, md);
	me = (struct cfir_mtree_entry){
		.path = path, .type = archive_entry_filetype(e), .perm = archive_entry_perm(e),
		.uid = archive_entry_uid(e), .gid = archive_entry_gid(e), .size = archive_entry_size(e),
		.mtime = archive_entry_mtime(e), .mtime_nsec = archive_entry_mtime_nsec(e),
		.symlink = archive_entry_symlink(e), .sha256 = data ? md : NULL,
	};
	return cfir_mtree_add(m, &me) < 0 ? -1 : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct archive *in = archive_read_new(), *la = archive_write_new();
	struct cfir_mtree *m = cfir_mtree_new();
	struct cfir_hash *h = cfir_hash_new();
	struct archive_entry *e;
	struct buf a = { 0 }, b = { 0 };
	struct cfir_err err = { 0 };
	int comparable = 1, r, members = 0;

	if (in == NULL || la == NULL || m == NULL || h == NULL)
		abort();
	archive_read_support_format_tar(in);
	archive_write_set_format_mtree(la);
	archive_write_set_options(la, CFIR_MTREE_KEYWORDS);
	archive_write_set_bytes_per_block(la, 0);
	archive_write_open2(la, &b, NULL, theirs, NULL, NULL);
	if (archive_read_open_memory(in, data, size) == ARCHIVE_OK)
		while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)
			if (++members > 2000 || member(in, e, la, m, h) < 0) {
				comparable = 0;
				break;
			}
	archive_write_close(la);
	cfir_mtree_write(m, ours, &a, &err);
	/* the same bytes, or both nothing */
	if (comparable && (a.len != b.len || (a.len > 0 && memcmp(a.p, b.p, a.len) != 0))) {
		if (getenv("MTREE_PRINT"))
			fprintf(stderr, "cfir:\n%.*s\nlibarchive:\n%.*s\n", (int)a.len, a.p ? a.p : "",
				(int)b.len, b.p ? b.p : "");
		abort();
	}
	free(a.p);
	free(b.p);
	archive_write_free(la);
	archive_read_free(in);
	cfir_mtree_free(m);
	cfir_hash_free(h);
	return 0;
}
