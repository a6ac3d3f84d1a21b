/* ls.c - every container on the host, from the engine's list and from every runtime's state */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/disk.h"
#include "common/enginestate.h"
#include "common/runtime.h"
#include "common/target.h"
#include "tools/tool.h"

/* The Kubernetes or engine name when there is one, else the ID's first 12. */
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
	{ "source", "SOURCE", CFIR_FMT_STR, 14, 0, NULL },
	{ "manager", "MANAGER", CFIR_FMT_STR, 10, 0, NULL },
	{ "runtime", "RUNTIME", CFIR_FMT_STR, 7, 0, NULL },
	{ "namespace", "NAMESPACE", CFIR_FMT_STR, 9, 0, NULL },
	{ "name", "NAME", CFIR_FMT_STR, 32, 0, name_text },
	{ "id", "ID", CFIR_FMT_ID12, 12, 0, NULL },
	{ "state", "STATE", CFIR_FMT_STR, 10, 0, NULL },
	{ "pid", "PID", CFIR_FMT_NUM, 7, CFIR_FIELD_RIGHT, NULL },
	{ "image", "IMAGE", CFIR_FMT_BYTES, 0, 0, NULL },
	{ 0 },
};

/* One container the engine lists, as a row: its state in the engine's words. */
static cJSON *
engine_row(const cJSON *c)
{
	cJSON *o = cJSON_CreateObject();
	const cJSON *names = cJSON_GetObjectItemCaseSensitive(c, "Names");
	const char *name = cJSON_IsArray(names) && cJSON_IsString(names->child) ? names->child->valuestring : NULL;
	const char *image = cfir_json_str(c, "Image");

	cfir_json_add_str(o, "source", "engine");
	cfir_json_add_str(o, "id", cfir_json_str(c, "Id"));
	cfir_json_add_text(o, "name", name != NULL && name[0] == '/' ? name + 1 : name);
	cfir_json_add_str(o, "state", cfir_json_str(c, "State"));
	cfir_json_add_text(o, "image", image);
	return o;
}

/*
 * The runtime's view of the same container into ROW: where its state is,
 * its checked PID, and its state when the cgroup says more than the engine
 * (frozen behind its back) or the engine did not answer.
 */
static void
merge_runtime(cJSON *row, const struct cfir_runtime_entry *e)
{
	cleanup_cjson cJSON *rt = cfir_runtime_entry_json(e);
	cJSON *x;
	const char *state = cfir_json_str(row, "state");

	if (rt == NULL)
		return;
	cJSON_ReplaceItemInObject(row, "source", cJSON_CreateString("engine+runtime"));
	cJSON_ArrayForEach(x, rt) {
		if (strcmp(x->string, "source") == 0)
			cJSON_AddItemToObject(row, "state_root", cJSON_Duplicate(x, true));
		else if (strcmp(x->string, "source_name") == 0)
			cJSON_AddItemToObject(row, "state_root_name", cJSON_Duplicate(x, true));
		else if (strcmp(x->string, "state") == 0)
			cJSON_AddItemToObject(row, "runtime_state", cJSON_Duplicate(x, true));
		else if (cJSON_GetObjectItemCaseSensitive(row, x->string) == NULL)
			cJSON_AddItemToObject(row, x->string, cJSON_Duplicate(x, true));
	}
	if (e->state != NULL && strcmp(e->state, "frozen") == 0 && state != NULL && strcmp(state, "paused") != 0)
		cJSON_ReplaceItemInObject(row, "state", cJSON_CreateString("frozen"));
}

/* The name and image the engine keeps on disk: it does not answer, or there is none. */
static void
engine_names(cJSON *o, const struct cfir_runtime_entry *e, const struct cfir_storage *st)
{
	struct cfir_enginestate d;

	if (cfir_target_engine_names(e, NULL, st, &d) < 0)
		return;
	cfir_json_add_text(o, "name", d.name);
	if (cJSON_GetObjectItemCaseSensitive(o, "image") == NULL)
		cfir_json_add_text(o, "image", d.image);
	cfir_enginestate_free(&d);
}

/* A container only the runtime state has. */
static cJSON *
runtime_row(const struct cfir_runtime_entry *e, const struct cfir_storage *st)
{
	cJSON *o = cfir_runtime_entry_json(e), *root;

	if (o == NULL)
		return NULL;
	root = cJSON_DetachItemFromObjectCaseSensitive(o, "source");
	if (root != NULL)
		cJSON_AddItemToObject(o, "state_root", root);
	root = cJSON_DetachItemFromObjectCaseSensitive(o, "source_name");
	if (root != NULL)
		cJSON_AddItemToObject(o, "state_root_name", root);
	cfir_json_add_str(o, "source", "runtime");
	engine_names(o, e, st);
	return o;
}

static int
print_rows(struct tool_step *s, cJSON *rows)
{
	const cJSON *r;

	cfir_out_head(s->out, cols);
	cJSON_ArrayForEach(r, rows)
		if (cfir_out_row(s->out, r, cols) < 0)
			return -1;
	return 0;
}

