/* fuzz: an OCI bundle's config.json (annotations and arguments a pod's author chose) */
#include <stdint.h>
#include <stdlib.h>

#include "common/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfir_oci_config c;
	struct cfir_oci_k8s k;
	struct cfir_err err = { 0 };
	cJSON *j;

	if (cfir_oci_config_parse(&c, (const char *)data, size, &err) < 0)
		return 0;
	if (cfir_oci_k8s(&c, &k))
		free(cfir_oci_k8s_name(&k));
	j = cfir_oci_config_json(&c);
	cJSON_Delete(j);
	cfir_oci_config_free(&c);
	return 0;
}
