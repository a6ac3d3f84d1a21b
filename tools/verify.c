/* verify.c - check a bag: OK/FAIL per item (signify -C style) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cleanup.h"
#include "common/minisign.h"
#include "common/util.h"
#include "common/verify.h"
#include "tools/tool.h"

int
tool_pubkey_load(const char *path, struct cfir_minisign_pub *pk, struct cfir_err *err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;

	if (cfir_util_read_file(AT_FDCWD, path, 4096, &text, &len, NULL, err) < 0 ||
	    cfir_minisign_pub_parse(text, len, pk, err) < 0)
		return cfir_err_wrap(err, "public key '%s'", path);
	return 0;
}

static void
verdict(struct cfir_text *t, const cJSON *rec)
{
	cfir_text_printf(t, "%s: %s", cfir_json_str(rec, "path"), cfir_json_str(rec, "status"));
	if (cfir_json_str(rec, "why") != NULL)
		cfir_text_printf(t, " (%s)", cfir_json_str(rec, "why"));
}

static const struct cfir_view item_view = { verdict, NULL };

/* signify: OK to stdout, FAIL to stderr */
static void
item(void *ctx, const char *path, bool ok, const char *why)
{
	struct cfir_out *o = ctx, e = *o;
	cleanup_cjson cJSON *rec = cJSON_CreateObject();

	if (ok && o->quiet)
		return;
	cfir_json_add_bytes(rec, "path", path, strlen(path));
	cfir_json_add_str(rec, "status", ok ? "OK" : "FAIL");
	cfir_json_add_str(rec, "why", why);
	if (o->format == CFIR_FORMAT_JSON) {
		cfir_out_record(o, rec, NULL);
		return;
	}
	if (ok && !o->verbose)
		cJSON_DeleteItemFromObject(rec, "why");
	if (!ok) {
		fflush(o->fp);
		e.fp = stderr;
		e.quiet = false;
	}
	cfir_out_record(ok ? o : &e, rec, &item_view);
}

static void
summary(struct cfir_text *t, const cJSON *rec)
{
	bool ok = cJSON_IsTrue(cJSON_GetObjectItem(rec, "verified"));

	cfir_text_printf(t, "%s: %.0f OK, %.0f FAIL", ok ? "bag verified" : "bag FAILED verification",
			 cfir_json_num(rec, "ok"), cfir_json_num(rec, "failed"));
}

static const struct cfir_view summary_view = { summary, NULL };

struct verify_opts {
	const char *pubkey;
};

static int
run(struct tool_step *s, void *opts, int argc, char **argv)
{
	const struct verify_opts *o = opts;
	struct cfir_verify_report rep = { .item = item, .ctx = s->out };
	struct cfir_out e = *s->out;
	cleanup_cjson cJSON *sum = cJSON_CreateObject();
	struct cfir_minisign_pub pk;
	struct stat st;

	(void)argc;
	if (o->pubkey != NULL) {
		if (tool_pubkey_load(o->pubkey, &pk, &s->err) < 0)
			return -1;
		rep.pub = &pk;
	}
	/* a bag directory, or a bag packed by seal --archive */
	if (stat(argv[0], &st) == 0 && S_ISREG(st.st_mode) ? cfir_bag_verify_archive(argv[0], &rep, &s->err) < 0
							    : cfir_bag_verify(argv[0], &rep, &s->err) < 0)
		return -1;
	cfir_json_add_bytes(sum, "bag", argv[0], strlen(argv[0]));
	cJSON_AddBoolToObject(sum, "verified", rep.failed == 0);
	cfir_json_add_num(sum, "ok", (double)rep.ok);
	cfir_json_add_num(sum, "failed", (double)rep.failed);
	if (rep.failed && s->out->format != CFIR_FORMAT_JSON) {
		fflush(s->out->fp);
		e.fp = stderr;
		e.quiet = false;
	}
	cfir_out_record(&e, sum, &summary_view);
	s->status = rep.failed ? CFIR_EX_NEGATIVE : 0;
	return 0;
}

static const struct tool_opt opts[] = {
	TOOL_OPT("pubkey", 'p', TOOL_OPT_STRING, struct verify_opts, pubkey),
	{ 0 },
};

static const char verify_usage[] =
	"usage: cfir verify [-h] [-p pubkey] bag\n";

const struct tool_cmd cmd_verify = {
	.name = "verify", .usage = verify_usage, .min_args = 1, .max_args = 1, .opts = opts,
	.summary = "check every hash, the custody chain and the bag's shape",
	.opts_size = sizeof(struct verify_opts), .run = run,
};
