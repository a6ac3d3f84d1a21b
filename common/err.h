/* err.h - error reporting passed down every fallible call */
#ifndef CFIR_ERR_H
#define CFIR_ERR_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sysexits.h>

/*
 * Exit statuses (STYLE.md): 0 success, 1 negative answer, and sysexits(3)
 * for the rest: EX_USAGE 64, EX_DATAERR 65, EX_NOINPUT 66,
 * EX_UNAVAILABLE 69, EX_IOERR 74, EX_TEMPFAIL 75, EX_NOPERM 77.
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
#define cfir_err_warn(...) cfir_err_say("warning", __VA_ARGS__)
#define cfir_err_print(...) cfir_err_say("error", __VA_ARGS__)
int cfir_err_report(const struct cfir_err *e);
/*
 * The library never prints: what the examiner should be told as a warning
 * is appended to *NOTICES, a line each, and the runner prints it.
 */
void cfir_err_notice(char **notices, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cfir_err_vnotice(char **notices, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/*
 * SIGINT, SIGTERM and SIGHUP: the first asks every long loop (a walk, a
 * process list, a verify, a seal) to stop within a second, record what it
 * did as partial and leave a bag that verifies; the signal handler calls
 * cfir_interrupt_raise (async-signal-safe), the loops ask cfir_interrupt_pending.
 */
void cfir_interrupt_raise(bool sent);
bool cfir_interrupt_pending(void);
/* The signal was sent to cfir by a process (kill), not by the terminal to its whole group. */
bool cfir_interrupt_sent(void);
/* Set ERR to "interrupted" (EX_TEMPFAIL) and return -1. */
int cfir_err_interrupted(struct cfir_err *err);
/*
 * Hold SIGINT, SIGTERM and SIGHUP off in this thread (OLD keeps the mask to
 * restore): a critical section, such as a custody record and the tag files
 * after it, that a second signal must not cut in two. Every thread cfir
 * starts (cfir_util_thread_create) holds them off for good, so they reach only
 * the thread that ran main.
 */
void cfir_interrupt_hold(sigset_t *old);
void cfir_interrupt_release(const sigset_t *old);

#endif
