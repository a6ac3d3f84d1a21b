/* filetype.c - one pair of libmagic cookies per process */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <magic.h>

#include "common/err.h"
#include "common/filetype.h"
#include "common/out.h"

/* libmagic cookies are not to be shared between threads: one pair each */
static _Thread_local magic_t mime_cookie, desc_cookie;
static _Thread_local bool tried;
static bool atexit_set;

static magic_t
cookie(int flags)
{
	/*
	 * No decompression of hostile content; no JSON or CSV sniffing, which
	 * scans the whole buffer and cannot judge a truncated prefix anyway.
	 */
	magic_t m = magic_open(flags | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_JSON |
			       MAGIC_NO_CHECK_CSV | MAGIC_ERROR);

	if (m != NULL && magic_load(m, NULL) != 0) {
		cfir_warn("libmagic: %s", magic_error(m));
		magic_close(m);
		m = NULL;
	}
	return m;
}

void
cfir_filetype_thread_done(void)
{
	if (mime_cookie != NULL)
		magic_close(mime_cookie);
	if (desc_cookie != NULL)
		magic_close(desc_cookie);
	mime_cookie = desc_cookie = NULL;
	tried = false;
}

static void
done(void)
{
	cfir_filetype_thread_done();
}

void
cfir_filetype(const void *buf, size_t len, const char **mime, const char **desc)
{
	if (!tried) {
		tried = true;
		mime_cookie = cookie(MAGIC_MIME_TYPE);
		desc_cookie = cookie(MAGIC_NONE);
		if (!atexit_set) {	/* for the main thread; workers call thread_done */
			atexit_set = true;
			atexit(done);
		}
	}
	*desc = desc_cookie ? magic_buffer(desc_cookie, buf, len) : NULL;
	/* what libmagic calls "data" or "empty" has a MIME type by definition:
	 * no second pass over every test for it */
	if (*desc != NULL && strcmp(*desc, "data") == 0)
		*mime = "application/octet-stream";
	else if (*desc != NULL && strcmp(*desc, "empty") == 0)
		*mime = "application/x-empty";
	else
		*mime = mime_cookie ? magic_buffer(mime_cookie, buf, len) : NULL;
}

void
cfir_filetype_json(cJSON *o, const void *buf, size_t len)
{
	const char *mime, *desc;

	cfir_filetype(buf, len, &mime, &desc);
	cfir_json_add_str(o, "mime", mime);
	if (desc != NULL)
		cfir_json_add_bytes(o, "magic", desc, strlen(desc));
}
