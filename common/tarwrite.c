/* tarwrite.c - the one place cfir writes an archive, through libarchive, into any sink */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "common/bag.h"
#include "common/interrupt.h"
#include "common/dl.h"
#include "common/tarwrite.h"

struct cfir_tarw {
	struct archive *a;
	enum cfir_tarw_format format;
	const char *what;
	cfir_tarw_sink_fn sink;
	void *ctx;
	struct cfir_err err;	/* the sink's, when it failed */
	bool given_up;		/* write nothing more */
};

int
cfir_tarw_to_writer(void *ctx, const void *buf, size_t len, struct cfir_err *err)
{
	return cfir_writer_write(ctx, buf, len, err);
}

static la_ssize_t
tarw_out(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct cfir_tarw *w = ctx;

	if (w->given_up) {
		archive_set_error(a, ECANCELED, "the archive was given up");
		return -1;
	}
	if (w->sink(w->ctx, buf, len, &w->err) < 0) {
		archive_set_error(a, EIO, "%s", w->err.msg);
		return -1;
	}
	return (la_ssize_t)len;
}

/* The archive's error: the sink's as it said it, else libarchive's. */
static int
tarw_fail(struct cfir_tarw *w, struct cfir_err *err)
{
	if (w->err.msg[0] != '\0')
		*err = w->err;
	else
		cfir_err_set(err, EX_IOERR, 0, "%s: %s", w->what, archive_error_string(w->a));
	return -1;
}

static struct cfir_tarw *
tarw_new(enum cfir_tarw_format f, const char *what, cfir_tarw_sink_fn sink, void *ctx)
{
	struct cfir_tarw *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->a = archive_write_new();
	if (w->a == NULL) {
		free(w);
		return NULL;
	}
	w->format = f;
	w->what = what;
	w->sink = sink;
	w->ctx = ctx;
	return w;
}

static int
tarw_format(struct cfir_tarw *w)
{
	struct archive *a = w->a;

	switch (w->format) {
	case CFIR_TARW_PAX:
		return archive_write_set_format_pax(a);
	case CFIR_TARW_BAG:
		if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK)
			return ARCHIVE_FATAL;
		return archive_write_set_bytes_in_last_block(a, 1);
	}
	return ARCHIVE_FATAL;
}

int
cfir_tarw_open(struct cfir_tarw **wp, enum cfir_tarw_format f, const char *what,
	       cfir_tarw_sink_fn sink, void *ctx, struct cfir_err *err)
{
	struct cfir_tarw *w = tarw_new(f, what, sink, ctx);

	*wp = NULL;
	if (w == NULL)
		return cfir_dl_fail(err, "libarchive", what);
	if (tarw_format(w) != ARCHIVE_OK ||
	    archive_write_open2(w->a, w, NULL, tarw_out, NULL, NULL) != ARCHIVE_OK) {
		cfir_err_set(err, EX_SOFTWARE, 0, "%s: %s", what, archive_error_string(w->a));
		cfir_tarw_discard(w);
		return -1;
	}
	*wp = w;
	return 0;
}

int
cfir_tarw_open_compressed(struct cfir_tarw **wp, const char *compress, const char *name,
			  cfir_tarw_sink_fn sink, void *ctx, struct cfir_err *err)
{
	/* no tar: the format is raw, and no member header but the one below is written */
	struct cfir_tarw *w = tarw_new(CFIR_TARW_PAX, compress, sink, ctx);
	struct archive_entry *e;
	int r;

	*wp = NULL;
	if (w == NULL)
		return cfir_dl_fail(err, "libarchive", "compressor");
	r = strcmp(compress, "zstd") == 0 ? archive_write_add_filter_zstd(w->a)
					  : archive_write_add_filter_gzip(w->a);
	if (r == ARCHIVE_OK && archive_write_set_format_raw(w->a) == ARCHIVE_OK &&
	    archive_write_set_bytes_per_block(w->a, 0) == ARCHIVE_OK &&
	    archive_write_open2(w->a, w, NULL, tarw_out, NULL, NULL) == ARCHIVE_OK) {
		e = archive_entry_new();
		archive_entry_set_pathname(e, name);
		archive_entry_set_filetype(e, AE_IFREG);
		r = archive_write_header(w->a, e);
		archive_entry_free(e);
		if (r == ARCHIVE_OK) {
			*wp = w;
			return 0;
		}
	}
	cfir_err_set(err, EX_SOFTWARE, 0, "%s compressor: %s", compress, archive_error_string(w->a));
	cfir_tarw_discard(w);
	return -1;
}

