/* fileflags.h - what a responder scans for in a file, one set of flags for every command */
#ifndef CFIR_FILEFLAGS_H
#define CFIR_FILEFLAGS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

/* In the order a flags array lists them. */
enum cfir_fileflag {
	CFIR_FILEFLAG_SETUID = 1u << 0,		/* "setuid": a regular file */
	CFIR_FILEFLAG_SETGID = 1u << 1,		/* "setgid": a regular file */
	CFIR_FILEFLAG_WORLD_WRITABLE = 1u << 2,	/* "world-writable": not a symlink, nor a sticky directory */
	CFIR_FILEFLAG_EXECUTABLE = 1u << 3,	/* "executable": a regular file with an x bit */
	CFIR_FILEFLAG_ELF = 1u << 4,		/* "elf": first bytes */
	CFIR_FILEFLAG_ELF_OUTSIDE_BIN = 1u << 5,	/* "elf-outside-bin-dirs" */
	CFIR_FILEFLAG_SCRIPT = 1u << 6,		/* "script": "#!" */
	CFIR_FILEFLAG_TMP = 1u << 7,		/* "tmp": inside /tmp, /var/tmp or /dev/shm */
	CFIR_FILEFLAG_HIDDEN = 1u << 8,		/* "hidden": its name starts with '.' */
	CFIR_FILEFLAG_LARGE = 1u << 9,		/* "large": a regular file over the caller's size */
};

/* What a caller knows of a file; what it does not know stays 0. */
struct cfir_fileflags_of {
	const char *path;	/* in the container: "/tmp/x", "tmp/x" and "./tmp/x" alike */
	mode_t mode;		/* type and permission bits */
	uint64_t size;
	uint64_t large;		/* past this size a regular file is "large" */
	const unsigned char *head;	/* its first bytes, HEADLEN of them */
	size_t headlen;
};

/* The flags among WANT (CFIR_FILEFLAG_* or'ed) that F has. */
unsigned cfir_fileflags_get(const struct cfir_fileflags_of *f, unsigned want);

/* FLAGS as a JSON array of their names, in the order above. */
cJSON *cfir_fileflags_json(unsigned flags);

#endif
