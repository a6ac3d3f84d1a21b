/* out.c - text and JSON output; escaping of hostile bytes */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/out.h"

size_t
cfir_utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c, min;
	size_t len, i;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

bool
cfir_utf8_valid(const void *buf, size_t len)
{
	const unsigned char *s = buf;
	unsigned cp;
	size_t i = 0, n;

	while (i < len) {
		n = cfir_utf8_decode(s + i, len - i, &cp);
		if (n == 0 || cp == 0)
			return false;
		i += n;
	}
	return true;
}

/* Characters a terminal could act on, or that reorder text around them. */
static bool
is_dangerous(unsigned cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
	       (cp >= 0x200e && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x061c || cp == 0xfeff;
}

/* The bytes from S on that print as they are: ASCII, no control, no backslash, not QUOTE. */
static size_t
plain_run(const unsigned char *s, size_t len, int quote)
{
	size_t i = 0;

	while (i < len && s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\' && s[i] != quote)
		i++;
	return i;
}

/* The two-character escape text and JSON share, or NULL. */
static const char *
short_escape(unsigned cp)
{
	switch (cp) {
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	}
	return NULL;
}

void
cfir_text_add(struct cfir_text *t, const void *s, size_t n)
{
	char *np;
	size_t cap;

	if (t->oom)
		return;
	if (t->len + n + 1 > t->cap) {
		cap = t->cap ? t->cap : 256;
		while (cap < t->len + n + 1)
			cap *= 2;
		np = realloc(t->p, cap);
		if (np == NULL) {
			t->oom = true;
			return;
		}
		t->p = np;
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void
text_puts(struct cfir_text *t, const char *s)
{
	cfir_text_add(t, s, strlen(s));
}

void
cfir_text_vprintf(struct cfir_text *t, const char *fmt, va_list ap)
{
	char *p = NULL;
	int n = vasprintf(&p, fmt, ap);

	if (n < 0) {
		t->oom = true;
		return;
	}
	cfir_text_add(t, p, (size_t)n);
	free(p);
}

void
cfir_text_printf(struct cfir_text *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfir_text_vprintf(t, fmt, ap);
	va_end(ap);
}

void
cfir_vis_text(struct cfir_text *dst, const void *buf, size_t len, unsigned flags)
{
	const unsigned char *s = buf;
	char esc[16];
	const char *e;
	unsigned cp;
	size_t i = 0, n;

	if (flags & CFIR_VIS_FIELD) {
		for (i = 0; i < len; i++) {
			if (s[i] == '|' || s[i] == '\\' || s[i] < 0x20 || s[i] == 0x7f) {
				snprintf(esc, sizeof(esc), "\\x%02x", s[i]);
				text_puts(dst, esc);
			} else {
				cfir_text_add(dst, s + i, 1);
			}
		}
		return;
	}
	while (i < len) {
		/* most text is plain: copied a run at a time, not a character */
		if ((n = plain_run(s + i, len - i, -1)) > 0) {
			cfir_text_add(dst, s + i, n);
			i += n;
			continue;
		}
		n = cfir_utf8_decode(s + i, len - i, &cp);
		if (n == 0) {
			snprintf(esc, sizeof(esc), "\\x%02x", s[i]);
			text_puts(dst, esc);
			i++;
			continue;
		}
		if ((e = short_escape(cp)) != NULL)
			text_puts(dst, e);
		else if (cp < 0x80 && is_dangerous(cp)) {
			snprintf(esc, sizeof(esc), "\\x%02x", cp);
			text_puts(dst, esc);
		} else if (is_dangerous(cp)) {
			snprintf(esc, sizeof(esc), "\\u{%04x}", cp);
			text_puts(dst, esc);
		} else
			cfir_text_add(dst, s + i, n);
		i += n;
	}
}

void
cfir_vis(FILE *f, const void *buf, size_t len)
{
	struct cfir_text t = { 0 };

	cfir_vis_text(&t, buf, len, 0);
	if (t.len > 0)
		fwrite(t.p, 1, t.len, f);
	free(t.p);
}

void
cfir_vis_str(FILE *f, const char *s)
{
	if (s == NULL)
		s = "-";
	cfir_vis(f, s, strlen(s));
}

static void
sb_string(struct cfir_text *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n, len = strlen(str);
	char esc[8];
	const char *e;
	unsigned cp;

	cfir_text_add(b, "\"", 1);
	while (i < len) {
		if ((n = plain_run(s + i, len - i, '"')) > 0) {
			cfir_text_add(b, s + i, n);
			i += n;
			continue;
		}
		n = cfir_utf8_decode(s + i, len - i, &cp);
		if (n == 0) {
			text_puts(b, "\\ufffd");
			i++;
			continue;
		}
		if (cp == '"')
			text_puts(b, "\\\"");
		else if ((e = short_escape(cp)) != NULL)
			text_puts(b, e);
		else if (is_dangerous(cp)) {
			snprintf(esc, sizeof(esc), "\\u%04x", cp);
			text_puts(b, esc);
		} else
			cfir_text_add(b, s + i, n);
		i += n;
	}
	cfir_text_add(b, "\"", 1);
}

static void
sb_json(struct cfir_text *b, const cJSON *j)
{
	const cJSON *c;
	char num[64];
	double d;

	if (cJSON_IsNull(j) || j == NULL) {
		text_puts(b, "null");
	} else if (cJSON_IsFalse(j)) {
		text_puts(b, "false");
	} else if (cJSON_IsTrue(j)) {
		text_puts(b, "true");
	} else if (cJSON_IsNumber(j)) {
		d = j->valuedouble;
		if (!isfinite(d))
			snprintf(num, sizeof(num), "null");
		else if (d == floor(d) && fabs(d) < 9007199254740992.0)
			snprintf(num, sizeof(num), "%lld", (long long)d);
		else
			snprintf(num, sizeof(num), "%.17g", d);
		text_puts(b, num);
	} else if (cJSON_IsString(j)) {
		sb_string(b, j->valuestring ? j->valuestring : "");
	} else if (cJSON_IsRaw(j)) {
		text_puts(b, j->valuestring ? j->valuestring : "null");
	} else if (cJSON_IsArray(j)) {
		cfir_text_add(b, "[", 1);
		for (c = j->child; c != NULL; c = c->next) {
			sb_json(b, c);
			if (c->next)
				cfir_text_add(b, ",", 1);
		}
		cfir_text_add(b, "]", 1);
	} else if (cJSON_IsObject(j)) {
		cfir_text_add(b, "{", 1);
		for (c = j->child; c != NULL; c = c->next) {
			sb_string(b, c->string ? c->string : "");
			cfir_text_add(b, ":", 1);
			sb_json(b, c);
			if (c->next)
				cfir_text_add(b, ",", 1);
		}
		cfir_text_add(b, "}", 1);
	} else {
		text_puts(b, "null");
	}
}

char *
cfir_json_print(const cJSON *j, size_t *len)
{
	struct cfir_text b = { 0 };

	sb_json(&b, j);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	if (len != NULL)
		*len = b.len;
	return b.p;
}

char *
cfir_json_line(const cJSON *j, size_t *len)
{
	size_t n;
	char *s = cfir_json_print(j, &n);

	if (s == NULL)
		return NULL;
	s[n++] = '\n';	/* the serialiser always leaves room for its NUL */
	*len = n;
	return s;
}

int
cfir_json_fwrite(FILE *f, const cJSON *j)
{
	size_t len;
	char *s = cfir_json_print(j, &len);
	int r = 0;

	if (s == NULL)
		return -1;
	if (fwrite(s, 1, len, f) != len)
		r = -1;
	free(s);
	return r;
}

void
cfir_json_add_bytes(cJSON *obj, const char *key, const void *buf, size_t len)
{
	char *s, *hex, hkey[128];
	size_t i;

	s = malloc(len + 1);
	if (s == NULL)
		return;
	memcpy(s, buf, len);
	s[len] = '\0';
	for (i = 0; i < len; i++)	/* JSON text cannot hold NUL */
		if (s[i] == '\0')
			s[i] = '\x1a';
	cJSON_AddStringToObject(obj, key, s);
	free(s);
	if (cfir_utf8_valid(buf, len))
		return;
	hex = malloc(2 * len + 1);
	if (hex == NULL)
		return;
	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", ((const unsigned char *)buf)[i]);
	hex[2 * len] = '\0';
	snprintf(hkey, sizeof(hkey), "%s_hex", key);
	cJSON_AddStringToObject(obj, hkey, hex);
	free(hex);
}

void
cfir_json_add_text(cJSON *obj, const char *key, const char *s)
{
	if (s != NULL)
		cfir_json_add_bytes(obj, key, s, strlen(s));
}

cJSON *
cfir_json_add_str(cJSON *obj, const char *key, const char *s)
{
	if (s == NULL)
		return cJSON_AddNullToObject(obj, key);
	return cJSON_AddStringToObject(obj, key, s);
}

cJSON *
cfir_json_add_num(cJSON *obj, const char *key, double v)
{
	return cJSON_AddNumberToObject(obj, key, v);
}

const cJSON *
cfir_json_get(const cJSON *o, const char *path)
{
	const char *dot;
	char key[64];

	while (o != NULL && (dot = strchr(path, '.')) != NULL) {
		if ((size_t)(dot - path) >= sizeof(key))
			return NULL;
		memcpy(key, path, (size_t)(dot - path));
		key[dot - path] = '\0';
		o = cJSON_GetObjectItemCaseSensitive(o, key);
		path = dot + 1;
	}
	return o != NULL ? cJSON_GetObjectItemCaseSensitive(o, path) : NULL;
}

const char *
cfir_json_str(const cJSON *o, const char *key)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(j) ? j->valuestring : NULL;
}

double
cfir_json_num(const cJSON *o, const char *key)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(j) ? j->valuedouble : 0;
}

long long
cfir_json_int(const cJSON *v, long long lo, long long hi, long long def)
{
	double d;

	if (!cJSON_IsNumber(v) || isnan(v->valuedouble))
		return def;
	d = v->valuedouble;
	if (d <= (double)lo)
		return lo;
	if (d >= (double)hi)
		return hi;
	return (long long)d;
}

bool
cfir_text_unhex(struct cfir_text *t, const char *hex)
{
	static const char digits[] = "0123456789abcdef";
	size_t i, n = hex ? strlen(hex) : 0;

	if (n == 0 || n % 2 != 0 || strspn(hex, "0123456789abcdefABCDEF") != n)
		return false;
	for (i = 0; i < n; i += 2) {
		unsigned char b = (unsigned char)((strchr(digits, tolower((unsigned char)hex[i])) - digits) << 4 |
						  (strchr(digits, tolower((unsigned char)hex[i + 1])) - digits));

		cfir_text_add(t, &b, 1);
	}
	return !t->oom;
}

/* KEY_hex's bytes, when the JSON string could not hold the exact ones. */
static bool
exact_bytes(struct cfir_text *t, const cJSON *rec, const struct cfir_field *f)
{
	char hkey[80];
	const cJSON *hex;

	snprintf(hkey, sizeof(hkey), "%s_hex", f->key);
	hex = cfir_json_get(rec, hkey);
	return cJSON_IsString(hex) && cfir_text_unhex(t, hex->valuestring);
}

/* The value's raw text: what the record holds, not yet escaped. */
void
cfir_field_text(struct cfir_text *t, const cJSON *rec, const struct cfir_field *f)
{
	const cJSON *v = f->key ? cfir_json_get(rec, f->key) : NULL;
	char *js;
	size_t n;

	if (f->fn != NULL) {
		f->fn(t, rec);
		return;
	}
	if (f->fmt == CFIR_FMT_BYTES && exact_bytes(t, rec, f))
		return;
	if (v == NULL || cJSON_IsNull(v)) {
		text_puts(t, "-");
		return;
	}
	switch (f->fmt) {
	case CFIR_FMT_NUM:
	case CFIR_FMT_SECONDS:
		if (cJSON_IsNumber(v))
			cfir_text_printf(t, f->fmt == CFIR_FMT_SECONDS ? "%.1f s" :
					    v->valuedouble == floor(v->valuedouble) ? "%.0f" : "%g", v->valuedouble);
		break;
	case CFIR_FMT_BOOL:
		text_puts(t, cJSON_IsTrue(v) ? "yes" : "no");
		break;
	case CFIR_FMT_ID12:
		if (cJSON_IsString(v))
			cfir_text_printf(t, "%.12s", v->valuestring);
		break;
	case CFIR_FMT_JSON:
		js = cfir_json_print(v, &n);
		if (js != NULL && n > 120)
			strcpy(js + 117, "...");
		if (js != NULL)
			text_puts(t, js);
		free(js);
		break;
	case CFIR_FMT_STR:
	case CFIR_FMT_BYTES:
		if (cJSON_IsString(v))
			text_puts(t, v->valuestring);
		else if (cJSON_IsNumber(v))
			cfir_text_printf(t, "%.0f", v->valuedouble);
		break;
	}
}

static bool
field_shown(const struct cfir_out *o, const cJSON *rec, const struct cfir_field *f)
{
	const cJSON *v;

	if ((f->flags & CFIR_FIELD_VERBOSE) && o->verbose == 0)
		return false;
	if ((f->flags & CFIR_FIELD_PRESENT) && o->verbose == 0) {
		v = cfir_json_get(rec, f->key);
		return v != NULL && !cJSON_IsNull(v) && !cJSON_IsFalse(v);
	}
	return true;
}

/* Escaped TEXT, padded to WIDTH columns (0: as long as it is). */
#define CELL_MAX 512	/* bytes of one escaped text cell shown */

static void
put_cell(struct cfir_text *line, const struct cfir_text *raw, int width, bool right, bool escaped)
{
	struct cfir_text vis = { 0 };
	size_t cols = 0, i;

	if (escaped)
		cfir_text_add(&vis, raw->p ? raw->p : "", raw->len);
	else
		cfir_vis_text(&vis, raw->p ? raw->p : "", raw->len, 0);
	/* a value the container chose may be a megabyte: the terminal gets its start */
	if (vis.len > CELL_MAX && !vis.oom) {
		size_t cut = CELL_MAX, whole = raw->len;

		while (cut > 0 && ((unsigned char)vis.p[cut] & 0xc0) == 0x80)
			cut--;
		vis.len = cut;
		cfir_text_printf(&vis, "...(%zu bytes in all)", whole);
	}
	for (i = 0; i < vis.len; i++)	/* columns: UTF-8 lead bytes */
		cols += ((unsigned char)vis.p[i] & 0xc0) != 0x80;
	for (; right && width > 0 && cols < (size_t)width; cols++)
		cfir_text_add(line, " ", 1);
	if (vis.len > 0)
		cfir_text_add(line, vis.p, vis.len);
	for (; !right && width > 0 && cols < (size_t)width; cols++)
		cfir_text_add(line, " ", 1);
	free(vis.p);
}

static int
put_line(struct cfir_out *o, struct cfir_text *line)
{
	int r = 0;

	while (line->len > 0 && line->p[line->len - 1] == ' ')
		line->p[--line->len] = '\0';
	cfir_text_add(line, "\n", 1);
	if (line->oom || fwrite(line->p, 1, line->len, o->fp) != line->len)
		r = -1;
	free(line->p);
	*line = (struct cfir_text){ 0 };
	return r < 0 || ferror(o->fp) ? -1 : 0;
}

static bool
text_on(const struct cfir_out *o)
{
	return o->format == CFIR_FORMAT_TEXT && !o->quiet;
}

static int
json_line(struct cfir_out *o, const cJSON *rec)
{
	if (cfir_json_fwrite(o->fp, rec) < 0)
		return -1;
	fputc('\n', o->fp);
	return ferror(o->fp) ? -1 : 0;
}

int
cfir_out_line(struct cfir_out *o, const cJSON *rec, void (*fn)(struct cfir_text *t, const cJSON *rec))
{
	struct cfir_text raw = { 0 }, line = { 0 };

	if (!text_on(o))
		return 0;
	fn(&raw, rec);
	put_cell(&line, &raw, 0, false, false);
	free(raw.p);
	return put_line(o, &line);
}

int
cfir_out_note(struct cfir_out *o, const char *text)
{
	struct cfir_text raw = { 0 }, line = { 0 };

	if (!text_on(o))
		return 0;
	cfir_text_add(&raw, text, strlen(text));
	put_cell(&line, &raw, 0, false, false);
	free(raw.p);
	return put_line(o, &line);
}

int
cfir_out_record(struct cfir_out *o, const cJSON *rec, const struct cfir_view *v)
{
	const struct cfir_field *f;
	struct cfir_text line = { 0 };
	int width = 0, r = 0;

	if (o->format == CFIR_FORMAT_JSON)
		return json_line(o, rec);
	if (!text_on(o) || v == NULL)
		return 0;
	if (v->title != NULL)
		r = cfir_out_line(o, rec, v->title);
	for (f = v->fields; f != NULL && f->label != NULL; f++)
		if ((int)strlen(f->label) > width)
			width = (int)strlen(f->label);
	for (f = v->fields; f != NULL && f->label != NULL && r == 0; f++) {
		struct cfir_text raw = { 0 };

		if (!field_shown(o, rec, f))
			continue;
		cfir_text_printf(&line, "  %-*s  ", width, f->label);
		cfir_field_text(&raw, rec, f);
		put_cell(&line, &raw, 0, false, f->flags & CFIR_FIELD_ESCAPED);
		free(raw.p);
		r = put_line(o, &line);
	}
	return r;
}

int
cfir_out_head(struct cfir_out *o, const struct cfir_field *cols)
{
	const struct cfir_field *f;
	struct cfir_text line = { 0 };

	if (!text_on(o))
		return 0;
	for (f = cols; f->label != NULL; f++) {
		if ((f->flags & CFIR_FIELD_VERBOSE) && o->verbose == 0)
			continue;
		if (f->flags & CFIR_FIELD_RIGHT)
			cfir_text_printf(&line, "%*s ", f->width, f->label);
		else
			cfir_text_printf(&line, "%-*s ", f->width, f->label);
	}
	return put_line(o, &line);
}

int
cfir_out_row(struct cfir_out *o, const cJSON *row, const struct cfir_field *cols)
{
	const struct cfir_field *f;
	struct cfir_text line = { 0 };

	if (o->format == CFIR_FORMAT_JSON)
		return json_line(o, row);
	if (!text_on(o))
		return 0;
	for (f = cols; f->label != NULL; f++) {
		struct cfir_text raw = { 0 };

		if ((f->flags & CFIR_FIELD_VERBOSE) && o->verbose == 0)
			continue;
		cfir_field_text(&raw, row, f);
		put_cell(&line, &raw, f->width, f->flags & CFIR_FIELD_RIGHT, f->flags & CFIR_FIELD_ESCAPED);
		cfir_text_add(&line, " ", 1);
		free(raw.p);
	}
	return put_line(o, &line);
}

int
cfir_out_finish(struct cfir_out *o, struct cfir_err *err)
{
	if (fflush(o->fp) != 0 || ferror(o->fp)) {
		if (errno == EPIPE)
			return 0;
		return cfir_err_set(err, EX_IOERR, errno, "write to standard output");
	}
	return 0;
}
