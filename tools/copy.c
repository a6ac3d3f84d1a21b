/* copy.c - paths of a container, as the engine archives them, into the bag */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/hash.h"
#include "common/tarstream.h"
#include "common/util.h"
#include "tools/tool.h"

static const char usage[] =
	"usage: cfir copy [-h] [-o bag] [--case case] [--examiner name]\n"
	"                 [--compress gzip|zstd] container:path ...\n";

static void
text(struct cfir_out *o, const cJSON *rec, void *ctx)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(rec, "stream");
	const cJSON *ix = cJSON_GetObjectItemCaseSensitive(rec, "index");

	(void)ctx;
	fputs("copied ", o->fp);
	cfir_vis_str(o->fp, tool_jstr(rec, "name"));
	fputc(':', o->fp);
	cfir_vis_str(o->fp, tool_jstr(rec, "path"));
	fputs(" into ", o->fp);
	cfir_vis_str(o->fp, tool_jstr(cJSON_GetObjectItemCaseSensitive(rec, "stored"), "path"));
	fputc('\n', o->fp);
	fprintf(o->fp, "  %.0f bytes, %.0f members, sha256 %s\n",
		cJSON_GetObjectItemCaseSensitive(s, "bytes")->valuedouble,
		cJSON_GetObjectItemCaseSensitive(ix, "members")->valuedouble, tool_jstr(s, "sha256"));
}

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

static int
one(struct cfir_global *g, struct cfir_engine *e, struct cfir_bag *bag,
    const struct cfir_target *t, const char *path, const char *compress,
    struct cfir_err *err)
{
	cleanup_free char *esc = cfir_engine_escape(path), *epath = NULL, *base = base_name(path);
	cleanup_cjson cJSON *rec = NULL;
	struct tool_progress prog;
	struct cfir_tarstream_result res;
	struct cfir_tarstream_opts so = { .dir = "copy", .compress = compress,
					  .progress = tool_progress, .progress_ctx = &prog };
	cJSON *details, *ps;
	int rc;

	tool_progress_init(&prog, g);
	if (esc == NULL || base == NULL ||
	    asprintf(&epath, "/containers/%s/archive?path=%s", t->id, esc) < 0)
		return cfir_err_set(err, EX_OSERR, 0, "out of memory");
	so.path = epath;
	so.base = base;
	if (cfir_bag_begin(bag, "copy", t, err) < 0)
		return -1;
	rc = cfir_tarstream(e, bag, &so, &res, err);
	if (rc < 0 && !res.opened)
		cfir_err_wrap(err, "%s:%s", t->name, path);
	details = tool_tarstream_json(&res, compress);
	cfir_json_add_bytes(details, "path", path, strlen(path));
	ps = res.opened ? path_stat(e) : NULL;
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
	cJSON_AddItemToObject(rec, "artifacts", cJSON_Duplicate(cfir_bag_artifacts(bag), true));
	if (rc == 0)
		cfir_out_record(&g->out, rec, text, NULL);
	if (tool_end(bag, rc, res.stream_bytes > 0, err, details) < 0)
		return -1;
	return rc;
}

int
cmd_copy(int argc, char **argv, struct cfir_global *g)
{
	static const struct option longopts[] = {
		TOOL_BAG_LONGOPTS,
		{ "compress", required_argument, NULL, OPT_COMPRESS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cfir_engine *e = NULL;
	struct cfir_target *t = NULL;
	struct cfir_bag *bag = NULL;
	struct cfir_err err = { 0 }, first = { 0 };
	struct tool_bagopts bo;
	const char *compress = NULL;
	int c, i, failed = 0, r = 0;

	tool_bagopts_init(&bo, g);
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		if (tool_bagopt(&bo, c, optarg))
			continue;
		if (c == OPT_COMPRESS && cfir_tarstream_compress_ok(optarg) == 0) {
			compress = optarg;
			continue;
		}
		if (c == OPT_COMPRESS)
			cfir_err_print("--compress takes gzip or zstd, not '%s'", optarg);
		return tool_usage(usage, c != 'h');
	}
	if (optind >= argc)
		return tool_usage(usage, true);
	for (i = optind; i < argc; i++) {
		const char *colon = strchr(argv[i], ':');

		if (colon == NULL || colon == argv[i] || colon[1] != '/') {
			cfir_err_print("'%s': give container:/absolute/path", argv[i]);
			return tool_usage(usage, true);
		}
	}
	if (cfir_engine_open(&e, g->host, &err) < 0)
		return cfir_err_report(&err);
	/* like bsdtar: a path that fails is reported, the others are still taken */
	for (i = optind; i < argc && !cfir_engine_cancelled(); i++) {
		char *colon = strchr(argv[i], ':');
		cleanup_free char *ref = strndup(argv[i], (size_t)(colon - argv[i]));

		cfir_err_clear(&err);
		if (ref == NULL || cfir_target_resolve(e, ref, &t, &err) < 0 ||
		    (bag == NULL && tool_bag_open(&bo, t->name, &bag, &err) < 0) ||
		    one(g, e, bag, t, colon + 1, compress, &err) < 0) {
			cfir_err_report(&err);
			if (failed++ == 0)
				first = err;
		}
		cfir_target_free(t);
		t = NULL;
		if (bag == NULL && err.exit != 0 && err.exit != EX_NOINPUT)
			break;	/* no bag to record into: nothing more can be taken */
	}
	cfir_err_clear(&err);
	tool_notices(bag);
	if (bag != NULL && cfir_bag_close(bag, &err) < 0)
		r = cfir_err_report(&err);
	cfir_engine_close(e);
	if (failed > 0 && r == 0)
		r = first.exit ? first.exit : EX_SOFTWARE;
	return r;
}
