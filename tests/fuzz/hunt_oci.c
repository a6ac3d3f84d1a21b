/* fuzz: the configuration checks, on a config.json a pod's author shaped */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/hunt.h"
#include "common/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A finding of a known check, its evidence at a field of the config. */
static void
check_finding(const cJSON *f)
{
	const cJSON *id = cJSON_GetObjectItem(f, "check");
	const cJSON *field = cJSON_GetObjectItem(cJSON_GetObjectItem(f, "evidence"), "field");

	if (!cJSON_IsString(id) || cfir_check_find(id->valuestring) == NULL || !cJSON_IsString(field))
		abort();
	/* the engine's field names never stand in the config's findings */
	if (strncmp(field->valuestring, "HostConfig.", 11) == 0 || strncmp(field->valuestring, "Config.", 7) == 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfir_oci_config c;
	struct cfir_err err = { 0 };
	cJSON *fs, *f;
	char *out;

	if (cfir_oci_config_parse(&c, (const char *)data, size, &err) < 0)
		return 0;
	fs = cJSON_CreateArray();
	cfir_hunt_oci(&c, NULL, fs);
	cJSON_ArrayForEach(f, fs)
		check_finding(f);
	if ((out = cJSON_PrintUnformatted(fs)) == NULL)
		abort();
	free(out);
	cJSON_Delete(fs);
	cfir_oci_config_free(&c);
	return 0;
}
