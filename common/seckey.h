/* seckey.h - a minisign secret key from its file, and the passphrase that opens it */
#ifndef CFIR_SECKEY_H
#define CFIR_SECKEY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

#define CFIR_SECKEY_PASS_MAX 1024

struct cfir_minisign_sec;

/*
 * The passphrase: asked on the terminal without echo (twice when CONFIRM),
 * PROMPT written to the terminal itself; or the first line of standard
 * input when it is not a terminal. BUF holds N bytes.
 */
int cfir_seckey_passphrase(const char *prompt, bool confirm, char *buf, size_t n,
			   struct cfir_err *err);

/* The secret key at PATH, its passphrase asked when it is encrypted. */
int cfir_seckey_load(const char *path, struct cfir_minisign_sec *sk, struct cfir_err *err);

/* Overwrite a secret (a key, a passphrase) so that no copy stays in memory. */
void cfir_seckey_wipe(void *p, size_t n);

#endif
