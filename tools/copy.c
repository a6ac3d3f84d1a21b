/* copy.c - paths of a container, as the engine archives them or from its layers, into the bag */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/hash.h"
#include "common/tarstream.h"
#include "common/util.h"
#include "tools/tool.h"

static void
title(struct cfir_text *t, const cJSON *rec)
{
	cfir_text_printf(t, "copied %s:%s into %s", cfir_json_str(rec, "name"), cfir_json_str(rec, "path"),
			 cfir_json_str(cfir_json_get(rec, "stored"), "path"));
}

static void
summary(struct cfir_text *t, const cJSON *rec)
{
	cfir_text_printf(t, "%.0f bytes, %.0f members, sha256 %s", cfir_json_num(cfir_json_get(rec, "stream"), "bytes"),
			 cfir_json_num(cfir_json_get(rec, "index"), "members"),
			 cfir_json_str(cfir_json_get(rec, "stream"), "sha256"));
}

static const struct cfir_field fields[] = {
	{ "stream", "stream", CFIR_FMT_STR, 0, 0, summary },
	{ 0 },
};

static const struct cfir_view view = { title, fields };

/* The engine's X-Docker-Container-Path-Stat header: base64 of a JSON object. */
static cJSON *
path_stat(struct cfir_engine *e)
{
	const char *h = cfir_engine_header(e, "X-Docker-Container-Path-Stat");
	cleanup_free unsigned char *raw = NULL;
	size_t len = 0;

	if (h == NULL || cfir_base64_decode(h, &raw, &len) < 0)
		return NULL;
	return cJSON_ParseWithLength((const char *)raw, len);
}

/* data/<id12>/copy/<base>.tar: the path, made one safe file name. */
static char *
base_name(const char *path)
{
	cleanup_free char *trim = strdup(path[1] ? path + 1 : "root");
	size_t n;

	if (trim == NULL)
		return NULL;
	n = strlen(trim);
	while (n > 1 && trim[n - 1] == '/')
		trim[--n] = '\0';
	return cfir_util_safe_name(trim, 120);
}

struct copy_opts {
	const char *compress;
};

static int
one(struct tool_step *s, const char *path, const char *compress)
{
	cleanup_free char *esc = cfir_engine_escape(path), *epath = NULL, *base = base_name(path);
	cleanup_cjson cJSON *rec = NULL;
	struct tool_progress prog;
	struct cfir_tarstream_result res;
	struct cfir_tarstream_opts so = { .dir = "copy", .compress = compress,
					  .progress = tool_progress, .progress_ctx = &prog };
	struct cfir_err *err = &s->err;
	struct tool_layers_job job = { 0 };
	const struct cfir_target *t = s->t;
	cJSON *details, *ps;
	int rc;

	tool_progress_init(&prog, s->out);
	if (esc == NULL || base == NULL ||
	    asprintf(&epath, "/containers/%s/archive?path=%s", t->id, esc) < 0)
		return cfir_err_set(err, EX_OSERR, 0, "out of memory");
	so.path = epath;
	so.base = base;
	/* no engine that knows it: the path out of the merge of its layers */
	if (s->e == NULL || t->inspect_raw == NULL || s->g->engine_down.exit != 0) {
		job.only = path;
		if (tool_layers_get(s, &job.from) < 0) {
			cfir_err_wrap(err, "%s:%s", t->name, path);
			/* the refusal has its record too */
			if (cfir_bag_begin(s->bag, "copy", t, &(struct cfir_err){ 0 }) == 0)
				tool_record_end(s, -1);
			return -1;
		}
		so.produce = tool_layers_produce;
		so.produce_ctx = &job;
	}
	if (cfir_bag_begin(s->bag, "copy", t, err) < 0) {
		tool_layers_free(job.from);
		return -1;
	}
	rc = cfir_tarstream(s->e, s->bag, &so, &res, err);
	if (rc < 0 && !res.opened)
		cfir_err_wrap(err, "%s:%s", t->name, path);
	details = tool_tarstream_json(&res, compress);
	if (job.from != NULL) {
		tool_layers_said(s, &job, details);
		tool_layers_free(job.from);
	}
	cfir_json_add_bytes(details, "path", path, strlen(path));
	ps = res.opened && so.produce == NULL ? path_stat(s->e) : NULL;
	if (ps != NULL)
		cJSON_AddItemToObject(details, "path_stat", ps);
	cJSON_AddBoolToObject(details, "frozen", t->paused);

	rec = cfir_target_json(t);
	cfir_json_add_bytes(rec, "path", path, strlen(path));
	cJSON_AddBoolToObject(rec, "frozen", t->paused);
	if (ps != NULL)
		cJSON_AddItemToObject(rec, "path_stat", cJSON_Duplicate(ps, true));
	cJSON_AddItemToObject(rec, "stream", cJSON_Duplicate(cJSON_GetObjectItem(details, "stream"), true));
	cJSON_AddItemToObject(rec, "stored", cJSON_Duplicate(cJSON_GetObjectItem(details, "stored"), true));
	cJSON_AddItemToObject(rec, "index", cJSON_Duplicate(cJSON_GetObjectItem(details, "index"), true));
	cJSON_AddItemToObject(rec, "artifacts", cJSON_Duplicate(cfir_bag_artifacts(s->bag), true));
	if (rc == 0)
		cfir_out_record(s->out, rec, &view);
	s->details = details;
	s->some = res.stream_bytes > 0;
	return tool_record_end(s, rc) < 0 ? -1 : rc;
}

