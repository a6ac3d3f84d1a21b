/* fuzz: /proc/PID/status of a container process */
#include <stdint.h>

#include "common/caps.h"
#include "common/proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfir_proc_status s;

	if (cfir_proc_status_parse((const char *)data, size, &s) == 0)
		cJSON_Delete(cfir_caps_describe(s.cap_eff | s.cap_bnd));
	return 0;
}
