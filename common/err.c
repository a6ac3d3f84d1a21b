/* err.c - error struct, context wrapping, messages */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/out.h"

int
cfir_err_interrupted(struct cfir_err *err)
{
	return cfir_err_set(err, EX_TEMPFAIL, 0, "interrupted");
}

int
cfir_err_sys_exit(int sys)
{
	switch (sys) {
	case ENOENT:
	case ENOTDIR:
		return EX_NOINPUT;
	case EACCES:
	case EPERM:
	case EROFS:
		return EX_NOPERM;
	case EAGAIN:
	case EINTR:
	case ETIMEDOUT:
		return EX_TEMPFAIL;
	default:
		return EX_IOERR;
	}
}

int
cfir_err_set(struct cfir_err *e, int exit, int sys, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (e == NULL)
		return -1;
	e->exit = exit;
	e->sys = sys;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (sys != 0) {
		n = strlen(e->msg);
		snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(sys));
	}
	return -1;
}

int
cfir_err_wrap(struct cfir_err *e, const char *fmt, ...)
{
	char prefix[256];
	size_t pl, ml;
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	pl = strlen(prefix);
	if (pl + 2 >= sizeof(e->msg))
		return -1;
	ml = strnlen(e->msg, sizeof(e->msg) - 1);
	if (pl + 2 + ml >= sizeof(e->msg))
		ml = sizeof(e->msg) - 1 - pl - 2;
	memmove(e->msg + pl + 2, e->msg, ml);
	memcpy(e->msg, prefix, pl);
	memcpy(e->msg + pl, ": ", 2);
	e->msg[pl + 2 + ml] = '\0';
	return -1;
}

void
cfir_err_clear(struct cfir_err *e)
{
	e->exit = 0;
	e->sys = 0;
	e->msg[0] = '\0';
}

const char *
cfir_err_str(const struct cfir_err *e)
{
	return e->msg[0] ? e->msg : "unknown error";
}

/* Messages quote names from containers and engines: escape them all. */
/* "cfir: KIND: " and the message escaped, on stderr after what stdout holds */
static void
say(const char *kind, const struct cfir_text *msg)
{
	struct cfir_text line = { 0 };

	cfir_text_printf(&line, kind ? "cfir: %s: " : "cfir: ", kind);
	cfir_vis_text(&line, msg->p ? msg->p : "", msg->len < 1023 ? msg->len : 1023, 0);
	cfir_text_add(&line, "\n", 1);
	fflush(stdout);
	if (line.p != NULL)
		fwrite(line.p, 1, line.len, stderr);
	free(line.p);
}

void
cfir_err_vsay(const char *kind, const char *fmt, va_list ap)
{
	struct cfir_text msg = { 0 };

	cfir_text_vprintf(&msg, fmt, ap);
	say(kind, &msg);
	free(msg.p);
}

void
cfir_err_say(const char *kind, const char *fmt, ...)
{
	struct cfir_text msg = { 0 };
	va_list ap;

	va_start(ap, fmt);
	cfir_text_vprintf(&msg, fmt, ap);
	va_end(ap);
	say(kind, &msg);
	free(msg.p);
}

void
cfir_err_vnotice(char **notices, const char *fmt, va_list ap)
{
	char *line = NULL, *all = NULL;

	if (vasprintf(&line, fmt, ap) < 0)
		return;
	if (asprintf(&all, "%s%s\n", *notices ? *notices : "", line) >= 0) {
		free(*notices);
		*notices = all;
	}
	free(line);
}

void
cfir_err_notice(char **notices, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfir_err_vnotice(notices, fmt, ap);
	va_end(ap);
}

/* Print the error and return its exit status (never 0). */
int
cfir_err_report(const struct cfir_err *e)
{
	cfir_err_print("%s", cfir_err_str(e));
	return e->exit ? e->exit : EX_SOFTWARE;
}
