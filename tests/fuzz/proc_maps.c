/* fuzz: /proc/PID/maps lines (paths are the container's to choose) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = strndup((const char *)data, size), *line, *save = NULL;
	struct cfir_proc_map m;

	for (line = text ? strtok_r(text, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save))
		if (cfir_proc_maps_line(line, &m) == 0 && (m.end < m.start || m.path == NULL))
			abort();
	free(text);
	return 0;
}
