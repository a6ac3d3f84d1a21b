/* util.h - small helpers: bounded reads, times, names */
#ifndef CFIR_UTIL_H
#define CFIR_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/err.h"

#define CFIR_TIME_LEN 40

/* -1, 0 or 1 as A is below, equal to or above B: for qsort comparators. */
#define CFIR_UTIL_CMP(a, b) (((a) > (b)) - ((a) < (b)))

/*
 * Read at most MAX bytes of a file (a /proc file, say) into a malloc'd,
 * NUL-terminated buffer; *truncated says whether more was there.
 * The open does not follow a final symbolic link.
 */
int cfir_util_read_file(int dirfd, const char *path, size_t max, char **buf,
		   size_t *len, bool *truncated, struct cfir_err *err);

/* RFC 3339 UTC with nanoseconds: 2026-11-28T21:30:00.123456789Z */
void cfir_util_time_rfc3339(const struct timespec *ts, char *buf);
void cfir_util_now_rfc3339(char *buf);
/* RFC 3339 as Go's RFC3339Nano writes it (the fraction 0 to 9 digits, any zone), LEN bytes. */
bool cfir_util_time_parse(const char *s, size_t len, struct timespec *ts);
/* 20261128T213000Z */
void cfir_util_time_stamp(char *buf, size_t n);

/* A copy of S safe as one file name: [A-Za-z0-9._-], the rest as '_'. */
char *cfir_util_safe_name(const char *s, size_t max);

/* Parse a non-negative decimal number, strtol-strict. */
int cfir_util_parse_ulong(const char *s, unsigned long max, unsigned long *out);

/* A size: digits, optionally K, M, G or T (powers of 1024), "KiB" and "KB" too. */
int cfir_util_parse_size(const char *s, uint64_t *out);

/*
 * pthread_create, the new thread holding SIGINT, SIGTERM and SIGHUP off for
 * good (see cfir_interrupt_hold): a second signal then waits for the thread
 * that ran main to leave a critical section.
 */
int cfir_util_thread_create(pthread_t *th, void *(*fn)(void *), void *arg);

/*
 * Room in the array *V (N elements used of *CAP, each SIZE bytes) for one
 * more: the capacity doubles from FIRST, never past MAX elements. False,
 * with *V and *CAP as they were, when MAX or memory says no.
 */
bool cfir_util_grow(void **v, size_t *cap, size_t n, size_t size, size_t first, size_t max);

/* Write all of BUF to FD, retrying on EINTR and short writes. */
int cfir_util_write_all(int fd, const void *buf, size_t len);
/* Free the N strings of V, then V. */
void cfir_util_free_strv(char **v, size_t n);

/*
 * Each line of FD (NUL-terminated in place, without its newline) to FN,
 * read in chunks: memory is one line, however long the file (a container
 * chooses how many mounts and mappings it has). A line over LINEMAX is an
 * error (EX_DATAERR), never skipped: it could hide what it holds. FN
 * returns 0 to go on, anything else to stop with that.
 */
typedef int (*cfir_util_line_fn)(void *ctx, char *line, size_t len);
int cfir_util_lines(int fd, size_t linemax, cfir_util_line_fn fn, void *ctx, struct cfir_err *err);
/*
 * The same for text the reader only shows (a log for the timeline): a line
 * over LINEMAX is handed on cut at LINEMAX bytes and counted in *CUT, and
 * the reading goes on after its newline.
 */
int cfir_util_lines_cut(int fd, size_t linemax, cfir_util_line_fn fn, void *ctx, size_t *cut,
			struct cfir_err *err);

/*
 * openat with O_NOATIME: reading evidence never changes its access time.
 * Where the kernel refuses it (not the owner, no CAP_FOWNER) the file is
 * opened without it and counted: cfir_util_noatime_refused() goes into the
 * custody record.
 */
int cfir_util_open_noatime(int dirfd, const char *path, int flags);
unsigned long cfir_util_noatime_refused(void);

/*
 * PATH (a directory) through a private, detached clone of its mount that
 * is read-only, noatime, nosuid, nodev and noexec: nothing read below it
 * (directories, files, symbolic links) gets a new access time and nothing
 * can be written. Falls back to a plain O_NOATIME open; *HOW says which.
 */
int cfir_util_open_tree_ro(const char *path, const char **how);

#endif
