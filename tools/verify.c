/* verify.c - check a bag: OK/FAIL per item (signify -C style) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/minisign.h"
#include "common/util.h"
#include "tools/tool.h"

static const char usage[] = "usage: cfir verify [-h] [-p pubkey] bag\n";

/* The bag-info value of KEY, NULL when it has none (malloc'd). */
static char *
info_value(const char *info, const char *key)
{
	size_t kl = strlen(key);
	const char *p;

	for (p = info; p != NULL && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, key, kl) == 0 && p[kl] == ':' && p[kl + 1] == ' ')
			return strndup(p + kl + 2, strcspn(p + kl + 2, "\n"));
	return NULL;
}

static int
bag_file(const char *dir, const char *name, size_t max, char **buf, size_t *len, struct cfir_err *err)
{
	cleanup_free char *path = NULL;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "verify");
	return cfir_read_file(AT_FDCWD, path, max, buf, len, NULL, err);
}

/*
 * The signature over the tag manifest, made by PUBKEY's owner, naming the
 * custody head that bag-info names: ok, or why not.
 */
static void
signature(const char *dir, const char *pubkey, struct cfir_verify_report *rep)
{
	cleanup_free char *pub = NULL, *tm = NULL, *sig = NULL, *info = NULL, *head = NULL;
	struct cfir_err err = { 0 };
	struct cfir_ms_pub pk;
	unsigned char h[64];
	char trusted[CFIR_MS_COMMENT_MAX + 1], why[CFIR_MS_COMMENT_MAX + 600];
	const char *name = "tagmanifest-sha256.txt.minisig", *hp;
	size_t pl = 0, tl = 0, sl = 0;
	bool ok = false;

	if (cfir_read_file(AT_FDCWD, pubkey, 4096, &pub, &pl, NULL, &err) < 0 ||
	    cfir_ms_pub_parse(pub, pl, &pk, &err) < 0) {
		snprintf(why, sizeof(why), "public key '%s': %s", pubkey, err.msg);
	} else if (bag_file(dir, "tagmanifest-sha256.txt", 64u << 20, &tm, &tl, &err) < 0) {
		snprintf(why, sizeof(why), "%s", err.msg);
	} else if (bag_file(dir, name, 64u << 10, &sig, &sl, &err) < 0) {
		snprintf(why, sizeof(why), "the bag is not signed: %s", err.msg);
	} else {
		cfir_blake2b(h, 64, tm, tl);
		if (cfir_ms_verify(&pk, sig, sl, h, NULL, 0, trusted, sizeof(trusted), &err) < 0) {
			snprintf(why, sizeof(why), "%s", err.msg);
		} else {
			if (bag_file(dir, "bag-info.txt", 1 << 20, &info, NULL, &err) == 0)
				head = info_value(info, "Custody-Head");
			hp = strstr(trusted, "custody-head ");
			ok = head != NULL && hp != NULL && strncmp(hp + 13, head, strlen(head)) == 0 &&
			     (hp[13 + strlen(head)] == ' ' || hp[13 + strlen(head)] == '\0');
			snprintf(why, sizeof(why), ok ? "signed: %s" : "the signature names another custody head: %s",
				 trusted);
		}
	}
	rep->item(rep->ctx, name, ok, why);
	if (ok)
		rep->ok++;
	else
		rep->failed++;
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
	if (cfir_bag_verify(argv[optind], &rep, &err) < 0)
		return cfir_err_report(&err);
	if (pubkey != NULL)
		signature(argv[optind], pubkey, &rep);
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
