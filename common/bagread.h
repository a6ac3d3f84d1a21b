/* bagread.h - a bag's own files read back, a bounded pass each (report, timeline) */
#ifndef CFIR_BAGREAD_H
#define CFIR_BAGREAD_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/err.h"

/*
 * A bag is read as evidence: it may have been altered since it was
 * written, and much of what it holds came from the container. Every file
 * is opened below the bag's directory fd one component at a time, no
 * symbolic link followed, a regular file only, with O_NOATIME; every
 * element and line is bounded, and memory is one of them at a time.
 */

/* PATH ("data/<id12>/proc/processes.json") below DIRFD; -1 with errno (EMEDIUMTYPE: not a regular file). */
int cfir_bagread_open(int dirfd, const char *path);

/*
 * The names in directory PATH of the bag (reached the same way) of regular
 * files ending in SUFFIX (NULL: any), sorted, at most MAX; none when it is
 * absent. *NAMES and its strings are malloc'd.
 */
size_t cfir_bagread_names(int dirfd, const char *path, const char *suffix, size_t max, char ***names);

/* What an FN returns to end a walk early without an error. */
#define CFIR_BAGREAD_STOP 1

typedef int (*cfir_bagread_json_fn)(void *ctx, const cJSON *j);

/* What a pass over one file saw besides what it handed on. */
struct cfir_bagread_stats {
	size_t items;		/* elements or lines handed to FN */
	size_t bad;		/* lines or elements that were not JSON objects */
};

/*
 * Each line of a JSON Lines file parsed and handed to FN; a line that is no
 * JSON object is counted in ST->bad and skipped. A line over LINEMAX is an
 * error. FN returns 0 to go on, CFIR_BAGREAD_STOP to stop, -1 to fail.
 */
int cfir_bagread_jsonl(int fd, size_t linemax, cfir_bagread_json_fn fn, void *ctx,
		       struct cfir_bagread_stats *st, struct cfir_err *err);

/*
 * A JSON object whose array at KEY cfir streamed element by element
 * (diff.json's "entries", processes.json's "processes", sockets.json's
 * "sockets"): FN gets each object of that array as it is read, whatever
 * the layout; *DOC (when DOC is not NULL) the rest of the object, the
 * array left empty. An element or the rest over MAX bytes is an error.
 */
int cfir_bagread_stream(int fd, const char *key, size_t max, cfir_bagread_json_fn fn, void *ctx,
			cJSON **doc, struct cfir_bagread_stats *st, struct cfir_err *err);

/* The same over bytes in memory: for tests and fuzzing. */
int cfir_bagread_stream_buf(const void *buf, size_t len, const char *key, size_t max,
			    cfir_bagread_json_fn fn, void *ctx, cJSON **doc,
			    struct cfir_bagread_stats *st, struct cfir_err *err);

/* A small JSON file whole (inspect.json, say); one over MAX bytes is an error. */
int cfir_bagread_json(int dirfd, const char *path, size_t max, cJSON **out, struct cfir_err *err);

/* "Key: value" lines of bag-info.txt as an object; a key seen twice becomes an array. */
int cfir_bagread_info(int dirfd, cJSON **out, struct cfir_err *err);

/*
 * The container directories of a bag: every data/<name> that is a
 * directory holding engine/, runtime/, proc/, net/, fs/, export/, copy/
 * or hunt/, in byte order (data/hunt/ of a several-container bag is not
 * one). *NAMES and its strings are malloc'd.
 */
int cfir_bagread_containers(int dirfd, char ***names, size_t *n, struct cfir_err *err);

#endif
