/* source.c - where a command's containers come from: the engine, or the runtime state on the host */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "tools/tool.h"

#define ENGINE_MS_DEFAULT 3000L

int
tool_source_check(struct cfir_global *g, struct cfir_err *err)
{
	const char *t = g->engine_timeout ? g->engine_timeout : getenv("CFIR_ENGINE_TIMEOUT");
	char *end = NULL;
	double sec;

	if (g->source == NULL)
		g->source = getenv("CFIR_SOURCE");
	if (g->source == NULL || *g->source == '\0')
		g->source = "auto";
	if (strcmp(g->source, "auto") != 0 && strcmp(g->source, "engine") != 0 &&
	    strcmp(g->source, "runtime") != 0)
		return cfir_err_set(err, EX_USAGE, 0, "--source takes auto, engine or runtime, not '%s'", g->source);
	g->engine_ms = ENGINE_MS_DEFAULT;
	if (t == NULL || *t == '\0')
		return 0;
	errno = 0;
	sec = strtod(t, &end);
	if (errno != 0 || end == t || *end != '\0' || !(sec > 0 && sec <= 600))
		return cfir_err_set(err, EX_USAGE, 0, "--engine-timeout takes seconds, more than 0 and at most 600, not '%s'", t);
	g->engine_ms = (long)(sec * 1000 + 0.5);
	if (g->engine_ms < 1)
		g->engine_ms = 1;
	return 0;
}

static bool
source_is(const struct cfir_global *g, const char *what)
{
	return g->source != NULL && strcmp(g->source, what) == 0;
}

int
tool_source_engine(const struct cfir_global *g, struct cfir_engine **ep, char **why,
		   struct cfir_err *err)
{
	struct cfir_err eerr = { 0 };

	*ep = NULL;
	*why = NULL;
	if (source_is(g, "runtime"))
		return 0;
	if (cfir_engine_open_within(ep, g->host, g->engine_ms, &eerr) == 0)
		return 0;
	if (source_is(g, "engine") || eerr.exit == EX_USAGE || eerr.exit == EX_OSERR) {
		*err = eerr;
		return -1;
	}
	if (asprintf(why, "%s; the containers are taken from the runtime state on the host", eerr.msg) < 0)
		*why = NULL;
	return 0;
}

int
tool_source_target(const struct cfir_global *g, struct cfir_engine *e, const char *ref,
		   struct cfir_target **tp, struct cfir_err *err)
{
	*tp = NULL;
	/* a Kubernetes name has slashes, which no engine name has */
	if (e != NULL && strchr(ref, '/') == NULL) {
		if (cfir_target_resolve(e, ref, tp, err) == 0) {
			struct cfir_runtime_list l;
			const struct cfir_runtime_entry *re;
			struct cfir_err ierr = { 0 };

			if (!source_is(g, "engine") && cfir_runtime_list(NULL, NULL, &l, &ierr) == 0) {
				if (cfir_runtime_find(&l, (*tp)->id, &re, &ierr) == 0)
					cfir_target_add_runtime(*tp, re);
				cfir_runtime_list_free(&l);
			}
			return 0;
		}
		if (source_is(g, "engine") || err->exit != EX_NOINPUT)
			return -1;
		cfir_err_clear(err);
	} else if (source_is(g, "engine")) {
		return cfir_err_set(err, EX_USAGE, 0, "'%s' is not a container name or ID", ref);
	}
	return cfir_target_resolve_runtime(NULL, NULL, ref, tp, err);
}

int
tool_source_step(struct tool_step *s, const char *ref)
{
	cleanup_free char *why = NULL;

	if (tool_source_engine(s->g, &s->e, &why, &s->err) < 0)
		return -1;
	if (why != NULL)
		tool_warn(s, "%s", why);
	return ref == NULL ? 0 : tool_source_target(s->g, s->e, ref, &s->t, &s->err);
}
