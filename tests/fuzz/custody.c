/* fuzz: a bag's manifest lines and custody log, as a received bag holds them */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/bag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
artifact(void *ctx, size_t seq, const char *path, const char *sha)
{
	(void)ctx, (void)seq;
	if (path == NULL || sha == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char head[CFIR_SHA256_HEX], why[200], hex[CFIR_SHA256_HEX], *path;
	char *text = malloc(size + 1), *line, *save = NULL;
	size_t count;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	cfir_custody_check(text, size, head, &count, why, sizeof(why));
	cfir_custody_artifacts(text, size, artifact, NULL);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (cfir_manifest_parse_line(line, &path, hex) == 0) {
			char *enc = cfir_manifest_encode(path);

			free(enc);
		}
	}
	free(text);
	return 0;
}
