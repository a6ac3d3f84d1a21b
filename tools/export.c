/* export.c - the container's filesystem, merged from its layers or the engine's, into the bag */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/layers.h"
#include "common/tarstream.h"
#include "tools/tool.h"

static void
title(struct cfir_text *t, const cJSON *rec)
{
	tool_title(t, "exported", rec);
	cfir_text_printf(t, " into %s", cfir_json_str(rec, "bag"));
}

static void
stream(struct cfir_text *t, const cJSON *rec)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(rec, "stream");

	cfir_text_printf(t, "%.0f bytes, sha256 %s", cfir_json_num(s, "bytes"), cfir_json_str(s, "sha256"));
}

static void
index_of(struct cfir_text *t, const cJSON *rec)
{
	const cJSON *ix = cJSON_GetObjectItemCaseSensitive(rec, "index");

	cfir_text_printf(t, "%.0f members, %.0f flagged", cfir_json_num(ix, "members"), cfir_json_num(ix, "flagged"));
}

static const struct cfir_field fields[] = {
	{ "stream", "stream", CFIR_FMT_STR, 0, 0, stream },
	{ "index", "index", CFIR_FMT_STR, 0, 0, index_of },
	{ 0 },
};

static const struct cfir_view view = { title, fields };

/* The engine's SizeRootFs, for a progress estimate; 0 when it gives none. */
static uint64_t
size_estimate(struct cfir_engine *e, const struct cfir_target *t)
{
	cleanup_free char *path = NULL;
	cleanup_cjson cJSON *j = NULL;
	struct cfir_err err = { 0 };
	const cJSON *s;

	if (asprintf(&path, "/containers/%s/json?size=1", t->id) < 0 ||
	    cfir_engine_json(e, "GET", path, NULL, &j, &err) < 0)
		return 0;
	s = cJSON_GetObjectItemCaseSensitive(j, "SizeRootFs");
	return cJSON_IsNumber(s) && s->valuedouble > 0 ? (uint64_t)s->valuedouble : 0;
}

/* Was the container removed while it was exported? */
static bool
removed_since(struct cfir_engine *e, const struct cfir_target *t)
{
	cleanup_free char *path = NULL;
	struct cfir_err ierr = { 0 };

	if (asprintf(&path, "/containers/%s/json", t->id) < 0)
		return false;
	return cfir_engine_call(e, "GET", path, NULL, NULL, NULL, &ierr) < 0 &&
	       ierr.exit == EX_NOINPUT;
}

/* the options alone, before the engine is asked anything */
static int
check(struct tool_step *s, void *opts, int argc, char **argv)
{
	const struct export_opts *o = opts;

	(void)argc, (void)argv;
	if (o->engine && o->layers)
		return cfir_err_set(&s->err, EX_USAGE, 0, "--engine and --layers: one of them");
	return 0;
}

static int
prepare(struct tool_step *s, void *opts, int argc, char **argv)
{
	struct export_opts *o = opts;
	bool engine = s->t->inspect_raw != NULL && s->e != NULL && s->g->engine_down.exit == 0;

	(void)argc, (void)argv;
	if (o->engine && !engine)
		return cfir_err_set(&s->err, EX_UNAVAILABLE, 0, "container '%s': no engine describes it, "
				    "so there is no engine's export of it", s->t->name);
	/*
	 * cfir's merge of the layers where it knows them and they are the root
	 * the container runs on: read through private noatime mounts, it
	 * changes no access time and needs no engine. The engine's stream
	 * (anyone with docker export takes the same bytes; the engine reads
	 * every file) when asked, or where the layers are not known.
	 */
	if (!o->engine && !o->layers && (!engine || (tool_layers_known(s) && !s->t->rootfs_mismatch)))
		o->layers = true;
	/* the engine's stream not asked for: the examiner is told why, and what it costs */
	if (!o->engine && !o->layers)
		tool_warn(s, "container '%s': its layers are not merged (%s): the engine exports it, reading every "
			  "file, which can change their access times", s->t->name,
			  s->t->rootfs_check ? s->t->rootfs_check : "they are not known");
	if (o->layers && tool_layers_get(s, &o->from) < 0)
		return -1;
	if (o->layers && s->t->rootfs_mismatch)
		tool_warn(s, "container '%s': %s; the layers the %s gave are merged", s->t->name,
			  s->t->rootfs_check, s->t->inspect ? "engine" : "runtime");
	if (!s->t->paused && s->t->running)
		tool_warn(s, "container '%s' is %s, not paused: the export is not a frozen snapshot",
			  s->t->name, s->t->status);
	return 0;
}

