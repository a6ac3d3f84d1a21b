/* tarout.h - entries from the host's view of a layer, into a tar and its mtree */
#ifndef CFIR_TAROUT_H
#define CFIR_TAROUT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "common/bag.h"

struct cfir_tarout;

/* <dir>/<base>.tar (pax) and <base>.mtree (as bsdtar would write it), both written through the bag. */
int cfir_tarout_open(struct cfir_bag *b, const char *dir, const char *base,
		     struct cfir_tarout **op, struct cfir_err *err);
/* A member with ST's metadata; LINK for a symlink. Data follows for files. */
int cfir_tarout_header(struct cfir_tarout *o, const char *path, const struct stat *st,
		       const char *link, struct cfir_err *err);
int cfir_tarout_data(struct cfir_tarout *o, const void *buf, size_t len, struct cfir_err *err);
/*
 * The SHA-256 (CFIR_SHA256_LEN bytes) of the data given for the member
 * since its header: its mtree line's digest, the bytes hashed once. A
 * regular file given none has the digest of no data.
 */
void cfir_tarout_digest(struct cfir_tarout *o, const unsigned char *md);
/* Finish both files; when !OK (or on a failure) they are kept as partial. */
int cfir_tarout_close(struct cfir_tarout *o, bool ok, struct cfir_err *err);

#endif
