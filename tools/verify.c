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
#include "tools/tool.h"

static const char usage[] = "usage: cfir verify [-h] [-p pubkey] bag\n";

static int
load_pub(const char *path, struct cfir_ms_pub *pk, struct cfir_err *err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;

	if (cfir_util_read_file(AT_FDCWD, path, 4096, &text, &len, NULL, err) < 0 ||
	    cfir_ms_pub_parse(text, len, pk, err) < 0)
		return cfir_err_wrap(err, "public key '%s'", path);
	return 0;
}

static void
item(void *ctx, const char *path, bool ok, const char *why)
{
	struct cfir_out *o = ctx;
	cJSON *rec;
	FILE *f;

	if (ok && o->quiet)
		return;
	if (o->format == CFIR_FORMAT_JSON) {
		rec = cJSON_CreateObject();
		cfir_json_add_bytes(rec, "path", path, strlen(path));
		cfir_json_add_str(rec, "status", ok ? "OK" : "FAIL");
		cfir_json_add_str(rec, "why", why);
		cfir_out_record(o, rec, NULL, NULL);
		cJSON_Delete(rec);
		return;
	}
	/* signify: OK to stdout, FAIL to stderr */
	f = ok ? o->fp : stderr;
	if (!ok)
		fflush(o->fp);
	cfir_vis_str(f, path);
	fputs(ok ? ": OK" : ": FAIL", f);
	if (why != NULL && (!ok || o->verbose)) {
		fputs(" (", f);
		cfir_vis_str(f, why);
		fputc(')', f);
	}
	fputc('\n', f);
}

int
cmd_verify(int argc, char **argv, struct cfir_global *g)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "pubkey", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct cfir_verify_report rep = { .item = item, .ctx = &g->out };
	struct cfir_err err = { 0 };
	const char *pubkey = NULL;
	struct cfir_ms_pub pk;
	struct stat st;
	cJSON *sum;
	int c;

	while ((c = getopt_long(argc, argv, "hp:", longopts, NULL)) != -1) {
		if (c == 'p') {
			pubkey = optarg;
			continue;
		}
		return tool_usage(usage, c != 'h');
	}
	if (argc - optind != 1)
		return tool_usage(usage, true);
	if (pubkey != NULL) {
		if (load_pub(pubkey, &pk, &err) < 0)
			return cfir_err_report(&err);
		rep.pub = &pk;
	}
	/* a bag directory, or a bag packed by seal --archive */
	if (stat(argv[optind], &st) == 0 && S_ISREG(st.st_mode) ?
		    cfir_bag_verify_archive(argv[optind], &rep, &err) < 0 :
		    cfir_bag_verify(argv[optind], &rep, &err) < 0)
		return cfir_err_report(&err);
	if (g->out.format == CFIR_FORMAT_JSON) {
		sum = cJSON_CreateObject();
		cfir_json_add_bytes(sum, "bag", argv[optind], strlen(argv[optind]));
		cJSON_AddBoolToObject(sum, "verified", rep.failed == 0);
		cfir_json_add_num(sum, "ok", (double)rep.ok);
		cfir_json_add_num(sum, "failed", (double)rep.failed);
		cfir_out_record(&g->out, sum, NULL, NULL);
		cJSON_Delete(sum);
	} else if (!g->out.quiet || rep.failed) {
		fflush(g->out.fp);
		fprintf(rep.failed ? stderr : g->out.fp, "%s: %zu OK, %zu FAIL\n",
			rep.failed ? "bag FAILED verification" : "bag verified", rep.ok, rep.failed);
	}
	return rep.failed ? CFIR_EX_NEGATIVE : 0;
}
