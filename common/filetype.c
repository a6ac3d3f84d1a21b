/* filetype.c - one pair of libmagic cookies per process */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <magic.h>

#include "common/dl.h"
#include "common/err.h"
#include "common/filetype.h"
#include "common/out.h"

/*
 * libmagic cookies are not to be shared between threads: one each, its
 * database loaded once, its flags switched between the two questions.
 */
#define FLAGS (MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_JSON | MAGIC_NO_CHECK_CSV | MAGIC_ERROR)

static _Thread_local magic_t cookie;
static _Thread_local bool tried;
static _Thread_local char desc_copy[512];
static _Thread_local char why[256];
static pthread_once_t atexit_once = PTHREAD_ONCE_INIT;

void
cfir_filetype_thread_done(void)
{
	if (cookie != NULL)
		magic_close(cookie);
	cookie = NULL;
	tried = false;
	why[0] = '\0';
}

static void
done(void)
{
	cfir_filetype_thread_done();
}

static void
at_exit(void)
{
	atexit(done);
}

/*
 * The compiled database is 8 MiB, mapped by each cookie that loads it and
 * counted once a mapping. Mapped once here, every thread's cookie reads the
 * same pages (magic_load_buffers). Only when that is exactly what
 * magic_load(NULL) would load: the default list ("/etc/magic:/usr/share/
 * misc/magic" on Debian) holds one compiled database and text files of
 * comments only; anything else ($MAGIC, ~/.magic, a directory, a text
 * database with entries) is left to libmagic.
 */
static pthread_once_t db_once = PTHREAD_ONCE_INIT;
#define MGC_MAGIC 0xF11E041Cu	/* a compiled database's first word, in this machine's order */
static void *db;
static size_t db_len;

/* A text magic file with no entry (blank lines and comments): false when unsure. */
static bool
text_empty(int fd)
{
	char buf[16 << 10], *line, *p;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	if (n < 0 || (size_t)n == sizeof(buf) - 1 || memchr(buf, '\0', (size_t)n) != NULL)
		return false;
	buf[n] = '\0';
	for (p = buf; (line = strsep(&p, "\n")) != NULL;) {
		line += strspn(line, " \t\r");
		if (*line != '\0' && *line != '#')
			return false;
	}
	return true;
}

/* One component of the list: its compiled database mapped, or a text file with nothing in it. */
static bool
db_component(const char *comp, size_t len)
{
	char name[4096];
	struct stat sb;
	int fd;
	bool ok = false;

	if (len == 0 || (size_t)snprintf(name, sizeof(name), "%.*s.mgc", (int)len, comp) >= sizeof(name))
		return false;
	if ((fd = open(name, O_RDONLY | O_CLOEXEC)) >= 0) {
		void *p;

		/* private and writable: libmagic byte-swaps a foreign database in place */
		if (db == NULL && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size >= 4 &&
		    (p = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0)) != MAP_FAILED) {
			/* one mapping for every cookie only when libmagic has nothing to swap in it */
			if (*(const uint32_t *)p == MGC_MAGIC) {
				db = p;
				db_len = (size_t)sb.st_size;
				ok = true;
			} else {
				munmap(p, (size_t)sb.st_size);
			}
		}
		close(fd);
		return ok;
	}
	name[len] = '\0';
	if (errno != ENOENT || (fd = open(name, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	ok = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && text_empty(fd);
	close(fd);
	return ok;
}

static void
db_map(void)
{
	const char *path = magic_getpath(NULL, 0), *c, *end;	/* FILE_LOAD: what magic_load(NULL) reads */
	bool ok = path != NULL;

	for (c = path; ok && c != NULL; c = *end ? end + 1 : NULL) {
		end = strchrnul(c, ':');
		ok = db_component(c, (size_t)(end - c));
	}
	if (!ok && db != NULL) {
		munmap(db, db_len);
		db = NULL;
	}
}

static int
load(magic_t m)
{
	void *bufs[1];
	size_t sizes[1];

	pthread_once(&db_once, db_map);
	if (db != NULL) {
		bufs[0] = db;
		sizes[0] = db_len;
		if (magic_load_buffers(m, bufs, sizes, 1) == 0)
			return 0;
	}
	return magic_load(m, NULL);
}

/*
 * No decompression of hostile content; no JSON or CSV sniffing, which scans
 * the whole buffer and cannot judge a truncated prefix anyway. Why it could
 * not be opened stays in WHY for cfir_filetype_open to report.
 */
static magic_t
open_cookie(void)
{
	magic_t m = magic_open(FLAGS);

	if (m == NULL && cfir_dl_unavailable("libmagic") != NULL) {
		snprintf(why, sizeof(why), "libmagic could not be loaded: %s", cfir_dl_unavailable("libmagic"));
	} else if (m == NULL) {
		snprintf(why, sizeof(why), "libmagic: %s", strerror(errno));
	} else if (load(m) != 0) {
		snprintf(why, sizeof(why), "libmagic: %s", magic_error(m));
		magic_close(m);
		m = NULL;
	}
	return m;
}

/* This thread's cookie, opened on first use. */
static magic_t
this_cookie(void)
{
	if (!tried) {
		tried = true;
		cookie = open_cookie();
		pthread_once(&atexit_once, at_exit);	/* for the main thread; workers call thread_done */
	}
	return cookie;
}

int
cfir_filetype_open(struct cfir_err *err)
{
	if (this_cookie() == NULL)
		return cfir_err_set(err, EX_UNAVAILABLE, 0, "%s", why[0] ? why : "libmagic: not available");
	return 0;
}

void
cfir_filetype(const void *buf, size_t len, const char **mime, const char **desc)
{
	const char *d;

	*mime = *desc = NULL;
	if (this_cookie() == NULL || (d = magic_buffer(cookie, buf, len)) == NULL)
		return;
	/* the next call on this cookie reuses its buffer */
	snprintf(desc_copy, sizeof(desc_copy), "%s", d);
	*desc = desc_copy;
	/* what libmagic calls "data" or "empty" has a MIME type by definition:
	 * no second pass over every test for it */
	if (strcmp(d, "data") == 0) {
		*mime = "application/octet-stream";
	} else if (strcmp(d, "empty") == 0) {
		*mime = "application/x-empty";
	} else {
		magic_setflags(cookie, FLAGS | MAGIC_MIME_TYPE);
		*mime = magic_buffer(cookie, buf, len);
		magic_setflags(cookie, FLAGS);
	}
}

void
cfir_filetype_json_add(cJSON *o, const char *mime, const char *desc)
{
	cfir_json_add_str(o, "mime", mime);
	if (desc != NULL)
		cfir_json_add_bytes(o, "magic", desc, strlen(desc));
}

void
cfir_filetype_json(cJSON *o, const void *buf, size_t len)
{
	const char *mime, *desc;

	cfir_filetype(buf, len, &mime, &desc);
	cfir_filetype_json_add(o, mime, desc);
}

const char *
cfir_filetype_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "file";
	case S_IFDIR: return "dir";
	case S_IFLNK: return "symlink";
	case S_IFCHR: return "char";
	case S_IFBLK: return "block";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	default: return "unknown";
	}
}
