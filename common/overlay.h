/* overlay.h - the writable layer: a walk of the overlay upper directory */
#ifndef CFIR_OVERLAY_H
#define CFIR_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "common/err.h"
#include "common/mountinfo.h"

/* What one upper-directory entry means to overlayfs (pure: fuzzed). */
enum cfir_overlay_what {
	CFIR_OVERLAY_ENTRY,		/* an ordinary entry */
	CFIR_OVERLAY_WHITEOUT,	/* a deletion of NAME (char 0/0, or aufs .wh.NAME) */
	CFIR_OVERLAY_OPQ_MARKER,	/* aufs .wh..wh..opq: the directory is opaque */
};
/*
 * aufs' names (.wh.NAME, .wh..wh..opq) only with AUFS: in a kernel overlay's
 * upper directory they are files like any other, which a container can make.
 */
enum cfir_overlay_what cfir_overlay_classify(const char *name, mode_t mode, dev_t rdev, bool aufs,
				     const char **deleted);
/*
 * trusted.overlay.opaque holds "y"; newer kernels' "x" marks a directory
 * that may hold xattr whiteouts, and hides nothing below it.
 */
bool cfir_overlay_opaque(const char *xattr, size_t len);

struct cfir_overlay_entry {
	const char *path;	/* "/etc/passwd": exact bytes */
	size_t pathlen;
	char kind;		/* 'A', 'C', 'D' */
	struct stat st;		/* of the upper entry (the whiteout for D) */
	const char *link;	/* symlink target, never followed */
	bool opaque;		/* a directory hiding the lower ones */
	const char *redirect;	/* trusted.overlay.redirect, when set */
	bool metacopy;		/* trusted.overlay.metacopy: data still below */
	int fd;			/* regular files: open for reading, else -1 */
};

typedef int (*cfir_overlay_fn)(void *ctx, const struct cfir_overlay_entry *e, struct cfir_err *err);

struct cfir_overlay_stats {
	size_t entries, skipped;
	const char *access;	/* how the layer was opened so that no atime changes */
	char first_skip[320];	/* the first subtree not walked, and why */
};

#define CFIR_OVERLAY_DEPTH_MAX 4096
/*
 * A path grows with its depth, and every record of an entry holds its whole
 * path: past this, a subtree is said and not walked (2,000 levels of
 * 255-byte names would otherwise cost half a GiB in every record).
 */
#define CFIR_OVERLAY_PATH_MAX (64u << 10)

/*
 * Walk R's upper directory: every entry relative to directory fds, never
 * following a link, regular files opened O_NONBLOCK (FIFOs and devices are
 * never opened), depth bounded. Each entry is Added or Changed by looking
 * its path up in the lower directories top to bottom; whiteouts are
 * Deleted. A subtree that cannot be walked is counted and the walk goes on.
 * The upper directory is read through a private read-only noatime mount
 * (cfir_util_open_tree_ro), every file and directory also with O_NOATIME, each
 * stat taken before the open. SIGINT ends it within an entry (interrupted).
 */
int cfir_overlay_walk(const struct cfir_rootfs *r, cfir_overlay_fn fn, void *ctx,
		      struct cfir_overlay_stats *st, struct cfir_err *err);

#endif
