/* minisign.h - minisign's key and signature formats, with OpenSSL */
#ifndef CFIR_MINISIGN_H
#define CFIR_MINISIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define CFIR_MINISIGN_KEYID 8
#define CFIR_MINISIGN_COMMENT_MAX 1024

struct cfir_minisign_pub {
	unsigned char keyid[CFIR_MINISIGN_KEYID];
	unsigned char pk[32];
};

struct cfir_minisign_sec {
	unsigned char keyid[CFIR_MINISIGN_KEYID];
	unsigned char sk[64];	/* Ed25519: seed, then the public key */
};

/* The key ID as minisign prints it: a little-endian 64-bit number in hex. */
void cfir_minisign_keyid_hex(char out[17], const unsigned char keyid[CFIR_MINISIGN_KEYID]);

/* BLAKE2b (RFC 7693), unkeyed, OUTLEN 1..64 bytes, in one call. */
void cfir_blake2b(unsigned char *out, size_t outlen, const void *in, size_t inlen);

/* "untrusted comment: ...\n<base64>\n": the public key. */
int cfir_minisign_pub_parse(const char *text, size_t len, struct cfir_minisign_pub *pub,
		      struct cfir_err *err);
/*
 * The secret key; PASS decrypts it when it is encrypted (scrypt, as
 * libsodium's crypto_pwhash_scryptsalsa208sha256 with the file's limits),
 * and its checksum is checked. *ENCRYPTED says whether it was.
 */
int cfir_minisign_sec_parse(const char *text, size_t len, const char *pass,
		      struct cfir_minisign_sec *sec, bool *encrypted, struct cfir_err *err);

/* minisign's scrypt limits for a secret key ("sensitive": 1 GiB of memory) */
#define CFIR_MINISIGN_OPSLIMIT 33554432ULL
#define CFIR_MINISIGN_MEMLIMIT 1073741824ULL

/*
 * A new key pair: the files' texts (malloc'd). With PASS the secret key is
 * encrypted as minisign does, with its limits when OPS and MEM are 0;
 * without it, stored as minisign -W does.
 */
int cfir_minisign_keygen(const char *pass, uint64_t ops, uint64_t mem, char **pub_text,
		   char **sec_text, struct cfir_err *err);

/*
 * Sign the BLAKE2b-512 hash of a message (minisign's prehashed "ED"
 * signature) with TRUSTED, a comment covered by the global signature:
 * the .minisig text (malloc'd).
 */
int cfir_minisign_sign(const struct cfir_minisign_sec *sec, const unsigned char hash[64],
		 const char *trusted, char **sig_text, struct cfir_err *err);

/*
 * Check a .minisig text against PUB and the message's BLAKE2b-512 hash (or
 * the message itself for a legacy "Ed" signature: MSG may be NULL when the
 * caller knows it is prehashed). The trusted comment into TRUSTED.
 */
int cfir_minisign_verify(const struct cfir_minisign_pub *pub, const char *sig, size_t siglen,
		   const unsigned char hash[64], const void *msg, size_t msglen,
		   char *trusted, size_t tlen, struct cfir_err *err);

#endif