static int
check(struct tool_step *s, void *opts, int argc, char **argv)
{
	int i;

	(void)opts;
	for (i = 0; i < argc; i++) {
		const char *colon = strchr(argv[i], ':');

		if (colon == NULL || colon == argv[i] || colon[1] != '/')
			return cfir_err_set(&s->err, EX_USAGE, 0, "'%s': give container:/absolute/path", argv[i]);
	}
	return 0;
}

/* like bsdtar: a path that fails is reported, the others are still taken */
static int
run(struct tool_step *s, void *opts, int argc, char **argv)
{
	const struct copy_opts *o = opts;
	int i;

	for (i = 0; i < argc && !cfir_engine_cancelled(); i++) {
		char *colon = strchr(argv[i], ':');
		cleanup_free char *ref = strndup(argv[i], (size_t)(colon - argv[i]));
		struct tool_step p = { .g = s->g, .out = s->out, .e = s->e };

		if (ref == NULL || tool_source_target(s->g, s->e, ref, &p.t, &p.err) < 0 ||
		    (s->bag == NULL && tool_bag_open(s->g, NULL, p.t->name, &s->bag, &p.err) < 0)) {
			tool_soft_fail(s, &p.err);
			cfir_target_free(p.t);
			if (s->bag == NULL && p.err.exit != EX_NOINPUT)
				break;	/* no bag to record into: nothing more can be taken */
			continue;
		}
		p.bag = s->bag;
		if (one(&p, colon + 1, o->compress) < 0)
			tool_soft_fail(s, &p.err);
		cfir_target_free(p.t);
		cJSON_Delete(p.warnings);
	}
	return 0;
}

static const struct tool_opt opts[] = {
	TOOL_OPT("compress", 0, TOOL_OPT_COMPRESS, struct copy_opts, compress),
	{ 0 },
};

static const char copy_usage[] =
	"usage: cfir copy [-h] [-o bag] [--case case] [--examiner name]\n"
	"                 [--compress gzip|zstd] container:path ...\n";

const struct tool_cmd cmd_copy = {
	.name = "copy", .usage = copy_usage, .needs = TOOL_ENGINE | TOOL_BAG | TOOL_OWN_RECORDS,
	.summary = "paths of a container (like docker cp) into a bag, hashed and indexed",
	.min_args = 1, .max_args = -1, .opts = opts, .opts_size = sizeof(struct copy_opts),
	.check = check, .run = run,
};
