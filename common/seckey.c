/* seckey.c - a minisign secret key from its file, and the passphrase that opens it */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/cleanup.h"
#include "common/minisign.h"
#include "common/seckey.h"
#include "common/util.h"

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

int
cfir_seckey_passphrase(const char *prompt, bool confirm, char *buf, size_t n, struct cfir_err *err)
{
	char again[CFIR_SECKEY_PASS_MAX];
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

int
cfir_seckey_load(const char *path, struct cfir_minisign_sec *sk, struct cfir_err *err)
{
	cleanup_free char *text = NULL;
	char pass[CFIR_SECKEY_PASS_MAX];
	bool enc = false;
	size_t len = 0;
	int r;

	if (cfir_util_read_file(AT_FDCWD, path, 4096, &text, &len, NULL, err) < 0)
		return cfir_err_wrap(err, "secret key '%s'", path);
	/* unencrypted keys need no passphrase: try without first */
	r = cfir_minisign_sec_parse(text, len, NULL, sk, &enc, err);
	if (r < 0 && enc) {
		cfir_err_clear(err);
		if (cfir_seckey_passphrase("passphrase for the secret key", false, pass, sizeof(pass), err) < 0)
			return -1;
		r = cfir_minisign_sec_parse(text, len, pass, sk, &enc, err);
		OPENSSL_cleanse(pass, sizeof(pass));
	}
	OPENSSL_cleanse(text, len);
	return r < 0 ? cfir_err_wrap(err, "'%s'", path) : 0;
}

void
cfir_seckey_wipe(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}
