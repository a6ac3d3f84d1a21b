/* out.h - one printer for human text and JSON Lines (iproute2 json_print) */
#ifndef CFIR_OUT_H
#define CFIR_OUT_H

#include <stdarg.h>
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

/*
 * A line of text being built for the printer: the bytes are whatever the
 * record holds (hostile ones too); the printer escapes them as it writes.
 */
struct cfir_text {
	char *p;
	size_t len, cap;
	bool oom;
};

void cfir_text_add(struct cfir_text *t, const void *s, size_t n);
void cfir_text_printf(struct cfir_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The bytes a KEY_hex string spells (pairs of hex digits) added to T; false, T as it was, when it spells none. */
bool cfir_text_unhex(struct cfir_text *t, const char *hex);
void cfir_text_vprintf(struct cfir_text *t, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/*
 * One description of a field serves both renderings: JSON is the record
 * itself, text is a label and a value (a record) or a column (a table).
 * KEY is the member, "a.b" for a nested one.
 */
enum cfir_fmt {
	CFIR_FMT_STR,		/* the string; "-" when absent */
	CFIR_FMT_BYTES,		/* the exact bytes: KEY_hex when the JSON string could not hold them */
	CFIR_FMT_NUM,		/* a number, as an integer when it is one */
	CFIR_FMT_ID12,		/* an ID's first 12 characters */
	CFIR_FMT_SECONDS,	/* "1.5 s" */
	CFIR_FMT_BOOL,		/* yes or no */
	CFIR_FMT_JSON,		/* the value as compact JSON, cut at 120 characters */
};

enum {
	CFIR_FIELD_VERBOSE = 1 << 0,	/* text shows it only with -v */
	CFIR_FIELD_PRESENT = 1 << 1,	/* without -v, text shows it only when it is there and not null */
	CFIR_FIELD_RIGHT = 1 << 2,	/* a column aligned to the right */
	CFIR_FIELD_ESCAPED = 1 << 3,	/* FN escaped the hostile parts itself, with cfir_vis_text */
};

struct cfir_field {
	const char *key;
	const char *label;	/* a record's label, a table's heading */
	enum cfir_fmt fmt;
	int width;		/* a column's width; 0 for the last one */
	unsigned flags;
	/* the text of the value when no format says it: the printer escapes it */
	void (*fn)(struct cfir_text *t, const cJSON *rec);
};

/* How a record reads in text: a title line, then one line a field. */
struct cfir_view {
	void (*title)(struct cfir_text *t, const cJSON *rec);
	const struct cfir_field *fields;	/* ends with a zeroed field */
};

/* A field's value as text, not yet escaped: for a field built of others. */
void cfir_field_text(struct cfir_text *t, const cJSON *rec, const struct cfir_field *f);
/* A record: one JSON line, or its view in text (nothing with -q). */
int cfir_out_record(struct cfir_out *o, const cJSON *rec, const struct cfir_view *v);
/* A table: its headings (text only), then a row a record. */
int cfir_out_head(struct cfir_out *o, const struct cfir_field *cols);
int cfir_out_row(struct cfir_out *o, const cJSON *row, const struct cfir_field *cols);
/* One line of text only, from the record by FN: a table's caption, a note. */
int cfir_out_line(struct cfir_out *o, const cJSON *rec,
		  void (*fn)(struct cfir_text *t, const cJSON *rec));

/* One fixed line of text only: a caption, a note. */
int cfir_out_note(struct cfir_out *o, const char *text);

/* A member by its path ("a.b"), NULL when absent. */
const cJSON *cfir_json_get(const cJSON *o, const char *path);
/* The string at KEY of object O, NULL when absent or not a string. */
const char *cfir_json_str(const cJSON *o, const char *key);
/* The number at KEY, 0 when absent or not a number. */
double cfir_json_num(const cJSON *o, const char *key);
/*
 * The number V as an integer in [LO, HI]: a hostile number (NaN, 1e300,
 * -5 for a count) is clamped before it is cast, never undefined. DEF when
 * V is no number or NaN.
 */
long long cfir_json_int(const cJSON *v, long long lo, long long hi, long long def);
/* Flush stdout and check it for errors (git run_builtin); quiet on EPIPE. */
int cfir_out_finish(struct cfir_out *o, struct cfir_err *err);

/* Strict UTF-8: no overlong forms, surrogates or code points past U+10FFFF. */
bool cfir_utf8_valid(const void *buf, size_t len);
/* Decode one code point at s (n bytes left); returns its length, 0 when invalid. */
size_t cfir_utf8_decode(const unsigned char *s, size_t n, unsigned *cp);

/*
 * Write hostile bytes so that a terminal shows them and obeys none. With
 * CFIR_VIS_FIELD only '|' (a bodyfile's separator), '\\' and control bytes
 * become \xNN: the field keeps every other byte of the name as it is.
 */
enum { CFIR_VIS_FIELD = 1 << 0 };
void cfir_vis(FILE *f, const void *buf, size_t len);
void cfir_vis_str(FILE *f, const char *s);
void cfir_vis_text(struct cfir_text *dst, const void *buf, size_t len, unsigned flags);

/*
 * A JSON string from arbitrary bytes. JSON holds only text, so when the bytes
 * are not clean UTF-8 (or hold NUL) the exact bytes go beside it in KEY_hex.
 */
void cfir_json_add_bytes(cJSON *obj, const char *key, const void *buf, size_t len);
cJSON *cfir_json_add_str(cJSON *obj, const char *key, const char *s);
/* A hostile C string's exact bytes, as cfir_json_add_bytes; nothing when S is NULL. */
void cfir_json_add_text(cJSON *obj, const char *key, const char *s);
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


#endif
