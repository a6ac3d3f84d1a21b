/* test_fileflags.c - one set of file flags, one meaning of "inside", one name per file type */
#include <sys/stat.h>

#include "common/cleanup.h"
#include "common/fileflags.h"
#include "common/filetype.h"
#include "common/path.h"
#include "tests/unit/unit.h"

static void
inside(void)
{
	CHECK(cfir_path_inside("/tmp/x", "/tmp"));
	CHECK(cfir_path_inside("tmp/a/b", "tmp"));
	CHECK(!cfir_path_inside("/tmp", "/tmp"));
	CHECK(!cfir_path_inside("tmp/", "tmp"));	/* tar's member for the directory itself */
	CHECK(!cfir_path_inside("/tmpfoo/x", "/tmp"));
	CHECK_STR(cfir_path_relative("././/tmp/x"), "tmp/x");
	CHECK_STR(cfir_path_base("/tmp/.hid"), ".hid");
	CHECK_STR(cfir_path_base("x"), "x");
}

static char *
names(unsigned flags)
{
	cleanup_cjson cJSON *a = cfir_fileflags_json(flags);

	return cJSON_PrintUnformatted(a);
}

static void
flags(void)
{
	static const unsigned char elf[] = "\x7f" "ELF\2\1\1";
	struct cfir_fileflags_of f = { .path = "/tmp/.hid", .mode = S_IFREG | 04755, .size = 20,
				       .large = 10, .head = elf, .headlen = 7 };
	cleanup_free char *all = names(cfir_fileflags_get(&f, ~0u));
	cleanup_free char *some = NULL, *dir = NULL, *link = NULL;

	CHECK_STR(all, "[\"setuid\",\"executable\",\"elf\",\"elf-outside-bin-dirs\",\"tmp\",\"hidden\",\"large\"]");
	f.path = "usr/bin/x";
	some = names(cfir_fileflags_get(&f, CFIR_FILEFLAG_ELF | CFIR_FILEFLAG_ELF_OUTSIDE_BIN | CFIR_FILEFLAG_TMP));
	CHECK_STR(some, "[\"elf\"]");
	/* a sticky world-writable directory is /tmp as it should be; a symlink's mode means nothing */
	f = (struct cfir_fileflags_of){ .path = "tmp/", .mode = S_IFDIR | 01777 };
	dir = names(cfir_fileflags_get(&f, ~0u));
	CHECK_STR(dir, "[]");
	f = (struct cfir_fileflags_of){ .path = "var/tmp/l", .mode = S_IFLNK | 0777 };
	link = names(cfir_fileflags_get(&f, ~0u));
	CHECK_STR(link, "[\"tmp\"]");
	f = (struct cfir_fileflags_of){ .path = "/dev/shm/d", .mode = S_IFDIR | 0777 };
	CHECK(cfir_fileflags_get(&f, ~0u) == (CFIR_FILEFLAG_WORLD_WRITABLE | CFIR_FILEFLAG_TMP));
}

static void
type_names(void)
{
	CHECK_STR(cfir_filetype_name(S_IFREG | 0644), "file");
	CHECK_STR(cfir_filetype_name(S_IFDIR), "dir");
	CHECK_STR(cfir_filetype_name(S_IFLNK), "symlink");
	CHECK_STR(cfir_filetype_name(S_IFCHR), "char");
	CHECK_STR(cfir_filetype_name(S_IFBLK), "block");
	CHECK_STR(cfir_filetype_name(S_IFIFO), "fifo");
	CHECK_STR(cfir_filetype_name(S_IFSOCK), "socket");
	CHECK_STR(cfir_filetype_name(0), "unknown");
}

UNIT_SUITE(fileflags_tests) = {
	{ "fileflags: inside a directory means strictly inside, spelt either way", inside },
	{ "fileflags: one flag set, each caller takes the flags it reports", flags },
	{ "fileflags: one name per file type", type_names },
	UNIT_END,
};
