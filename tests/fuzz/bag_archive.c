/* fuzz: verify of a bag packed into a tar, as a stream; the tar is hostile */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/bag.h"
#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfir_verify_report r = { 0 };
	struct cfir_err err = { 0 };
	char path[64];
	int fd = memfd_create("bag.tar", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (cfir_util_write_all(fd, data, size) == 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		cfir_bag_verify_archive(path, &r, &err);
	}
	close(fd);
	return 0;
}