/* A container as its engine left it on disk: nothing of it runs here. */
static cJSON *
disk_row(const struct cfir_disk_container *c, const char *source)
{
	cJSON *o = cJSON_CreateObject();

	cfir_json_add_str(o, "source", source);
	cfir_json_add_str(o, "manager", c->manager);
	cfir_json_add_text(o, "namespace", c->ns);
	cfir_json_add_text(o, "name", c->name);
	cfir_json_add_text(o, "id", c->id);
	cfir_json_add_text(o, "state", c->status);
	cfir_json_add_text(o, "image", c->image);
	cfir_json_add_text(o, "created", c->created);
	if (c->pid > 0)
		cfir_json_add_num(o, "recorded_pid", (double)c->pid);
	cfir_json_add_text(o, "config", c->config_name);
	return o;
}

static bool
listed(const cJSON *rows, const char *id)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, rows)
		if (cfir_json_str(r, "id") != NULL && strcmp(cfir_json_str(r, "id"), id) == 0)
			return true;
	return false;
}

/* Those the engines keep on disk and nothing else listed: a dead host's, or stopped ones. */
static void
disk_rows(struct tool_step *s, cJSON *rows)
{
	struct cfir_disk_list l;
	struct cfir_err lerr = { 0 };
	int root = tool_source_root(s->g);
	size_t i;

	if (root < 0 || cfir_disk_list(root, &l, &lerr) < 0) {
		tool_warn(s, "the engines' state on disk: %s", lerr.msg[0] ? lerr.msg : strerror(errno));
		if (root >= 0)
			close(root);
		return;
	}
	close(root);
	for (i = 0; i < l.n; i++)
		if (!listed(rows, l.v[i].id))
			cJSON_AddItemToArray(rows, disk_row(&l.v[i], s->g->root != NULL ? "offline" : "disk"));
	if (l.skipped > 0)
		tool_warn(s, "%u containers on disk skipped: %s", l.skipped, l.first_skip ? l.first_skip : "unreadable");
	cfir_disk_list_free(&l);
}

static int
run(struct tool_step *s, void *opts, int argc, char **argv)
{
	struct cfir_runtime_list l = { 0 };
	struct cfir_storage *st;
	cleanup_cjson cJSON *list = NULL, *rows = cJSON_CreateArray();
	cleanup_free bool *seen = NULL;
	cleanup_free char *why = NULL;
	struct cfir_err lerr = { 0 };
	const cJSON *c;
	size_t i;
	int r;

	(void)opts, (void)argc, (void)argv;
	if (s->g->root != NULL) {
		disk_rows(s, rows);
		return print_rows(s, rows);
	}
	if (tool_source_engine(s->g, &s->e, &why, &s->err) < 0)
		return -1;
	if (why != NULL)
		tool_warn(s, "%s", why);
	if (s->e != NULL) {
		struct cfir_err eerr = { 0 };

		cfir_engine_bound(s->e, strcmp(s->g->source, "engine") != 0 ? s->g->engine_ms : 0);
		if (cfir_engine_json(s->e, "GET", "/containers/json?all=1", NULL, &list, &eerr) < 0 &&
		    !tool_source_hung(s, &eerr)) {
			s->err = eerr;
			return -1;
		}
		cfir_engine_bound(s->e, 0);
	}
	if (strcmp(s->g->source, "engine") != 0 && cfir_runtime_list(NULL, NULL, &l, &lerr) < 0)
		tool_warn(s, "the runtime state: %s", lerr.msg);
	if (l.skipped > 0)
		tool_warn(s, "%u runtime state entries skipped: links, bad names or unreadable state", l.skipped);
	if (l.dropped > 0)
		tool_warn(s, "%zu containers past the first %d not listed", l.dropped, CFIR_RUNTIME_MAX);
	if ((seen = calloc(l.n + 1, sizeof(*seen))) == NULL) {
		cfir_runtime_list_free(&l);
		return cfir_err_set(&s->err, EX_OSERR, ENOMEM, "out of memory");
	}
	cJSON_ArrayForEach(c, list) {
		const struct cfir_runtime_entry *e = NULL;
		struct cfir_err one = { 0 };
		cJSON *row;

		if (cfir_json_str(c, "Id") == NULL)
			continue;
		row = engine_row(c);
		if (cfir_runtime_find(&l, cfir_json_str(c, "Id"), &e, &one) == 0 &&
		    strcmp(e->id, cfir_json_str(c, "Id")) == 0) {
			seen[e - l.v] = true;
			merge_runtime(row, e);
		}
		cJSON_AddItemToArray(rows, row);
	}
	st = tool_source_storage(&l);
	for (i = 0; i < l.n; i++)
		if (!seen[i])
			cJSON_AddItemToArray(rows, runtime_row(&l.v[i], st));
	cfir_enginestate_storage_close(st);
	cfir_runtime_list_free(&l);
	/* the engine silent or absent: the stopped containers are only on disk */
	if (s->e == NULL || s->g->engine_down.exit != 0)
		disk_rows(s, rows);
	r = print_rows(s, rows);
	return r;
}

static const char ls_usage[] = "usage: cfir ls [-h]\n";

const struct tool_cmd cmd_ls = {
	.name = "ls", .usage = ls_usage, .needs = 0,
	.summary = "every container on the host: the engine's and every runtime's, one line each",
	.min_args = 0, .max_args = 0, .run = run,
};
