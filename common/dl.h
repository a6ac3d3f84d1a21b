/* dl.h - the libraries cfir loads when first called (dl.c) */
#ifndef CFIR_DL_H
#define CFIR_DL_H

#include <stdbool.h>
#include <stddef.h>

/* A function of a library loaded at run time, and where its address goes. */
struct cfir_dl_sym {
	const char *name;
	void **slot;
};

/*
 * Load SONAME (by that name alone: the loader's own search) and resolve
 * its N symbols into their slots; false with the loader's words in WHY.
 */
bool cfir_dl_open(const char *soname, const struct cfir_dl_sym *syms, size_t n, char *why, size_t whylen);

/*
 * Why LIB ("libarchive", "libpcap", "libmagic") cannot be loaded, in the
 * loader's words; NULL when it is (it is loaded now if it was not).
 */
const char *cfir_dl_unavailable(const char *lib);

struct cfir_err;
/*
 * A constructor of LIB's gave NULL: that LIB could not be loaded
 * (EX_UNAVAILABLE, the loader's words), else out of memory; for WHAT.
 */
int cfir_dl_fail(struct cfir_err *err, const char *lib, const char *what);

#endif
