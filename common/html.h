/* html.h - HTML for a browser that must obey nothing the container wrote */
#ifndef CFIR_HTML_H
#define CFIR_HTML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "common/out.h"

/*
 * Markup is cfir's own: literal strings and numbers. Every byte that came
 * from a bag (names, command lines, paths, JSON values) goes through
 * cfir_html_text, which makes it visible, inert text: invalid UTF-8 and
 * control, bidirectional and line-separator characters become the escapes
 * the terminal shows (\xff, \u{202e}), then & < > " ' become entities, so
 * it is text in an element and in a quoted attribute alike.
 */
struct cfir_html {
	FILE *fp;
};

/* Markup cfir wrote itself; never a byte from a bag. */
void cfir_html_raw(struct cfir_html *h, const char *s);
void cfir_html_printf(struct cfir_html *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Hostile bytes as text, cut after MAX characters of their visible form
 * (0: whole) with "... (N bytes)" said.
 */
void cfir_html_text(struct cfir_html *h, const void *buf, size_t len, size_t max);
/* A string; "-" for NULL. */
void cfir_html_str(struct cfir_html *h, const char *s, size_t max);
/* The string at KEY of O, from KEY_hex's exact bytes when the record has them; "-" when absent. */
void cfir_html_field(struct cfir_html *h, const cJSON *o, const char *key, size_t max);
/* Any JSON value as compact JSON text (cfir_json_print), cut after MAX characters. */
void cfir_html_json(struct cfir_html *h, const cJSON *v, size_t max);
/* A relative URL in an attribute: every byte but [A-Za-z0-9._~/-] percent-encoded. */
void cfir_html_url(struct cfir_html *h, const char *path);

/* The escaping alone, into DST: for tests and fuzzing. */
void cfir_html_escape(struct cfir_text *dst, const void *buf, size_t len, size_t max);

#endif
