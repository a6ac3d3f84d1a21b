/* keygen.c - a key pair for seal to sign with and verify to check */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/cleanup.h"
#include "common/minisign.h"
#include "common/seckey.h"
#include "common/util.h"
#include "tools/tool.h"

static const char keygen_usage[] = "usage: cfir keygen [-h] [-o dir] [--no-passphrase] [--force]\n";

enum { OPT_NO_PASS = 0x600, OPT_FORCE };

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
	if (fchmod(fd, mode) < 0 || cfir_write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0) {
		cfir_err_set(err, EX_IOERR, errno, "write '%s'", path);
		close(fd);
		return -1;
	}
	return close(fd) < 0 ? cfir_err_set(err, EX_IOERR, errno, "close '%s'", path) : 0;
}

int
cmd_keygen(int argc, char **argv, struct cfir_global *g)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "help", no_argument, NULL, 'h' },
		{ "no-passphrase", no_argument, NULL, OPT_NO_PASS },
		{ NULL, 0, NULL, 0 },
	};
	struct cfir_err err = { 0 };
	cleanup_free char *pub = NULL, *sec = NULL, *home = NULL;
	char pass[CFIR_SECKEY_PASS_MAX] = "";
	const char *dir = NULL;
	bool nopass = false, force = false;
	int c, r = -1;

	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			dir = optarg;
			continue;
		case OPT_NO_PASS:
			nopass = true;
			continue;
		case OPT_FORCE:
			force = true;
			continue;
		}
		return tool_usage(keygen_usage, c != 'h');
	}
	if (argc != optind)
		return tool_usage(keygen_usage, true);
	if (dir == NULL) {
		if (getenv("HOME") == NULL || asprintf(&home, "%s/.cfir", getenv("HOME")) < 0) {
			cfir_error("no -o and no HOME");
			return EX_USAGE;
		}
		dir = home;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		cfir_err_set(&err, EX_CANTCREAT, errno, "'%s'", dir);
		goto out;
	}
	if (nopass)
		cfir_warn("the secret key is stored unencrypted: anyone who reads it can sign as you");
	else if (cfir_seckey_passphrase("passphrase for the new secret key", true, pass, sizeof(pass), &err) < 0)
		goto out;
	if (cfir_minisign_keygen(nopass ? NULL : pass, 0, 0, &pub, &sec, &err) < 0 ||
	    write_key(dir, "cfir.key", sec, 0600, force, &err) < 0 ||
	    write_key(dir, "cfir.pub", pub, 0644, force, &err) < 0)
		goto out;
	if (!g->out.quiet)
		fprintf(g->out.fp, "%s/cfir.pub\n%s/cfir.key\n%s", dir, dir, strchr(pub, '\n') + 1);
	r = 0;
out:
	OPENSSL_cleanse(pass, sizeof(pass));
	if (sec != NULL)
		OPENSSL_cleanse(sec, strlen(sec));
	return r < 0 ? cfir_err_report(&err) : 0;
}
