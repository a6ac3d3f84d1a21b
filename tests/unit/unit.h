/* unit.h - a small test harness: one line per test, then "N passed, N failed" */
#ifndef CFIR_UNIT_H
#define CFIR_UNIT_H

#include <stdio.h>
#include <string.h>

extern int unit_failed_checks;
/* The test cannot run here (WHY, a literal): it is said as skipped, never passed. */
void unit_skip(const char *why);

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "    %s:%d: check failed: %s\n", __FILE__,   \
				__LINE__, #cond);                                \
			unit_failed_checks++;                                    \
		}                                                                \
	} while (0)
#define CHECK_STR(a, b)                                                          \
	do {                                                                     \
		const char *a_ = (a), *b_ = (b);                                 \
		if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) {           \
			fprintf(stderr, "    %s:%d: '%s' != '%s'\n", __FILE__,       \
				__LINE__, a_ ? a_ : "(null)", b_ ? b_ : "(null)");  \
			unit_failed_checks++;                                    \
		}                                                                \
	} while (0)

struct unit_test {
	const char *name;
	void (*fn)(void);
};

/* Each tests/unit/test_*.c defines one table of its tests. */
#define UNIT_SUITE(sym) const struct unit_test sym[]
#define UNIT_END { NULL, NULL }

/* A fresh empty directory under $TMPDIR, removed at exit. */
const char *unit_tmpdir(void);
/* Write TEXT to DIR/NAME; read DIR/NAME whole (malloc'd, NULL when absent). */
void unit_write(const char *dir, const char *name, const char *text);
char *unit_read(const char *dir, const char *name);
/* The path of a file under tests/fixtures. */
const char *unit_fixture(const char *name);

#endif
