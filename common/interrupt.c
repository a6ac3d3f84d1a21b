/* interrupt.c - the first SIGINT, SIGTERM or SIGHUP asks every long loop to stop */
#include <pthread.h>
#include <signal.h>

#include "common/interrupt.h"

static volatile sig_atomic_t interrupted;

void
cfir_interrupt_raise(bool sent)
{
	interrupted = sent ? 2 : 1;
}

bool
cfir_interrupt_sent(void)
{
	return interrupted == 2;
}

bool
cfir_interrupt_pending(void)
{
	return interrupted != 0;
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