/* What the record says and the examiner reads: the stream, its index, the files. */
static int
output(struct tool_step *s, const cJSON *details)
{
	cleanup_cjson cJSON *rec = cfir_target_json(s->t);

	cfir_json_add_str(rec, "bag", cfir_bag_dir(s->bag));
	cJSON_AddBoolToObject(rec, "frozen", s->t->paused);
	cJSON_AddItemToObject(rec, "stream", cJSON_Duplicate(cJSON_GetObjectItem(details, "stream"), true));
	cJSON_AddItemToObject(rec, "index", cJSON_Duplicate(cJSON_GetObjectItem(details, "index"), true));
	cJSON_AddItemToObject(rec, "artifacts", cJSON_Duplicate(cfir_bag_artifacts(s->bag), true));
	if (cfir_out_record(s->out, rec, &view) < 0)
		return -1;
	if (!s->t->paused && s->t->running)
		cfir_out_note(s->out, "the container was running: this is not a frozen snapshot");
	return tool_artifacts(s->out, cJSON_GetObjectItemCaseSensitive(rec, "artifacts"));
}

/* The engine's stream of the container, as anyone can take it again. */
static int
from_engine(struct tool_step *s, struct cfir_tarstream_opts *so, struct cfir_tarstream_result *res,
	    struct tool_progress *prog)
{
	cleanup_free char *path = NULL;
	bool removed;
	int rc;

	if (prog->on)
		prog->total = size_estimate(s->e, s->t);
	if (asprintf(&path, "/containers/%s/export", s->t->id) < 0)
		return cfir_err_set(&s->err, EX_OSERR, ENOMEM, "out of memory");
	so->path = path;
	rc = cfir_tarstream(s->e, s->bag, so, res, &s->err);
	removed = res->opened && removed_since(s->e, s->t);
	if (removed && !res->stream_complete)
		cfir_err_wrap(&s->err, "container %s disappeared during the export", s->t->id12);
	else if (removed)
		tool_warn(s, "container '%s' was removed while it was exported; the stream arrived whole",
			  s->t->name);
	s->details = tool_tarstream_json(res, so->compress);
	cfir_json_add_str(s->details, "method", "engine");
	if (removed)
		cJSON_AddBoolToObject(s->details, "container_removed", true);
	so->path = NULL;
	return rc;
}

static int
run(struct tool_step *s, void *opts, int argc, char **argv)
{
	struct export_opts *o = opts;
	struct tool_progress prog;
	struct cfir_tarstream_result res;
	struct cfir_tarstream_opts so = { .dir = "export", .base = "rootfs", .compress = o->compress,
					  .no_magic = o->no_magic, .progress = tool_progress, .progress_ctx = &prog };
	struct tool_layers_job p = { .from = o->from };
	int rc;

	(void)argc, (void)argv;
	tool_progress_init(&prog, s->out);
	if (o->layers) {
		so.produce = tool_layers_produce;
		so.produce_ctx = &p;
		rc = cfir_tarstream(NULL, s->bag, &so, &res, &s->err);
		s->details = tool_tarstream_json(&res, so.compress);
		tool_layers_said(s, &p, s->details);
	} else {
		rc = from_engine(s, &so, &res, &prog);
	}
	if (res.index.untyped[0] != '\0')
		tool_warn(s, "%s", res.index.untyped);
	s->some = res.stream_bytes > 0;
	cJSON_AddBoolToObject(s->details, "frozen", s->t->paused);
	if (!s->t->paused && s->t->running)
		cfir_json_add_str(s->details, "note", "the container was not paused: not a frozen snapshot");
	output(s, s->details);	/* standard output's errors: at the end */
	return rc;
}

static void
fini(void *opts)
{
	struct export_opts *o = opts;

	tool_layers_free(o->from);
	o->from = NULL;
}

static const struct tool_opt opts[] = {
	TOOL_OPT("compress", 0, TOOL_OPT_COMPRESS, struct export_opts, compress),
	TOOL_OPT("engine", 0, TOOL_OPT_FLAG, struct export_opts, engine),
	TOOL_OPT("layers", 0, TOOL_OPT_FLAG, struct export_opts, layers),
	TOOL_OPT("no-magic", 0, TOOL_OPT_FLAG, struct export_opts, no_magic),
	{ 0 },
};

static const char export_usage[] =
	"usage: cfir export [-h] [-o bag] [--case case] [--examiner name]\n"
	"                   [--compress gzip|zstd] [--engine] [--layers] [--no-magic]\n"
	"                   container\n";

const struct tool_cmd cmd_export = {
	.name = "export", .usage = export_usage, .needs = TOOL_TARGET | TOOL_BAG,
	.summary = "the container's filesystem into a bag, byte for byte, hashed and indexed",
	.min_args = 1, .max_args = 1, .opts = opts, .opts_size = sizeof(struct export_opts),
	.check = check, .prepare = prepare, .run = run, .fini = fini,
};