/* seal --archive's member: its type, permissions, size and mtime, and nothing else. */
static void
entry_plain(struct archive_entry *e, const struct stat *st)
{
	archive_entry_set_filetype(e, st->st_mode & S_IFMT);
	archive_entry_set_perm(e, st->st_mode & 0777);
	archive_entry_set_size(e, st->st_size);
	archive_entry_set_mtime(e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
}

int
cfir_tarw_header(struct cfir_tarw *w, const char *path, const struct stat *st,
		 const char *link, struct cfir_err *err)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	if (e == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "%s", w->what);
	archive_entry_copy_pathname(e, path);
	if (w->format == CFIR_TARW_BAG) {
		entry_plain(e, st);
	} else {
		archive_entry_copy_stat(e, st);
		if (!S_ISREG(st->st_mode))
			archive_entry_set_size(e, 0);
	}
	if (link != NULL)
		archive_entry_copy_symlink(e, link);
	r = archive_write_header(w->a, e);
	archive_entry_free(e);
	if (r < ARCHIVE_WARN || (r != ARCHIVE_OK && w->format == CFIR_TARW_BAG))
		return tarw_fail(w, err);
	return 0;
}

int
cfir_tarw_member(struct cfir_tarw *w, const struct cfir_tarw_member *m, struct cfir_err *err)
{
	struct archive_entry *e = archive_entry_new();
	const struct stat *st = m->st;
	size_t i;
	int r;

	if (e == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "%s", w->what);
	archive_entry_copy_pathname(e, m->path);
	archive_entry_set_filetype(e, st->st_mode & S_IFMT);
	archive_entry_set_perm(e, st->st_mode & 07777);
	archive_entry_set_uid(e, st->st_uid);
	archive_entry_set_gid(e, st->st_gid);
	archive_entry_set_mtime(e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	archive_entry_set_size(e, S_ISREG(st->st_mode) && m->hardlink == NULL ? st->st_size : 0);
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		archive_entry_set_rdev(e, st->st_rdev);
	if (m->symlink != NULL)
		archive_entry_copy_symlink(e, m->symlink);
	if (m->hardlink != NULL)
		archive_entry_copy_hardlink(e, m->hardlink);
	for (i = 0; i < m->nxattrs; i++)
		archive_entry_xattr_add_entry(e, m->xattrs[i].name, m->xattrs[i].value, m->xattrs[i].size);
	for (i = 0; i < m->nsparse; i++)
		archive_entry_sparse_add_entry(e, m->sparse[2 * i], m->sparse[2 * i + 1]);
	r = archive_write_header(w->a, e);
	archive_entry_free(e);
	if (r < ARCHIVE_WARN)
		return tarw_fail(w, err);
	return 0;
}

int
cfir_tarw_hole(struct cfir_tarw *w, uint64_t len, struct cfir_err *err)
{
	static const char zeros[1 << 20];
	size_t take;

	/* the pax writer skips a hole's bytes without reading them; they must be handed over */
	while (len > 0) {
		if (cfir_interrupt_pending())
			return cfir_err_interrupted(err);
		take = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
		if (archive_write_data(w->a, zeros, take) != (la_ssize_t)take)
			return tarw_fail(w, err);
		len -= take;
	}
	return 0;
}

int
cfir_tarw_data(struct cfir_tarw *w, const void *buf, size_t len, struct cfir_err *err)
{
	la_ssize_t n = archive_write_data(w->a, buf, len);

	if (n < 0)
		return tarw_fail(w, err);
	/* fewer taken: more data than the member's header said, which would shift every member after it */
	if ((size_t)n != len)
		return cfir_err_set(err, EX_SOFTWARE, 0, "%s: a member's data is longer than its header says", w->what);
	return 0;
}

int
cfir_tarw_close(struct cfir_tarw *w, struct cfir_err *err)
{
	int r = 0;

	if (w == NULL)
		return 0;
	if (archive_write_close(w->a) != ARCHIVE_OK)
		r = tarw_fail(w, err);
	archive_write_free(w->a);
	free(w);
	return r;
}

void
cfir_tarw_discard(struct cfir_tarw *w)
{
	if (w == NULL)
		return;
	w->given_up = true;
	archive_write_free(w->a);
	free(w);
}
