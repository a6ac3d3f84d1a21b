/* tarout.c - a pax tar and libarchive's mtree of the same members, into the bag */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/tarout.h"
#include "common/tarwrite.h"

struct side {
	struct cfir_tarw *t;
	struct cfir_writer *w;
};

struct cfir_tarout {
	struct side tar, mtree;
	bool failed;
};

static int
side_open(struct side *s, struct cfir_bag *b, const char *dir, const char *name,
	  enum cfir_tarw_format f, struct cfir_err *err)
{
	if (cfir_writer_open(b, dir, name, &s->w, err) < 0)
		return -1;
	if (cfir_tarw_open(&s->t, f, "collection", cfir_tarw_to_writer, s->w, err) < 0)
		return cfir_err_wrap(err, "%s writer", name);
	return 0;
}

int
cfir_tarout_open(struct cfir_bag *b, const char *dir, const char *base,
		 struct cfir_tarout **op, struct cfir_err *err)
{
	struct cfir_tarout *o = calloc(1, sizeof(*o));
	cleanup_free char *t = NULL, *m = NULL;

	*op = NULL;
	if (o == NULL || asprintf(&t, "%s.tar", base) < 0 || asprintf(&m, "%s.mtree", base) < 0) {
		free(o);
		return cfir_err_set(err, EX_OSERR, ENOMEM, "collection");
	}
	if (side_open(&o->tar, b, dir, t, CFIR_TARW_PAX, err) < 0 ||
	    side_open(&o->mtree, b, dir, m, CFIR_TARW_MTREE, err) < 0) {
		cfir_tarout_close(o, false, NULL);
		return -1;
	}
	*op = o;
	return 0;
}

int
cfir_tarout_header(struct cfir_tarout *o, const char *path, const struct stat *st,
		   const char *link, struct cfir_err *err)
{
	if (cfir_tarw_header(o->tar.t, path, st, link, err) < 0 ||
	    cfir_tarw_header(o->mtree.t, path, st, link, err) < 0) {
		o->failed = true;
		return -1;
	}
	return 0;
}

int
cfir_tarout_data(struct cfir_tarout *o, const void *buf, size_t len, struct cfir_err *err)
{
	if (cfir_tarw_data(o->tar.t, buf, len, err) < 0 ||
	    cfir_tarw_data(o->mtree.t, buf, len, err) < 0) {
		o->failed = true;
		return -1;
	}
	return 0;
}

/* The end of one file, kept whole when OK, else as partial; a failure counts only when OK. */
static int
side_close(struct side *s, bool ok, struct cfir_err *err)
{
	struct cfir_err cerr = { 0 };
	int r = 0;

	if (s->t != NULL && cfir_tarw_close(s->t, &cerr) < 0 && ok) {
		if (err != NULL)
			*err = cerr;
		ok = false;
		r = -1;
	}
	if (s->w != NULL) {
		if (!ok)
			cfir_writer_abort(s->w);
		else if (cfir_writer_commit(s->w, err) < 0)
			r = -1;
	}
	return r;
}

int
cfir_tarout_close(struct cfir_tarout *o, bool ok, struct cfir_err *err)
{
	int r;

	if (o == NULL)
		return 0;
	ok = ok && !o->failed;
	r = side_close(&o->tar, ok, err);
	if (side_close(&o->mtree, ok && r == 0, err) < 0)
		r = -1;
	free(o);
	return ok ? r : -1;
}
