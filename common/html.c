/* html.c - HTML for a browser that must obey nothing the container wrote */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/html.h"

void
cfir_html_raw(struct cfir_html *h, const char *s)
{
	fputs(s, h->fp);
}

void
cfir_html_printf(struct cfir_html *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(h->fp, fmt, ap);
	va_end(ap);
}

/* The visible form cut after MAX code points, at a character's start. */
static size_t
cut_at(const struct cfir_text *vis, size_t max)
{
	size_t i, chars = 0;

	for (i = 0; i < vis->len; i++)
		if (((unsigned char)vis->p[i] & 0xc0) != 0x80 && chars++ == max)
			return i;
	return vis->len;
}

void
cfir_html_escape(struct cfir_text *dst, const void *buf, size_t len, size_t max)
{
	struct cfir_text vis = { 0 };
	size_t i, n;

	cfir_vis_text(&vis, buf, len, 0);
	if (vis.oom) {
		dst->oom = true;
		free(vis.p);
		return;
	}
	n = max ? cut_at(&vis, max) : vis.len;
	for (i = 0; i < n; i++) {
		switch (vis.p[i]) {
		case '&': cfir_text_add(dst, "&amp;", 5); break;
		case '<': cfir_text_add(dst, "&lt;", 4); break;
		case '>': cfir_text_add(dst, "&gt;", 4); break;
		case '"': cfir_text_add(dst, "&quot;", 6); break;
		case '\'': cfir_text_add(dst, "&#39;", 5); break;
		default: cfir_text_add(dst, vis.p + i, 1); break;
		}
	}
	if (n < vis.len)
		cfir_text_printf(dst, "\xe2\x80\xa6 (%zu bytes in all)", len);
	free(vis.p);
}

void
cfir_html_text(struct cfir_html *h, const void *buf, size_t len, size_t max)
{
	struct cfir_text t = { 0 };

	cfir_html_escape(&t, buf, len, max);
	if (t.len > 0)
		fwrite(t.p, 1, t.len, h->fp);
	free(t.p);
}

void
cfir_html_str(struct cfir_html *h, const char *s, size_t max)
{
	if (s == NULL)
		s = "-";
	cfir_html_text(h, s, strlen(s), max);
}

/* The exact bytes KEY_hex holds, into T; false when there is none. */
static bool
hex_bytes(const cJSON *o, const char *key, struct cfir_text *t)
{
	char hkey[96];

	snprintf(hkey, sizeof(hkey), "%s_hex", key);
	return cfir_text_unhex(t, cfir_json_str(o, hkey));
}

void
cfir_html_field(struct cfir_html *h, const cJSON *o, const char *key, size_t max)
{
	struct cfir_text t = { 0 };

	if (hex_bytes(o, key, &t))
		cfir_html_text(h, t.p, t.len, max);
	else
		cfir_html_str(h, cfir_json_str(o, key), max);
	free(t.p);
}

void
cfir_html_json(struct cfir_html *h, const cJSON *v, size_t max)
{
	size_t len = 0;
	char *s = v ? cfir_json_print(v, &len) : NULL;

	if (s == NULL) {
		cfir_html_raw(h, "-");
		return;
	}
	cfir_html_text(h, s, len, max);
	free(s);
}

void
cfir_html_url(struct cfir_html *h, const char *path)
{
	static const char keep[] = "._~/-";
	const unsigned char *p;

	for (p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr(keep, *p) != NULL)
			fputc(*p, h->fp);
		else
			fprintf(h->fp, "%%%02X", *p);
	}
}
