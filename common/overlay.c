/* overlay.c - walk an overlay upper directory with dirfds, never following links */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/overlay.h"
#include "common/util.h"

enum cfir_overlay_what
cfir_overlay_classify(const char *name, mode_t mode, dev_t rdev, bool aufs, const char **deleted)
{
	*deleted = NULL;
	if (S_ISCHR(mode) && major(rdev) == 0 && minor(rdev) == 0) {
		*deleted = name;
		return CFIR_OVERLAY_WHITEOUT;
	}
	if (!aufs)
		return CFIR_OVERLAY_ENTRY;
	if (strcmp(name, ".wh..wh..opq") == 0)
		return CFIR_OVERLAY_OPQ_MARKER;
	if (strncmp(name, ".wh.", 4) == 0 && name[4] != '\0') {
		*deleted = name + 4;
		return CFIR_OVERLAY_WHITEOUT;
	}
	return CFIR_OVERLAY_ENTRY;
}

bool
cfir_overlay_opaque(const char *xattr, size_t len)
{
	return len == 1 && xattr[0] == 'y';
}

/* An xattr of NAME in directory DFD, without following it. */
static ssize_t
xattr_at(int dfd, const char *name, const char *key, char *buf, size_t n)
{
	char path[64 + NAME_MAX];

	/* /proc/self/fd/N is our own directory; NAME is not followed (l-variant) */
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dfd, name);
	return lgetxattr(path, key, buf, n);
}

