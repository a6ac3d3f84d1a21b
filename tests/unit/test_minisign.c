/* test_minisign.c - BLAKE2b, and minisign's formats against minisign's own files */
#include <fcntl.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "common/cleanup.h"
#include "common/minisign.h"
#include "common/util.h"
#include "tests/unit/unit.h"

static char *
fx(const char *name, size_t *len)
{
	char *buf = NULL;

	*len = 0;
	CHECK(cfir_util_read_file(AT_FDCWD, unit_fixture(name), 1 << 20, &buf, len, NULL, NULL) == 0);
	return buf;
}

/* Our BLAKE2b-512 is OpenSSL's at every length around the block edges. */
static void
blake2b(void)
{
	unsigned char in[400], a[64], b[64];
	unsigned int blen = 64;
	size_t n;

	for (n = 0; n < sizeof(in); n++)
		in[n] = (unsigned char)(n * 7 + 3);
	for (n = 0; n < sizeof(in); n += n < 140 ? 1 : 37) {
		cfir_blake2b(a, 64, in, n);
		CHECK(EVP_Digest(in, n, b, &blen, EVP_blake2b512(), NULL) == 1);
		CHECK(memcmp(a, b, 64) == 0);
	}
	/* RFC 7693's example, and BLAKE2b-256 of "" as b2sum -l 256 gives it */
	cfir_blake2b(a, 64, "abc", 3);
	CHECK(a[0] == 0xba && a[1] == 0x80 && a[63] == 0x23);
	cfir_blake2b(a, 32, "", 0);
	CHECK(a[0] == 0x0e && a[1] == 0x57 && a[31] == 0xa8);
}

/* A signature minisign made, verified here; altered, refused. */
static void
verify_minisign(void)
{
	cleanup_free char *pub = NULL, *sig = NULL, *msg = NULL;
	struct cfir_ms_pub pk;
	struct cfir_err err = { 0 };
	unsigned char h[64];
	char trusted[128];
	size_t pl, sl, ml;

	pub = fx("minisign/k.pub", &pl);
	sig = fx("minisign/m.txt.minisig", &sl);
	msg = fx("minisign/m.txt", &ml);
	if (pub == NULL || sig == NULL || msg == NULL)
		return;
	CHECK(cfir_ms_pub_parse(pub, pl, &pk, &err) == 0);
	cfir_blake2b(h, 64, msg, ml);
	CHECK(cfir_ms_verify(&pk, sig, sl, h, msg, ml, trusted, sizeof(trusted), &err) == 0);
	CHECK_STR(trusted, "trusted hi");
	h[0] ^= 1;
	CHECK(cfir_ms_verify(&pk, sig, sl, h, NULL, 0, NULL, 0, &err) < 0 && err.exit == 1);
	h[0] ^= 1;
	/* the trusted comment is covered by the global signature */
	*strstr(sig, "trusted hi") = 'T';
	CHECK(cfir_ms_verify(&pk, sig, sl, h, NULL, 0, NULL, 0, &err) < 0 && strstr(err.msg, "trusted") != NULL);
	/* bare public key, as minisign -P takes it */
	CHECK(cfir_ms_pub_parse(strchr(pub, '\n') + 1, strlen(strchr(pub, '\n') + 1), &pk, &err) == 0);
	CHECK(cfir_ms_pub_parse("RWQ=\n", 5, &pk, &err) < 0);
}

/* minisign -W's unencrypted key signs here; the signature verifies. */
static void
sign_with_minisign_key(void)
{
	cleanup_free char *pub = NULL, *sec = NULL, *sig = NULL;
	struct cfir_ms_pub pk;
	struct cfir_ms_sec sk;
	struct cfir_err err = { 0 };
	unsigned char h[64];
	char trusted[128];
	bool enc = true;
	size_t pl, sl;

	pub = fx("minisign/k.pub", &pl);
	sec = fx("minisign/k.key", &sl);
	if (pub == NULL || sec == NULL)
		return;
	CHECK(cfir_ms_pub_parse(pub, pl, &pk, &err) == 0);
	CHECK(cfir_ms_sec_parse(sec, sl, NULL, &sk, &enc, &err) == 0 && !enc);
	CHECK(memcmp(sk.keyid, pk.keyid, 8) == 0 && memcmp(sk.sk + 32, pk.pk, 32) == 0);
	cfir_blake2b(h, 64, "payload", 7);
	CHECK(cfir_ms_sign(&sk, h, "custody head 1234", &sig, &err) == 0);
	CHECK(sig != NULL && cfir_ms_verify(&pk, sig, strlen(sig), h, NULL, 0, trusted, sizeof(trusted), &err) == 0);
	CHECK_STR(trusted, "custody head 1234");
	free(sig);
	sig = NULL;
	CHECK(cfir_ms_sign(&sk, h, "two\nlines", &sig, &err) < 0 && sig == NULL);
}

static void
keygen_roundtrip(void)
{
	cleanup_free char *pub = NULL, *sec = NULL, *pub2 = NULL, *sec2 = NULL, *sig = NULL;
	struct cfir_ms_pub pk;
	struct cfir_ms_sec sk;
	struct cfir_err err = { 0 };
	unsigned char h[64] = { 1, 2, 3 };
	bool enc = false;

	CHECK(cfir_ms_keygen(NULL, 0, 0, &pub, &sec, &err) == 0);
	CHECK(pub != NULL && cfir_ms_pub_parse(pub, strlen(pub), &pk, &err) == 0);
	CHECK(sec != NULL && cfir_ms_sec_parse(sec, strlen(sec), NULL, &sk, &enc, &err) == 0 && !enc);
	CHECK(cfir_ms_sign(&sk, h, "t", &sig, &err) == 0);
	CHECK(cfir_ms_verify(&pk, sig, strlen(sig), h, NULL, 0, NULL, 0, &err) == 0);
	/* encrypted as minisign does (with small limits: the real ones take 1 GiB, tested end to end) */
	CHECK(cfir_ms_keygen("correct horse", 1 << 16, 16 << 20, &pub2, &sec2, &err) == 0);
	CHECK(sec2 != NULL && cfir_ms_sec_parse(sec2, strlen(sec2), "wrong", &sk, &enc, &err) < 0 && err.exit == 77);
	CHECK(sec2 != NULL && cfir_ms_sec_parse(sec2, strlen(sec2), NULL, &sk, &enc, &err) < 0);
	CHECK(sec2 != NULL && cfir_ms_sec_parse(sec2, strlen(sec2), "correct horse", &sk, &enc, &err) == 0 && enc);
	CHECK(pub2 != NULL && cfir_ms_pub_parse(pub2, strlen(pub2), &pk, &err) == 0);
	CHECK(memcmp(sk.sk + 32, pk.pk, 32) == 0);
}

UNIT_SUITE(minisign_tests) = {
	{ "minisign: BLAKE2b matches OpenSSL's and RFC 7693", blake2b },
	{ "minisign: a signature minisign made verifies; altered, it does not", verify_minisign },
	{ "minisign: minisign -W's key signs, the signature verifies", sign_with_minisign_key },
	{ "minisign: keygen, plain and passphrase-encrypted", keygen_roundtrip },
	UNIT_END,
};
