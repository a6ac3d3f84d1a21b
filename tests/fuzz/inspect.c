/* fuzz: an engine's inspect reply (a hostile or broken engine, or a podman) */
#include <stdint.h>
#include <stdlib.h>

#include "common/target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfir_target *t = calloc(1, sizeof(*t));
	struct cfir_err err = { 0 };
	cJSON *j;

	if (t == NULL)
		return 0;
	if (cfir_target_from_inspect(t, (const char *)data, size, &err) == 0) {
		j = cfir_target_json(t);
		cJSON_Delete(j);
	}
	cfir_target_free(t);
	return 0;
}
