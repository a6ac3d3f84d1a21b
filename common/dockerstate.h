/*
 * dockerstate.h - what dockerd keeps of a container on disk, for when it
 * does not answer: its name and image from
 * DATA_ROOT/containers/<id>/config.v2.json.
 *
 * The file is root-owned, written by dockerd; its values were chosen by
 * whoever created the container (not by what runs inside it), and are still
 * kept exact, bounded and escaped only by the printer.
 */
#ifndef CFIR_DOCKERSTATE_H
#define CFIR_DOCKERSTATE_H

#include <stddef.h>

#include "common/err.h"

#define CFIR_DOCKERSTATE_MAX (4u << 20)	/* config.v2.json read at most */
#define CFIR_DOCKERSTATE_DEFAULT_ROOT "/var/lib/docker"

struct cfir_dockerstate {
	char *name;		/* without the leading '/', NULL when absent */
	char *image;		/* Config.Image as given */
};

/* Parse a config.v2.json of LEN bytes; no I/O. Absent fields stay NULL. */
int cfir_dockerstate_parse(struct cfir_dockerstate *d, const char *buf, size_t len,
			   struct cfir_err *err);
/*
 * Read and parse ROOT/containers/ID/config.v2.json (ROOT NULL: the data
 * root the bundle's root path ROOTFS shows, .../overlay2/X/merged, else
 * /var/lib/docker). ID must be 64 hex digits. EX_NOINPUT when there is none.
 */
int cfir_dockerstate_load(struct cfir_dockerstate *d, const char *root, const char *rootfs,
			  const char *id, struct cfir_err *err);
void cfir_dockerstate_free(struct cfir_dockerstate *d);

#endif
