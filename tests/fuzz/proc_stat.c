/* fuzz: /proc/PID/stat, whose comm may hold anything, ')' included */
#include <stdint.h>

#include "common/proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfir_proc_stat s;

	cfir_proc_stat_parse((const char *)data, size, &s);
	return 0;
}
