/* mtree.c - libarchive's mtree of a tar's members, from digests already computed */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/hash.h"
#include "common/mtree.h"
#include "common/out.h"
#include "common/overlay.h"

#define NAME_MAX_BYTES 255	/* libarchive's bound on one path component */

/* One entry; a directory also holds its children, found by name through the table. */
struct node {
	struct node *parent;	/* the root's is itself */
	struct node *hnext;	/* the table's chain */
	char *dir;		/* the normalized parent path; NULL for "." itself */
	char *base;
	struct node **kids;
	size_t nkids, capkids;
	size_t pos;		/* the walk's place among the children */
	bool isdir, virt, reg;	/* made as a directory, made up for a path, made as a file */
	mode_t type;
	unsigned perm;
	int64_t uid, gid, size, mtime;
	long nsec;
	char *link;
	unsigned char digest[CFIR_SHA256_LEN];
};

struct cfir_mtree {
	struct node *root;
	struct node **tab;	/* children by (parent, name) */
	size_t tabsize, count;
	struct node *cur;	/* the directory the last path walked led to, */
	char *curstr;		/* and its path as libarchive spells it: its cache, quirks included */
	bool any;		/* a member was offered: the "#mtree" line */
};

static const unsigned char empty_digest[CFIR_SHA256_LEN] = {
	0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
	0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
};

struct cfir_mtree *
cfir_mtree_new(void)
{
	struct cfir_mtree *m = calloc(1, sizeof(*m));

	if (m != NULL && (m->tab = calloc(1024, sizeof(*m->tab))) == NULL) {
		free(m);
		return NULL;
	}
	if (m != NULL)
		m->tabsize = 1024;
	return m;
}

static void
node_free(struct node *n)
{
	if (n == NULL)
		return;
	free(n->dir);
	free(n->base);
	free(n->kids);
	free(n->link);
	free(n);
}

void
cfir_mtree_free(struct cfir_mtree *m)
{
	struct node *n, *next;
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->tabsize; i++)
		for (n = m->tab[i]; n != NULL; n = next) {
			next = n->hnext;
			node_free(n);
		}
	node_free(m->root);
	free(m->curstr);
	free(m->tab);
	free(m);
}

/*
 * libarchive's canonical name: leading "/" and "../" gone, trailing "/",
 * "/." and "/.." gone, "//", "/./" and "d/../" folded, "./" in front; then
 * split at the last "/". "." itself has no parent path.
 */
static int
split_path(const char *path, char **dirp, char **basep)
{
	size_t len = strlen(path), skip = 0, ll, i, w;
	char *p, *out, *slash;

	*dirp = *basep = NULL;
	if (strcmp(path, ".") == 0)
		return (*basep = strdup(".")) != NULL ? 0 : -1;
	while (path[skip] != '\0') {
		if (path[skip] == '/')
			skip++;
		else if (path[skip] == '.' && path[skip + 1] == '.' && path[skip + 2] == '/')
			skip += 3;
		else
			break;
	}
	len -= skip;
	/* room for the "./" in front */
	if ((p = malloc(len + 3)) == NULL)
		return -1;
	memcpy(p + 2, path + skip, len + 1);
	out = p + 2;
	do {
		ll = len;
		if (len > 0 && out[len - 1] == '/')
			out[--len] = '\0';
		if (len > 1 && out[len - 2] == '/' && out[len - 1] == '.')
			out[len -= 2] = '\0';
		if (len > 2 && out[len - 3] == '/' && out[len - 2] == '.' && out[len - 1] == '.')
			out[len -= 3] = '\0';
	} while (len > 0 && ll != len);
	/* one pass, read at i, written at w <= i: a name of many "//" costs its length, not its square */
	for (i = 0, w = 0; out[i] != '\0';) {
		if (out[i] != '/') {
			out[w++] = out[i++];
		} else if (out[i + 1] == '/') {
			i++;
		} else if (out[i + 1] == '.' && out[i + 2] == '/') {
			i += 2;
		} else if (out[i + 1] == '.' && out[i + 2] == '.' && out[i + 3] == '/') {
			size_t r = w;

			while (r > 0 && out[r - 1] != '/')
				r--;
			if (r > 1) {	/* "a/b/../c": the "/b" goes */
				w = r - 1;
				i += 3;
			} else {	/* nothing before it to fold: what follows "/../" is all */
				w = 0;
				i += 4;
			}
		} else {
			out[w++] = out[i++];
		}
	}
	out[w] = '\0';
	if (strcmp(out, ".") != 0 && strncmp(out, "./", 2) != 0) {
		out = p;
		memcpy(out, "./", 2);
	}
	slash = strrchr(out, '/');
	if (slash == NULL) {	/* "./" became ".": the root, written as libarchive writes it, "/." */
		*basep = strdup(out);
		*dirp = strdup("");
	} else {
		*slash = '\0';
		*basep = strdup(slash + 1);
		*dirp = strdup(out);
	}
	free(p);
	if (*basep == NULL || *dirp == NULL) {
		free(*basep);
		free(*dirp);
		return -1;
	}
	return 0;
}

