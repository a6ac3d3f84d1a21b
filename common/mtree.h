/* mtree.h - an mtree of a tar's members from what the index computed, as libarchive writes it */
#ifndef CFIR_MTREE_H
#define CFIR_MTREE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/engine.h"
#include "common/err.h"

/*
 * libarchive's mtree writer (bsdtar --format=mtree) hashes every member
 * once more and keeps every entry until it closes; this one takes the
 * digest the index computed and writes the same bytes: the keywords of
 * CFIR_MTREE_KEYWORDS (written out in its line(), not read from the
 * macro), the entries in libarchive's order (each directory,
 * its other members by name, then its directories the same way), a later
 * member of the same path updating the earlier one, the path normalized
 * and quoted as libarchive does (its quirks included: "./" is written
 * "/.").
 */
struct cfir_mtree;

struct cfir_mtree_entry {
	const char *path;	/* as the tar names it; NULL is "" */
	mode_t type;		/* S_IFMT bits; a hard link is S_IFREG */
	unsigned perm;		/* the mode's 07777 */
	int64_t uid, gid, size, mtime;
	long mtime_nsec;
	const char *symlink;	/* a symbolic link's target */
	const unsigned char *sha256;	/* the data's digest (32 bytes), for S_IFREG */
};

struct cfir_mtree *cfir_mtree_new(void);
/*
 * Add a member: 0, or 1 when libarchive would refuse it (a path through
 * a member that is not a directory, a name over 255 bytes: the member
 * has no line), -1 out of memory.
 */
int cfir_mtree_add(struct cfir_mtree *m, const struct cfir_mtree_entry *e);
/* Write the whole mtree through SINK; empty when no member was added. */
int cfir_mtree_write(struct cfir_mtree *m, cfir_engine_sink_fn sink, void *ctx, struct cfir_err *err);
void cfir_mtree_free(struct cfir_mtree *m);

#endif
