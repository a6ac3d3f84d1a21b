/* test_layers.c - the merge of overlay layers into a tar, on crafted and hostile layers */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "common/layers.h"
#include "tests/unit/unit.h"

struct buf {
	char *p;
	size_t n, cap;
};

static int
sink(void *ctx, const void *data, size_t len, struct cfir_err *err)
{
	struct buf *b = ctx;

	(void)err;
	if (b->n + len > b->cap) {
		b->cap = (b->n + len) * 2;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			return -1;
	}
	memcpy(b->p + b->n, data, len);
	b->n += len;
	return 0;
}

static char *
at(const char *root, const char *rel)
{
	static char p[8][8192];
	static int i;

	i = (i + 1) % 8;
	snprintf(p[i], sizeof(p[i]), "%s/%s", root, rel);
	return p[i];
}

static void
put(const char *root, const char *rel, const char *text)
{
	int fd = open(at(root, rel), O_CREAT | O_WRONLY | O_TRUNC, 0644);

	CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

/* The tar read back: one "path type size [-> link] [= hardlink]" line a member, in order. */
static char *
listing(const struct buf *b, size_t *members)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	size_t cap = 1 << 16, n = 0;
	char *out = calloc(1, cap);
	const char *l;

	archive_read_support_format_tar(a);
	CHECK(archive_read_open_memory(a, b->p, b->n) == ARCHIVE_OK);
	*members = 0;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		(*members)++;
		if (n + 600 > cap)
			continue;
		n += (size_t)snprintf(out + n, cap - n, "%.200s %o %lld", archive_entry_pathname(e),
				      (unsigned)archive_entry_filetype(e) >> 12, (long long)archive_entry_size(e));
		if ((l = archive_entry_symlink(e)) != NULL)
			n += (size_t)snprintf(out + n, cap - n, " -> %.200s", l);
		if ((l = archive_entry_hardlink(e)) != NULL)
			n += (size_t)snprintf(out + n, cap - n, " = %.200s", l);
		n += (size_t)snprintf(out + n, cap - n, "|");
	}
	archive_read_free(a);
	return out;
}

static unsigned flags = CFIR_LAYERS_AUFS;

static int
run(const char *l0, const char *l1, const char *l2, const char *only, struct buf *b,
    struct cfir_layers_stats *st)
{
	char *dirs[3] = { (char *)l0, (char *)l1, (char *)l2 };
	struct cfir_err err = { 0 };
	int r;

	memset(b, 0, sizeof(*b));
	r = cfir_layers_tar(dirs, l2 ? 3 : l1 ? 2 : 1, only, flags, sink, b, st, &err);
	if (r < 0)
		fprintf(stderr, "    layers: %s\n", err.msg);
	return r;
}

static void
layer_dirs(char **l0, char **l1, char **l2)
{
	const char *t = unit_tmpdir();

	*l0 = strdup(at(t, "upper"));
	*l1 = strdup(at(t, "mid"));
	*l2 = strdup(at(t, "base"));
	CHECK(mkdir(*l0, 0755) == 0 && mkdir(*l1, 0755) == 0 && mkdir(*l2, 0755) == 0);
}

