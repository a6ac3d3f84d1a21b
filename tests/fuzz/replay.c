/* replay.c - main() for a fuzz target without libFuzzer: run each file given,
 * or every file in each directory given, through LLVMFuzzerTestOneInput. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
one(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	struct cfir_err err = { 0 };

	if (cfir_util_read_file(AT_FDCWD, path, 1 << 24, &buf, &len, NULL, &err) < 0) {
		fprintf(stderr, "replay: %s\n", err.msg);
		return 1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	int i, n = 0, bad = 0;
	struct stat st;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *de;

			while (d != NULL && (de = readdir(d)) != NULL) {
				char path[4096];

				if (de->d_name[0] == '.')
					continue;
				snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
				bad += one(path);
				n++;
			}
			if (d != NULL)
				closedir(d);
		} else {
			bad += one(argv[i]);
			n++;
		}
	}
	printf("replayed %d inputs\n", n);
	return bad ? 1 : 0;
}
