/*
 * tarwrite.h - the one place cfir writes an archive: the tar headers, the
 * padding of a member, the end of the archive, through libarchive, into any
 * sink (a bag's writer, a file); and a stream compressed on its way
 */
#ifndef CFIR_TARWRITE_H
#define CFIR_TARWRITE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "common/err.h"

struct cfir_tarw;

enum cfir_tarw_format {
	CFIR_TARW_PAX,		/* a pax tar with every detail a stat gives (a container's files) */
	/*
	 * seal --archive: ustar with pax only where ustar cannot say it, the
	 * last block not padded out; a member says its type, permissions,
	 * size and mtime and nothing else (the same bag, the same tar, whoever
	 * packs it), and a header libarchive only warns about fails.
	 */
	CFIR_TARW_BAG,
};

/* Where the archive's bytes go: 0, or -1 with ERR (passed on as the archive's error). */
typedef int (*cfir_tarw_sink_fn)(void *ctx, const void *buf, size_t len, struct cfir_err *err);

/* The sink into a bag's writer: CTX is the struct cfir_writer. */
int cfir_tarw_to_writer(void *ctx, const void *buf, size_t len, struct cfir_err *err);

/* WHAT names the archive in its errors ("collection", "archive"). */
int cfir_tarw_open(struct cfir_tarw **wp, enum cfir_tarw_format f, const char *what,
		   cfir_tarw_sink_fn sink, void *ctx, struct cfir_err *err);
/*
 * One stream NAME compressed with COMPRESS ("gzip" or "zstd"), no tar
 * around it: cfir_tarw_data writes it, cfir_tarw_close flushes the tail.
 */
int cfir_tarw_open_compressed(struct cfir_tarw **wp, const char *compress, const char *name,
			      cfir_tarw_sink_fn sink, void *ctx, struct cfir_err *err);

/* A member PATH with ST's metadata; LINK for a symlink. Its data follows for a regular file. */
int cfir_tarw_header(struct cfir_tarw *w, const char *path, const struct stat *st,
		     const char *link, struct cfir_err *err);
int cfir_tarw_data(struct cfir_tarw *w, const void *buf, size_t len, struct cfir_err *err);

/*
 * A member described in full (a pax tar of a container's filesystem):
 * owners by number only, mtime to the nanosecond and no other time, the
 * device numbers of a device, a hard link's first name, the extended
 * attributes in the order given, and for a sparse file the data regions
 * (the holes stored as the sparse map, never as zeros). Nothing else of
 * the stat (no inode, no device of the file system) goes in: the same files
 * give the same bytes.
 */
struct cfir_tarw_xattr {
	const char *name;
	const void *value;
	size_t size;
};
struct cfir_tarw_member {
	const char *path;
	const struct stat *st;
	const char *symlink;	/* a symbolic link's target */
	const char *hardlink;	/* an earlier member's path: this one is a link to it */
	const struct cfir_tarw_xattr *xattrs;
	size_t nxattrs;
	const int64_t *sparse;	/* offset and length of each data region, in pairs */
	size_t nsparse;		/* regions */
};
int cfir_tarw_member(struct cfir_tarw *w, const struct cfir_tarw_member *m, struct cfir_err *err);
/* LEN bytes of a hole of the sparse member being written (nothing is stored). */
int cfir_tarw_hole(struct cfir_tarw *w, uint64_t len, struct cfir_err *err);
/* The end of the archive (the last member's padding, the end blocks) and free it. */
int cfir_tarw_close(struct cfir_tarw *w, struct cfir_err *err);
/* Free it and write nothing more: a failed archive is not padded into a whole-looking one. */
void cfir_tarw_discard(struct cfir_tarw *w);

#endif
