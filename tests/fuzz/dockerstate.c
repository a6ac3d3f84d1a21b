/* fuzz: dockerd's config.v2.json of a container, read when dockerd does not answer */
#include <stdint.h>

#include "common/dockerstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfir_dockerstate d;
	struct cfir_err err = { 0 };

	if (cfir_dockerstate_parse(&d, (const char *)data, size, &err) == 0)
		cfir_dockerstate_free(&d);
	return 0;
}