static int
openat2_beneath(int root, const char *path, int flags)
{
	struct open_how how = { .flags = (unsigned long long)flags,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };

	return (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
}

/*
 * Does PATH (relative) exist in the lower layers? Top to bottom: a
 * whiteout there means deleted in the image; an opaque parent ends the
 * search.
 */
static bool
in_lower(const int *lower, size_t nlower, const char *rel)
{
	cleanup_free char *parent = strdup(rel);
	char *slash = parent ? strrchr(parent, '/') : NULL;
	const char *dummy;
	struct stat sb;
	size_t i;
	int fd;

	if (slash != NULL)
		*slash = '\0';
	for (i = 0; i < nlower; i++) {
		if (lower[i] < 0)
			continue;
		fd = openat2_beneath(lower[i], rel, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			bool wh = fstat(fd, &sb) == 0 &&
				  cfir_overlay_classify(rel, sb.st_mode, sb.st_rdev, false, &dummy) == CFIR_OVERLAY_WHITEOUT;

			close(fd);
			return !wh;
		}
		if (slash != NULL) {
			char x[4];
			int pfd = openat2_beneath(lower[i], parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			ssize_t n = pfd >= 0 ? fgetxattr(pfd, "trusted.overlay.opaque", x, sizeof(x)) : -1;

			if (pfd >= 0)
				close(pfd);
			if (n > 0 && cfir_overlay_opaque(x, (size_t)n))
				return false;
		}
	}
	return false;
}

struct frame {
	DIR *d;
	size_t pathlen;		/* of this directory's path in the buffer */
	bool lower_visible;	/* the lower layers show through here */
};

struct walk {
	const struct cfir_rootfs *r;
	int *lower;
	cfir_overlay_fn fn;
	void *ctx;
	struct cfir_overlay_stats *st;
	char *path;		/* "/a/b" with room to grow */
	size_t cap;
};

static int
path_push(struct walk *w, size_t at, const char *name)
{
	size_t n = strlen(name);
	char *np;

	if (at + 1 + n + 1 > w->cap) {
		size_t cap = w->cap * 2 > at + n + 2 ? w->cap * 2 : at + n + 2;

		np = realloc(w->path, cap);
		if (np == NULL)
			return -1;
		w->path = np;
		w->cap = cap;
	}
	w->path[at] = '/';
	memcpy(w->path + at + 1, name, n + 1);
	return 0;
}

static void
skip(struct walk *w, const char *why)
{
	if (w->st->skipped++ == 0)
		snprintf(w->st->first_skip, sizeof(w->st->first_skip), "%.200s: %s",
			 w->path[0] ? w->path : "/", why);
}

/* One entry of directory DFD: report it; a directory is returned opened. */
/* E's file opened for the walker's callback, when it is still the regular file E stat'ed. */
static void
open_regular(int dfd, const char *name, struct cfir_overlay_entry *e)
{
	char x[512];

	/* O_NONBLOCK: if it became a FIFO meanwhile, nothing waits; the stat came first */
	e->fd = cfir_util_open_noatime(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (e->fd >= 0) {
		struct stat now;

		if (fstat(e->fd, &now) < 0 || !S_ISREG(now.st_mode) || now.st_ino != e->st.st_ino) {
			close(e->fd);
			e->fd = -1;
		}
	}
	if (e->fd >= 0 && fgetxattr(e->fd, "trusted.overlay.metacopy", x, sizeof(x)) >= 0)
		e->metacopy = true;
}

/*
 * A directory's overlay marks: opaque (overlay's xattr; aufs' marker file
 * is a file a container can make, not a mark), redirected (into X).
 */
static void
dir_marks(int dfd, const char *name, struct cfir_overlay_entry *e, char *x, size_t xlen)
{
	ssize_t n = xattr_at(dfd, name, "trusted.overlay.opaque", x, xlen);

	e->opaque = n > 0 && cfir_overlay_opaque(x, (size_t)n);
	n = xattr_at(dfd, name, "trusted.overlay.redirect", x, xlen - 1);
	if (n > 0) {
		x[n] = '\0';
		e->redirect = x;
	}
}

static int
entry(struct walk *w, int dfd, const char *name, size_t at, bool visible, DIR **sub,
      bool *sub_visible, struct cfir_err *err)
{
	struct cfir_overlay_entry e = { .fd = -1 };
	char link[4097], x[512];
	const char *deleted;
	ssize_t n;
	int r;

	*sub = NULL;
	if (fstatat(dfd, name, &e.st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;	/* gone meanwhile */
	/* a kernel overlay's upper directory: only a character device 0/0 is a whiteout */
	switch (cfir_overlay_classify(name, e.st.st_mode, e.st.st_rdev, false, &deleted)) {
	case CFIR_OVERLAY_OPQ_MARKER:
		return 0;	/* its directory was reported opaque already */
	case CFIR_OVERLAY_WHITEOUT:
		if (path_push(w, at, deleted) < 0)
			return cfir_err_set(err, EX_OSERR, ENOMEM, "diff");
		e.kind = 'D';
		break;
	default:
		if (path_push(w, at, name) < 0)
			return cfir_err_set(err, EX_OSERR, ENOMEM, "diff");
		e.kind = visible && in_lower(w->lower, w->r->nlower, w->path + 1) ? 'C' : 'A';
	}
	e.path = w->path;
	e.pathlen = strlen(w->path);
	if (e.kind != 'D' && S_ISLNK(e.st.st_mode)) {
		n = readlinkat(dfd, name, link, sizeof(link) - 1);
		link[n < 0 ? 0 : n] = '\0';
		e.link = link;
	}
	if (e.kind != 'D' && S_ISREG(e.st.st_mode))
		open_regular(dfd, name, &e);
	if (e.kind != 'D' && S_ISDIR(e.st.st_mode)) {
		dir_marks(dfd, name, &e, x, sizeof(x));
		*sub_visible = visible && e.kind == 'C' && !e.opaque;
	}
	w->st->entries++;
	r = w->fn(w->ctx, &e, err);
	if (e.fd >= 0)
		close(e.fd);
	if (r < 0)
		return -1;
	if (e.kind != 'D' && S_ISDIR(e.st.st_mode)) {
		int sfd = cfir_util_open_noatime(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		*sub = sfd >= 0 ? fdopendir(sfd) : NULL;
		if (*sub == NULL) {
			if (sfd >= 0)
				close(sfd);
			skip(w, strerror(errno));
		}
	}
	return 0;
}

/* Depth first from STACK[0], one open directory a level; every one closed however it ends. */
static int
walk_tree(struct walk *w, struct frame *stack, struct cfir_err *err)
{
	size_t depth = 0;
	int rc = 0;

	for (;;) {
		struct frame *f = &stack[depth];
		struct dirent *de;
		DIR *sub;
		bool vis = false;

		if (cfir_interrupt_pending()) {
			rc = cfir_err_interrupted(err);
			break;
		}
		de = readdir(f->d);
		if (de == NULL) {
			closedir(f->d);
			if (depth == 0)
				break;
			depth--;
			continue;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		w->path[f->pathlen] = '\0';
		if (entry(w, dirfd(f->d), de->d_name, f->pathlen, f->lower_visible, &sub, &vis, err) < 0) {
			rc = -1;
			break;
		}
		if (sub == NULL)
			continue;
		if (depth + 1 >= CFIR_OVERLAY_DEPTH_MAX || strlen(w->path) > CFIR_OVERLAY_PATH_MAX) {
			skip(w, "nested deeper than the walk goes (64 KiB of path)");
			closedir(sub);
			continue;
		}
		depth++;
		stack[depth].d = sub;
		stack[depth].pathlen = strlen(w->path);
		stack[depth].lower_visible = vis;
	}
	if (rc < 0) {	/* left early: every directory still open */
		while (depth > 0)
			closedir(stack[depth--].d);
		closedir(stack[0].d);
	}
	return rc;
}

int
cfir_overlay_walk(const struct cfir_rootfs *r, cfir_overlay_fn fn, void *ctx,
		  struct cfir_overlay_stats *st, struct cfir_err *err)
{
	struct walk w = { .r = r, .fn = fn, .ctx = ctx, .st = st };
	struct frame *stack = NULL;
	struct rlimit rl;
	size_t i;
	int rc = 0, fd;

	memset(st, 0, sizeof(*st));
	if (r->fstype == NULL || strcmp(r->fstype, "overlay") != 0 || r->upper == NULL)
		return cfir_err_set(err, EX_DATAERR, 0, "the rootfs is '%s', not overlay: no writable layer to read",
				    r->fstype ? r->fstype : "unknown");
	/* one fd a level: ask for the hard limit */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	w.lower = calloc(r->nlower ? r->nlower : 1, sizeof(*w.lower));
	stack = calloc(CFIR_OVERLAY_DEPTH_MAX + 1, sizeof(*stack));
	w.cap = 4096;
	w.path = malloc(w.cap);
	if (w.lower == NULL || stack == NULL || w.path == NULL) {
		rc = cfir_err_set(err, EX_OSERR, ENOMEM, "diff");
		goto out;
	}
	w.path[0] = '\0';
	for (i = 0; i < r->nlower; i++)
		w.lower[i] = open(r->lower[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* through a private read-only noatime mount: reading changes no atime */
	fd = cfir_util_open_tree_ro(r->upper, &st->access);
	stack[0].d = fd >= 0 ? fdopendir(fd) : NULL;
	if (stack[0].d == NULL) {
		rc = cfir_err_set(err, cfir_err_sys_exit(errno), errno, "open upperdir '%s'", r->upper);
		if (fd >= 0)
			close(fd);
		goto out;
	}
	stack[0].pathlen = 0;
	stack[0].lower_visible = true;
	rc = walk_tree(&w, stack, err);
out:
	for (i = 0; w.lower != NULL && i < r->nlower; i++)
		if (w.lower[i] >= 0)
			close(w.lower[i]);
	free(w.lower);
	free(stack);
	free(w.path);
	return rc;
}
