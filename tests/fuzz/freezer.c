/* fuzz: /proc/PID/cgroup of a container's init, whose cgroup names the container chose */
#include <stdint.h>
#include <stdlib.h>

#include "common/freezer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfir_err err = { 0 };
	char path[CFIR_FREEZER_PATH_MAX];
	int kind;

	if (cfir_freezer_parse((const char *)data, size, "0123456789abcdef", &kind, path, sizeof(path),
			       &err) == 0 && (path[0] != '/' || (kind != CFIR_FREEZER_V1 && kind != CFIR_FREEZER_V2)))
		abort();
	return 0;
}
