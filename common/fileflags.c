/* fileflags.c - what a responder scans for in a file */
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fileflags.h"
#include "common/path.h"

static const char *const names[] = {
	"setuid", "setgid", "world-writable", "executable", "elf", "elf-outside-bin-dirs",
	"script", "tmp", "hidden", "large",
};

/* Where anyone may write and nothing is kept: a dropper's first choice. */
static const char *const tmp_dirs[] = { "tmp", "var/tmp", "dev/shm" };

/* Where an image keeps its programs and libraries. */
static const char *const bin_dirs[] = {
	"bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr/bin", "usr/sbin", "usr/lib",
	"usr/lib32", "usr/lib64", "usr/libexec", "usr/local/bin", "usr/local/sbin",
	"usr/local/lib", "opt",
};

static bool
inside_any(const char *rel, const char *const *dirs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cfir_path_inside(rel, dirs[i]))
			return true;
	return false;
}

unsigned
cfir_fileflags_get(const struct cfir_fileflags_of *f, unsigned want)
{
	const char *rel = f->path ? cfir_path_relative(f->path) : "";
	mode_t m = f->mode;
	bool elf = f->headlen >= 4 && memcmp(f->head, "\x7f" "ELF", 4) == 0;
	unsigned got = 0;

	if (S_ISREG(m) && (m & S_ISUID))
		got |= CFIR_FILEFLAG_SETUID;
	if (S_ISREG(m) && (m & S_ISGID))
		got |= CFIR_FILEFLAG_SETGID;
	if (!S_ISLNK(m) && (m & S_IWOTH) && !(S_ISDIR(m) && (m & S_ISVTX)))
		got |= CFIR_FILEFLAG_WORLD_WRITABLE;
	if (S_ISREG(m) && (m & 0111))
		got |= CFIR_FILEFLAG_EXECUTABLE;
	if (elf)
		got |= CFIR_FILEFLAG_ELF;
	if (elf && !inside_any(rel, bin_dirs, sizeof(bin_dirs) / sizeof(bin_dirs[0])))
		got |= CFIR_FILEFLAG_ELF_OUTSIDE_BIN;
	if (f->headlen >= 2 && f->head[0] == '#' && f->head[1] == '!')
		got |= CFIR_FILEFLAG_SCRIPT;
	if (inside_any(rel, tmp_dirs, sizeof(tmp_dirs) / sizeof(tmp_dirs[0])))
		got |= CFIR_FILEFLAG_TMP;
	if (cfir_path_base(rel)[0] == '.')
		got |= CFIR_FILEFLAG_HIDDEN;
	if (S_ISREG(m) && f->size > f->large)
		got |= CFIR_FILEFLAG_LARGE;
	return got & want;
}

cJSON *
cfir_fileflags_json(unsigned flags)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & (1u << i))
			cJSON_AddItemToArray(a, cJSON_CreateString(names[i]));
	return a;
}
