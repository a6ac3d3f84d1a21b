/* dl.h - the libraries cfir loads when first called (dl.c) */
#ifndef CFIR_DL_H
#define CFIR_DL_H

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
