/* tarout.c - a pax tar and libarchive's mtree of the same members, into the bag */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "common/cleanup.h"
#include "common/tarindex.h"
#include "common/tarout.h"

struct side {
	struct archive *a;
	struct cfir_writer *w;
	struct cfir_err err;
};

struct cfir_tarout {
	struct side tar, mtree;
	bool failed;
};

static la_ssize_t
out(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct side *s = ctx;

	if (cfir_writer_write(s->w, buf, len, &s->err) < 0) {
		archive_set_error(a, EIO, "%s", s->err.msg);
		return -1;
	}
	return (la_ssize_t)len;
}

static int
side_open(struct side *s, struct cfir_bag *b, const char *dir, const char *name, bool mtree,
	  struct cfir_err *err)
{
	if (cfir_writer_open(b, dir, name, &s->w, err) < 0)
		return -1;
	s->a = archive_write_new();
	if (s->a == NULL ||
	    (mtree ? archive_write_set_format_mtree(s->a) : archive_write_set_format_pax(s->a)) != ARCHIVE_OK ||
	    (mtree && archive_write_set_options(s->a, CFIR_MTREE_KEYWORDS) != ARCHIVE_OK) ||
	    (mtree && archive_write_set_bytes_per_block(s->a, 0) != ARCHIVE_OK) ||
	    archive_write_open2(s->a, s, NULL, out, NULL, NULL) != ARCHIVE_OK)
		return cfir_err_set(err, EX_SOFTWARE, 0, "%s writer: %s", name,
				    s->a ? archive_error_string(s->a) : "out of memory");
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
	if (side_open(&o->tar, b, dir, t, false, err) < 0 ||
	    side_open(&o->mtree, b, dir, m, true, err) < 0) {
		cfir_tarout_close(o, false, NULL);
		return -1;
	}
	*op = o;
	return 0;
}

static int
fail(struct cfir_tarout *o, struct side *s, struct cfir_err *err)
{
	o->failed = true;
	if (s->err.msg[0] != '\0')
		*err = s->err;
	else
		cfir_err_set(err, EX_IOERR, 0, "collection: %s", archive_error_string(s->a));
	return -1;
}

int
cfir_tarout_header(struct cfir_tarout *o, const char *path, const struct stat *st,
		   const char *link, struct cfir_err *err)
{
	struct archive_entry *e = archive_entry_new();
	int r = 0;

	if (e == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "collection");
	archive_entry_copy_pathname(e, path);
	archive_entry_copy_stat(e, st);
	if (!S_ISREG(st->st_mode))
		archive_entry_set_size(e, 0);
	if (link != NULL)
		archive_entry_copy_symlink(e, link);
	if (archive_write_header(o->tar.a, e) < ARCHIVE_WARN)
		r = fail(o, &o->tar, err);
	else if (archive_write_header(o->mtree.a, e) < ARCHIVE_WARN)
		r = fail(o, &o->mtree, err);
	archive_entry_free(e);
	return r;
}

int
cfir_tarout_data(struct cfir_tarout *o, const void *buf, size_t len, struct cfir_err *err)
{
	if (archive_write_data(o->tar.a, buf, len) < 0)
		return fail(o, &o->tar, err);
	if (archive_write_data(o->mtree.a, buf, len) < 0)
		return fail(o, &o->mtree, err);
	return 0;
}

static int
side_close(struct side *s, bool ok, struct cfir_err *err)
{
	int r = 0;

	if (s->a != NULL) {
		if (archive_write_close(s->a) != ARCHIVE_OK && ok) {
			cfir_err_set(err, EX_IOERR, 0, "%s", s->err.msg[0] ? s->err.msg : archive_error_string(s->a));
			ok = false;
			r = -1;
		}
		archive_write_free(s->a);
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
