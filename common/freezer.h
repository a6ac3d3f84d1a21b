/*
 * freezer.h - a container's processes frozen and thawed through its cgroup,
 * from the host, when no engine answers
 *
 * The cgroup comes from the kernel's /proc/PID/cgroup of the container's
 * checked init (or from a runtime's root-owned state), cut at the component
 * that names the container: an init that moved itself into a sub-cgroup
 * still has the whole container frozen. The cgroup's directory is opened
 * one component at a time, never through a symbolic link.
 */
#ifndef CFIR_FREEZER_H
#define CFIR_FREEZER_H

#include <stddef.h>

#include "common/err.h"

enum cfir_freezer_kind {
	CFIR_FREEZER_V1 = 1,	/* freezer controller: freezer.state */
	CFIR_FREEZER_V2 = 2,	/* unified hierarchy: cgroup.freeze, cgroup.events */
};

#define CFIR_FREEZER_PATH_MAX 1024
#define CFIR_FREEZER_TIMEOUT_MS 5000	/* what a caller without a better bound gives */

struct cfir_freezer {
	int kind;			/* CFIR_FREEZER_V1 or CFIR_FREEZER_V2 */
	int dfd;			/* the cgroup's directory, -1 when closed */
	char path[CFIR_FREEZER_PATH_MAX];	/* below the hierarchy's root, for messages */
};

/*
 * The cgroup that freezes the container named ID (a full ID: it must appear
 * in the path), from TEXT, a /proc/PID/cgroup the container's names are part
 * of: the v1 freezer controller's line, else the v2 "0::" line, cut after
 * the component holding ID, into PATH (N bytes) and *KIND. A name that
 * forges a line (a second freezer or "0::" line, a malformed one) is
 * EX_DATAERR; no line naming the container, EX_UNAVAILABLE.
 */
int cfir_freezer_parse(const char *text, size_t len, const char *id, int *kind,
		       char *path, size_t n, struct cfir_err *err);

/*
 * The cgroup PATH of KIND under ROOT (NULL: /sys/fs/cgroup, the mounts
 * checked to be cgroup file systems; another directory for tests). v1 is
 * ROOT/freezer/PATH; v2 ROOT/PATH, or ROOT/unified/PATH on a hybrid host.
 * EX_UNAVAILABLE when the cgroup or its freezer is not there (a root
 * cgroup included), EX_DATAERR for a link on the way, EX_NOPERM on EACCES.
 */
int cfir_freezer_open(const char *root, int kind, const char *path,
		      struct cfir_freezer *f, struct cfir_err *err);
/*
 * The freezer of the container named ID whose init's /proc directory is
 * PFD (from cfir_target_pidfd or cfir_proc_open): its cgroup file read
 * through that fd, parsed, opened under ROOT as above.
 */
int cfir_freezer_open_proc(int pfd, const char *id, const char *root,
			   struct cfir_freezer *f, struct cfir_err *err);

/* The state as the kernel says it: THAWED, FREEZING, FROZEN (v1); "frozen 0" or "frozen 1" (v2). */
int cfir_freezer_state(const struct cfir_freezer *f, char *out, size_t n,
		       struct cfir_err *err);

/*
 * Freeze, waiting at most TIMEOUT_MS for the kernel to say it is frozen
 * (v1: FROZEN written and read back while it says FREEZING, THAWED written
 * in between now and then; v2: 1 written, cgroup.events polled for
 * "frozen 1"). A cgroup that will not freeze in time is thawed again and
 * the call fails with EX_TEMPFAIL: it is never left half frozen.
 */
int cfir_freezer_freeze(struct cfir_freezer *f, int timeout_ms, struct cfir_err *err);
/* Thaw, and wait as long for THAWED (v1) or "frozen 0" (v2). */
int cfir_freezer_thaw(struct cfir_freezer *f, int timeout_ms, struct cfir_err *err);
void cfir_freezer_close(struct cfir_freezer *f);

#endif
