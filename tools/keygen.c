/* keygen.c - a key pair for seal to sign with and verify to check */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/minisign.h"
#include "common/seckey.h"
#include "common/util.h"
#include "tools/tool.h"

/* DIR/NAME, created new (or replaced with FORCE), mode MODE, all of TEXT. */
static int
write_key(const char *dir, const char *name, const char *text, mode_t mode, bool force, struct cfir_err *err)
{
	cleanup_free char *path = NULL;
	int fd;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "keygen");
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (force ? O_TRUNC : O_EXCL), mode);
	if (fd < 0)
		return cfir_err_set(err, errno == EEXIST ? EX_CANTCREAT : EX_IOERR, errno, "'%s'%s", path,
				    errno == EEXIST ? " exists (--force replaces it)" : "");
	if (fchmod(fd, mode) < 0 || cfir_util_write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0) {
		cfir_err_set(err, EX_IOERR, errno, "write '%s'", path);
		close(fd);
		return -1;
	}
	return close(fd) < 0 ? cfir_err_set(err, EX_IOERR, errno, "close '%s'", path) : 0;
}

struct keygen_opts {
	const char *dir;
	bool nopass, force;
};

/* where the keys are and the public key's line, for minisign -P */
static int
keys_output(struct cfir_out *out, const char *dir, const char *pub)
{
	cleanup_cjson cJSON *rec = cJSON_CreateObject();
	cleanup_free char *p = NULL, *k = NULL, *line = strdup(strchr(pub, '\n') ? strchr(pub, '\n') + 1 : pub);

	if (line == NULL || asprintf(&p, "%s/cfir.pub", dir) < 0 || asprintf(&k, "%s/cfir.key", dir) < 0)
		return -1;
	line[strcspn(line, "\n")] = '\0';
	cfir_json_add_bytes(rec, "public", p, strlen(p));
	cfir_json_add_bytes(rec, "secret", k, strlen(k));
	cfir_json_add_str(rec, "public_key", line);
	cfir_out_record(out, rec, NULL);	/* in text, a line each as minisign prints them */
	cfir_out_note(out, p);
	cfir_out_note(out, k);
	cfir_out_note(out, line);
	return 0;
}

static int
keygen_run(struct tool_step *s, void *opts, int argc, char **argv)
{
	const struct keygen_opts *o = opts;
	cleanup_free char *pub = NULL, *sec = NULL, *home = NULL;
	const char *dir = o->dir;
	char pass[CFIR_SECKEY_PASS_MAX] = "";
	int r = -1;

	(void)argc, (void)argv;
	if (dir == NULL) {
		if (getenv("HOME") == NULL || asprintf(&home, "%s/.cfir", getenv("HOME")) < 0)
			return cfir_err_set(&s->err, EX_USAGE, 0, "no -o and no HOME");
		dir = home;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return cfir_err_set(&s->err, EX_CANTCREAT, errno, "'%s'", dir);
	if (o->nopass)
		cfir_err_warn("the secret key is stored unencrypted: anyone who reads it can sign as you");
	else if (cfir_seckey_passphrase("passphrase for the new secret key", true, pass, sizeof(pass), &s->err) < 0)
		goto out;
	if (cfir_minisign_keygen(o->nopass ? NULL : pass, 0, 0, &pub, &sec, &s->err) < 0 ||
	    write_key(dir, "cfir.key", sec, 0600, o->force, &s->err) < 0 ||
	    write_key(dir, "cfir.pub", pub, 0644, o->force, &s->err) < 0)
		goto out;
	keys_output(s->out, dir, pub);
	r = 0;
out:
	cfir_seckey_wipe(pass, sizeof(pass));
	if (sec != NULL)
		cfir_seckey_wipe(sec, strlen(sec));
	return r;
}

static const struct tool_opt keygen_opts[] = {
	TOOL_OPT(NULL, 'o', TOOL_OPT_STRING, struct keygen_opts, dir),
	TOOL_OPT("force", 0, TOOL_OPT_FLAG, struct keygen_opts, force),
	TOOL_OPT("no-passphrase", 0, TOOL_OPT_FLAG, struct keygen_opts, nopass),
	{ 0 },
};

static const char keygen_usage[] =
	"usage: cfir keygen [-h] [-o dir] [--no-passphrase] [--force]\n";

const struct tool_cmd cmd_keygen = {
	.name = "keygen", .usage = keygen_usage, .min_args = 0, .max_args = 0, .opts = keygen_opts,
	.summary = "a minisign-compatible key pair to sign sealed bags",
	.opts_size = sizeof(struct keygen_opts), .run = keygen_run,
};
