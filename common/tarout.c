/* tarout.c - a pax tar and the mtree of the same members, into the bag */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/hash.h"
#include "common/mtree.h"
#include "common/tarout.h"
#include "common/tarwrite.h"

/* The member whose mtree entry waits for its digest. */
struct pending {
	bool on;
	char *path, *link;
	struct stat st;
	unsigned char md[CFIR_SHA256_LEN];
	bool md_set;
};

struct cfir_tarout {
	struct cfir_tarw *t;
	struct cfir_writer *w, *mw;
	struct cfir_mtree *m;	/* written at the close, from the caller's digests */
	struct pending p;
	bool failed;
};

int
cfir_tarout_open(struct cfir_bag *b, const char *dir, const char *base,
		 struct cfir_tarout **op, struct cfir_err *err)
{
	struct cfir_tarout *o = calloc(1, sizeof(*o));
	cleanup_free char *t = NULL, *m = NULL;

	*op = NULL;
	if (o == NULL || asprintf(&t, "%s.tar", base) < 0 || asprintf(&m, "%s.mtree", base) < 0 ||
	    (o->m = cfir_mtree_new()) == NULL) {
		free(o);
		return cfir_err_set(err, EX_OSERR, ENOMEM, "collection");
	}
	if (cfir_writer_open(b, dir, t, &o->w, err) < 0 ||
	    cfir_tarw_open(&o->t, CFIR_TARW_PAX, "collection", cfir_tarw_to_writer, o->w, err) < 0) {
		cfir_tarout_close(o, false, NULL);
		return cfir_err_wrap(err, "%s", t);
	}
	if (cfir_writer_open(b, dir, m, &o->mw, err) < 0) {
		cfir_tarout_close(o, false, NULL);
		return cfir_err_wrap(err, "%s", m);
	}
	*op = o;
	return 0;
}

/* The waiting member into the mtree, as libarchive's writer would have taken it. */
static int
settle(struct cfir_tarout *o, struct cfir_err *err)
{
	struct pending *p = &o->p;
	struct cfir_mtree_entry e = {
		.path = p->path, .type = p->st.st_mode & S_IFMT, .perm = p->st.st_mode & 07777,
		.uid = p->st.st_uid, .gid = p->st.st_gid, .size = S_ISREG(p->st.st_mode) ? p->st.st_size : 0,
		.mtime = p->st.st_mtim.tv_sec, .mtime_nsec = p->st.st_mtim.tv_nsec,
		.symlink = p->link, .sha256 = p->md_set ? p->md : NULL,
	};
	int r = 0;

	if (p->on && cfir_mtree_add(o->m, &e) < 0)
		r = cfir_err_set(err, EX_OSERR, ENOMEM, "mtree");
	free(p->path);
	free(p->link);
	memset(p, 0, sizeof(*p));
	return r;
}

int
cfir_tarout_header(struct cfir_tarout *o, const char *path, const struct stat *st,
		   const char *link, struct cfir_err *err)
{
	if (settle(o, err) < 0 || cfir_tarw_header(o->t, path, st, link, err) < 0) {
		o->failed = true;
		return -1;
	}
	o->p.on = true;
	o->p.st = *st;
	o->p.path = strdup(path);
	o->p.link = link ? strdup(link) : NULL;
	if (o->p.path == NULL || (link != NULL && o->p.link == NULL)) {
		o->failed = true;
		return cfir_err_set(err, EX_OSERR, ENOMEM, "collection");
	}
	return 0;
}

int
cfir_tarout_data(struct cfir_tarout *o, const void *buf, size_t len, struct cfir_err *err)
{
	if (cfir_tarw_data(o->t, buf, len, err) < 0) {
		o->failed = true;
		return -1;
	}
	return 0;
}

void
cfir_tarout_digest(struct cfir_tarout *o, const unsigned char *md)
{
	memcpy(o->p.md, md, sizeof(o->p.md));
	o->p.md_set = true;
}

static int
mtree_out(void *ctx, const void *buf, size_t len, struct cfir_err *err)
{
	return cfir_writer_write(ctx, buf, len, err);
}

/* One file kept whole when OK, else as partial; a failure counts only when OK. */
static int
keep(struct cfir_writer *w, bool ok, struct cfir_err *err)
{
	if (w == NULL)
		return 0;
	if (!ok) {
		cfir_writer_abort(w);
		return 0;
	}
	return cfir_writer_commit(w, err);
}

int
cfir_tarout_close(struct cfir_tarout *o, bool ok, struct cfir_err *err)
{
	struct cfir_err cerr = { 0 };
	int r = 0;

	if (o == NULL)
		return 0;
	ok = ok && !o->failed;
	if (o->t != NULL && cfir_tarw_close(o->t, &cerr) < 0 && ok) {
		if (err != NULL)
			*err = cerr;
		ok = false;
		r = -1;
	}
	if (keep(o->w, ok, err) < 0) {
		ok = false;
		r = -1;
	}
	/* the mtree of what the tar holds, partial with it */
	if (o->mw != NULL && (settle(o, &cerr) < 0 || cfir_mtree_write(o->m, mtree_out, o->mw, &cerr) < 0) && ok) {
		if (err != NULL)
			*err = cerr;
		ok = false;
		r = -1;
	}
	if (keep(o->mw, ok, err) < 0)
		r = -1;
	settle(o, &cerr);
	cfir_mtree_free(o->m);
	free(o);
	return ok ? r : -1;
}
