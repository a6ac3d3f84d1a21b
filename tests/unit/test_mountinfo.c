/* test_mountinfo.c - mountinfo lines and overlay options */
#include <stdlib.h>

#include <fcntl.h>

#include "common/cleanup.h"
#include "common/mountinfo.h"
#include "common/util.h"
#include "tests/unit/unit.h"

static void
parse_line_escapes(void)
{
	char line[] = "36 35 98:0 /mnt\\0401 /a\\012b rw,noatime master:1 shared:2 - ext3 /dev/r\\134oot rw,errors=continue";
	struct cfir_mount m;

	CHECK(cfir_mountinfo_parse_line(line, &m) == 0);
	CHECK(m.id == 36 && m.parent == 35);
	CHECK_STR(m.root, "/mnt 1");
	CHECK_STR(m.mountpoint, "/a\nb");
	CHECK_STR(m.fstype, "ext3");
	CHECK_STR(m.source, "/dev/r\\oot");
	CHECK_STR(m.superopts, "rw,errors=continue");
	{
		char l2[] = "1 0 0:1 / / rw - overlay overlay rw,upperdir=/a\\054b";

		CHECK(cfir_mountinfo_parse_line(l2, &m) == 0);
		CHECK_STR(m.superopts, "rw,upperdir=/a\\054b");	/* split before decoding */
	}
}

static void
parse_line_malformed(void)
{
	const char *bad[] = { "", "x", "1 2 3:4 / /", "1 2 3:4 / / rw", "1 2 3:4 / / rw shared:1",
			      "1 2 3:4 / / rw -", "-1 2 3:4 / / rw - ext4 /dev/x rw",
			      "99999999999 2 3:4 / / rw - ext4 /dev/x rw" };
	struct cfir_mount m;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *copy = strdup(bad[i]);

		CHECK(cfir_mountinfo_parse_line(copy, &m) < 0);
		free(copy);
	}
}

static void
recorded_docker(void)
{
	cleanup_free char *text = NULL;
	struct cfir_rootfs r;
	struct cfir_err err = { 0 };
	size_t len = 0;

	CHECK(cfir_read_file(AT_FDCWD, unit_fixture("proc/4242/mountinfo"), 1 << 20, &text,
			     &len, NULL, &err) == 0);
	CHECK(cfir_mountinfo_rootfs(text, len, &r, &err) == 0);
	CHECK_STR(r.fstype, "overlay");
	CHECK(r.nlower == 2 && !r.relative_lower);
	CHECK(r.upper != NULL && strncmp(r.upper, "/var/lib/docker/overlay2/", 25) == 0);
	CHECK(r.nlower > 0 && strncmp(r.lower[0], "/var/lib/docker/overlay2/l/", 27) == 0);
	cfir_rootfs_free(&r);
}

static void
relative_and_escaped_lowers(void)
{
	const char *text =
		"20 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
		"72 48 0:39 / / rw - overlay overlay rw,lowerdir=l/AAA:l/B\\:C:/abs/x\\054y,"
		"upperdir=/var/lib/containers/storage/overlay/123/diff,workdir=/w,index=off\n"
		"73 72 0:40 / /proc rw - proc proc rw\n";
	struct cfir_rootfs r;
	struct cfir_err err = { 0 };

	CHECK(cfir_mountinfo_rootfs(text, strlen(text), &r, &err) == 0);
	CHECK(r.relative_lower);
	CHECK(r.nlower == 3);
	if (r.nlower == 3) {
		CHECK_STR(r.lower[0], "/var/lib/containers/storage/overlay/l/AAA");
		CHECK_STR(r.lower[1], "/var/lib/containers/storage/overlay/l/B:C");
		CHECK_STR(r.lower[2], "/abs/x,y");
	}
	CHECK_STR(r.work, "/w");
	cfir_rootfs_free(&r);
}

static void
new_kernel_lowerdir_plus(void)
{
	const char *text = "1 0 0:1 / / rw - overlay overlay rw,lowerdir+=/a,lowerdir+=/b,upperdir=/u/x/diff\n";
	struct cfir_rootfs r;
	struct cfir_err err = { 0 };

	CHECK(cfir_mountinfo_rootfs(text, strlen(text), &r, &err) == 0);
	CHECK(r.nlower == 2);
	cfir_rootfs_free(&r);
}

static void
not_overlay_and_none(void)
{
	const char *btrfs = "1 0 0:1 / / rw - btrfs /dev/sdb rw\n";
	const char *noroot = "1 0 0:1 / /mnt rw - ext4 /dev/sdb rw\n";
	struct cfir_rootfs r;
	struct cfir_err err = { 0 };

	CHECK(cfir_mountinfo_rootfs(btrfs, strlen(btrfs), &r, &err) == 0);
	CHECK_STR(r.fstype, "btrfs");
	CHECK(r.upper == NULL && r.nlower == 0);
	cfir_rootfs_free(&r);
	CHECK(cfir_mountinfo_rootfs(noroot, strlen(noroot), &r, &err) < 0);
	CHECK(err.exit == EX_DATAERR);
	cfir_rootfs_free(&r);
}

UNIT_SUITE(mountinfo_tests) = {
	{ "mountinfo: octal escapes decoded", parse_line_escapes },
	{ "mountinfo: malformed lines refused", parse_line_malformed },
	{ "mountinfo: recorded docker 20.10 container", recorded_docker },
	{ "mountinfo: relative and escaped lowerdirs", relative_and_escaped_lowers },
	{ "mountinfo: lowerdir+= of newer kernels", new_kernel_lowerdir_plus },
	{ "mountinfo: non-overlay root and no root", not_overlay_and_none },
	UNIT_END,
};
