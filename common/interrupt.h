/* interrupt.h - the first SIGINT, SIGTERM or SIGHUP asks every long loop to stop */
#ifndef CFIR_INTERRUPT_H
#define CFIR_INTERRUPT_H

#include <signal.h>
#include <stdbool.h>

/*
 * SIGINT, SIGTERM and SIGHUP: the first asks every long loop (a walk, a
 * process list, a verify, a seal) to stop within a second, record what it
 * did as partial and leave a bag that verifies; the signal handler calls
 * cfir_interrupt_raise (async-signal-safe), the loops ask
 * cfir_interrupt_pending.
 */
void cfir_interrupt_raise(bool sent);
bool cfir_interrupt_pending(void);
/* The signal was sent to cfir by a process (kill), not by the terminal to its whole group. */
bool cfir_interrupt_sent(void);
/*
 * Hold SIGINT, SIGTERM and SIGHUP off in this thread (OLD keeps the mask to
 * restore): a critical section, such as a custody record and the tag files
 * after it, that a second signal must not cut in two. Every thread cfir
 * starts (cfir_util_thread_create) holds them off for good, so they reach
 * only the thread that ran main.
 */
void cfir_interrupt_hold(sigset_t *old);
void cfir_interrupt_release(const sigset_t *old);

#endif
