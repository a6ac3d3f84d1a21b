/* filetype.h - libmagic on buffers: MIME type and description of first bytes */
#ifndef CFIR_FILETYPE_H
#define CFIR_FILETYPE_H

#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "common/err.h"

/* How many leading bytes callers should hand over. */
#define CFIR_FILETYPE_BYTES 2048

/*
 * Open this thread's libmagic (its database loaded once); -1 when it cannot,
 * ERR saying why. Typing without it leaves mime and magic out; a caller
 * that wants the reason said asks here first, the library never prints.
 */
int cfir_filetype_open(struct cfir_err *err);

/*
 * MIME type and description of BUF (never a file: hostile content is only
 * ever a buffer here, and compressed content is not unpacked). The strings
 * live until the next call; both are NULL when libmagic is unavailable.
 */
void cfir_filetype(const void *buf, size_t len, const char **mime, const char **desc);

/* Both, as "mime" and "magic" (exact bytes kept) of a JSON object. */
void cfir_filetype_json(cJSON *o, const void *buf, size_t len);
/* An answer of cfir_filetype's (typed elsewhere), the same way. */
void cfir_filetype_json_add(cJSON *o, const char *mime, const char *desc);
/* The name of MODE's file type: "file", "dir", "symlink", "char", "block",
 * "fifo", "socket", "unknown". */
const char *cfir_filetype_name(mode_t mode);
/* A thread that used cfir_filetype closes its cookies before it ends. */
void cfir_filetype_thread_done(void);

#endif
