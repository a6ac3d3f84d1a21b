/* minisign.c - minisign's key and signature formats, with OpenSSL
 *
 * A public key is "Ed" || keyid[8] || pk[32]. A secret key is "Ed" ||
 * kdf[2] ("Sc" for scrypt, zeros for none) || "B2" || salt[32] ||
 * opslimit[8] || memlimit[8] || (keyid[8] || sk[64] || chk[32]) XORed with
 * the scrypt stream, chk being BLAKE2b-256 of "Ed" || keyid || sk. A
 * signature is "ED" || keyid || Ed25519(BLAKE2b-512(message)), then a
 * trusted comment and Ed25519(signature || comment). OpenSSL has Ed25519,
 * scrypt and BLAKE2b-512 but not BLAKE2b of other lengths: that is here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/cleanup.h"
#include "common/hash.h"
#include "common/minisign.h"

/* ---- BLAKE2b (RFC 7693) -------------------------------------------------- */

static const uint64_t b2_iv[8] = {
	0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
	0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};

/* RFC 7693: twelve rounds, round r permuting with row r mod 10 */
static const unsigned char b2_sigma[10][16] = {
	{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
	{ 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
	{ 11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4 },
	{ 7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8 },
	{ 9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13 },
	{ 2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9 },
	{ 12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11 },
	{ 13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10 },
	{ 6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5 },
	{ 10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0 },
};

static uint64_t
rotr64(uint64_t x, unsigned n)
{
	return (x >> n) | (x << (64 - n));
}

static uint64_t
load64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

#define B2_G(a, b, c, d, x, y)                         \
	do {                                           \
		v[a] = v[a] + v[b] + (x);              \
		v[d] = rotr64(v[d] ^ v[a], 32);        \
		v[c] = v[c] + v[d];                    \
		v[b] = rotr64(v[b] ^ v[c], 24);        \
		v[a] = v[a] + v[b] + (y);              \
		v[d] = rotr64(v[d] ^ v[a], 16);        \
		v[c] = v[c] + v[d];                    \
		v[b] = rotr64(v[b] ^ v[c], 63);        \
	} while (0)

static void
b2_compress(uint64_t h[8], const unsigned char block[128], uint64_t t, bool last)
{
	uint64_t v[16], m[16];
	int i;

	for (i = 0; i < 16; i++)
		m[i] = load64(block + 8 * i);
	for (i = 0; i < 8; i++) {
		v[i] = h[i];
		v[i + 8] = b2_iv[i];
	}
	v[12] ^= t;	/* messages here are far below 2^64 bytes */
	if (last)
		v[14] = ~v[14];
	for (i = 0; i < 12; i++) {
		const unsigned char *s = b2_sigma[i % 10];

		B2_G(0, 4, 8, 12, m[s[0]], m[s[1]]);
		B2_G(1, 5, 9, 13, m[s[2]], m[s[3]]);
		B2_G(2, 6, 10, 14, m[s[4]], m[s[5]]);
		B2_G(3, 7, 11, 15, m[s[6]], m[s[7]]);
		B2_G(0, 5, 10, 15, m[s[8]], m[s[9]]);
		B2_G(1, 6, 11, 12, m[s[10]], m[s[11]]);
		B2_G(2, 7, 8, 13, m[s[12]], m[s[13]]);
		B2_G(3, 4, 9, 14, m[s[14]], m[s[15]]);
	}
	for (i = 0; i < 8; i++)
		h[i] ^= v[i] ^ v[i + 8];
}

void
cfir_blake2b(unsigned char *out, size_t outlen, const void *in, size_t inlen)
{
	const unsigned char *p = in;
	unsigned char block[128];
	uint64_t h[8], t = 0;
	size_t i;

	memcpy(h, b2_iv, sizeof(h));
	h[0] ^= 0x01010000ULL ^ outlen;
	while (inlen > 128) {
		t += 128;
		b2_compress(h, p, t, false);
		p += 128;
		inlen -= 128;
	}
	memset(block, 0, sizeof(block));
	memcpy(block, p, inlen);
	t += inlen;
	b2_compress(h, block, t, true);
	for (i = 0; i < outlen; i++)
		out[i] = (unsigned char)(h[i / 8] >> (8 * (i % 8)));
}

/* ---- the file formats ------------------------------------------------------ */

static char *
b64(const unsigned char *in, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);

	if (out != NULL)
		EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	return out;
}

/* Line N (0-based) of TEXT, without its newline or CR, into BUF. */
static int
line_of(const char *text, size_t len, int n, char *buf, size_t cap)
{
	const char *p = text, *end = text + len, *nl;
	size_t l;

	for (; n > 0 && p < end; n--) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			return -1;
		p = nl + 1;
	}
	if (p >= end)
		return -1;
	nl = memchr(p, '\n', (size_t)(end - p));
	l = (size_t)((nl ? nl : end) - p);
	if (l > 0 && p[l - 1] == '\r')
		l--;
	if (l >= cap)
		return -1;
	memcpy(buf, p, l);
	buf[l] = '\0';
	return 0;
}

