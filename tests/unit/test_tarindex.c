/* test_tarindex.c - the index builder on hostile tars made here with libarchive */
#include <stdlib.h>

#include <archive.h>
#include <archive_entry.h>

#include "common/cleanup.h"
#include "common/hash.h"
#include "common/tarindex.h"
#include "tests/unit/unit.h"

struct out {
	char *index, *mtree;
	size_t ilen, mlen;
};

static int
append(char **buf, size_t *len, const void *data, size_t n)
{
	char *p = realloc(*buf, *len + n + 1);

	if (p == NULL)
		return -1;
	memcpy(p + *len, data, n);
	*len += n;
	p[*len] = '\0';
	*buf = p;
	return 0;
}

static int
on_index(void *ctx, const void *buf, size_t len, struct cfir_err *err)
{
	struct out *o = ctx;

	(void)err;
	return append(&o->index, &o->ilen, buf, len);
}

static int
on_mtree(void *ctx, const void *buf, size_t len, struct cfir_err *err)
{
	struct out *o = ctx;

	(void)err;
	return append(&o->mtree, &o->mlen, buf, len);
}

/* A pax tar of hostile members, in memory. */
static size_t
make_tar(unsigned char *buf, size_t cap)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	char longname[5000];
	size_t used = 0;

	archive_write_set_format_pax(a);
	archive_write_open_memory(a, buf, cap, &used);
#define ADD(path, type, perm, size, data)                                  \
	do {                                                               \
		archive_entry_clear(e);                                    \
		archive_entry_copy_pathname(e, path);                      \
		archive_entry_set_filetype(e, type);                       \
		archive_entry_set_perm(e, perm);                           \
		archive_entry_set_size(e, size);                           \
		archive_entry_set_mtime(e, 1700000000, 5);                 \
		archive_write_header(a, e);                                \
		if (size > 0)                                              \
			archive_write_data(a, data, (size_t)(size));       \
	} while (0)
	ADD("../../etc/evil", AE_IFREG, 0644, 5, "evil\n");
	ADD("/abs/path", AE_IFREG, 0644, 0, "");
	ADD("tmp/new\nline", AE_IFREG, 04755, 6, "#!/bin/sh");
	ADD("bad\xff\xfename", AE_IFREG, 0644, 4, "\x7f" "ELF");
	memset(longname, 'a', sizeof(longname) - 1);
	for (size_t i = 100; i < sizeof(longname) - 1; i += 100)
		longname[i] = '/';
	longname[sizeof(longname) - 1] = '\0';
	ADD(longname, AE_IFREG, 0666, 3, "abc");
	ADD("dev/fifo", AE_IFIFO, 0644, 0, "");
	archive_entry_clear(e);
	archive_entry_copy_pathname(e, "dev/sda");
	archive_entry_set_filetype(e, AE_IFBLK);
	archive_entry_set_perm(e, 0660);
	archive_entry_set_rdevmajor(e, 8);
	archive_entry_set_rdevminor(e, 0);
	archive_write_header(a, e);
	archive_entry_clear(e);
	archive_entry_copy_pathname(e, "etc/shadow-link");
	archive_entry_set_filetype(e, AE_IFLNK);
	archive_entry_set_perm(e, 0777);
	archive_entry_copy_symlink(e, "/etc/shadow");
	archive_write_header(a, e);
	archive_entry_clear(e);
	archive_entry_copy_pathname(e, "hard");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_copy_hardlink(e, "/etc/passwd");
	archive_write_header(a, e);
	/* a sparse member of 20 GiB with 3 bytes of data */
	archive_entry_clear(e);
	archive_entry_copy_pathname(e, "var/tmp/sparse");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, 20LL << 30);
	archive_entry_sparse_add_entry(e, 10LL << 30, 3);
	archive_write_header(a, e);
	archive_write_data(a, "xyz", 3);
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(e);
#undef ADD
	return used;
}

static bool
has_line(const char *index, const char *needle)
{
	return index != NULL && strstr(index, needle) != NULL;
}

