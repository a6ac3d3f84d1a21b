/* out.c - text and JSON output; escaping of hostile bytes */
#include <errno.h>
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
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

void
cfir_vis(FILE *f, const void *buf, size_t len)
{
	const unsigned char *s = buf;
	unsigned cp;
	size_t i = 0, n;

	while (i < len) {
		n = cfir_utf8_decode(s + i, len - i, &cp);
		if (n == 0) {
			fprintf(f, "\\x%02x", s[i]);
			i++;
			continue;
		}
		if (cp == '\\')
			fputs("\\\\", f);
		else if (cp == '\n')
			fputs("\\n", f);
		else if (cp == '\r')
			fputs("\\r", f);
		else if (cp == '\t')
			fputs("\\t", f);
		else if (cp < 0x80 && is_dangerous(cp))
			fprintf(f, "\\x%02x", cp);
		else if (is_dangerous(cp))
			fprintf(f, "\\u{%04x}", cp);
		else
			fwrite(s + i, 1, n, f);
		i += n;
	}
}

void
cfir_vis_str(FILE *f, const char *s)
{
	if (s == NULL)
		s = "-";
	cfir_vis(f, s, strlen(s));
}

/* A growable buffer for the serialiser. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void
sb_put(struct sbuf *b, const void *s, size_t n)
{
	char *np;
	size_t cap;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (np == NULL) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_puts(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void
sb_string(struct sbuf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n, len = strlen(str);
	char esc[8];
	unsigned cp;

	sb_put(b, "\"", 1);
	while (i < len) {
		n = cfir_utf8_decode(s + i, len - i, &cp);
		if (n == 0) {
			sb_puts(b, "\\ufffd");
			i++;
			continue;
		}
		if (cp == '"')
			sb_puts(b, "\\\"");
		else if (cp == '\\')
			sb_puts(b, "\\\\");
		else if (cp == '\n')
			sb_puts(b, "\\n");
		else if (cp == '\t')
			sb_puts(b, "\\t");
		else if (cp == '\r')
			sb_puts(b, "\\r");
		else if (is_dangerous(cp)) {
			snprintf(esc, sizeof(esc), "\\u%04x", cp);
			sb_puts(b, esc);
		} else
			sb_put(b, s + i, n);
		i += n;
	}
	sb_put(b, "\"", 1);
}

static void
sb_json(struct sbuf *b, const cJSON *j)
{
	const cJSON *c;
	char num[64];
	double d;

	if (cJSON_IsNull(j) || j == NULL) {
		sb_puts(b, "null");
	} else if (cJSON_IsFalse(j)) {
		sb_puts(b, "false");
	} else if (cJSON_IsTrue(j)) {
		sb_puts(b, "true");
	} else if (cJSON_IsNumber(j)) {
		d = j->valuedouble;
		if (!isfinite(d))
			snprintf(num, sizeof(num), "null");
		else if (d == floor(d) && fabs(d) < 9007199254740992.0)
			snprintf(num, sizeof(num), "%lld", (long long)d);
		else
			snprintf(num, sizeof(num), "%.17g", d);
		sb_puts(b, num);
	} else if (cJSON_IsString(j)) {
		sb_string(b, j->valuestring ? j->valuestring : "");
	} else if (cJSON_IsRaw(j)) {
		sb_puts(b, j->valuestring ? j->valuestring : "null");
	} else if (cJSON_IsArray(j)) {
		sb_put(b, "[", 1);
		for (c = j->child; c != NULL; c = c->next) {
			sb_json(b, c);
			if (c->next)
				sb_put(b, ",", 1);
		}
		sb_put(b, "]", 1);
	} else if (cJSON_IsObject(j)) {
		sb_put(b, "{", 1);
		for (c = j->child; c != NULL; c = c->next) {
			sb_string(b, c->string ? c->string : "");
			sb_put(b, ":", 1);
			sb_json(b, c);
			if (c->next)
				sb_put(b, ",", 1);
		}
		sb_put(b, "}", 1);
	} else {
		sb_puts(b, "null");
	}
}

char *
cfir_json_print(const cJSON *j, size_t *len)
{
	struct sbuf b = { 0 };

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

int
cfir_out_record(struct cfir_out *o, const cJSON *rec, cfir_text_fn text,
		void *ctx)
{
	if (o->format == CFIR_FORMAT_JSON) {
		if (cfir_json_fwrite(o->fp, rec) < 0)
			return -1;
		fputc('\n', o->fp);
	} else if (text != NULL && !o->quiet) {
		text(o, rec, ctx);
	}
	return ferror(o->fp) ? -1 : 0;
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

const char *
cfir_json_str(const cJSON *o, const char *key)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(j) ? j->valuestring : NULL;
}
