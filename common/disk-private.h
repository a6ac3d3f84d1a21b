/*
 * disk-private.h - the pure parsers under disk-docker.c and disk-storage.c:
 * bytes in, checked values out, no I/O, for the unit tests and the fuzz
 * targets. What they read is hostile (see disk.h).
 */
#ifndef CFIR_DISK_PRIVATE_H
#define CFIR_DISK_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

#define CFIR_DISK_SHORT_LEN	26	/* overlay2's l/ names */

struct cfir_disk_list;

/* S is WANT lowercase hex digits, LEN bytes, nothing else. */
bool cfir_disk_hex(const char *s, size_t len, size_t want);
/* Count an entry of L not listed (NAME, WHY); the first one is kept in first_skip. */

/*
 * An overlay2 layer ID as dockerd writes it in mount-id, init-id and
 * cache-id: exactly 64 lowercase hex digits, "-init" after them only when
 * INIT. No newline, nothing else. OUT gets it NUL-terminated.
 */
int cfir_disk_docker_id(const char *buf, size_t len, bool init, char out[70], struct cfir_err *err);
/* A layerdb digest file (diff, parent): "sha256:" and 64 lowercase hex digits. */
int cfir_disk_docker_digest(const char *buf, size_t len, char out[72], struct cfir_err *err);
/*
 * overlay2's lower file, "l/ABC:l/DEF:..." (top to bottom): each short
 * name [A-Z0-9]{26} into *V (N of them, at most CFIR_DISK_LAYERS_MAX, a
 * malloc'd array of CFIR_DISK_SHORT_LEN + 1 byte names).
 */
int cfir_disk_docker_lower(const char *buf, size_t len, char (**v)[CFIR_DISK_SHORT_LEN + 1], size_t *n,
			   struct cfir_err *err);

/* A chain of containers-storage layers, top to bottom. */
struct cfir_disk_chain {
	char **id;	/* 64 hex digits each */
	char **digest;	/* its diff-digest, NULL when none */
	size_t n;
};
void cfir_disk_chain_free(struct cfir_disk_chain *c);
/*
 * The chain from LAYER down through "parent" in a layers.json of LEN bytes:
 * bounded (CFIR_DISK_LAYERS_MAX), a loop or a missing parent is EX_DATAERR.
 */
int cfir_disk_storage_chain(const char *buf, size_t len, const char *layer, struct cfir_disk_chain *c,
			    struct cfir_err *err);

#endif
