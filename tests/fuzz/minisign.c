/* fuzz: minisign public keys, secret keys and signatures a user hands over;
 * the first byte picks the parser */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/minisign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cfir_minisign_pub pub = { { 0xd3, 0x42, 0xfb, 0xc5, 0x10, 0x54, 0xa9, 0x6d }, { 0 } };
	struct cfir_err err = { 0 };
	struct cfir_minisign_pub p;
	struct cfir_minisign_sec s;
	unsigned char h[64] = { 0 };
	char trusted[64], *text;
	bool enc;

	if (size == 0)
		return 0;
	text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	switch (data[0] % 3) {
	case 0:
		cfir_minisign_pub_parse(text, size - 1, &p, &err);
		break;
	case 1:
		/* no passphrase: the scrypt limits in the input are never used */
		cfir_minisign_sec_parse(text, size - 1, NULL, &s, &enc, &err);
		break;
	default:
		cfir_minisign_verify(&pub, text, size - 1, h, data, size, trusted, sizeof(trusted), &err);
		break;
	}
	free(text);
	return 0;
}
