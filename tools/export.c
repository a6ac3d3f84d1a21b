/* export.c - the container's filesystem, as the engine exports it, into the bag */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/tarstream.h"
#include "tools/tool.h"

static const char usage[] =
	"usage: cfir export [-h] [-o bag] [--case case] [--examiner name]\n"
	"                   [--compress gzip|zstd] [--no-magic] container\n";

static void
text(struct cfir_out *o, const cJSON *rec, void *ctx)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(rec, "stream");
	const cJSON *ix = cJSON_GetObjectItemCaseSensitive(rec, "index"), *a;

	(void)ctx;
	fputs("exported ", o->fp);
	cfir_vis_str(o->fp, tool_jstr(rec, "name"));
	fprintf(o->fp, " (%.12s) into ", tool_jstr(rec, "id"));
	cfir_vis_str(o->fp, tool_jstr(rec, "bag"));
	fputc('\n', o->fp);
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "frozen")))
		fputs("  the container was running: this is not a frozen snapshot\n", o->fp);
	fprintf(o->fp, "  stream       %.0f bytes, sha256 %s\n",
		cJSON_GetObjectItemCaseSensitive(s, "bytes")->valuedouble, tool_jstr(s, "sha256"));
	fprintf(o->fp, "  index        %.0f members, %.0f flagged\n",
		cJSON_GetObjectItemCaseSensitive(ix, "members")->valuedouble,
		cJSON_GetObjectItemCaseSensitive(ix, "flagged")->valuedouble);
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(rec, "artifacts")) {
		fprintf(o->fp, "  %.16s  %12.0f  ", tool_jstr(a, "sha256"),
			cJSON_GetObjectItemCaseSensitive(a, "bytes")->valuedouble);
		cfir_vis_str(o->fp, tool_jstr(a, "path"));
		fputs(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "partial")) ? " (partial)\n"
										   : "\n", o->fp);
	}
}

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

/* Is the container still there after its export? */
static bool
gone(struct cfir_engine *e, const struct cfir_target *t)
{
	cleanup_free char *path = NULL;
	struct cfir_err ierr = { 0 };

	if (asprintf(&path, "/containers/%s/json", t->id) < 0)
		return false;
	return cfir_engine_call(e, "GET", path, NULL, NULL, NULL, &ierr) < 0 &&
	       ierr.exit == EX_NOINPUT;
}

int
cmd_export(int argc, char **argv, struct cfir_global *g)
{
	static const struct option longopts[] = {
		TOOL_BAG_LONGOPTS,
		{ "compress", required_argument, NULL, OPT_COMPRESS },
		{ "no-magic", no_argument, NULL, OPT_NO_MAGIC },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cfir_engine *e = NULL;
	struct cfir_target *t = NULL;
	struct cfir_bag *bag = NULL;
	struct cfir_err err = { 0 };
	struct tool_bagopts bo;
	struct tool_progress prog;
	struct cfir_tarstream_result res;
	struct cfir_tarstream_opts so = { .dir = "export", .base = "rootfs",
					  .progress = tool_progress, .progress_ctx = &prog };
	cleanup_free char *path = NULL;
	cleanup_cjson cJSON *rec = NULL;
	cJSON *details;
	bool removed;
	int c, rc, r = 0;

	tool_bagopts_init(&bo, g);
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		if (tool_bagopt(&bo, c, optarg))
			continue;
		if (c == OPT_NO_MAGIC) {
			so.no_magic = true;
			continue;
		}
		if (c == OPT_COMPRESS && cfir_tarstream_compress_ok(optarg) == 0) {
			so.compress = optarg;
			continue;
		}
		if (c == OPT_COMPRESS)
			cfir_err_print("--compress takes gzip or zstd, not '%s'", optarg);
		return tool_usage(usage, c != 'h');
	}
	if (argc - optind != 1)
		return tool_usage(usage, true);

	tool_progress_init(&prog, g);
	if (tool_target(g, argv[optind], &e, &t, &err) < 0)
		goto out;
	if (!t->paused)
		cfir_err_warn("container '%s' is %s, not paused: the export is not a frozen snapshot",
			  t->name, t->status);
	if (tool_bag_open(&bo, t->name, &bag, &err) < 0 ||
	    cfir_bag_begin(bag, "export", t, &err) < 0)
		goto out;
	if (prog.on)
		prog.total = size_estimate(e, t);
	if (asprintf(&path, "/containers/%s/export", t->id) < 0) {
		cfir_err_set(&err, EX_OSERR, 0, "out of memory");
		goto out;
	}
	so.path = path;
	rc = cfir_tarstream(e, bag, &so, &res, &err);
	removed = res.opened && gone(e, t);
	if (removed && !res.stream_complete)
		cfir_err_wrap(&err, "container %s disappeared during the export", t->id12);
	else if (removed)
		cfir_err_warn("container '%s' was removed while it was exported; the stream arrived whole",
			  t->name);

	details = tool_tarstream_json(&res, so.compress);
	if (removed)
		cJSON_AddBoolToObject(details, "container_removed", true);
	cJSON_AddBoolToObject(details, "frozen", t->paused);
	if (!t->paused)
		cfir_json_add_str(details, "note", "the container was not paused: not a frozen snapshot");
	rec = cfir_target_json(t);
	cfir_json_add_str(rec, "bag", cfir_bag_dir(bag));
	cJSON_AddBoolToObject(rec, "frozen", t->paused);
	cJSON_AddItemToObject(rec, "stream", cJSON_Duplicate(cJSON_GetObjectItem(details, "stream"), true));
	cJSON_AddItemToObject(rec, "index", cJSON_Duplicate(cJSON_GetObjectItem(details, "index"), true));
	cJSON_AddItemToObject(rec, "artifacts", cJSON_Duplicate(cfir_bag_artifacts(bag), true));
	cfir_out_record(&g->out, rec, text, NULL);
	if (tool_end(bag, rc, res.stream_bytes > 0, &err, details) < 0)
		goto out;
out:
	return tool_done(e, t, bag, &err, r);
}
