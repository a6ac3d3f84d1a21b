/* verify.h - check a bag, as a directory or packed into one tar */
#ifndef CFIR_VERIFY_H
#define CFIR_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

struct cfir_minisign_pub;
struct cfir_verify_report {
	void (*item)(void *ctx, const char *path, bool ok, const char *why);
	void *ctx;
	const struct cfir_minisign_pub *pub;	/* check the seal's signature with it */
	size_t ok, failed;
};
/*
 * Check every hash, extra and missing files, Payload-Oxum and the custody
 * chain; with R->pub the signature over the tag manifest and the custody
 * head it names.
 */
int cfir_bag_verify(const char *dir, struct cfir_verify_report *r,
		    struct cfir_err *err);
/* The same for a bag packed into one tar (seal --archive), read as a stream. */
int cfir_bag_verify_archive(const char *path, struct cfir_verify_report *r,
			    struct cfir_err *err);

#endif