static void
hostile_members(void)
{
	static unsigned char tar[1 << 20];
	size_t n = make_tar(tar, sizeof(tar));
	struct out o = { 0 };
	struct cfir_tarindex_sink s = { on_index, on_mtree, &o };
	struct cfir_tarindex_stats st;
	struct cfir_err err = { 0 };

	CHECK(n > 0);
	CHECK(cfir_tarindex_memory(tar, n, &s, &st, &err) == 0);
	CHECK(st.complete && st.error[0] == '\0');
	CHECK(st.members == 10);
	CHECK(has_line(o.index, "\"path\":\"../../etc/evil\""));
	CHECK(has_line(o.index, "\"path\":\"/abs/path\""));
	CHECK(has_line(o.index, "\"path\":\"tmp/new\\nline\""));
	CHECK(has_line(o.index, "\"flags\":[\"setuid\",\"script\",\"tmp\"]"));
	CHECK(has_line(o.index, "\"path_hex\":\"626164fffe6e616d65\""));
	CHECK(has_line(o.index, "\"flags\":[\"elf\",\"elf-outside-bin-dirs\"]"));
	CHECK(has_line(o.index, "\"world-writable\""));
	CHECK(has_line(o.index, "\"type\":\"fifo\""));
	CHECK(has_line(o.index, "\"type\":\"block\""));
	CHECK(has_line(o.index, "\"rdev\":\"8,0\""));
	CHECK(has_line(o.index, "\"type\":\"symlink\""));
	CHECK(has_line(o.index, "\"link\":\"/etc/shadow\""));
	CHECK(has_line(o.index, "\"type\":\"hardlink\""));
	CHECK(has_line(o.index, "\"link\":\"/etc/passwd\""));
	/* 20 GiB of holes are not hashed, and said so */
	CHECK(has_line(o.index, "\"sparse\":true,\"sha256\":null,\"note\":\"sparse holes past 1 GiB in this stream: not hashed\""));
	/* and the mtree has no line for it, none with a digest of part of it */
	CHECK(has_line(o.index, "\"mtree\":false"));
	CHECK(!has_line(o.mtree, "./var/tmp/sparse"));
	CHECK(has_line(o.index, "\"mtime\":\"2023-11-14T22:13:20.000000005Z\""));
	CHECK(o.mtree != NULL && strncmp(o.mtree, "#mtree\n", 7) == 0);
	CHECK(has_line(o.mtree, "./etc/shadow-link") && has_line(o.mtree, "link=/etc/shadow"));
	free(o.index);
	free(o.mtree);
}

static void
broken_tars(void)
{
	static unsigned char tar[1 << 20];
	size_t n = make_tar(tar, sizeof(tar)), cut;
	struct cfir_tarindex_stats st;
	struct cfir_err err = { 0 };

	/* cut anywhere: an index up to the cut, a reason, no crash */
	for (cut = 0; cut < n; cut += 509) {
		struct out o = { 0 };
		struct cfir_tarindex_sink s = { on_index, on_mtree, &o };

		CHECK(cfir_tarindex_memory(tar, cut, &s, &st, &err) == 0);
		CHECK(cut == 0 || !st.complete || st.members == 10);
		CHECK(st.complete || st.error[0] != '\0');
		free(o.index);
		free(o.mtree);
	}
	/* garbage in a header: said, not crashed on */
	{
		struct out o = { 0 };
		struct cfir_tarindex_sink s = { on_index, on_mtree, &o };

		memset(tar, 0xa5, 512);	/* the first header */
		CHECK(cfir_tarindex_memory(tar, n, &s, &st, &err) == 0);
		CHECK(!st.complete && st.error[0] != '\0');
		free(o.index);
		free(o.mtree);
	}
	{
		struct out o = { 0 };
		struct cfir_tarindex_sink s = { on_index, on_mtree, &o };

		CHECK(cfir_tarindex_memory("not a tar at all", 16, &s, &st, &err) == 0);
		CHECK(st.members == 0 && strstr(st.error, "not a tar") != NULL);
		free(o.index);
		free(o.mtree);
	}
}

static int
fail_sink(void *ctx, const void *buf, size_t len, struct cfir_err *err)
{
	(void)ctx, (void)buf, (void)len;
	return cfir_err_set(err, EX_IOERR, 28, "write 'index'");
}

static void
sink_failure(void)
{
	static unsigned char tar[1 << 20];
	size_t n = make_tar(tar, sizeof(tar));
	struct out o = { 0 };
	struct cfir_tarindex_sink s = { fail_sink, on_mtree, &o };
	struct cfir_tarindex_stats st;
	struct cfir_err err = { 0 };

	CHECK(cfir_tarindex_memory(tar, n, &s, &st, &err) < 0);
	CHECK(err.exit == EX_IOERR && strstr(err.msg, "index") != NULL);
	free(o.mtree);
}