/* The base64 line under the comment, exactly WANT bytes once decoded. */
static int
decode_line(const char *text, size_t len, int n, unsigned char *out, size_t want, const char *what,
	    struct cfir_err *err)
{
	cleanup_free unsigned char *bin = NULL;
	char line[512];
	size_t got = 0;

	if (line_of(text, len, n, line, sizeof(line)) < 0 || cfir_base64_decode(line, &bin, &got) < 0 ||
	    got != want)
		return cfir_err_set(err, EX_DATAERR, 0, "%s: not in minisign's format", what);
	memcpy(out, bin, want);
	return 0;
}

int
cfir_minisign_pub_parse(const char *text, size_t len, struct cfir_minisign_pub *pub, struct cfir_err *err)
{
	unsigned char raw[42];
	int n = 0;

	/* a key may come bare (minisign -P) or under its comment */
	if (len > 19 && strncmp(text, "untrusted comment: ", 19) == 0)
		n = 1;
	if (decode_line(text, len, n, raw, sizeof(raw), "public key", err) < 0)
		return -1;
	if (raw[0] != 'E' || raw[1] != 'd')
		return cfir_err_set(err, EX_DATAERR, 0, "public key: not an Ed25519 minisign key");
	memcpy(pub->keyid, raw + 2, CFIR_MINISIGN_KEYID);
	memcpy(pub->pk, raw + 10, 32);
	return 0;
}

/* libsodium's crypto_pwhash_scryptsalsa208sha256: its limits to N, r, p. */
static void
scrypt_params(uint64_t ops, uint64_t mem, uint64_t *N, uint64_t *r, uint64_t *p)
{
	uint64_t maxN, maxrp;
	unsigned lg;

	if (ops < 32768)
		ops = 32768;
	*r = 8;
	if (ops < mem / 32) {
		*p = 1;
		maxN = ops / (*r * 4);
	} else {
		maxN = mem / (*r * 128);
	}
	for (lg = 1; lg < 63; lg++)
		if ((1ULL << lg) > maxN / 2)
			break;
	*N = 1ULL << lg;
	if (!(ops < mem / 32)) {
		maxrp = (ops / 4) / *N;
		if (maxrp > 0x3fffffff)
			maxrp = 0x3fffffff;
		*p = maxrp / *r;
		if (*p == 0)
			*p = 1;
	}
}

static void
put_le64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

#define SEC_LEN 158	/* 2 + 2 + 2 + 32 + 8 + 8 + 104 */

static int
kdf_stream(const char *pass, const unsigned char *salt, uint64_t ops, uint64_t mem, unsigned char out[104],
	   struct cfir_err *err)
{
	uint64_t N, r, p;

	scrypt_params(ops, mem, &N, &r, &p);
	/* the file sets the cost: no more than minisign's own (1 GiB) twice over */
	if (N > (1ULL << 24) || 128 * r * N > (2ULL << 30) || p > 16)
		return cfir_err_set(err, EX_DATAERR, 0, "secret key: scrypt limits out of range");
	if (EVP_PBE_scrypt(pass, strlen(pass), salt, 32, N, r, p, 128 * r * N + (64u << 20), out, 104) != 1)
		return cfir_err_set(err, EX_SOFTWARE, ENOMEM, "scrypt");
	return 0;
}

static void
sec_chk(unsigned char out[32], const unsigned char keyid[8], const unsigned char sk[64])
{
	unsigned char in[2 + 8 + 64] = { 'E', 'd' };

	memcpy(in + 2, keyid, 8);
	memcpy(in + 10, sk, 64);
	cfir_blake2b(out, 32, in, sizeof(in));
	OPENSSL_cleanse(in, sizeof(in));
}

