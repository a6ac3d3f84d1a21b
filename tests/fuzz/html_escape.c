/* fuzz: hostile bytes into HTML text, which no browser may read as markup */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* & only as the start of one of the five entities the escaper writes */
static int
entity_ok(const char *p, size_t left)
{
	static const char *const ents[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };
	size_t i;

	for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
		if (left >= strlen(ents[i]) && memcmp(p, ents[i], strlen(ents[i])) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfir_text t = { 0 };
	size_t i, max = size > 0 ? data[0] % 64 : 0, n;
	unsigned cp;

	cfir_html_escape(&t, data, size, max);
	if (t.oom)
		return 0;
	if (!cfir_utf8_valid(t.p ? t.p : "", t.len))
		__builtin_trap();
	for (i = 0; i < t.len; i += n) {
		unsigned char c = (unsigned char)t.p[i];

		if (c == '<' || c == '>' || c == '"' || c == '\'' || c < 0x20 || c == 0x7f ||
		    (c == '&' && !entity_ok(t.p + i, t.len - i)))
			__builtin_trap();
		n = cfir_utf8_decode((const unsigned char *)t.p + i, t.len - i, &cp);
		if (n == 0 || (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x200e && cp <= 0x200f) ||
		    (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff)
			__builtin_trap();
	}
	free(t.p);
	return 0;
}
