/* out.h - one printer for human text and JSON Lines (iproute2 json_print) */
#ifndef CFIR_OUT_H
#define CFIR_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "common/err.h"

enum cfir_format {
	CFIR_FORMAT_TEXT,
	CFIR_FORMAT_JSON,
};

struct cfir_out {
	enum cfir_format format;
	int verbose;		/* -v count */
	bool quiet;		/* -q */
	FILE *fp;		/* stdout */
};

typedef void (*cfir_text_fn)(struct cfir_out *o, const cJSON *rec, void *ctx);

/* Emit one record: a JSON line, or the text printer's rendering of it. */
int cfir_out_record(struct cfir_out *o, const cJSON *rec, cfir_text_fn text,
		    void *ctx);
/* Flush stdout and check it for errors (git run_builtin); quiet on EPIPE. */
int cfir_out_finish(struct cfir_out *o, struct cfir_err *err);

/* Strict UTF-8: no overlong forms, surrogates or code points past U+10FFFF. */
bool cfir_utf8_valid(const void *buf, size_t len);
/* Decode one code point at s (n bytes left); returns its length, 0 when invalid. */
size_t cfir_utf8_decode(const unsigned char *s, size_t n, unsigned *cp);

/* Write hostile bytes so that a terminal shows them and obeys none. */
void cfir_vis(FILE *f, const void *buf, size_t len);
void cfir_vis_str(FILE *f, const char *s);

/*
 * A JSON string from arbitrary bytes. JSON holds only text, so when the bytes
 * are not clean UTF-8 (or hold NUL) the exact bytes go beside it in KEY_hex.
 */
void cfir_json_add_bytes(cJSON *obj, const char *key, const void *buf, size_t len);
cJSON *cfir_json_add_str(cJSON *obj, const char *key, const char *s);
cJSON *cfir_json_add_num(cJSON *obj, const char *key, double v);

/*
 * Serialise compactly, always as valid JSON whatever the strings hold:
 * invalid UTF-8 becomes U+FFFD, control, C1 and bidirectional-override
 * characters become \u escapes. Returns a malloc'd string.
 */
char *cfir_json_print(const cJSON *j, size_t *len);
int cfir_json_fwrite(FILE *f, const cJSON *j);
/* The same as one JSON Lines line: ends in '\n', which *len counts. */
char *cfir_json_line(const cJSON *j, size_t *len);

/* The string at KEY of object O, NULL when absent or not a string. */
const char *cfir_json_str(const cJSON *o, const char *key);

#endif
