/* bag-walk.c - one walk of a bag directory, one set of rules for all who read it */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bag.h"
#include "common/cleanup.h"

#define WALK_DEPTH_MAX 64

struct dent {
	char *name;
	unsigned char type;	/* d_type as readdir gave it */
};

enum cfir_bag_kind
cfir_bag_classify(const char *path, mode_t mode)
{
	const char *name = strrchr(path, '/');

	name = name ? name + 1 : path;
	if (S_ISDIR(mode))
		return CFIR_BAG_DIR;
	if (!S_ISREG(mode))
		return CFIR_BAG_SPECIAL;
	if (strncmp(name, CFIR_BAG_TMP_PREFIX, strlen(CFIR_BAG_TMP_PREFIX)) == 0)
		return CFIR_BAG_LEFTOVER;
	if (strncmp(path, "data/", 5) == 0)
		return CFIR_BAG_PAYLOAD;
	if (strcmp(path, "tagmanifest-sha256.txt") == 0 ||
	    strcmp(path, "tagmanifest-sha256.txt.minisig") == 0)
		return CFIR_BAG_TAGMANIFEST;
	return CFIR_BAG_TAG;
}

bool
cfir_bag_skipped(const char *path)
{
	return strcmp(path, CFIR_BAG_RESERVE) == 0;
}

static int
dent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dent *)a)->name, ((const struct dent *)b)->name);
}

static void
dents_free(struct dent *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* The entries of directory FD but "." and "..", in name order. */
static int
dents_read(int fd, struct dent **out, size_t *count)
{
	/* a descriptor of its own: a dup would share (and move) FD's offset */
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), e;
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dent *v = NULL, *nv;
	struct dirent *de;
	size_t n = 0, cap = 0;

	*out = NULL;
	*count = 0;
	if (d == NULL) {
		e = errno;
		if (dfd >= 0)
			close(dfd);
		errno = e;
		return -1;
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL)
				goto oom;
			v = nv;
		}
		v[n].name = strdup(de->d_name);
		if (v[n].name == NULL)
			goto oom;
		v[n].type = de->d_type;
		n++;
		errno = 0;
	}
	e = errno;
	closedir(d);
	if (e != 0) {
		dents_free(v, n);
		errno = e;
		return -1;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), dent_cmp);
	*out = v;
	*count = n;
	return 0;
oom:
	closedir(d);
	dents_free(v, n);
	errno = ENOMEM;
	return -1;
}

/* The type d_type says, or 0 when it does not say (DT_UNKNOWN). */
static mode_t
dtype_mode(unsigned char type)
{
	switch (type) {
	case DT_DIR:
		return S_IFDIR;
	case DT_REG:
		return S_IFREG;
	case DT_LNK:
		return S_IFLNK;
	case DT_FIFO:
		return S_IFIFO;
	case DT_SOCK:
		return S_IFSOCK;
	case DT_CHR:
		return S_IFCHR;
	case DT_BLK:
		return S_IFBLK;
	default:
		return 0;
	}
}

struct walk {
	unsigned flags;
	cfir_bag_walk_fn fn;
	void *ctx;
	struct cfir_err *err;
};

static int walk_dir(struct walk *w, int fd, const char *rel, int depth);

/* One entry NAME of directory FD; its directory is entered after FN saw it. */
static int
walk_one(struct walk *w, int fd, const char *rel, int depth, const struct dent *d)
{
	cleanup_free char *path = NULL;
	struct cfir_bag_entry e = { .dirfd = fd, .name = d->name };
	struct stat st;
	mode_t mode = 0;
	int r, sub;

	if (asprintf(&path, "%s%s%s", rel, *rel ? "/" : "", d->name) < 0)
		return cfir_err_set(w->err, EX_OSERR, ENOMEM, "bag walk");
	e.path = path;
	if (!(w->flags & CFIR_BAG_WALK_NO_DTYPE))
		mode = dtype_mode(d->type);
	if (mode == 0) {
		/* XFS without ftype, some network and FUSE file systems: ask the inode */
		if (fstatat(fd, d->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				return 0;	/* gone meanwhile */
			e.kind = CFIR_BAG_UNREADABLE;
			e.sys = errno;
			return w->fn(w->ctx, &e, w->err);
		}
		mode = st.st_mode & S_IFMT;
	}
	if (S_ISREG(mode) && cfir_bag_skipped(path))
		return 0;
	e.kind = cfir_bag_classify(path, mode);
	r = w->fn(w->ctx, &e, w->err);
	if (r != 0 || e.kind != CFIR_BAG_DIR)
		return r < 0 ? -1 : 0;
	if (depth + 1 >= WALK_DEPTH_MAX) {
		e.kind = CFIR_BAG_UNREADABLE;
		e.sys = ELOOP;
		return w->fn(w->ctx, &e, w->err);
	}
	sub = openat(fd, d->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0) {
		e.kind = CFIR_BAG_UNREADABLE;
		e.sys = errno;
		return w->fn(w->ctx, &e, w->err);
	}
	r = walk_dir(w, sub, path, depth + 1);
	close(sub);
	return r;
}

static int
walk_dir(struct walk *w, int fd, const char *rel, int depth)
{
	struct dent *v;
	size_t n, i;
	int r = 0;

	if (dents_read(fd, &v, &n) < 0) {
		struct cfir_bag_entry e = { .kind = CFIR_BAG_UNREADABLE, .path = *rel ? rel : ".",
					    .dirfd = fd, .name = ".", .sys = errno };

		return w->fn(w->ctx, &e, w->err) < 0 ? -1 : 0;
	}
	for (i = 0; i < n && r == 0; i++)
		r = walk_one(w, fd, rel, depth, &v[i]);
	dents_free(v, n);
	return r;
}

int
cfir_bag_walk(int dirfd, unsigned flags, cfir_bag_walk_fn fn, void *ctx, struct cfir_err *err)
{
	struct walk w = { flags, fn, ctx, err };

	return walk_dir(&w, dirfd, "", 0);
}
