/* fuzz: what engines keep on disk of a container (dockerd's config.v2.json, containers.json) */
#include <stdint.h>

#include "common/enginestate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfir_enginestate d;
	struct cfir_err err = { 0 };

	if (cfir_enginestate_parse(&d, (const char *)data, size, &err) == 0)
		cfir_enginestate_free(&d);
	if (cfir_enginestate_storage_parse(&d, (const char *)data, size, "c1", &err) == 0)
		cfir_enginestate_free(&d);
	return 0;
}
