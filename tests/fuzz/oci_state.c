/* fuzz: runc's state.json or crun's status */
#include <stdint.h>

#include "common/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfir_oci_state s;
	struct cfir_err err = { 0 };

	if (cfir_oci_state_parse(&s, (const char *)data, size, &err) < 0)
		return 0;
	cJSON_Delete(cfir_oci_state_json(&s));
	cfir_oci_state_free(&s);
	return 0;
}
