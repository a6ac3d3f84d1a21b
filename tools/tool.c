/* tool.c - helpers shared by the subcommands */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "tools/tool.h"

void
tool_bagopts_init(struct tool_bagopts *bo, struct cfir_global *g)
{
	memset(bo, 0, sizeof(*bo));
	bo->dir = getenv("CFIR_BAG");
	if (bo->dir != NULL && *bo->dir == '\0')
		bo->dir = NULL;
	bo->meta.case_id = getenv("CFIR_CASE");
	bo->meta.examiner = getenv("CFIR_EXAMINER");
	bo->meta.argc = g->argc;
	bo->meta.argv = g->argv;
}

bool
tool_bagopt(struct tool_bagopts *bo, int c, const char *arg)
{
	switch (c) {
	case 'o':
		bo->dir = arg;
		return true;
	case OPT_CASE:
		bo->meta.case_id = arg;
		return true;
	case OPT_EXAMINER:
		bo->meta.examiner = arg;
		return true;
	}
	return false;
}

int
tool_bag_open(struct tool_bagopts *bo, const char *default_name,
	      struct cfir_bag **bp, struct cfir_err *err)
{
	cleanup_free char *dir = NULL;

	*bp = NULL;
	if (bo->dir != NULL)
		dir = strdup(bo->dir);
	else if (default_name != NULL)
		dir = cfir_bag_default_dir(default_name);
	else
		return 0;
	if (dir == NULL)
		return cfir_err_set(err, EX_OSERR, 0, "out of memory");
	if (*dir == '\0')
		return cfir_err_set(err, EX_USAGE, 0, "empty bag directory");
	return cfir_bag_open(bp, dir, &bo->meta, err);
}

int
tool_record(struct tool_bagopts *bo, const char *action,
	    const struct cfir_target *t, const struct cfir_err *failure,
	    const cJSON *details, struct cfir_err *err)
{
	struct cfir_bag *bag = NULL;
	const char *why = failure->msg[0] ? failure->msg : NULL;
	int r;

	if (tool_bag_open(bo, NULL, &bag, err) < 0)
		return -1;
	if (bag == NULL)
		return 0;
	r = cfir_bag_begin(bag, action, t, err);
	if (r == 0)
		r = cfir_bag_end(bag, why ? "failed" : "ok", why,
				 details ? cJSON_Duplicate(details, true) : NULL, err);
	if (cfir_bag_close(bag, r < 0 ? NULL : err) < 0)
		r = -1;
	return r;
}

int
tool_usage(const char *usage, bool error)
{
	fputs(usage, error ? stderr : stdout);
	return error ? EX_USAGE : 0;
}

int
tool_target(struct cfir_global *g, const char *ref, struct cfir_engine **ep,
	    struct cfir_target **tp, struct cfir_err *err)
{
	*tp = NULL;
	if (cfir_engine_open(ep, g->host, err) < 0)
		return -1;
	return cfir_target_resolve(*ep, ref, tp, err);
}

void
tool_kv(struct cfir_out *o, const char *key, const char *val)
{
	fprintf(o->fp, "%-12s ", key);
	cfir_vis_str(o->fp, val);
	fputc('\n', o->fp);
}

const char *
tool_jstr(const cJSON *o, const char *key)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(j) ? j->valuestring : NULL;
}
