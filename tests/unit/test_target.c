/* test_target.c - inspect replies and the rootfs cross-check */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/target.h"
#include "common/util.h"
#include "tests/unit/unit.h"

static char *
fixture(const char *name, size_t *len)
{
	char *text = NULL;
	struct cfir_err err = { 0 };

	if (cfir_util_read_file(AT_FDCWD, unit_fixture(name), 1 << 22, &text, len, NULL, &err) < 0)
		fprintf(stderr, "    %s\n", err.msg);
	return text;
}

static void
from_recorded_inspect(void)
{
	struct cfir_target t = { 0 };
	struct cfir_err err = { 0 };
	cleanup_free char *raw = NULL;
	size_t len = 0;

	raw = fixture("inspect-docker-20.10.json", &len);
	CHECK(raw != NULL && cfir_target_from_inspect(&t, raw, len, &err) == 0);
	CHECK(strlen(t.id) == 64 && strlen(t.id12) == 12 && strncmp(t.id, t.id12, 12) == 0);
	CHECK_STR(t.name, "fx");
	CHECK_STR(t.status, "running");
	CHECK(t.running && !t.paused && !t.tty && t.pid > 0);
	CHECK_STR(t.driver, "overlay2");
	CHECK(t.graph.nlower == 2 && t.graph.upper != NULL);
	CHECK(t.inspect_len == len && memcmp(t.inspect_raw, raw, len) == 0);
	free(t.name), free(t.image), free(t.image_id), free(t.status), free(t.driver), free(t.merged);
	free(t.inspect_raw);
	cJSON_Delete(t.inspect);
	cfir_mountinfo_rootfs_free(&t.graph);
}

static void
bad_inspect(void)
{
	const char *bad[] = { "", "[]", "{}", "{\"Id\":\"xyz\"}",
			      "{\"Id\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeZ\"}",
			      "{\"Id\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cfir_target *t = calloc(1, sizeof(*t));
		struct cfir_err err = { 0 };

		CHECK(cfir_target_from_inspect(t, bad[i], strlen(bad[i]), &err) < 0);
		CHECK(err.exit == EX_DATAERR);
		cfir_target_free(t);
	}
}

/*
 * An overlay2 home with "l/" short links; a /proc with the host's own
 * mountinfo (self) and one container process whose mountinfo is its view.
 */
