/* fuzz: dockerd's layerdb and overlay2 files (a lower file, a mount-id, a cache-id, a digest) */
#include <stdint.h>
#include <stdlib.h>

#include "common/disk-private.h"
#include "common/disk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char (*v)[CFIR_DISK_SHORT_LEN + 1] = NULL;
	struct cfir_err err = { 0 };
	char id[70], digest[72];
	size_t n = 0;

	if (cfir_disk_docker_lower((const char *)data, size, &v, &n, &err) == 0)
		free(v);
	cfir_disk_docker_id((const char *)data, size, false, id, &err);
	cfir_disk_docker_id((const char *)data, size, true, id, &err);
	cfir_disk_docker_digest((const char *)data, size, digest, &err);
	return 0;
}
