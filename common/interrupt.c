/* interrupt.c - the first SIGINT, SIGTERM or SIGHUP asks every long loop to stop */
#include <pthread.h>
#include <signal.h>

#include "common/interrupt.h"

/* set from a signal handler, read by every thread: a lock-free atomic, safe in both */
static int interrupted;

void
cfir_interrupt_raise(bool sent)
{
	__atomic_store_n(&interrupted, sent ? 2 : 1, __ATOMIC_RELAXED);
}

bool
cfir_interrupt_sent(void)
{
	return __atomic_load_n(&interrupted, __ATOMIC_RELAXED) == 2;
}

bool
cfir_interrupt_pending(void)
{
	return __atomic_load_n(&interrupted, __ATOMIC_RELAXED) != 0;
}

void
cfir_interrupt_hold(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

void
cfir_interrupt_release(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}
