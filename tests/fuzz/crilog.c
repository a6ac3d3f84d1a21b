/* fuzz: CRI log lines, whose messages a container writes as it likes */
#include <stdint.h>
#include <string.h>

#include "common/podlogs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfir_crilog_summary s, one;
	struct cfir_crilog_line l;
	const char *p = (const char *)data, *end = p + size, *nl;
	size_t i, step = size > 0 ? (size_t)data[0] % 7 + 1 : 1;

	/* each line alone, its message inside the line */
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (cfir_crilog_parse(p, (size_t)(nl - p), &l, NULL) == 0 &&
		    (l.msg < p || l.msg + l.msg_len > nl || l.time_text != p))
			__builtin_trap();
	}
	/* the summary the same whole or in chunks */
	cfir_crilog_summary_init(&s);
	cfir_crilog_summary_feed(&s, data, size);
	cfir_crilog_summary_end(&s);
	cfir_crilog_summary_init(&one);
	for (i = 0; i < size; i += step)
		cfir_crilog_summary_feed(&one, data + i, size - i < step ? size - i : step);
	cfir_crilog_summary_end(&one);
	if (s.lines != one.lines || s.malformed != one.malformed || s.out != one.out ||
	    s.backwards != one.backwards)
		__builtin_trap();
	return 0;
}
