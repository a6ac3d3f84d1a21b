/* filetype.c - one pair of libmagic cookies per process */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <magic.h>

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
static bool atexit_set;

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

/*
 * No decompression of hostile content; no JSON or CSV sniffing, which scans
 * the whole buffer and cannot judge a truncated prefix anyway. Why it could
 * not be opened stays in WHY for cfir_filetype_open to report.
 */
static magic_t
open_cookie(void)
{
	magic_t m = magic_open(FLAGS);

	if (m == NULL) {
		snprintf(why, sizeof(why), "libmagic: %s", strerror(errno));
	} else if (magic_load(m, NULL) != 0) {
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
		if (!atexit_set) {	/* for the main thread; workers call thread_done */
			atexit_set = true;
			atexit(done);
		}
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
