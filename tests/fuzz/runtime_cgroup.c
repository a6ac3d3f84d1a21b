/* fuzz: /proc/PID/cgroup, whose paths a delegated container names as it likes */
#include <stdint.h>
#include <string.h>

#include "common/runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *id = "0123abcd";
	const uint8_t *nl = memchr(data, '\n', size < 80 ? size : 80);
	char own[81];

	/* the first line, when short, is the ID asked about */
	if (nl != NULL && nl > data) {
		memcpy(own, data, (size_t)(nl - data));
		own[nl - data] = '\0';
		id = own;
		size -= (size_t)(nl - data) + 1;
		data = nl + 1;
	}
	cfir_runtime_cgroup_names((const char *)data, size, id);
	return 0;
}