static void
rootfs_trust(void)
{
	const char *tmp = unit_tmpdir();
	struct cfir_target *t = calloc(1, sizeof(*t));
	struct cfir_err err = { 0 };
	cleanup_free char *raw = NULL, *json = NULL, *mi = NULL, *cg = NULL, *p = NULL, *host = NULL,
			  *forged = NULL, *upper = NULL;
	cleanup_cjson cJSON *j = NULL;
	cJSON *data, *state;
	char path[512];
	size_t len = 0;
	const char *dirs[] = { "ov", "ov/l", "ov/C", "ov/C/diff", "ov/C-init", "ov/C-init/diff",
			       "ov/I", "ov/I/diff", "proc", "proc/4242", "proc/self" };
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmp, dirs[i]);
		CHECK(mkdir(path, 0700) == 0);
	}
	snprintf(path, sizeof(path), "%s/ov/l/AAA", tmp);
	CHECK(symlink("../C-init/diff", path) == 0);
	snprintf(path, sizeof(path), "%s/ov/l/BBB", tmp);
	CHECK(symlink("../I/diff", path) == 0);

	raw = fixture("inspect-docker-20.10.json", &len);
	j = cJSON_ParseWithLength(raw, len);
	data = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "GraphDriver"), "Data");
	CHECK(asprintf(&p, "%s/ov/C-init/diff:%s/ov/I/diff", tmp, tmp) > 0);
	cJSON_ReplaceItemInObject(data, "LowerDir", cJSON_CreateString(p));
	free(p);
	CHECK(asprintf(&upper, "%s/ov/C/diff", tmp) > 0);
	cJSON_ReplaceItemInObject(data, "UpperDir", cJSON_CreateString(upper));
	CHECK(asprintf(&p, "%s/ov/C/merged", tmp) > 0);
	cJSON_ReplaceItemInObject(data, "MergedDir", cJSON_CreateString(p));
	state = cJSON_GetObjectItem(j, "State");
	cJSON_ReplaceItemInObject(state, "Pid", cJSON_CreateNumber(4242));
	json = cJSON_PrintUnformatted(j);
	CHECK(cfir_target_from_inspect(t, json, strlen(json), &err) == 0);

	/* the host's mount and the container's root: one superblock */
	CHECK(asprintf(&host, "20 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
			      "46 20 0:39 / %s rw shared:2 - overlay overlay rw,lowerdir=l/AAA:l/BBB,"
			      "upperdir=%s/ov/C/diff,workdir=%s/ov/C/work\n", p, tmp, tmp) > 0);
	snprintf(path, sizeof(path), "%s/proc/self", tmp);
	unit_write(path, "mountinfo", host);
	CHECK(asprintf(&mi, "72 48 0:39 / / rw master:2 - overlay overlay rw,lowerdir=l/AAA:l/BBB,"
			    "upperdir=%s/ov/C/diff,workdir=%s/ov/C/work\n73 72 0:42 / /proc rw - proc proc rw\n",
		       tmp, tmp) > 0);
	snprintf(path, sizeof(path), "%s/proc/4242", tmp);
	unit_write(path, "mountinfo", mi);
	CHECK(asprintf(&cg, "6:freezer:/docker/%s\n", t->id) > 0);
	unit_write(path, "cgroup", cg);
	snprintf(path, sizeof(path), "%s/proc", tmp);
	CHECK(cfir_target_rootfs(t, path, &err) == 0);
	CHECK(t->pid_checked);
	CHECK_STR(t->rootfs_from, "engine");
	CHECK_STR(t->rootfs.upper, upper);
	CHECK(t->rootfs.nlower == 2 && !t->rootfs_mismatch);
	CHECK_STR(t->rootfs_check, "match");

	/* an overlay mounted over its own root: compared, never followed */
	CHECK(asprintf(&forged, "%s99 72 0:51 / / rw - overlay overlay rw,lowerdir=/,upperdir=/var/lib,"
				"workdir=/var/work\n", mi) > 0);
	snprintf(path, sizeof(path), "%s/proc/4242", tmp);
	unit_write(path, "mountinfo", forged);
	snprintf(path, sizeof(path), "%s/proc", tmp);
	CHECK(cfir_target_rootfs(t, path, &err) == 0);
	CHECK(t->rootfs_mismatch && strstr(t->rootfs_check, "upperdir '/var/lib'") != NULL);
	CHECK_STR(t->rootfs.upper, upper);

	/* a pivot to a subdirectory of the same overlay */
	free(forged);
	CHECK(asprintf(&forged, "72 48 0:39 /newroot / rw - overlay overlay rw,lowerdir=l/AAA:l/BBB,"
				"upperdir=%s/ov/C/diff,workdir=%s/ov/C/work\n", tmp, tmp) > 0);
	snprintf(path, sizeof(path), "%s/proc/4242", tmp);
	unit_write(path, "mountinfo", forged);
	snprintf(path, sizeof(path), "%s/proc", tmp);
	CHECK(cfir_target_rootfs(t, path, &err) == 0);
	CHECK(t->rootfs_mismatch && strstr(t->rootfs_check, "from '/newroot'") != NULL);

	/* no mount on '/' at all: cannot be compared, said as a mismatch */
	snprintf(path, sizeof(path), "%s/proc/4242", tmp);
	unit_write(path, "mountinfo", "73 72 0:42 / /proc rw - proc proc rw\n");
	snprintf(path, sizeof(path), "%s/proc", tmp);
	CHECK(cfir_target_rootfs(t, path, &err) == 0);
	CHECK(t->rootfs_mismatch);

	/* the engine says one thing, the host's mount another: said plainly */
	snprintf(path, sizeof(path), "%s/proc/4242", tmp);
	unit_write(path, "mountinfo", mi);
	snprintf(path, sizeof(path), "%s/ov/l/BBB", tmp);
	unlink(path);
	CHECK(symlink("../C/diff", path) == 0);
	snprintf(path, sizeof(path), "%s/proc", tmp);
	CHECK(cfir_target_rootfs(t, path, &err) == 0);
	CHECK(t->rootfs_check != NULL && strncmp(t->rootfs_check, "mismatch: lowerdir 1", 20) == 0);

	/* no host mount at MergedDir (another mount namespace): the upperdir is compared */
	snprintf(path, sizeof(path), "%s/proc/self", tmp);
	unit_write(path, "mountinfo", "20 1 8:1 / / rw - ext4 /dev/sda1 rw\n");
	snprintf(path, sizeof(path), "%s/proc", tmp);
	CHECK(cfir_target_rootfs(t, path, &err) == 0);
	CHECK(!t->rootfs_mismatch && strncmp(t->rootfs_check, "unconfirmed", 11) == 0);

	/* a PID now belonging to something else is not read */
	snprintf(path, sizeof(path), "%s/proc/4242", tmp);
	unit_write(path, "cgroup", "0::/user.slice\n");
	snprintf(path, sizeof(path), "%s/proc", tmp);
	CHECK(cfir_target_rootfs(t, path, &err) < 0 && err.exit == EX_TEMPFAIL);
	cfir_target_free(t);
}

UNIT_SUITE(target_tests) = {
	{ "target: fields from a recorded inspect reply", from_recorded_inspect },
	{ "target: malformed inspect replies refused", bad_inspect },
	{ "target: the layer from the engine, the container's mount table only compared", rootfs_trust },
	UNIT_END,
};