/* A tar of what libarchive's mtree writer treats in its own way. */
static size_t
quirks_tar(unsigned char *buf, size_t cap)
{
	static const struct { const char *path; mode_t type; long nsec; const char *data; } m[] = {
		{ "./", AE_IFDIR, 0, NULL },			/* written "/." */
		{ "z", AE_IFREG, 123, "last by name" },
		{ "a/b/c/deep", AE_IFREG, 0, "x" },		/* a, a/b, a/b/c made up */
		{ "a/b", AE_IFDIR, 999999999, NULL },		/* then given */
		{ "a\x80high", AE_IFREG, 0, "h" },		/* sorts after "a" and "aZ" */
		{ "aZ", AE_IFREG, 0, "z" },
		{ "a#b=c\\d e\tf", AE_IFREG, 0, "q" },		/* quoted */
		{ "dup", AE_IFREG, 0, "first" },
		{ "dup", AE_IFREG, 7, "second wins" },
		{ "dirthenfile", AE_IFDIR, 0, NULL },
		{ "dirthenfile", AE_IFREG, 0, "now a file" },
		{ "filethendir", AE_IFREG, 0, "a file" },
		{ "filethendir", AE_IFDIR, 0, NULL },
		{ "filethendir/under", AE_IFREG, 0, "refused" },	/* under a file: no line */
		{ "x//y/./z/../w/", AE_IFDIR, 0, NULL },	/* folded */
		{ "/abs/../../rel", AE_IFREG, 0, "r" },
		{ "sock", AE_IFSOCK, 0, NULL },
		{ "chr", AE_IFCHR, 0, NULL },
		{ "", AE_IFREG, 0, "no name" },
	};
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	char longname[300];
	size_t used = 0, i;

	archive_write_set_format_pax(a);
	archive_write_open_memory(a, buf, cap, &used);
	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		archive_entry_clear(e);
		archive_entry_copy_pathname(e, m[i].path);
		archive_entry_set_filetype(e, m[i].type);
		archive_entry_set_perm(e, m[i].type == AE_IFDIR ? 0755 : 0640);
		archive_entry_set_uid(e, (la_int64_t)i);
		archive_entry_set_mtime(e, 1700000000 + (time_t)i, m[i].nsec);
		archive_entry_set_size(e, m[i].data ? (la_int64_t)strlen(m[i].data) : 0);
		archive_write_header(a, e);
		if (m[i].data != NULL)
			archive_write_data(a, m[i].data, strlen(m[i].data));
	}
	memset(longname, 'n', sizeof(longname) - 1);	/* a component over 255 bytes: no line */
	longname[sizeof(longname) - 1] = '\0';
	archive_entry_clear(e);
	archive_entry_copy_pathname(e, longname);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_write_header(a, e);
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(e);
	return used;
}

/* What bsdtar makes of the same tar, when it is here. */
static char *
bsdtar_mtree(const unsigned char *tar, size_t n)
{
	char path[512], cmd[700], *out = NULL;
	size_t len = 0, got;
	char chunk[4096];
	FILE *f, *p;

	snprintf(path, sizeof(path), "%s/q.tar", unit_tmpdir());
	if ((f = fopen(path, "w")) == NULL || fwrite(tar, 1, n, f) != n || fclose(f) != 0)
		return NULL;
	snprintf(cmd, sizeof(cmd), "bsdtar -cf - --format=mtree --options='%s' @%s 2>/dev/null",
		 CFIR_MTREE_KEYWORDS, path);
	if ((p = popen(cmd, "r")) == NULL)
		return NULL;
	while ((got = fread(chunk, 1, sizeof(chunk), p)) > 0)
		append(&out, &len, chunk, got);
	pclose(p);
	return out;
}

static void
mtree_as_bsdtar(void)
{
	static unsigned char tar[1 << 20];
	size_t (*makers[])(unsigned char *, size_t) = { make_tar, quirks_tar };
	size_t i, n;

	if (system("command -v bsdtar >/dev/null") != 0) {
		unit_skip("bsdtar (libarchive-tools) is not installed");
		return;
	}
	for (i = 0; i < sizeof(makers) / sizeof(makers[0]); i++) {
		struct out o = { 0 };
		struct cfir_tarindex_sink s = { on_index, on_mtree, &o };
		struct cfir_tarindex_stats st;
		struct cfir_err err = { 0 };
		char *want;

		n = makers[i](tar, sizeof(tar));
		CHECK(cfir_tarindex_memory(tar, n, &s, &st, &err) == 0);
		want = bsdtar_mtree(tar, n);
		/* the sparse member of the first has no line of ours: the rest is the same */
		if (i == 0 && want != NULL && strstr(want, "./var/tmp/sparse ") != NULL)
			*strstr(want, "./var/tmp/sparse ") = '\0';
		if (i == 0 && o.mtree != NULL && strstr(o.mtree, "./var/tmp/sparse ") != NULL)
			*strstr(o.mtree, "./var/tmp/sparse ") = '\0';
		CHECK_STR(o.mtree, want);
		if (i == 1) {
			CHECK(has_line(o.index, "\"path\":\"filethendir/under\"") && has_line(o.index, "\"mtree\":false"));
			CHECK(o.mtree != NULL && strstr(o.mtree, "\n/. time=") != NULL);
		}
		free(want);
		free(o.index);
		free(o.mtree);
	}
}

UNIT_SUITE(tarindex_tests) = {
	{ "tarindex: hostile names, links, devices, FIFOs, a 20 GiB sparse member", hostile_members },
	{ "tarindex: truncated and corrupt tars end the index with a reason", broken_tars },
	{ "tarindex: a failing sink stops it with the sink's error", sink_failure },
	{ "tarindex: the mtree is what bsdtar --format=mtree writes, quirks and all", mtree_as_bsdtar },
	UNIT_END,
};
