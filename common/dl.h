/* dl.h - the libraries cfir loads when first called (dl.c) */
#ifndef CFIR_DL_H
#define CFIR_DL_H

/*
 * Why LIB ("libarchive", "libpcap", "libmagic") cannot be loaded, in the
 * loader's words; NULL when it is (it is loaded now if it was not).
 */
const char *cfir_dl_unavailable(const char *lib);

#endif
