/* fuzz: whiteout and opaque-xattr decoding over crafted upper-directory records:
 * [type][major][minor][xattr length][xattr][name NUL] ... */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "common/overlay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const mode_t types[] = { S_IFREG, S_IFDIR, S_IFCHR, S_IFBLK, S_IFLNK, S_IFIFO };
	size_t i = 0;

	while (i + 4 <= size) {
		mode_t mode = types[data[i] % 6] | 0644;
		dev_t dev = makedev(data[i + 1], data[i + 2]);
		size_t xl = data[i + 3], nl;
		const char *deleted, *name;
		char *copy;

		i += 4;
		if (i + xl > size)
			break;
		cfir_overlay_opaque((const char *)data + i, xl);
		i += xl;
		name = (const char *)data + i;
		nl = strnlen(name, size - i);
		copy = strndup(name, nl);
		if (copy == NULL)
			break;
		/* a whiteout always names something inside the name it came from */
		if (cfir_overlay_classify(copy, mode, dev, (mode & 1) != 0, &deleted) == CFIR_OVERLAY_WHITEOUT &&
		    (deleted == NULL || deleted < copy || deleted > copy + nl))
			abort();
		free(copy);
		i += nl + 1;
	}
	return 0;
}
