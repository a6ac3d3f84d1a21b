/* bag-codec.c - manifest lines: the RFC 8493 encoding of a path, and its parsing */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bag.h"
#include "common/bag-internal.h"

char *
cfir_manifest_encode(const char *path)
{
	size_t n = strlen(path);
	char *out = malloc(3 * n + 1), *p = out;

	if (out == NULL)
		return NULL;
	for (; *path; path++) {
		if (*path == '%')
			p += sprintf(p, "%%25");
		else if (*path == '\n')
			p += sprintf(p, "%%0A");
		else if (*path == '\r')
			p += sprintf(p, "%%0D");
		else
			*p++ = *path;
	}
	*p = '\0';
	return out;
}

static bool
is_lower_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

int
cfir_manifest_parse_line(char *line, char **path, char *hex)
{
	char *r, *w;

	if (strlen(line) < 67 || !is_lower_hex(line, 64) || line[64] != ' ')
		return -1;
	memcpy(hex, line, 64);
	hex[64] = '\0';
	/* "hex  path" (sha256sum text mode) or "hex *path" (binary mode) */
	r = line + 65;
	if (*r == ' ' || *r == '*')
		r++;
	if (*r == '\0')
		return -1;
	*path = w = r;
	while (*r) {
		if (r[0] == '%' && r[1] == '2' && r[2] == '5')
			*w++ = '%', r += 3;
		else if (r[0] == '%' && r[1] == '0' && (r[2] == 'A' || r[2] == 'a'))
			*w++ = '\n', r += 3;
		else if (r[0] == '%' && r[1] == '0' && (r[2] == 'D' || r[2] == 'd'))
			*w++ = '\r', r += 3;
		else
			*w++ = *r++;
	}
	*w = '\0';
	return 0;
}
