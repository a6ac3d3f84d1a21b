/* hash.c - SHA-256 through OpenSSL's EVP interface */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/hash.h"

struct cfir_hash {
	EVP_MD_CTX *ctx;
};

struct cfir_hash *
cfir_hash_new(void)
{
	struct cfir_hash *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL || !EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(h->ctx);
		free(h);
		return NULL;
	}
	return h;
}

void
cfir_hash_update(struct cfir_hash *h, const void *buf, size_t len)
{
	EVP_DigestUpdate(h->ctx, buf, len);
}

void
cfir_hex(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

void
cfir_hash_final(struct cfir_hash *h, unsigned char *md)
{
	unsigned int n = 0;

	EVP_DigestFinal_ex(h->ctx, md, &n);
	EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL);
}

void
cfir_hash_final_hex(struct cfir_hash *h, char *hex)
{
	unsigned char md[CFIR_SHA256_LEN];

	cfir_hash_final(h, md);
	cfir_hex(md, sizeof(md), hex);
}

void
cfir_hash_free(struct cfir_hash *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void
cfir_sha256_hex(const void *buf, size_t len, char *hex)
{
	unsigned char md[CFIR_SHA256_LEN];

	EVP_Digest(buf, len, md, NULL, EVP_sha256(), NULL);
	cfir_hex(md, sizeof(md), hex);
}

static int
sha256_fd(int fd, char *hex, uint64_t *bytes, bool stoppable, struct cfir_err *err)
{
	struct cfir_hash *h = cfir_hash_new();
	static _Thread_local unsigned char buf[1 << 16];
	uint64_t total = 0;
	ssize_t n;

	if (h == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "sha256");
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (stoppable && cfir_interrupt_pending()) {
			cfir_hash_free(h);
			return cfir_err_interrupted(err);
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			cfir_hash_free(h);
			return cfir_err_set(err, EX_IOERR, errno, "read");
		}
		cfir_hash_update(h, buf, (size_t)n);
		total += (uint64_t)n;
	}
	cfir_hash_final_hex(h, hex);
	cfir_hash_free(h);
	if (bytes != NULL)
		*bytes = total;
	return 0;
}

int
cfir_sha256_fd(int fd, char *hex, uint64_t *bytes, struct cfir_err *err)
{
	return sha256_fd(fd, hex, bytes, false, err);
}

int
cfir_sha256_fd_stoppable(int fd, char *hex, uint64_t *bytes, struct cfir_err *err)
{
	return sha256_fd(fd, hex, bytes, true, err);
}

int
cfir_base64_decode(const char *in, unsigned char **out, size_t *len)
{
	size_t n = strlen(in), pad = 0;
	unsigned char *buf;
	int got;

	*out = NULL;
	if (n == 0 || n % 4 != 0 || n > (1u << 20))
		return -1;
	buf = malloc(n / 4 * 3 + 1);
	if (buf == NULL || (got = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)n)) < 0) {
		free(buf);
		return -1;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes */
	while (pad < 2 && in[n - 1 - pad] == '=')
		pad++;
	*len = (size_t)got - pad;
	*out = buf;
	return 0;
}
