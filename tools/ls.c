/* ls.c - every container on the host, from its runtime's state, no engine asked */
#include <string.h>

#include "common/cleanup.h"
#include "common/runtime.h"
#include "tools/tool.h"

/* The Kubernetes name when the annotations give one, else the ID's first 12. */
static void
name_text(struct cfir_text *t, const cJSON *rec)
{
	const char *name = cfir_json_str(rec, "name");
	const char *id = cfir_json_str(rec, "id");

	if (name == NULL && cfir_json_get(rec, "name_hex") != NULL)
		name = "?";
	if (name != NULL)
		cfir_text_add(t, name, strlen(name));
	else if (id != NULL)
		cfir_text_add(t, id, strnlen(id, 12));
}

static const struct cfir_field cols[] = {
	{ "source_name", "SOURCE", CFIR_FMT_STR, 17, 0, NULL },
	{ "manager", "MANAGER", CFIR_FMT_STR, 10, 0, NULL },
	{ "runtime", "RUNTIME", CFIR_FMT_STR, 7, 0, NULL },
	{ "namespace", "NAMESPACE", CFIR_FMT_STR, 10, 0, NULL },
	{ "name", "NAME", CFIR_FMT_STR, 32, 0, name_text },
	{ "id", "ID", CFIR_FMT_ID12, 12, 0, NULL },
	{ "state", "STATE", CFIR_FMT_STR, 10, 0, NULL },
	{ "pid", "PID", CFIR_FMT_NUM, 7, CFIR_FIELD_RIGHT, NULL },
	{ "image", "IMAGE", CFIR_FMT_BYTES, 0, 0, NULL },
	{ 0 },
};

static int
run(struct tool_step *s, void *opts, int argc, char **argv)
{
	struct cfir_runtime_list l;
	size_t i;

	(void)opts, (void)argc, (void)argv;
	if (cfir_runtime_list(NULL, NULL, &l, &s->err) < 0)
		return -1;
	if (l.skipped > 0)
		tool_warn(s, "%u state entries skipped: links, bad names or unreadable state", l.skipped);
	if (l.dropped > 0)
		tool_warn(s, "%zu containers past the first %d not listed", l.dropped, CFIR_RUNTIME_MAX);
	cfir_out_head(s->out, cols);
	for (i = 0; i < l.n; i++) {
		cleanup_cjson cJSON *rec = cfir_runtime_entry_json(&l.v[i]);

		if (rec == NULL || cfir_out_row(s->out, rec, cols) < 0)
			break;
	}
	cfir_runtime_list_free(&l);
	return 0;
}

static const char ls_usage[] = "usage: cfir ls [-h]\n";

const struct tool_cmd cmd_ls = {
	.name = "ls", .usage = ls_usage, .needs = 0,
	.summary = "list the containers on the host from their runtimes' state, no engine",
	.min_args = 0, .max_args = 0, .run = run,
};