/* Whiteouts both ways, opaque directories both ways, a directory over a file and back. */
static void
merge(void)
{
	char *u, *m, *b;
	struct cfir_layers_stats st;
	struct buf out, again;
	size_t n;
	char *ls;

	layer_dirs(&u, &m, &b);
	CHECK(mkdir(at(b, "etc"), 0755) == 0 && mkdir(at(b, "opq"), 0755) == 0 && mkdir(at(b, "aufs"), 0755) == 0);
	put(b, "etc/passwd", "root\n");
	put(b, "etc/shadow", "x\n");
	put(b, "etc/gone", "x\n");
	put(b, "opq/old", "x\n");
	put(b, "aufs/old", "x\n");
	put(b, "wasfile", "x\n");
	CHECK(mkdir(at(b, "wasdir"), 0755) == 0);
	put(b, "wasdir/child", "x\n");
	CHECK(mkdir(at(m, "etc"), 0755) == 0);
	CHECK(mknod(at(m, "etc/gone"), S_IFCHR | 0, makedev(0, 0)) == 0);	/* overlay's whiteout */
	put(m, "etc/.wh.shadow", "");						/* aufs' */
	CHECK(mkdir(at(u, "opq"), 0755) == 0 && mkdir(at(u, "aufs"), 0755) == 0);
	CHECK(setxattr(at(u, "opq"), "trusted.overlay.opaque", "y", 1, 0) == 0);
	put(u, "opq/new", "n\n");
	put(u, "aufs/.wh..wh..opq", "");
	put(u, "aufs/new", "n\n");
	CHECK(mkdir(at(u, "wasfile"), 0755) == 0);
	put(u, "wasdir", "now a file\n");
	CHECK(mkdir(at(u, "etc"), 0755) == 0);
	put(u, "etc/passwd", "root\nevil\n");
	CHECK(run(u, m, b, NULL, &out, &st) == 0);
	ls = listing(&out, &n);
	CHECK_STR(ls, "aufs/ 4 0|aufs/new 10 2|etc/ 4 0|etc/passwd 10 10|opq/ 4 0|opq/new 10 2|"
		      "wasdir 10 11|wasfile/ 4 0|");
	CHECK(st.whiteouts == 2 && st.opaque == 2 && !st.opaque_root);
	free(ls);
	/* the same layers, the same bytes */
	CHECK(run(u, m, b, NULL, &again, &st) == 0);
	CHECK(again.n == out.n && memcmp(again.p, out.p, out.n) == 0);
	free(again.p);
	free(out.p);
	/* a path and what is under it, nothing else */
	CHECK(run(u, m, b, "/etc/", &out, &st) == 0);
	ls = listing(&out, &n);
	CHECK_STR(ls, "etc/ 4 0|etc/passwd 10 10|");
	free(ls);
	free(out.p);
	CHECK(run(u, m, b, "etc/../..", &out, &st) < 0);
	CHECK(run(u, m, b, "etc/gone", &out, &st) < 0);
	/* kernel overlay layers: aufs' names are files the container made, hiding nothing */
	flags = 0;
	put(u, "etc/.wh.passwd", "");
	put(u, ".wh.opq", "");
	CHECK(run(u, m, b, NULL, &out, &st) == 0);
	ls = listing(&out, &n);
	CHECK_STR(ls, ".wh.opq 10 0|aufs/ 4 0|aufs/.wh..wh..opq 10 0|aufs/new 10 2|aufs/old 10 2|etc/ 4 0|"
		      "etc/.wh.passwd 10 0|etc/.wh.shadow 10 0|etc/passwd 10 10|etc/shadow 10 2|opq/ 4 0|opq/new 10 2|"
		      "wasdir 10 11|wasfile/ 4 0|");
	CHECK(st.whiteouts == 1 && st.opaque == 1);
	free(ls);
	free(out.p);
	flags = CFIR_LAYERS_AUFS;
	free(u), free(m), free(b);
}