static size_t
slot(const struct cfir_mtree *m, const struct node *parent, const char *name, size_t len)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)(uintptr_t)parent;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 1099511628211ull;
	return (size_t)(h ^ (h >> 29)) & (m->tabsize - 1);
}

static struct node *
find(const struct cfir_mtree *m, const struct node *parent, const char *name, size_t len)
{
	struct node *n;

	if (parent == NULL)
		return NULL;
	for (n = m->tab[slot(m, parent, name, len)]; n != NULL; n = n->hnext)
		if (n->parent == parent && strncmp(n->base, name, len) == 0 && n->base[len] == '\0')
			return n;
	return NULL;
}

static int
grow(struct cfir_mtree *m)
{
	struct node **old = m->tab, *n, *next;
	size_t oldsize = m->tabsize, i, s;

	if ((m->tab = calloc(oldsize * 2, sizeof(*m->tab))) == NULL) {
		m->tab = old;
		return -1;
	}
	m->tabsize = oldsize * 2;
	for (i = 0; i < oldsize; i++)
		for (n = old[i]; n != NULL; n = next) {
			next = n->hnext;
			s = slot(m, n->parent, n->base, strlen(n->base));
			n->hnext = m->tab[s];
			m->tab[s] = n;
		}
	free(old);
	return 0;
}

/* N a child of PARENT, known to have none of its name. */
static int
insert(struct cfir_mtree *m, struct node *parent, struct node *n)
{
	size_t s;

	if (m->count >= m->tabsize && grow(m) < 0)
		return -1;
	if (parent->nkids == parent->capkids) {
		size_t cap = parent->capkids ? 2 * parent->capkids : 8;
		struct node **k = realloc(parent->kids, cap * sizeof(*k));

		if (k == NULL)
			return -1;
		parent->kids = k;
		parent->capkids = cap;
	}
	parent->kids[parent->nkids++] = n;
	n->parent = parent;
	s = slot(m, parent, n->base, strlen(n->base));
	n->hnext = m->tab[s];
	m->tab[s] = n;
	m->count++;
	return 0;
}

static struct node *
node_new(const char *path, mode_t type)
{
	struct node *n = calloc(1, sizeof(*n));

	if (n == NULL || split_path(path, &n->dir, &n->base) < 0) {
		free(n);
		return NULL;
	}
	n->type = type;
	n->isdir = type == S_IFDIR;
	n->reg = type == S_IFREG;
	return n;
}

/* A member's attributes onto N, as libarchive takes them: the later member of a path wins. */
static int
take(struct node *n, const struct cfir_mtree_entry *e)
{
	char *link = e->symlink != NULL ? strdup(e->symlink) : NULL;

	if (e->symlink != NULL && link == NULL)
		return -1;
	free(n->link);
	n->link = link;
	n->type = e->type;
	n->perm = e->perm & 07777;
	n->uid = e->uid;
	n->gid = e->gid;
	n->size = e->size;
	n->mtime = e->mtime;
	n->nsec = e->mtime_nsec;
	/* the digest of the data the member gave: none is the empty one */
	if (n->reg)
		memcpy(n->digest, e->type == S_IFREG && e->sha256 ? e->sha256 : empty_digest, sizeof(n->digest));
	return 0;
}