int
cfir_minisign_sec_parse(const char *text, size_t len, const char *pass, struct cfir_minisign_sec *sec,
		  bool *encrypted, struct cfir_err *err)
{
	unsigned char raw[SEC_LEN], stream[104], chk[32];
	const unsigned char zero[32] = { 0 };
	size_t i;
	int r = -1;

	if (decode_line(text, len, 1, raw, sizeof(raw), "secret key", err) < 0)
		return -1;
	if (raw[0] != 'E' || raw[1] != 'd' || raw[4] != 'B' || raw[5] != '2') {
		cfir_err_set(err, EX_DATAERR, 0, "secret key: not an Ed25519 minisign key");
		goto out;
	}
	*encrypted = raw[2] == 'S' && raw[3] == 'c';
	if (!*encrypted && (raw[2] != 0 || raw[3] != 0)) {
		cfir_err_set(err, EX_DATAERR, 0, "secret key: unknown key derivation");
		goto out;
	}
	if (*encrypted) {
		if (pass == NULL) {
			cfir_err_set(err, EX_USAGE, 0, "secret key: it is encrypted; a passphrase is needed");
			goto out;
		}
		if (kdf_stream(pass, raw + 6, load64(raw + 38), load64(raw + 46), stream, err) < 0)
			goto out;
		for (i = 0; i < 104; i++)
			raw[54 + i] ^= stream[i];
	}
	memcpy(sec->keyid, raw + 54, 8);
	memcpy(sec->sk, raw + 62, 64);
	sec_chk(chk, sec->keyid, sec->sk);
	/* minisign -W stores no checksum */
	if (CRYPTO_memcmp(chk, raw + 126, 32) != 0 && (*encrypted || memcmp(raw + 126, zero, 32) != 0)) {
		cfir_err_set(err, *encrypted ? EX_NOPERM : EX_DATAERR, 0,
			     *encrypted ? "secret key: wrong passphrase" : "secret key: checksum does not match");
		goto out;
	}
	r = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(stream, sizeof(stream));
	if (r < 0)
		OPENSSL_cleanse(sec, sizeof(*sec));
	return r;
}

/* ---- Ed25519 ---------------------------------------------------------------- */

static int
ed_sign(const unsigned char sk[64], const unsigned char *msg, size_t len, unsigned char sig[64],
	struct cfir_err *err)
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk, 32);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t siglen = 64;
	int ok;

	ok = k != NULL && ctx != NULL && EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) == 1 &&
	     EVP_DigestSign(ctx, sig, &siglen, msg, len) == 1 && siglen == 64;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	return ok ? 0 : cfir_err_set(err, EX_SOFTWARE, 0, "Ed25519 signing failed");
}

static bool
ed_verify(const unsigned char pk[32], const unsigned char *msg, size_t len, const unsigned char sig[64])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, 32);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok;

	ok = k != NULL && ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k) == 1 &&
	     EVP_DigestVerify(ctx, sig, 64, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	return ok;
}

void
cfir_minisign_keyid_hex(char out[17], const unsigned char keyid[8])
{
	int i;

	/* minisign prints the id as a little-endian 64-bit number */
	for (i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02X", keyid[7 - i]);
}

int
cfir_minisign_keygen(const char *pass, uint64_t ops, uint64_t mem, char **pub_text, char **sec_text,
	       struct cfir_err *err)
{
	unsigned char seed[32], raw[SEC_LEN] = { 'E', 'd' }, pubraw[42] = { 'E', 'd' }, stream[104];
	EVP_PKEY *k = NULL;
	size_t pklen = 32, i;
	cleanup_free char *p64 = NULL, *s64 = NULL;
	char id[17];
	int r = -1;

	*pub_text = *sec_text = NULL;
	if (RAND_bytes(seed, 32) != 1 || RAND_bytes(raw + 54, 8) != 1 ||
	    (k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32)) == NULL ||
	    EVP_PKEY_get_raw_public_key(k, raw + 62 + 32, &pklen) != 1) {
		cfir_err_set(err, EX_SOFTWARE, 0, "key generation failed");
		goto out;
	}
	memcpy(raw + 62, seed, 32);
	raw[4] = 'B';
	raw[5] = '2';
	memcpy(pubraw + 2, raw + 54, 8);
	memcpy(pubraw + 10, raw + 62 + 32, 32);
	if (pass != NULL) {
		raw[2] = 'S';
		raw[3] = 'c';
		put_le64(raw + 38, ops ? ops : CFIR_MINISIGN_OPSLIMIT);
		put_le64(raw + 46, mem ? mem : CFIR_MINISIGN_MEMLIMIT);
		sec_chk(raw + 126, raw + 54, raw + 62);
		if (RAND_bytes(raw + 6, 32) != 1 ||
		    kdf_stream(pass, raw + 6, load64(raw + 38), load64(raw + 46), stream, err) < 0)
			goto out;
		for (i = 0; i < 104; i++)
			raw[54 + i] ^= stream[i];
	}
	cfir_minisign_keyid_hex(id, pubraw + 2);
	p64 = b64(pubraw, sizeof(pubraw));
	s64 = b64(raw, sizeof(raw));
	if (p64 == NULL || s64 == NULL ||
	    asprintf(pub_text, "untrusted comment: minisign public key %s\n%s\n", id, p64) < 0 ||
	    asprintf(sec_text, "untrusted comment: minisign encrypted secret key\n%s\n", s64) < 0) {
		cfir_err_set(err, EX_OSERR, ENOMEM, "keygen");
		goto out;
	}
	r = 0;
out:
	if (s64 != NULL)
		OPENSSL_cleanse(s64, strlen(s64));
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(stream, sizeof(stream));
	EVP_PKEY_free(k);
	return r;
}

