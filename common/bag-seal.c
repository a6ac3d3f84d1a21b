/* bag-seal.c - the seal: the bag's final state, signed */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>

#include "common/bag.h"
#include "common/bag-internal.h"
#include "common/cleanup.h"
#include "common/minisign.h"
#include "common/util.h"

/* The seal's tag files and signature, under b->mu with the signals held off. */
static int
seal_write(struct cfir_bag *b, const struct cfir_minisign_sec *sk, const char *tc, struct cfir_err *err)
{
	cleanup_free char *tm = NULL, *sig = NULL;
	unsigned char h[64];
	size_t len = 0;

	if (cfir_bag_tags_update(b, err) < 0)
		return -1;
	if (sk == NULL)
		return 0;
	/* minisign -Vm tagmanifest-sha256.txt checks this file */
	if (cfir_util_read_file(b->dirfd, "tagmanifest-sha256.txt", CFIR_BAG_TAGFILE_MAX, &tm, &len, NULL, err) < 0)
		return cfir_err_wrap(err, "bag '%s'", b->dir);
	cfir_blake2b(h, 64, tm, len);
	if (cfir_minisign_sign(sk, h, tc, &sig, err) < 0 ||
	    cfir_bag_write_atomic(b, "tagmanifest-sha256.txt.minisig", sig, strlen(sig), err) < 0)
		return -1;
	return 0;
}

int
cfir_bag_seal(struct cfir_bag *b, const struct cfir_minisign_sec *sk, char **trusted, struct cfir_err *err)
{
	cleanup_free char *tc = NULL;
	sigset_t sigs;
	int r;

	*trusted = NULL;
	if (b->cur.action != NULL)
		return cfir_err_set(err, EX_SOFTWARE, 0, "seal inside an action");
	cfir_util_now_rfc3339(b->sealed);
	if (asprintf(&tc, "cfir sealed %s custody-head %s records %llu", b->sealed, b->head,
		     (unsigned long long)b->seq) < 0)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "seal");
	/* a second ^C waits until the bag is sealed and signed, or as it was */
	pthread_mutex_lock(&b->mu);
	cfir_interrupt_hold(&sigs);
	cfir_bag_reserve_give(b);
	r = seal_write(b, sk, tc, err);
	(void)cfir_bag_reserve_take(b);
	cfir_interrupt_release(&sigs);
	pthread_mutex_unlock(&b->mu);
	if (r < 0)
		return -1;
	*trusted = steal_pointer(&tc);
	return 0;
}