/* Links never followed, a whiteout of "..", an opaque root, special files, capabilities. */
static void
hostile(void)
{
	char *u, *m, *b, *ls;
	struct cfir_layers_stats st;
	struct archive *a;
	struct archive_entry *e;
	struct buf out;
	const char *name;
	const void *val;
	size_t n, vlen;
	bool cap = false;

	layer_dirs(&u, &m, &b);
	CHECK(symlink("loop2", at(u, "loop1")) == 0 && symlink("loop1", at(u, "loop2")) == 0);
	CHECK(symlink("/etc/shadow", at(u, "abs")) == 0 && symlink("../../../../../../etc", at(u, "up")) == 0);
	put(u, ".wh...", "");
	CHECK(mkfifo(at(u, "fifo"), 0600) == 0);
	CHECK(mknod(at(u, "null"), S_IFCHR | 0666, makedev(1, 3)) == 0);
	put(b, "lower", "shared inode\n");
	CHECK(link(at(b, "lower"), at(u, "upper-link")) == 0);	/* a hard link across layers */
	put(u, "capped", "#!/bin/sh\n");
	CHECK(setxattr(at(u, "capped"), "security.capability",
		       "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20, 0) == 0);
	CHECK(setxattr(u, "trusted.overlay.opaque", "y", 1, 0) == 0);
	CHECK(run(u, b, NULL, NULL, &out, &st) == 0);
	ls = listing(&out, &n);
	CHECK_STR(ls, "abs 12 0 -> /etc/shadow|capped 10 10|fifo 1 0|loop1 12 0 -> loop2|loop2 12 0 -> loop1|"
		      "lower 10 13|null 2 0|up 12 0 -> ../../../../../../etc|upper-link 0 0 = lower|");
	CHECK(st.opaque_root && st.hardlinks == 1 && st.fifos == 1 && st.devices == 1);
	a = archive_read_new();
	archive_read_support_format_tar(a);
	archive_read_open_memory(a, out.p, out.n);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		if (strcmp(archive_entry_pathname(e), "capped") != 0)
			continue;
		archive_entry_xattr_reset(e);
		while (archive_entry_xattr_next(e, &name, &val, &vlen) == ARCHIVE_OK)
			cap |= strcmp(name, "security.capability") == 0 && vlen == 20;
	}
	archive_read_free(a);
	CHECK(cap);
	free(ls);
	free(out.p);
	free(u), free(m), free(b);
}

/* 100 GiB with 5 bytes in it: the tar holds the bytes and a sparse map, at once. */
static void
sparse(void)
{
	char *u, *m, *b, *ls;
	struct cfir_layers_stats st;
	struct buf out;
	size_t n;
	int fd;

	layer_dirs(&u, &m, &b);
	fd = open(at(u, "huge"), O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0 && ftruncate(fd, 100ll << 30) == 0);
	CHECK(pwrite(fd, "hello", 5, 50ll << 30) == 5);
	close(fd);
	fd = open(at(u, "holes"), O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0 && ftruncate(fd, 1ll << 30) == 0);
	close(fd);
	CHECK(run(u, NULL, NULL, NULL, &out, &st) == 0);
	ls = listing(&out, &n);
	CHECK_STR(ls, "holes 10 1073741824|huge 10 107374182400|");
	CHECK(out.n < (1u << 20) && st.sparse == 2 && st.bytes <= 8192);
	free(ls);
	free(out.p);
	free(u), free(m), free(b);
}

/* 10,000 levels: walked whole with a few fds; names near NAME_MAX, paths past PATH_MAX. */
static void
deep(void)
{
	char *u, *m, *b, *ls, name[251];
	struct cfir_layers_stats st;
	struct buf out;
	size_t n, i;
	int fd, sub;

	layer_dirs(&u, &m, &b);
	fd = open(u, O_RDONLY | O_DIRECTORY);
	for (i = 0; fd >= 0 && i < 10000; i++) {
		CHECK(mkdirat(fd, "d", 0755) == 0);
		sub = openat(fd, "d", O_RDONLY | O_DIRECTORY);
		close(fd);
		fd = sub;
	}
	close(fd);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	fd = open(m, O_RDONLY | O_DIRECTORY);
	for (i = 0; fd >= 0 && i < 20; i++) {	/* 5 KB of path */
		CHECK(mkdirat(fd, name, 0755) == 0);
		sub = openat(fd, name, O_RDONLY | O_DIRECTORY);
		close(fd);
		fd = sub;
	}
	close(fd);
	CHECK(run(u, m, NULL, NULL, &out, &st) == 0);
	ls = listing(&out, &n);
	CHECK(n == 10020 && st.skipped == 0);
	free(ls);
	free(out.p);
	free(u), free(m), free(b);
}

/* A sink that renames a directory of the layer once the walk is inside it, as a running container can. */
struct mover {
	struct buf b;
	const char *from, *to;
	bool moved;
};

static int
moving_sink(void *ctx, const void *data, size_t len, struct cfir_err *err)
{
	struct mover *mv = ctx;

	if (!mv->moved && mv->b.n > (64u << 10)) {
		CHECK(rename(mv->from, mv->to) == 0);
		mv->moved = true;
	}
	return sink(&mv->b, data, len, err);
}

static void
moved(void)
{
	char *u, *m, *b, *ls, big[65536], from[600], to[600];
	char *dirs[1];
	struct cfir_layers_stats st;
	struct cfir_err err = { 0 };
	struct mover mv = { 0 };
	size_t n;
	int i;

	layer_dirs(&u, &m, &b);
	dirs[0] = u;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(mkdir(at(u, "a"), 0755) == 0 && mkdir(at(u, "a/sub"), 0755) == 0 && mkdir(at(u, "c"), 0755) == 0 &&
	      mkdir(at(u, "z"), 0755) == 0);
	for (i = 0; i < 8; i++) {
		char name[32];

		snprintf(name, sizeof(name), "a/sub/f%d", i);
		put(u, name, big);
	}
	put(u, "z/after", "still here\n");
	snprintf(from, sizeof(from), "%s", at(u, "a/sub"));
	snprintf(to, sizeof(to), "%s", at(u, "c/sub"));
	mv.from = from;
	mv.to = to;
	CHECK(cfir_layers_tar(dirs, 1, NULL, 0, moving_sink, &mv, &st, &err) == 0);
	CHECK(mv.moved);
	ls = listing(&mv.b, &n);
	/* the walk came back up into a/ by its path, and went on: z/ is there */
	CHECK(strstr(ls, "z/after 10 11|") != NULL);
	free(ls);
	free(mv.b.p);
	free(u), free(m), free(b);
}

UNIT_SUITE(layers_tests) = {
	{ "layers_moved", moved },
	{ "layers_merge", merge },
	{ "layers_hostile", hostile },
	{ "layers_sparse", sparse },
	{ "layers_deep", deep },
	UNIT_END,
};
