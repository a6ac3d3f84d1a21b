/* seal.c - a bag's final state, signed; and the keys that sign it */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/cleanup.h"
#include "common/minisign.h"
#include "common/util.h"
#include "tools/tool.h"

static const char seal_usage[] = "usage: cfir seal [-h] [-k seckey] [--examiner name] bag\n";
static const char keygen_usage[] = "usage: cfir keygen [-h] [-o dir] [--no-passphrase] [--force]\n";

enum { OPT_NO_PASS = 0x600, OPT_FORCE };

#define PASS_MAX 1024

/* One line from FD, without its newline. */
static int
read_line(int fd, char *buf, size_t n)
{
	size_t len = 0;
	ssize_t r;
	char c;

	while (len + 1 < n && (r = read(fd, &c, 1)) == 1 && c != '\n')
		buf[len++] = c;
	buf[len] = '\0';
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	return len + 1 >= n ? -1 : 0;
}

/*
 * The passphrase: asked on the terminal without echo (twice when CONFIRM),
 * or the first line of standard input when it is not a terminal.
 */
static int
passphrase(const char *prompt, bool confirm, char *buf, size_t n, struct cfir_err *err)
{
	char again[PASS_MAX];
	struct termios t, quiet;
	int fd, r;

	if (!isatty(STDIN_FILENO)) {
		if (read_line(STDIN_FILENO, buf, n) < 0 || buf[0] == '\0')
			return cfir_err_set(err, EX_USAGE, 0, "no passphrase on standard input");
		return 0;
	}
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0 || tcgetattr(fd, &t) < 0) {
		if (fd >= 0)
			close(fd);
		return cfir_err_set(err, EX_USAGE, errno, "no terminal to ask for the passphrase");
	}
	quiet = t;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	tcsetattr(fd, TCSAFLUSH, &quiet);
	dprintf(fd, "%s: ", prompt);
	r = read_line(fd, buf, n);
	dprintf(fd, "\n");
	if (r == 0 && confirm) {
		dprintf(fd, "again: ");
		r = read_line(fd, again, sizeof(again));
		dprintf(fd, "\n");
		if (r == 0 && strcmp(buf, again) != 0)
			r = cfir_err_set(err, EX_USAGE, 0, "the passphrases differ");
		OPENSSL_cleanse(again, sizeof(again));
	}
	tcsetattr(fd, TCSAFLUSH, &t);
	close(fd);
	if (r == 0 && buf[0] == '\0')
		r = cfir_err_set(err, EX_USAGE, 0, "an empty passphrase: use --no-passphrase for an unencrypted key");
	return r < 0 ? (err->exit ? -1 : cfir_err_set(err, EX_USAGE, 0, "passphrase too long")) : 0;
}

static int
load_secret(const char *path, struct cfir_ms_sec *sk, struct cfir_err *err)
{
	cleanup_free char *text = NULL;
	char pass[PASS_MAX];
	bool enc = false;
	size_t len = 0;
	int r;

	if (cfir_read_file(AT_FDCWD, path, 4096, &text, &len, NULL, err) < 0)
		return cfir_err_wrap(err, "secret key '%s'", path);
	/* unencrypted keys need no passphrase: try without first */
	r = cfir_ms_sec_parse(text, len, NULL, sk, &enc, err);
	if (r < 0 && enc) {
		cfir_err_clear(err);
		if (passphrase("passphrase for the secret key", false, pass, sizeof(pass), err) < 0)
			return -1;
		r = cfir_ms_sec_parse(text, len, pass, sk, &enc, err);
		OPENSSL_cleanse(pass, sizeof(pass));
	}
	OPENSSL_cleanse(text, len);
	return r < 0 ? cfir_err_wrap(err, "'%s'", path) : 0;
}

int
cmd_seal(int argc, char **argv, struct cfir_global *g)
{
	static const struct option longopts[] = {
		{ "examiner", required_argument, NULL, OPT_EXAMINER },
		{ "help", no_argument, NULL, 'h' },
		{ "key", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct cfir_ms_sec sk = { { 0 }, { 0 } };
	struct cfir_bag *bag = NULL;
	struct cfir_err err = { 0 };
	struct tool_bagopts bo;
	cleanup_free char *trusted = NULL;
	const char *key = NULL;
	cJSON *details, *rec;
	int c;

	tool_bagopts_init(&bo, g);
	while ((c = getopt_long(argc, argv, "hk:", longopts, NULL)) != -1) {
		if (c == 'k') {
			key = optarg;
			continue;
		}
		if (c == OPT_EXAMINER && tool_bagopt(&bo, c, optarg))
			continue;
		return tool_usage(seal_usage, c != 'h');
	}
	if (argc - optind != 1)
		return tool_usage(seal_usage, true);
	bo.dir = argv[optind];
	{
		cleanup_free char *decl = NULL;

		/* sealing makes no bag: it ends one */
		if (asprintf(&decl, "%s/bagit.txt", bo.dir) < 0 || access(decl, F_OK) < 0) {
			cfir_err_set(&err, EX_NOINPUT, errno, "'%s' is not an evidence bag", bo.dir);
			goto out;
		}
	}
	/* the key first: a wrong passphrase leaves the bag as it was */
	if (key != NULL && load_secret(key, &sk, &err) < 0)
		goto out;
	if (tool_bag_open(&bo, NULL, &bag, &err) < 0 || cfir_bag_begin(bag, "seal", NULL, &err) < 0)
		goto out;
	details = cJSON_CreateObject();
	cJSON_AddBoolToObject(details, "signed", key != NULL);
	if (key != NULL) {
		char id[17];
		int i;

		for (i = 0; i < 8; i++)
			snprintf(id + 2 * i, 3, "%02X", sk.keyid[7 - i]);
		cfir_json_add_str(details, "key_id", id);
	}
	if (cfir_bag_end(bag, "ok", NULL, details, &err) < 0 ||
	    cfir_bag_seal(bag, key != NULL ? &sk : NULL, &trusted, &err) < 0)
		goto out;
	rec = cJSON_CreateObject();
	cfir_json_add_bytes(rec, "bag", bo.dir, strlen(bo.dir));
	cJSON_AddBoolToObject(rec, "sealed", true);
	cJSON_AddBoolToObject(rec, "signed", key != NULL);
	cfir_json_add_str(rec, "trusted_comment", trusted);
	if (g->out.format == CFIR_FORMAT_JSON) {
		cfir_out_record(&g->out, rec, NULL, NULL);
	} else if (!g->out.quiet) {
		fputs("sealed ", g->out.fp);
		cfir_vis_str(g->out.fp, bo.dir);
		fprintf(g->out.fp, "\n  %s\n", trusted);
		if (key != NULL)
			fputs("  signature: tagmanifest-sha256.txt.minisig\n", g->out.fp);
	}
	cJSON_Delete(rec);
out:
	OPENSSL_cleanse(&sk, sizeof(sk));
	return tool_done(NULL, NULL, bag, &err, 0);
}

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
	char pass[PASS_MAX] = "";
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
	else if (passphrase("passphrase for the new secret key", true, pass, sizeof(pass), &err) < 0)
		goto out;
	if (cfir_ms_keygen(nopass ? NULL : pass, 0, 0, &pub, &sec, &err) < 0 ||
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
