/* hash.h - streaming SHA-256 (OpenSSL EVP) */
#ifndef CFIR_HASH_H
#define CFIR_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define CFIR_SHA256_LEN 32
#define CFIR_SHA256_HEX (2 * CFIR_SHA256_LEN + 1)

struct cfir_hash;

struct cfir_hash *cfir_hash_new(void);
void cfir_hash_update(struct cfir_hash *h, const void *buf, size_t len);
/* Finish into MD (CFIR_SHA256_LEN bytes) and reset for reuse. */
void cfir_hash_final(struct cfir_hash *h, unsigned char *md);
/* Finish into hex (CFIR_SHA256_HEX bytes) and reset for reuse. */
void cfir_hash_final_hex(struct cfir_hash *h, char *hex);
void cfir_hash_free(struct cfir_hash *h);

void cfir_sha256_hex(const void *buf, size_t len, char *hex);
/* Hash an open file from its current offset to EOF. */
int cfir_sha256_fd(int fd, char *hex, uint64_t *bytes, struct cfir_err *err);
/*
 * The same, asking between blocks whether SIGINT came (then "interrupted",
 * EX_TEMPFAIL): for reads of evidence, never for the bag's own tag files,
 * which are written whole once a stop is asked.
 */
int cfir_sha256_fd_stoppable(int fd, char *hex, uint64_t *bytes, struct cfir_err *err);
void cfir_hex(const unsigned char *in, size_t len, char *out);
/* Standard base64 (padded) into a malloc'd buffer of *len bytes; -1 if malformed. */
int cfir_base64_decode(const char *in, unsigned char **out, size_t *len);

#endif