/* The directory of N's parent path, directories made up for the parts not seen; NULL: none may be. */
static struct node *
parent_of(struct cfir_mtree *m, const char *dir, int *oom)
{
	const char *fn = dir, *end;
	struct node *dent = m->root, *np = NULL, *vp;
	size_t l, made = 0;

	for (;;) {
		end = strchr(fn, '/');
		l = end ? (size_t)(end - fn) : strlen(fn);
		if (l > NAME_MAX_BYTES)
			return NULL;
		if (l == 0)
			return dent;
		if (l == 1 && fn[0] == '.' && dent != NULL && dent == m->root) {
			fn += 1 + (fn[1] == '/');
			continue;
		}
		np = find(m, dent, fn, l);
		if (np == NULL)
			break;
		if (!np->isdir)
			return NULL;
		fn += l + (fn[l] == '/');
		dent = np;
	}
	while (*fn != '\0') {	/* the rest of the path, made up; each keeps its path, so a bounded depth */
		char *as;

		if (++made > CFIR_OVERLAY_DEPTH_MAX)
			return NULL;
		as = strndup(dir, (size_t)(fn - dir) + l);

		vp = as ? node_new(as, S_IFDIR) : NULL;
		free(as);
		if (vp == NULL || (vp->dir == NULL ? (m->root = vp, vp->parent = vp, 0) : insert(m, dent, vp)) < 0) {
			node_free(vp);
			*oom = 1;
			return NULL;
		}
		vp->virt = true;
		vp->perm = 0755;
		fn += l + (fn[l] == '/');
		end = strchr(fn, '/');
		l = end ? (size_t)(end - fn) : strlen(fn);
		if (l > NAME_MAX_BYTES)
			return NULL;
		dent = vp;
	}
	return dent;
}

/* libarchive's name for a directory it found: its parent path, "/", its name. */
static int
remember(struct cfir_mtree *m, struct node *dent)
{
	char *str = NULL;

	if (asprintf(&str, "%s%s%s", dent->dir ? dent->dir : "", dent->dir && dent->dir[0] ? "/" : "",
		     dent->base) < 0)
		return -1;
	free(m->curstr);
	m->curstr = str;
	m->cur = dent;
	return 0;
}

/* Where F goes: the directory libarchive would put it in; NULL when it would refuse it. */
static struct node *
place(struct cfir_mtree *m, struct node *f, int *oom)
{
	struct node *dent;

	/* the last directory again, by its name (libarchive's cache, which can differ from a walk) */
	if (m->curstr != NULL && strcmp(m->curstr, f->dir) == 0)
		return m->cur;
	dent = parent_of(m, f->dir, oom);
	if (dent != NULL && remember(m, dent) < 0) {
		*oom = 1;
		return NULL;
	}
	return dent;
}

int
cfir_mtree_add(struct cfir_mtree *m, const struct cfir_mtree_entry *e)
{
	struct node *f, *dent, *np;
	int oom = 0;

	m->any = true;
	/* a name longer than any the overlay walk takes: no line, as under a file */
	if (e->path != NULL && strnlen(e->path, CFIR_OVERLAY_PATH_MAX + 1) > CFIR_OVERLAY_PATH_MAX)
		return 1;
	f = node_new(e->path ? e->path : "", e->type);
	if (f == NULL)
		return -1;
	if ((f->dir == NULL || f->dir[0] == '\0') && strcmp(f->base, ".") == 0) {
		np = m->root;
		if (np == NULL) {
			m->root = f;
			f->parent = f;
			return take(f, e);
		}
	} else {
		dent = place(m, f, &oom);
		if (dent == NULL) {
			node_free(f);
			return oom ? -1 : 1;
		}
		np = find(m, dent, f->base, strlen(f->base));
		if (np == NULL) {
			if (insert(m, dent, f) < 0) {
				node_free(f);
				return -1;
			}
			return take(f, e);
		}
	}
	/* a path seen before: libarchive updates the entry it has (of another type too: bsdtar does) */
	node_free(f);
	np->virt = false;
	return take(np, e);
}

/* The output, in blocks. */
struct out {
	char buf[32768 + 8192];
	size_t len;
	cfir_engine_sink_fn sink;
	void *ctx;
	struct cfir_err *err;
	int rc;
};

static void
put(struct out *o, const char *s, size_t n)
{
	while (o->rc == 0 && n > 0) {
		size_t take = sizeof(o->buf) - o->len < n ? sizeof(o->buf) - o->len : n;

		memcpy(o->buf + o->len, s, take);
		o->len += take;
		s += take;
		n -= take;
		if (o->len == sizeof(o->buf)) {
			o->rc = o->sink(o->ctx, o->buf, o->len, o->err);
			o->len = 0;
		}
	}
}

