/* fuzz: containers-storage's layers.json, the chain from a layer down through its parents */
#include <stdint.h>

#include "common/disk-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const tops[] = {
		"2e6552c4e0cae0e16aca5d2219c79cbd1eb8cd0bc26bc1ca5e1cb22e88e38af0",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	struct cfir_disk_chain c;
	struct cfir_err err = { 0 };
	size_t i;

	for (i = 0; i < sizeof(tops) / sizeof(tops[0]); i++)
		if (cfir_disk_storage_chain((const char *)data, size, tops[i], &c, &err) == 0)
			cfir_disk_chain_free(&c);
	return 0;
}
