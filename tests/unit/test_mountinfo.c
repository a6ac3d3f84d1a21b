/* test_mountinfo.c - mountinfo lines and overlay options */
#include <stdlib.h>

#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

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

	CHECK(cfir_util_read_file(AT_FDCWD, unit_fixture("proc/4242/mountinfo"), 1 << 20, &text,
			     &len, NULL, &err) == 0);
	CHECK(cfir_mountinfo_rootfs(text, len, &r, &err) == 0);
	CHECK_STR(r.fstype, "overlay");
	CHECK(r.nlower == 2 && !r.relative_lower);
	CHECK(r.upper != NULL && strncmp(r.upper, "/var/lib/docker/overlay2/", 25) == 0);
	CHECK(r.nlower > 0 && strncmp(r.lower[0], "/var/lib/docker/overlay2/l/", 27) == 0);
	cfir_mountinfo_rootfs_free(&r);
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
	cfir_mountinfo_rootfs_free(&r);
}

static void
new_kernel_lowerdir_plus(void)
{
	const char *text = "1 0 0:1 / / rw - overlay overlay rw,lowerdir+=/a,lowerdir+=/b,upperdir=/u/x/diff\n";
	struct cfir_rootfs r;
	struct cfir_err err = { 0 };

	CHECK(cfir_mountinfo_rootfs(text, strlen(text), &r, &err) == 0);
	CHECK(r.nlower == 2);
	cfir_mountinfo_rootfs_free(&r);
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
	cfir_mountinfo_rootfs_free(&r);
	CHECK(cfir_mountinfo_rootfs(noroot, strlen(noroot), &r, &err) < 0);
	CHECK(err.exit == EX_DATAERR);
	cfir_mountinfo_rootfs_free(&r);
}

/* TEXT through a pipe-like fd: the reader never sees it whole. */
static int
last_of(const char *text, size_t len, const char *mp, char **line, struct cfir_err *err)
{
	int fd = memfd_create("mi", MFD_CLOEXEC), r;

	if (fd < 0 || write(fd, text, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) != 0)
		return -2;
	r = cfir_mountinfo_last(fd, mp, line, err);
	close(fd);
	return r;
}

static void
last_mount_streamed(void)
{
	struct cfir_err err = { 0 };
	char *line = NULL, *big;
	size_t n = 200000, i, len;

	/* 200,000 mounts: the last on '/' wins, the last line needs no newline */
	big = malloc(n * 64 + 64);
	CHECK(big != NULL);
	for (i = 0, len = 0; big != NULL && i < n; i++)
		len += (size_t)sprintf(big + len, "%zu 1 0:%zu / /m%zu rw - tmpfs t rw\n", i + 2, i, i);
	if (big != NULL) {
		len += (size_t)sprintf(big + len, "9 1 0:99 / / rw - overlay o rw,upperdir=/u");
		CHECK(last_of(big, len, "/", &line, &err) == 0);
		CHECK(line != NULL && strstr(line, "upperdir=/u") != NULL);
		free(line);
		line = NULL;
		CHECK(last_of(big, len, "/m7", &line, &err) == 0);
		CHECK(line != NULL && strncmp(line, "9 1 0:7 ", 8) == 0);
		free(line);
		line = NULL;
		CHECK(last_of(big, len, "/none", &line, &err) == 0 && line == NULL);
	}
	free(big);
	/* a line too long to hold is an error, never skipped: it may hide the root */
	len = CFIR_MOUNTINFO_LINE_MAX + 100;
	big = malloc(len + 64);
	CHECK(big != NULL);
	if (big != NULL) {
		i = (size_t)sprintf(big, "1 0 0:1 / / rw - overlay o rw,upperdir=/real\n9 1 0:2 / / rw - overlay o rw,lowerdir=");
		memset(big + i, 'a', len - i);
		big[len] = '\n';
		CHECK(last_of(big, len + 1, "/", &line, &err) < 0 && err.exit == EX_DATAERR && line == NULL);
	}
	free(big);
}

UNIT_SUITE(mountinfo_tests) = {
	{ "mountinfo: octal escapes decoded", parse_line_escapes },
	{ "mountinfo: malformed lines refused", parse_line_malformed },
	{ "mountinfo: recorded docker 20.10 container", recorded_docker },
	{ "mountinfo: relative and escaped lowerdirs", relative_and_escaped_lowers },
	{ "mountinfo: lowerdir+= of newer kernels", new_kernel_lowerdir_plus },
	{ "mountinfo: non-overlay root and no root", not_overlay_and_none },
	{ "mountinfo: the last mount on a point, streamed and bounded", last_mount_streamed },
	UNIT_END,
};
