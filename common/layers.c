/* layers.c - overlay layers merged as overlayfs shows them, into a tar, never following a link */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/interrupt.h"
#include "common/layers.h"
#include "common/overlay.h"
#include "common/tarwrite.h"
#include "common/util.h"

#define READ_CHUNK	(256u << 10)
#define XATTR_NAMES	(64u << 10)
#define XATTR_VALUES	(256u << 10)	/* of one entry, all values together */
#define XATTRS_MAX	1024u		/* of one entry */
#define OPQ		".wh..wh..opq"

/* One layer's directory at this level of the walk. */
struct contrib {
	unsigned layer;
	int fd;			/* -1 while a child level holds its own */
	dev_t dev;
	ino_t ino;
	unsigned parent;	/* the parent level's contributor it was opened from */
};

/* One name of the merged directory. */
struct ment {
	char *name;
	unsigned top;		/* the contributor whose entry is seen */
	unsigned *low;		/* for a directory: the contributors merged below it */
	unsigned nlow;
};

struct level {
	struct contrib *c;
	size_t nc;
	struct ment *m;
	size_t nm, next;
	size_t pathlen;
};

struct link {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct merge {
	char *const *dirs;
	size_t n;
	const char *only;	/* "etc/passwd", or NULL */
	bool aufs;		/* aufs' whiteout names are whiteouts */
	size_t onlylen;
	struct level *lv;
	size_t depth, cap;
	char *path;		/* "/a/b", the tar's name from path + 1 */
	size_t pathcap;
	struct cfir_tarw *w;
	int *roots;		/* each layer's root, for the walk to find a directory again */
	struct link *links;	/* an open-addressed table of files with more than one link */
	size_t nlinks, linkcap;
	struct cfir_layers_stats *st;
	char *buf;		/* READ_CHUNK */
	char *xnames, *xvalues;
	struct cfir_tarw_xattr xv[XATTRS_MAX];
	int64_t *sparse;
};

static void
say(char *to, size_t n, uint64_t *count, const char *path, const char *why)
{
	if ((*count)++ == 0)
		snprintf(to, n, "%.200s: %s", path[0] ? path : "/", why);
}

static void
skip(struct merge *g, const char *why)
{
	say(g->st->first_skip, sizeof(g->st->first_skip), &g->st->skipped, g->path, why);
}

static bool
xattr_opaque(int fd)
{
	char x[4];
	ssize_t n = fgetxattr(fd, "trusted.overlay.opaque", x, sizeof(x));

	return n > 0 && cfir_overlay_opaque(x, (size_t)n);
}

/* ---- the hard links seen: (dev, ino) to the first name ---- */

static size_t
link_slot(const struct merge *g, dev_t dev, ino_t ino)
{
	size_t h = (size_t)((ino * 0x9e3779b97f4a7c15ull) ^ dev) & (g->linkcap - 1);

	while (g->links[h].path != NULL && (g->links[h].dev != dev || g->links[h].ino != ino))
		h = (h + 1) & (g->linkcap - 1);
	return h;
}

static int
link_grow(struct merge *g)
{
	struct link *old = g->links;
	size_t oldcap = g->linkcap, i;

	g->linkcap = oldcap ? oldcap * 2 : 256;
	g->links = calloc(g->linkcap, sizeof(*g->links));
	if (g->links == NULL) {
		g->links = old;
		g->linkcap = oldcap;
		return -1;
	}
	for (i = 0; i < oldcap; i++)
		if (old[i].path != NULL)
			g->links[link_slot(g, old[i].dev, old[i].ino)] = old[i];
	free(old);
	return 0;
}

/* The name ST's file was first written under, else NULL and this one is kept. */
static const char *
link_seen(struct merge *g, const struct stat *st, const char *name)
{
	size_t h;

	if (st->st_nlink < 2)
		return NULL;
	if ((g->nlinks + 1) * 2 > g->linkcap && link_grow(g) < 0)
		return NULL;	/* no memory: written as a file of its own */
	h = link_slot(g, st->st_dev, st->st_ino);
	if (g->links[h].path != NULL)
		return g->links[h].path;
	g->links[h].path = strdup(name);
	if (g->links[h].path != NULL) {
		g->links[h].dev = st->st_dev;
		g->links[h].ino = st->st_ino;
		g->nlinks++;
	}
	return NULL;
}

/* ---- extended attributes ---- */

static int
xcmp(const void *a, const void *b)
{
	return strcmp(((const struct cfir_tarw_xattr *)a)->name, ((const struct cfir_tarw_xattr *)b)->name);
}

/* One attribute NAME of the entry into the values' room; false when it does not fit or is gone. */
static bool
xattr_one(struct merge *g, int fd, const char *path, const char *name, size_t *n, size_t *used)
{
	ssize_t v;

	if (*n == XATTRS_MAX || *used == XATTR_VALUES)
		return false;
	/* never a size of 0: the kernel would answer with the value's length, not the value */
	v = fd >= 0 ? fgetxattr(fd, name, g->xvalues + *used, XATTR_VALUES - *used)
		    : lgetxattr(path, name, g->xvalues + *used, XATTR_VALUES - *used);
	if (v < 0)
		return errno == ENODATA;	/* removed meanwhile: nothing dropped */
	g->xv[(*n)++] = (struct cfir_tarw_xattr){ name, g->xvalues + *used, (size_t)v };
	*used += (size_t)v;
	return true;
}

/*
 * The entry's attributes but overlay's own, sorted by name: through FD
 * when it is open, else PATH (not followed); security.* first, so that file
 * capabilities are kept whatever else the entry carries. What does not fit
 * is counted and said. *METACOPY says overlay kept the data below.
 */
static size_t
xattrs(struct merge *g, int fd, const char *path, bool *metacopy)
{
	ssize_t len = fd >= 0 ? flistxattr(fd, g->xnames, XATTR_NAMES) : llistxattr(path, g->xnames, XATTR_NAMES);
	size_t n = 0, used = 0, dropped = 0;
	const char *name;
	int pass;

	*metacopy = false;
	if (len < 0 && errno != ENOTSUP && errno != ENODATA) {
		/* more names than a list holds (E2BIG): the security ones asked for by name all the same */
		static const char *const known[] = { "security.capability", "security.selinux", "security.ima",
						     "security.evm", "security.apparmor", "security.SMACK64", NULL };

		dropped++;
		for (pass = 0; known[pass] != NULL; pass++)
			if (!xattr_one(g, fd, path, known[pass], &n, &used))
				dropped++;
	}
	for (pass = 0; pass < 2; pass++)
		for (name = g->xnames; len > 0 && name < g->xnames + len; name += strlen(name) + 1) {
			if (strncmp(name, "trusted.overlay.", 16) == 0) {
				*metacopy |= pass == 0 && strcmp(name, "trusted.overlay.metacopy") == 0;
				continue;
			}
			if ((strncmp(name, "security.", 9) == 0) != (pass == 0))
				continue;
			if (!xattr_one(g, fd, path, name, &n, &used))
				dropped++;
		}
	if (dropped > 0) {
		char why[96];

		snprintf(why, sizeof(why), "%zu extended attributes that do not fit (%u, 256 KiB)", dropped, XATTRS_MAX);
		say(g->st->first_xattr, sizeof(g->st->first_xattr), &g->st->xattrs_dropped, g->path, why);
	}
	if (n > 1)
		qsort(g->xv, n, sizeof(g->xv[0]), xcmp);
	return n;
}

/* ---- one level: the names of a directory, merged over its layers ---- */

struct rec {
	char *name;
	unsigned ci;
	char kind;		/* 'd' directory, 'o' other, 'w' whiteout */
};

static int
rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	/* an aufs whiteout beside the name it hides, in one layer: the whiteout first, whatever readdir said */
	if (c == 0 && x->ci == y->ci)
		return (x->kind != 'w') - (y->kind != 'w');
	return c != 0 ? c : x->ci < y->ci ? -1 : 1;
}

