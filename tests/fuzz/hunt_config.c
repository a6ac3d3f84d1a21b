/* fuzz: the configuration checks, on inspect replies the container shaped */
#include <stdint.h>
#include <stdlib.h>

#include "common/hunt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *in = cJSON_ParseWithLength((const char *)data, size), *fs = cJSON_CreateArray(), *f;
	char *out;

	cfir_hunt_config(in, NULL, fs);
	cJSON_ArrayForEach(f, fs)
		if (cJSON_GetObjectItem(f, "check") == NULL || cJSON_GetObjectItem(f, "evidence") == NULL)
			abort();
	out = cJSON_PrintUnformatted(fs);
	free(out);
	cJSON_Delete(fs);
	cJSON_Delete(in);
	return 0;
}