static void
putf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
putf(struct out *o, const char *fmt, ...)
{
	char b[96];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	put(o, b, n < 0 ? 0 : (size_t)n < sizeof(b) ? (size_t)n : sizeof(b) - 1);
}

/* libarchive's quoting: a byte outside its safe set as a backslash and three octal digits */
static void
quote(struct out *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *start = p;
	char esc[4] = { '\\' };

	for (; *p != '\0'; p++) {
		if (*p > 0x20 && *p < 0x7f && *p != '#' && *p != '=' && *p != '\\')
			continue;
		put(o, (const char *)start, (size_t)(p - start));
		esc[1] = (char)('0' + *p / 64);
		esc[2] = (char)('0' + *p / 8 % 8);
		esc[3] = (char)('0' + *p % 8);
		put(o, esc, 4);
		start = p + 1;
	}
	put(o, (const char *)start, (size_t)(p - start));
}

static void
line(struct out *o, const struct node *n)
{
	static const struct { mode_t t; const char *name; } types[] = {
		{ S_IFLNK, "link" }, { S_IFSOCK, "socket" }, { S_IFCHR, "char" }, { S_IFBLK, "block" },
		{ S_IFDIR, "dir" }, { S_IFIFO, "fifo" },
	};
	const char *type = "file";
	char hex[CFIR_SHA256_HEX];
	size_t i;

	if (n->dir != NULL) {
		quote(o, n->dir);
		put(o, "/", 1);
	}
	quote(o, n->base);
	putf(o, " time=%jd.%jd", (intmax_t)n->mtime, (intmax_t)n->nsec);
	putf(o, " mode=%o gid=%jd", n->perm, (intmax_t)n->gid);
	putf(o, " uid=%jd", (intmax_t)n->uid);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if ((n->type & S_IFMT) == types[i].t)
			type = types[i].name;
	putf(o, " type=%s", type);
	if (strcmp(type, "link") == 0) {
		put(o, " link=", 6);
		quote(o, n->link ? n->link : "");
	} else if (strcmp(type, "file") == 0) {
		putf(o, " size=%jd", (intmax_t)n->size);
	}
	if (n->reg) {
		cfir_hex(n->digest, sizeof(n->digest), hex);
		put(o, " sha256digest=", 14);
		put(o, hex, CFIR_SHA256_HEX - 1);
	}
	put(o, "\n", 1);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp((*(struct node *const *)a)->base, (*(struct node *const *)b)->base);
}

/* A directory's own line (unless made up) and its members other than directories, by name. */
static void
enter(struct out *o, struct node *d)
{
	size_t i;

	if (!d->virt)
		line(o, d);
	if (d->nkids > 1)
		qsort(d->kids, d->nkids, sizeof(*d->kids), by_name);
	for (i = 0; i < d->nkids; i++)
		if (!d->kids[i]->isdir)
			line(o, d->kids[i]);
	d->pos = 0;
}

/*
 * libarchive's order: each directory entered, then its directories the same
 * way, depth first; without recursion, however deep a hostile tar nests.
 */
static void
walk(struct out *o, struct node *root)
{
	struct node *d = root;

	enter(o, d);
	while (o->rc == 0) {
		while (d->pos < d->nkids && !d->kids[d->pos]->isdir)
			d->pos++;
		if (d->pos < d->nkids) {
			d = d->kids[d->pos++];
			enter(o, d);
		} else if (d == root) {
			break;
		} else {
			d = d->parent;
		}
	}
}

int
cfir_mtree_write(struct cfir_mtree *m, cfir_engine_sink_fn sink, void *ctx, struct cfir_err *err)
{
	struct out *o = calloc(1, sizeof(*o));
	int rc;

	if (o == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "mtree");
	o->sink = sink;
	o->ctx = ctx;
	o->err = err;
	if (m->any)
		put(o, "#mtree\n", 7);
	if (m->root != NULL)
		walk(o, m->root);
	if (o->rc == 0 && o->len > 0)
		o->rc = sink(ctx, o->buf, o->len, err);
	rc = o->rc;
	free(o);
	return rc;
}
