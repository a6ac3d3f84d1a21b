/*
 * enginestate.h - the names engines keep of their containers on disk, for
 * when the engine does not answer or there is none: dockerd's
 * DATA_ROOT/containers/<id>/config.v2.json, and containers-storage's
 * containers.json (Podman's and CRI-O's names).
 *
 * The files are root-owned, written by the engine; their values were chosen
 * by whoever created the container (not by what runs inside it), and are
 * still kept exact, bounded and escaped only by the printer.
 */
#ifndef CFIR_ENGINESTATE_H
#define CFIR_ENGINESTATE_H

#include <stddef.h>

#include "common/err.h"

#define CFIR_ENGINESTATE_MAX (4u << 20)	/* config.v2.json read at most */
#define CFIR_ENGINESTATE_DEFAULT_ROOT "/var/lib/docker"

struct cfir_enginestate {
	char *name;		/* without the leading '/', NULL when absent */
	char *image;		/* Config.Image as given */
};

/* Parse a config.v2.json of LEN bytes; no I/O. Absent fields stay NULL. */
int cfir_enginestate_parse(struct cfir_enginestate *d, const char *buf, size_t len,
			   struct cfir_err *err);
/*
 * Read and parse ROOT/containers/ID/config.v2.json (ROOT NULL: the data
 * root the bundle's root path ROOTFS shows, .../overlay2/X/merged, else
 * /var/lib/docker). ID must be 64 hex digits. EX_NOINPUT when there is none.
 */
int cfir_enginestate_load(struct cfir_enginestate *d, const char *root, const char *rootfs,
			  const char *id, struct cfir_err *err);
void cfir_enginestate_free(struct cfir_enginestate *d);

#define CFIR_STORAGE_JSON "/var/lib/containers/storage/overlay-containers/containers.json"
#define CFIR_STORAGE_MAX (64u << 20)	/* containers.json read at most */

/*
 * containers-storage's containers.json, parsed once (an index of every
 * container): from BUF (LEN bytes), or read from PATH (NULL:
 * CFIR_STORAGE_JSON). The name and image of container ID into D,
 * EX_NOINPUT when it lists none; ST may be NULL (lists none).
 */
struct cfir_storage;
int cfir_enginestate_storage_index(const char *buf, size_t len, struct cfir_storage **sp,
				   struct cfir_err *err);
int cfir_enginestate_storage_open(const char *path, struct cfir_storage **sp, struct cfir_err *err);
int cfir_enginestate_storage_find(const struct cfir_storage *st, const char *id,
				  struct cfir_enginestate *d, struct cfir_err *err);
void cfir_enginestate_storage_close(struct cfir_storage *st);
/* Index and find in one, for one container (tests, the fuzz target). */
int cfir_enginestate_storage_parse(struct cfir_enginestate *d, const char *buf, size_t len,
				   const char *id, struct cfir_err *err);

#endif