int
cfir_minisign_sign(const struct cfir_minisign_sec *sec, const unsigned char hash[64], const char *trusted,
	     char **sig_text, struct cfir_err *err)
{
	unsigned char raw[74] = { 'E', 'D' }, global[64], *gm;
	size_t tl = strlen(trusted);
	cleanup_free char *s64 = NULL, *g64 = NULL;
	char id[17];

	*sig_text = NULL;
	if (tl > CFIR_MINISIGN_COMMENT_MAX || strchr(trusted, '\n') != NULL || strchr(trusted, '\r') != NULL)
		return cfir_err_set(err, EX_SOFTWARE, 0, "trusted comment: one line, at most %d bytes",
				    CFIR_MINISIGN_COMMENT_MAX);
	memcpy(raw + 2, sec->keyid, 8);
	if (ed_sign(sec->sk, hash, 64, raw + 10, err) < 0)
		return -1;
	gm = malloc(64 + tl);
	if (gm == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "sign");
	memcpy(gm, raw + 10, 64);
	memcpy(gm + 64, trusted, tl);
	if (ed_sign(sec->sk, gm, 64 + tl, global, err) < 0) {
		free(gm);
		return -1;
	}
	free(gm);
	cfir_minisign_keyid_hex(id, sec->keyid);
	s64 = b64(raw, sizeof(raw));
	g64 = b64(global, sizeof(global));
	if (s64 == NULL || g64 == NULL ||
	    asprintf(sig_text, "untrusted comment: signature from cfir secret key %s\n%s\ntrusted comment: %s\n%s\n",
		     id, s64, trusted, g64) < 0)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "sign");
	return 0;
}

int
cfir_minisign_verify(const struct cfir_minisign_pub *pub, const char *sig, size_t siglen, const unsigned char hash[64],
	       const void *msg, size_t msglen, char *trusted, size_t tlen, struct cfir_err *err)
{
	unsigned char raw[74], global[64], *gm;
	char tline[CFIR_MINISIGN_COMMENT_MAX + 32];
	const char *tc;
	size_t tl;
	bool ok;

	if (decode_line(sig, siglen, 1, raw, sizeof(raw), "signature", err) < 0 ||
	    line_of(sig, siglen, 2, tline, sizeof(tline)) < 0 || strncmp(tline, "trusted comment: ", 17) != 0 ||
	    decode_line(sig, siglen, 3, global, sizeof(global), "signature", err) < 0)
		return err->exit ? -1 : cfir_err_set(err, EX_DATAERR, 0, "signature: not in minisign's format");
	if (memcmp(raw + 2, pub->keyid, 8) != 0)
		return cfir_err_set(err, CFIR_EX_NEGATIVE, 0, "signature: made with another key");
	if (raw[0] == 'E' && raw[1] == 'D')
		ok = ed_verify(pub->pk, hash, 64, raw + 10);
	else if (raw[0] == 'E' && raw[1] == 'd' && msg != NULL)
		ok = ed_verify(pub->pk, msg, msglen, raw + 10);
	else
		return cfir_err_set(err, EX_DATAERR, 0, "signature: unknown algorithm");
	if (!ok)
		return cfir_err_set(err, CFIR_EX_NEGATIVE, 0, "signature: does not match");
	tc = tline + 17;
	tl = strlen(tc);
	gm = malloc(64 + tl);
	if (gm == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "verify");
	memcpy(gm, raw + 10, 64);
	memcpy(gm + 64, tc, tl);
	ok = ed_verify(pub->pk, gm, 64 + tl, global);
	free(gm);
	if (!ok)
		return cfir_err_set(err, CFIR_EX_NEGATIVE, 0, "signature: the trusted comment was altered");
	if (trusted != NULL)
		snprintf(trusted, tlen, "%s", tc);
	return 0;
}
