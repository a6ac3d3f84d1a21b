/* fuzz: /proc/PID/mountinfo of a container, and the overlay options in it */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/mountinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfir_rootfs r;
	struct cfir_err err = { 0 };
	struct cfir_mount m;
	char *line;

	cfir_mountinfo_rootfs((const char *)data, size, &r, &err);
	cfir_mountinfo_rootfs_free(&r);
	line = strndup((const char *)data, size);
	if (line != NULL && cfir_mountinfo_parse_line(line, &m) == 0) {
		memset(&r, 0, sizeof(r));
		cfir_mountinfo_overlay_opts(m.superopts, &r, &err);
		cfir_mountinfo_rootfs_free(&r);
	}
	free(line);
	/* the streamed reader, from a file the way it reads /proc */
	line = NULL;
	{
		int fd = memfd_create("fuzz", MFD_CLOEXEC);

		if (fd >= 0 && write(fd, data, size) == (ssize_t)size && lseek(fd, 0, SEEK_SET) == 0 &&
		    cfir_mountinfo_last(fd, "/", &line, &err) == 0 && line != NULL) {
			memset(&r, 0, sizeof(r));
			cfir_mountinfo_overlay(line, &m, &r, &err);
			cfir_mountinfo_rootfs_free(&r);
		}
		free(line);
		if (fd >= 0)
			close(fd);
	}
	return 0;
}
