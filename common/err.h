/* err.h - error reporting passed down every fallible call */
#ifndef CFIR_ERR_H
#define CFIR_ERR_H

#include <stdarg.h>
#include <stdbool.h>
#include <sysexits.h>

/* every loop that reports errors can be asked to stop: cfir_err_interrupted */
#include "common/interrupt.h"

/*
 * Exit statuses, one table (cfir(1) EXIT STATUS): 0 success, 1 a negative
 * answer, and sysexits(3) for the rest: EX_USAGE 64, EX_DATAERR 65 (bad
 * data), EX_NOINPUT 66 (no such container, file or bag), EX_UNAVAILABLE 69
 * (the engine unreachable, the container not in a state for it: HTTP 409),
 * EX_SOFTWARE 70 (a bug), EX_OSERR 71 (a system call failed, out of
 * memory), EX_CANTCREAT 73, EX_IOERR 74, EX_TEMPFAIL 75 (timeout, lock,
 * interrupted), EX_PROTOCOL 76 (the engine failed: HTTP 5xx; a malformed
 * netlink reply), EX_NOPERM 77.
 */
#define CFIR_EX_NEGATIVE 1

struct cfir_err {
	int exit;	/* exit status the top level turns this into */
	int sys;	/* errno, or 0 */
	char msg[512];
};

int cfir_err_set(struct cfir_err *e, int exit, int sys, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int cfir_err_wrap(struct cfir_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int cfir_err_sys_exit(int sys);
void cfir_err_clear(struct cfir_err *e);
const char *cfir_err_str(const struct cfir_err *e);

/* "cfir: KIND: message" on stderr, for the runner; the library never prints. */
void cfir_err_say(const char *kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cfir_err_vsay(const char *kind, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
#define cfir_err_warn(...) cfir_err_say("warning", __VA_ARGS__)
#define cfir_err_print(...) cfir_err_say("error", __VA_ARGS__)
/* What cfir does now: "cfir: capturing on eth0" */
#define cfir_err_note(...) cfir_err_say(NULL, __VA_ARGS__)
int cfir_err_report(const struct cfir_err *e);
/*
 * The library never prints: what the examiner should be told as a warning
 * is appended to *NOTICES, a line each, and the runner prints it.
 */
void cfir_err_notice(char **notices, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cfir_err_vnotice(char **notices, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Set ERR to "interrupted" (EX_TEMPFAIL) and return -1. */
int cfir_err_interrupted(struct cfir_err *err);

#endif