/*
 * D's entries into *R; with AUFS, its marker names are whiteouts and *OPQ
 * says it holds the opaque one. On a kernel overlay layer they are files
 * like any other (overlayfs shows them: a container can make them).
 */
static int
read_dir(int fd, unsigned ci, bool aufs, struct rec **r, size_t *nr, size_t *cap, bool *opq)
{
	DIR *d;
	struct dirent *de;
	int dfd = dup(fd);
	struct stat sb;
	const char *name;
	char kind;

	if (dfd < 0 || (d = fdopendir(dfd)) == NULL) {
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		name = de->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (aufs && strcmp(name, OPQ) == 0) {
			*opq = true;
			continue;
		}
		kind = de->d_type == DT_DIR ? 'd' : 'o';
		if (de->d_type == DT_CHR || de->d_type == DT_UNKNOWN) {
			if (fstatat(fd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
				continue;	/* gone meanwhile */
			kind = S_ISDIR(sb.st_mode) ? 'd' : 'o';
			if (S_ISCHR(sb.st_mode) && major(sb.st_rdev) == 0 && minor(sb.st_rdev) == 0)
				kind = 'w';
		}
		if (aufs && strncmp(name, ".wh.", 4) == 0 && name[4] != '\0') {
			name += 4;
			kind = 'w';
		}
		if (!cfir_util_grow((void **)r, cap, *nr, sizeof(**r), 64, SIZE_MAX / sizeof(**r)) ||
		    ((*r)[*nr].name = strdup(name)) == NULL) {
			closedir(d);
			return -1;
		}
		(*r)[*nr].ci = ci;
		(*r)[(*nr)++].kind = kind;
	}
	closedir(d);
	return 0;
}

/* Group the sorted records by name: the topmost one is seen, whiteouts hide, directories merge. */
static int
group(struct merge *g, struct level *l, struct rec *r, size_t nr)
{
	size_t i = 0, j, k;
	struct ment *m;

	l->m = calloc(nr ? nr : 1, sizeof(*l->m));
	if (l->m == NULL)
		return -1;
	while (i < nr) {
		for (j = i + 1; j < nr && strcmp(r[j].name, r[i].name) == 0; j++)
			;
		if (r[i].kind == 'w') {
			g->st->whiteouts += j - i > 1;	/* it hid something */
			i = j;
			continue;
		}
		m = &l->m[l->nm++];
		m->name = r[i].name;
		r[i].name = NULL;
		m->top = r[i].ci;
		if (r[i].kind == 'd') {
			/* the same name's directories below, down to the first that is not one */
			for (k = i + 1; k < j && r[k].kind == 'd'; k++)
				;
			m->nlow = (unsigned)(k - i - 1);
			m->low = m->nlow ? calloc(m->nlow, sizeof(*m->low)) : NULL;
			if (m->nlow && m->low == NULL)
				return -1;
			for (k = 0; k < m->nlow; k++)
				m->low[k] = r[i + 1 + k].ci;
		}
		i = j;
	}
	return 0;
}

/* List level L over its contributors, top to bottom, stopping below an opaque one. */
static int
list_level(struct merge *g, struct level *l, bool root, struct cfir_err *err)
{
	struct rec *r = NULL;
	size_t nr = 0, cap = 0, i, keep = l->nc;
	bool opq = false;
	int rc = 0;

	for (i = 0; i < l->nc && i < keep; i++) {
		opq = false;
		if (read_dir(l->c[i].fd, (unsigned)i, g->aufs, &r, &nr, &cap, &opq) < 0) {
			rc = cfir_err_set(err, cfir_err_sys_exit(errno), errno, "read layer %u at '%.200s'",
					  l->c[i].layer, g->path[0] ? g->path : "/");
			goto out;
		}
		if (opq && root && i == 0)
			g->st->opaque_root = true;
		else if (opq && i + 1 < l->nc) {
			g->st->opaque++;
			keep = i + 1;
		}
	}
	if (nr > 1)
		qsort(r, nr, sizeof(*r), rec_cmp);
	if (group(g, l, r, nr) < 0)
		rc = cfir_err_set(err, EX_OSERR, ENOMEM, "layers");
out:
	for (i = 0; i < nr; i++)
		free(r[i].name);
	free(r);
	return rc;
}

/* ---- the walk ---- */

static void
level_free(struct level *l)
{
	size_t i;

	for (i = 0; i < l->nc; i++)
		if (l->c[i].fd >= 0)
			close(l->c[i].fd);
	for (i = 0; i < l->nm; i++) {
		free(l->m[i].name);
		free(l->m[i].low);
	}
	free(l->c);
	free(l->m);
	memset(l, 0, sizeof(*l));
}

static int
path_set(struct merge *g, size_t at, const char *name)
{
	size_t n = strlen(name);

	if (!cfir_util_grow((void **)&g->path, &g->pathcap, at + n + 2, 1, 4096, SIZE_MAX))
		return -1;
	g->path[at] = '/';
	memcpy(g->path + at + 1, name, n + 1);
	return 0;
}

/* Is the member at g->path wanted (1), only on the way to what is (2), or neither (0)? */
static int
wanted(const struct merge *g)
{
	const char *p = g->path + 1;
	size_t n = strlen(p);

	if (g->only == NULL)
		return 1;
	if (n >= g->onlylen && memcmp(p, g->only, g->onlylen) == 0 && (p[g->onlylen] == '\0' || p[g->onlylen] == '/'))
		return 1;
	if (n < g->onlylen && memcmp(p, g->only, n) == 0 && g->only[n] == '/')
		return 2;
	return 0;
}

/*
 * The data regions of FD's file: 1 when it has holes, 0 when it has none,
 * -1 when it cannot be stored sparse in bounded time (WHY says so). The
 * file may grow meanwhile: nothing past the size its header says counts.
 */
static int
sparse_map(struct merge *g, int fd, const struct stat *st, size_t *n, const char **why)
{
	off_t off = 0, data, hole;

	*n = 0;
	if (st->st_size == 0 || (off_t)st->st_blocks * 512 >= st->st_size)
		return 0;
	if ((uint64_t)st->st_size > CFIR_LAYERS_SPARSE_SIZE_MAX) {
		*why = "a sparse file larger than 16 TiB: not in the tar";
		return -1;
	}
	while (off < st->st_size) {
		data = lseek(fd, off, SEEK_DATA);
		if (data < 0 || data >= st->st_size)
			break;	/* ENXIO: a hole to the end */
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole <= data || hole > st->st_size)
			hole = st->st_size;
		if (*n + 1 == CFIR_LAYERS_SPARSE_MAX && hole < st->st_size) {
			if ((uint64_t)(st->st_size - data) > CFIR_LAYERS_SPARSE_REST_MAX) {
				*why = "a sparse file of more data regions than the map holds: not in the tar";
				return -1;
			}
			hole = st->st_size;	/* the rest, at most 1 GiB, as data */
		}
		g->sparse[2 * *n] = data;
		g->sparse[2 * *n + 1] = hole - data;
		(*n)++;
		off = hole;
	}
	if (*n == 0) {	/* all hole: one empty region at the end says the size */
		g->sparse[0] = st->st_size;
		g->sparse[1] = 0;
		*n = 1;
	}
	return *n > 1 || g->sparse[0] != 0 || g->sparse[1] != st->st_size;
}

/* LEN bytes of FD from OFF into the tar; a file cut short is padded with zeros (and counted). */
static int
copy_range(struct merge *g, int fd, off_t off, uint64_t len, bool *cut, struct cfir_err *err)
{
	ssize_t r;
	size_t want;

	while (len > 0) {
		if (cfir_interrupt_pending())
			return cfir_err_interrupted(err);
		want = len < READ_CHUNK ? (size_t)len : READ_CHUNK;
		r = *cut ? 0 : pread(fd, g->buf, want, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			*cut = true;
			memset(g->buf, 0, want);
			r = (ssize_t)want;
		} else {
			g->st->bytes += (uint64_t)r;
		}
		if (cfir_tarw_data(g->w, g->buf, (size_t)r, err) < 0)
			return -1;
		off += r;
		len -= (uint64_t)r;
	}
	return 0;
}

/* A regular file's data, its holes as holes. */
static int
file_data(struct merge *g, int fd, const struct stat *st, size_t nsparse, struct cfir_err *err)
{
	struct stat after;
	off_t pos = 0;
	bool cut = false;
	size_t i;

	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (nsparse == 0 && copy_range(g, fd, 0, (uint64_t)st->st_size, &cut, err) < 0)
		return -1;
	for (i = 0; i < nsparse; i++) {
		if (g->sparse[2 * i] > pos && cfir_tarw_hole(g->w, (uint64_t)(g->sparse[2 * i] - pos), err) < 0)
			return -1;
		if (copy_range(g, fd, g->sparse[2 * i], (uint64_t)g->sparse[2 * i + 1], &cut, err) < 0)
			return -1;
		pos = g->sparse[2 * i] + g->sparse[2 * i + 1];
	}
	if (nsparse > 0 && pos < st->st_size && cfir_tarw_hole(g->w, (uint64_t)(st->st_size - pos), err) < 0)
		return -1;
	if (cut)
		say(g->st->first_changed, sizeof(g->st->first_changed), &g->st->changed, g->path,
		    "shorter than its size when read: padded with zeros");
	else if (fstat(fd, &after) == 0 &&
		 (after.st_size != st->st_size || after.st_mtim.tv_sec != st->st_mtim.tv_sec ||
		  after.st_mtim.tv_nsec != st->st_mtim.tv_nsec))
		say(g->st->first_changed, sizeof(g->st->first_changed), &g->st->changed, g->path,
		    "it changed while it was read: the size it had when its header was written");
	return 0;
}

/* Write M, the member at g->path, when wanted; a directory is left open in *SUB to walk. */
static int
member(struct merge *g, int dfd, const struct ment *m, int want, int *sub, struct cfir_err *err)
{
	struct cfir_tarw_member tm = { .path = g->path + 1 };
	char link[4097], proc[64 + 256];
	struct stat st, now;
	bool meta = false;
	size_t ns = 0;
	ssize_t n;
	int fd = -1, rc = 0;

	if (fstatat(dfd, m->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		skip(g, "gone while the layers were read");
		return 0;
	}
	if (S_ISSOCK(st.st_mode) || (want == 2 && !S_ISDIR(st.st_mode))) {
		if (want == 1)
			skip(g, "a socket: a tar cannot hold one");
		return 0;
	}
	if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
		fd = cfir_util_open_noatime(dfd, m->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
						     (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
		if (fd < 0 || fstat(fd, &now) < 0 || now.st_ino != st.st_ino || (now.st_mode & S_IFMT) != (st.st_mode & S_IFMT)) {
			skip(g, fd < 0 ? strerror(errno) : "replaced while the layers were read");
			if (fd >= 0)
				close(fd);
			return 0;
		}
	}
	if (want == 1) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", dfd, m->name);
		tm.st = &st;
		tm.xattrs = g->xv;
		tm.nxattrs = xattrs(g, fd, proc, &meta);
		if (S_ISLNK(st.st_mode)) {
			n = readlinkat(dfd, m->name, link, sizeof(link) - 1);
			link[n < 0 ? 0 : n] = '\0';
			tm.symlink = link;
		}
		if (S_ISREG(st.st_mode)) {
			const char *why = NULL;
			int sp = 0;

			/* before the link table: a file left out is no first name for its links */
			if ((sp = sparse_map(g, fd, &st, &ns, &why)) < 0) {
				skip(g, why);
				close(fd);
				return 0;
			}
			tm.hardlink = link_seen(g, &st, g->path + 1);
			if (sp > 0 && tm.hardlink == NULL) {
				tm.sparse = g->sparse;
				tm.nsparse = ns;
				g->st->sparse++;
			}
			if (meta)
				say(g->st->first_unsupported, sizeof(g->st->first_unsupported), &g->st->metacopies,
				    g->path, "metacopy: its data is in a lower layer, not followed");
		}
		rc = cfir_tarw_member(g->w, &tm, err);
		if (rc == 0 && S_ISREG(st.st_mode) && tm.hardlink == NULL)
			rc = file_data(g, fd, &st, tm.nsparse, err);
		g->st->members++;
		g->st->files += S_ISREG(st.st_mode) && tm.hardlink == NULL;
		g->st->hardlinks += tm.hardlink != NULL;
		g->st->devices += S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode);
		g->st->fifos += S_ISFIFO(st.st_mode);
	}
	if (rc == 0 && S_ISDIR(st.st_mode)) {
		*sub = fd;
		return 0;
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

/* A contributor opened at FD: its identity, to know it again through "..". */
static void
contrib_set(struct contrib *c, unsigned layer, int fd, unsigned parent)
{
	struct stat sb;

	c->layer = layer;
	c->fd = fd;
	c->parent = parent;
	if (fstat(fd, &sb) == 0) {
		c->dev = sb.st_dev;
		c->ino = sb.st_ino;
	}
}

/* The level below M (FD, its topmost directory): the same name's directories below merged. */
static int
descend(struct merge *g, const struct ment *m, int fd, struct cfir_err *err)
{
	struct level *l, *c;
	char x[8];
	bool opaque;
	unsigned k;
	size_t nc = 1;
	int lfd;

	if (!cfir_util_grow((void **)&g->lv, &g->cap, g->depth + 1, sizeof(*g->lv), 16, SIZE_MAX / sizeof(*g->lv))) {
		close(fd);
		return cfir_err_set(err, EX_OSERR, ENOMEM, "layers");
	}
	l = &g->lv[g->depth];
	c = &g->lv[g->depth + 1];
	memset(c, 0, sizeof(*c));
	c->c = calloc(1 + m->nlow, sizeof(*c->c));
	if (c->c == NULL) {
		close(fd);
		return cfir_err_set(err, EX_OSERR, ENOMEM, "layers");
	}
	contrib_set(&c->c[0], l->c[m->top].layer, fd, m->top);
	if (fgetxattr(fd, "trusted.overlay.redirect", x, sizeof(x)) >= 0 || errno == ERANGE)
		say(g->st->first_unsupported, sizeof(g->st->first_unsupported), &g->st->redirects, g->path,
		    "redirect: merged by its own name, the redirect not followed");
	opaque = xattr_opaque(fd);
	for (k = 0; !opaque && k < m->nlow; k++) {
		lfd = cfir_util_open_noatime(l->c[m->low[k]].fd, m->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (lfd < 0)
			break;
		contrib_set(&c->c[nc++], l->c[m->low[k]].layer, lfd, m->low[k]);
		opaque = xattr_opaque(lfd);
	}
	if (opaque && nc <= m->nlow)
		g->st->opaque++;
	c->nc = nc;
	c->pathlen = strlen(g->path);
	g->depth++;
	if (list_level(g, c, false, err) < 0)
		return -1;
	/* the parent's directories that go on below are closed, and found again through ".." */
	for (k = 0; k < nc; k++) {
		close(l->c[c->c[k].parent].fd);
		l->c[c->c[k].parent].fd = -1;
	}
	return 0;
}

/* FD is the directory PC was: the same inode of the same file system. */
static bool
same_dir(int fd, const struct contrib *pc)
{
	struct stat sb;

	return fd >= 0 && fstat(fd, &sb) == 0 && sb.st_dev == pc->dev && sb.st_ino == pc->ino;
}

/* PC, a directory at PATH (LEN bytes) of its layer, opened again from the layer's root by its path. */
static int
by_path(struct merge *g, const struct contrib *pc, size_t len)
{
	struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	char save = g->path[len];
	int fd;

	g->path[len] = '\0';
	fd = (int)syscall(SYS_openat2, g->roots[pc->layer], len ? g->path + 1 : ".", &how, sizeof(how));
	g->path[len] = save;
	if (fd >= 0 && !same_dir(fd, pc)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * Back up a level: each parent directory reopened through "..", checked to
 * be the one left, else by its path from the layer's root. A directory
 * moved away meanwhile (a container that runs can rename) cannot be found
 * again: what is left of it is not in the tar, and that is said.
 */
static void
ascend(struct merge *g)
{
	struct level *c = &g->lv[g->depth], *l = &g->lv[g->depth - 1];
	struct contrib *pc;
	size_t k;
	int fd;

	for (k = 0; k < c->nc; k++) {
		pc = &l->c[c->c[k].parent];
		fd = c->c[k].fd >= 0 ? cfir_util_open_noatime(c->c[k].fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		if (!same_dir(fd, pc)) {
			if (fd >= 0)
				close(fd);
			fd = by_path(g, pc, l->pathlen);
		}
		if (fd < 0 && l->next < l->nm) {
			char save = g->path[l->pathlen];

			g->path[l->pathlen] = '\0';
			say(g->st->first_changed, sizeof(g->st->first_changed), &g->st->changed, g->path,
			    "a directory moved while it was read: the rest of it is not in the tar");
			g->path[l->pathlen] = save;
			l->next = l->nm;
		}
		pc->fd = fd;
	}
	level_free(c);
	g->depth--;
}

static int
walk(struct merge *g, struct cfir_err *err)
{
	struct level *l;
	struct ment *m;
	int sub, want;

	for (;;) {
		if (cfir_interrupt_pending())
			return cfir_err_interrupted(err);
		l = &g->lv[g->depth];
		if (l->next == l->nm) {
			if (g->depth == 0)
				return 0;
			ascend(g);
			continue;
		}
		m = &l->m[l->next++];
		if (path_set(g, l->pathlen, m->name) < 0)
			return cfir_err_set(err, EX_OSERR, ENOMEM, "layers");
		want = wanted(g);
		if (want == 0)
			continue;
		if (strlen(g->path) > CFIR_LAYERS_PATH_MAX) {
			skip(g, "its path is longer than 64 KiB: not in the tar, nor what is under it");
			continue;
		}
		sub = -1;
		if (member(g, l->c[m->top].fd, m, want, &sub, err) < 0)
			return -1;
		if (sub >= 0 && descend(g, m, sub, err) < 0)
			return -1;
	}
}

/* ONLY as "a/b": no leading or trailing '/', no empty, "." or ".." part; NULL for the whole. */
static int
only_path(const char *only, char **out, struct cfir_err *err)
{
	char *p, *part, *save = NULL;
	size_t n;

	*out = NULL;
	if (only == NULL)
		return 0;
	while (*only == '/')
		only++;
	p = strdup(only);
	if (p == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "layers");
	n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		p[--n] = '\0';
	if (n == 0) {
		free(p);
		return 0;
	}
	*out = strdup(p);
	for (part = strtok_r(p, "/", &save); part != NULL; part = strtok_r(NULL, "/", &save))
		if (strcmp(part, ".") == 0 || strcmp(part, "..") == 0) {
			free(p);
			free(*out);
			*out = NULL;
			return cfir_err_set(err, EX_USAGE, 0, "'%s': a path in the container has no '.' or '..' part", only);
		}
	free(p);
	if (*out == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "layers");
	if (strstr(*out, "//") != NULL) {
		free(*out);
		*out = NULL;
		return cfir_err_set(err, EX_USAGE, 0, "'%s': not a path", only);
	}
	return 0;
}

/* The root level: every layer's directory, through a private read-only noatime mount. */
static int
open_root(struct merge *g, struct cfir_err *err)
{
	struct level *l = &g->lv[0];
	struct rlimit rl;
	size_t i;
	int fd;

	/* a few fds a layer, and the bag's: ask for the hard limit */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	g->roots = malloc(g->n * sizeof(*g->roots));
	for (i = 0; g->roots != NULL && i < g->n; i++)
		g->roots[i] = -1;
	l->c = calloc(g->n, sizeof(*l->c));
	if (l->c == NULL || g->roots == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "layers");
	for (i = 0; i < g->n; i++) {
		fd = cfir_util_open_tree_ro(g->dirs[i], &g->st->access);
		if (fd < 0 || (g->roots[i] = dup(fd)) < 0) {
			if (fd >= 0)
				close(fd);
			return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "open layer %zu '%s'", i, g->dirs[i]);
		}
		contrib_set(&l->c[l->nc++], (unsigned)i, fd, 0);
	}
	if (xattr_opaque(l->c[0].fd))
		g->st->opaque_root = true;
	return list_level(g, l, true, err);
}

int
cfir_layers_tar(char *const *dirs, size_t n, const char *only, unsigned flags, cfir_engine_sink_fn sink,
		void *ctx, struct cfir_layers_stats *st, struct cfir_err *err)
{
	struct merge g = { .dirs = dirs, .n = n, .st = st, .aufs = flags & CFIR_LAYERS_AUFS };
	cleanup_free char *o = NULL;
	size_t i;
	int rc;

	memset(st, 0, sizeof(*st));
	if (n == 0)
		return cfir_err_set(err, EX_DATAERR, 0, "no layers to merge");
	if (only_path(only, &o, err) < 0)
		return -1;
	g.only = o;
	g.onlylen = o ? strlen(o) : 0;
	g.buf = malloc(READ_CHUNK);
	g.xnames = malloc(XATTR_NAMES);
	g.xvalues = malloc(XATTR_VALUES);
	g.sparse = malloc(2 * CFIR_LAYERS_SPARSE_MAX * sizeof(*g.sparse));
	g.lv = calloc(16, sizeof(*g.lv));
	g.cap = 16;
	g.pathcap = 4096;
	g.path = calloc(1, g.pathcap);
	if (g.buf == NULL || g.xnames == NULL || g.xvalues == NULL || g.sparse == NULL || g.lv == NULL || g.path == NULL)
		rc = cfir_err_set(err, EX_OSERR, ENOMEM, "layers");
	else
		rc = open_root(&g, err);
	if (rc == 0)
		rc = cfir_tarw_open(&g.w, CFIR_TARW_PAX, "layers", sink, ctx, err);
	if (rc == 0)
		rc = walk(&g, err);
	if (rc == 0 && o != NULL && st->members == 0)
		rc = cfir_err_set(err, EX_NOINPUT, 0, "no '%s' in the container's layers", o);
	if (rc == 0)
		rc = cfir_tarw_close(g.w, err);
	else
		cfir_tarw_discard(g.w);
	for (i = 0; g.lv != NULL && i <= g.depth; i++)
		level_free(&g.lv[i]);
	for (i = 0; g.roots != NULL && i < n; i++)
		if (g.roots[i] >= 0)
			close(g.roots[i]);
	free(g.roots);
	for (i = 0; i < g.linkcap; i++)
		free(g.links[i].path);
	free(g.links);
	free(g.lv);
	free(g.path);
	free(g.buf);
	free(g.xnames);
	free(g.xvalues);
	free(g.sparse);
	return rc;
}
