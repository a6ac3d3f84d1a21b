/* main.c - run every unit suite */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "tests/unit/unit.h"

int unit_failed_checks;

extern const struct unit_test bag_tests[], bbolt_tests[], capture_tests[], disk_tests[], engine_tests[], fileflags_tests[],
	freezer_tests[], hunt_tests[], hunt_oci_tests[], layers_tests[],
	minisign_tests[], logs_tests[], mountinfo_tests[], netsock_tests[], oci_tests[], out_tests[], overlay_tests[],
	pcapsum_tests[], podlogs_tests[], proc_tests[], report_tests[], runtime_tests[], tarindex_tests[], target_tests[], target_runtime_tests[], teeq_tests[], timeline_tests[], typeq_tests[], util_tests[];

static const struct unit_test *const suites[] = {
	bag_tests, bbolt_tests, capture_tests, disk_tests, engine_tests, fileflags_tests, freezer_tests, hunt_tests, hunt_oci_tests,
	layers_tests, minisign_tests, logs_tests,
	mountinfo_tests, netsock_tests, oci_tests, out_tests, overlay_tests,
	pcapsum_tests, podlogs_tests, proc_tests, report_tests, runtime_tests, tarindex_tests, target_tests, target_runtime_tests, teeq_tests, timeline_tests, typeq_tests, util_tests,
};

static char tmproot[] = "/tmp/cfir-unit-XXXXXX";

static void
rmtmp(void)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmproot);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmproot);
}

const char *
unit_tmpdir(void)
{
	static int n;
	static char path[96];

	if (n == 0) {
		if (mkdtemp(tmproot) == NULL)
			abort();
		atexit(rmtmp);
	}
	snprintf(path, sizeof(path), "%s/%d", tmproot, n++);
	if (mkdir(path, 0700) != 0)
		abort();
	return path;
}

void
unit_write(const char *dir, const char *name, const char *text)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%.500s/%.500s", dir, name);
	f = fopen(path, "w");
	if (f == NULL) {
		fprintf(stderr, "    cannot write %s\n", path);
		unit_failed_checks++;
		return;
	}
	fputs(text, f);
	fclose(f);
}

char *
unit_read(const char *dir, const char *name)
{
	char path[1024], *text = NULL;

	snprintf(path, sizeof(path), "%.500s/%.500s", dir, name);
	cfir_util_read_file(AT_FDCWD, path, 1 << 22, &text, NULL, NULL, NULL);
	return text;
}

const char *
unit_fixture(const char *name)
{
	static char path[512];
	const char *dir = getenv("CFIR_FIXTURES");

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/fixtures", name);
	return path;
}

static const char *skip_why;

void
unit_skip(const char *why)
{
	skip_why = why;
}

int
main(int argc, char **argv)
{
	int passed = 0, failed = 0, skipped = 0, before;
	size_t s;
	const struct unit_test *t;

	for (s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
		for (t = suites[s]; t->name != NULL; t++) {
			if (argc > 1 && strstr(t->name, argv[1]) == NULL)
				continue;
			before = unit_failed_checks;
			skip_why = NULL;
			t->fn();
			if (skip_why != NULL && unit_failed_checks == before) {
				skipped++;
				printf("skip - %s: %s\n", t->name, skip_why);
			} else if (unit_failed_checks == before) {
				passed++;
				printf("ok - %s\n", t->name);
			} else {
				failed++;
				printf("not ok - %s\n", t->name);
			}
			fflush(stdout);
		}
	}
	/* a filter that matches nothing tested nothing: that is no pass */
	if (argc > 1 && passed + failed + skipped == 0) {
		printf("not ok - no unit test matches '%s'\n", argv[1]);
		failed++;
	}
	if (skipped > 0)
		printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	else
		printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
