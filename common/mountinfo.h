/* mountinfo.h - /proc/PID/mountinfo and overlay mount options */
#ifndef CFIR_MOUNTINFO_H
#define CFIR_MOUNTINFO_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

struct cfir_mount {
	unsigned id, parent;
	char *majmin;		/* the superblock's device: "0:39" */
	char *root, *mountpoint, *opts, *fstype, *source, *superopts;
};

/* The root filesystem of a mount namespace, as its mountinfo shows it. */
struct cfir_rootfs {
	char *fstype;
	char *source;
	char **lower;		/* top to bottom, absolute once resolved */
	size_t nlower;
	char *upper, *work;
	bool relative_lower;	/* some lowerdir was given relative */
};

/*
 * Parse one mountinfo line in place, octal escapes decoded except in
 * superopts (split them on ',' first). The strings point into LINE.
 * Returns -1 when the line is malformed.
 */
int cfir_mountinfo_parse_line(char *line, struct cfir_mount *m);

/*
 * From a whole mountinfo text, the topmost mount on "/" and, for overlay,
 * its lower, upper and work directories. Relative lowerdirs are resolved
 * against the directory two levels above upperdir (overlay2's "l/" links).
 */
int cfir_mountinfo_rootfs(const char *text, size_t len, struct cfir_rootfs *r,
			  struct cfir_err *err);
/*
 * The last mount on MOUNTPOINT in the mountinfo text read from FD, line by
 * line: memory stays bounded by one line (CFIR_MOUNTINFO_LINE_MAX) however
 * many mounts the namespace has. *LINE gets a copy of the raw line, NULL
 * when there is none; a longer line is an error (EX_DATAERR), never skipped,
 * so that it cannot hide the mount it would have been.
 */
#define CFIR_MOUNTINFO_LINE_MAX (1u << 20)
int cfir_mountinfo_last(int fd, const char *mountpoint, char **line,
			struct cfir_err *err);
/* One line in place: its mount in M and, for overlay, R's directories. */
int cfir_mountinfo_overlay(char *line, struct cfir_mount *m, struct cfir_rootfs *r,
			   struct cfir_err *err);
/* Split overlay superblock options into R (lowerdir, lowerdir+, upperdir, workdir). */
int cfir_mountinfo_overlay_opts(const char *superopts, struct cfir_rootfs *r,
		      struct cfir_err *err);
void cfir_mountinfo_rootfs_free(struct cfir_rootfs *r);

#endif
