/*
 * layers.h - a container's filesystem merged from its overlay layers, as
 * the kernel's overlayfs shows it, written as a tar by cfir itself: for a
 * container whose engine is stopped, silent or absent, a stopped one, and a
 * dead host's image.
 *
 * The merge: the writable layer over the lower ones, top to bottom; a
 * whiteout (a character device 0/0) hides a name below it; an opaque
 * directory (trusted.overlay.opaque) hides the directories of that name
 * below it; a directory over a non-directory hides it. aufs' marker names
 * (.wh.NAME, .wh..wh..opq) are whiteouts only in aufs layers
 * (CFIR_LAYERS_AUFS): overlayfs shows them as files, and a container can
 * make them to hide what is below, or beside, them. At the root, as in overlayfs, an opaque mark
 * hides nothing (it is counted). Redirected directories
 * (trusted.overlay.redirect) and metacopy files (trusted.overlay.metacopy)
 * are not followed: they are counted and the first one named, and the
 * directory is merged by its own name, the file's data taken from the
 * layer that holds it.
 *
 * Every directory is opened relative to its parent's fd, O_NOFOLLOW,
 * O_NOATIME, each layer through a private read-only noatime mount; no link
 * is ever followed, nothing goes through /proc/PID/root or the merged
 * mount, and each file is read once. At most one fd a layer stays open
 * whatever the depth (an ancestor is found again through "..", checked to
 * be the directory left).
 *
 * The tar (cfir_tarw_member): pax, names in byte order, parents first,
 * owners by number, mtime to the nanosecond, extended attributes kept but
 * overlay's own (file capabilities survive), hard links as links to the
 * first name, devices and FIFOs as entries, sparse files as their data and
 * a sparse map. Sockets cannot be in a tar: they are counted as skipped.
 * The same layers give the same bytes.
 */
#ifndef CFIR_LAYERS_H
#define CFIR_LAYERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/engine.h"
#include "common/err.h"

#define CFIR_LAYERS_PATH_MAX	(64u << 10)	/* a deeper subtree is skipped and said */
#define CFIR_LAYERS_SPARSE_MAX	65536		/* data regions of one file; past it, the rest as data */
#define CFIR_LAYERS_SPARSE_REST_MAX (1ull << 30)	/* ... when the rest is at most this, else the file is left out */
#define CFIR_LAYERS_SPARSE_SIZE_MAX (16ull << 40)	/* a sparse file's size: its holes are handed over in bounded time */

struct cfir_layers_stats {
	uint64_t members;	/* written to the tar */
	uint64_t files, bytes;	/* regular files and their data read */
	uint64_t hardlinks, sparse, devices, fifos;
	uint64_t whiteouts;	/* names a whiteout hid */
	uint64_t opaque;	/* directories that hid the ones below */
	bool opaque_root;	/* an opaque mark at the root, ignored */
	uint64_t skipped;	/* entries not in the tar (sockets, too deep, unreadable) */
	char first_skip[320];
	uint64_t changed;	/* files whose size changed while read (padded or cut) */
	char first_changed[320];
	uint64_t xattrs_dropped;	/* entries with attributes that did not fit */
	char first_xattr[320];
	uint64_t redirects, metacopies;	/* not followed */
	char first_unsupported[320];
	const char *access;	/* how the layers were opened so that no atime changes */
};

/*
 * The merged view of the N layer directories DIRS (the writable one first,
 * then the lower ones top to bottom) as a pax tar into SINK. ONLY, when
 * not NULL, is a path in the merged view ("/etc" or "etc/passwd"): the
 * tar holds it and what is under it, nothing else (EX_NOINPUT when the
 * merged view has no such path). SIGINT ends it between members.
 */
#define CFIR_LAYERS_AUFS	0x1	/* the layers are aufs': its marker names are whiteouts */
int cfir_layers_tar(char *const *dirs, size_t n, const char *only, unsigned flags, cfir_engine_sink_fn sink,
		    void *ctx, struct cfir_layers_stats *st, struct cfir_err *err);

#endif
