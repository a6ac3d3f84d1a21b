/* seal.c - a bag's final state, signed; and the keys that sign it */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <libgen.h>

#include <openssl/crypto.h>

#include "common/cleanup.h"
#include "common/hash.h"
#include "common/minisign.h"
#include "common/util.h"
#include "tools/tool.h"

static const char seal_usage[] =
	"usage: cfir seal [-h] [-k seckey] [--examiner name] [--archive file.tar] bag\n";
static const char keygen_usage[] = "usage: cfir keygen [-h] [-o dir] [--no-passphrase] [--force]\n";

enum { OPT_NO_PASS = 0x600, OPT_FORCE, OPT_ARCHIVE };

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

int
tool_load_secret(const char *path, struct cfir_ms_sec *sk, struct cfir_err *err)
{
	cleanup_free char *text = NULL;
	char pass[PASS_MAX];
	bool enc = false;
	size_t len = 0;
	int r;

	if (cfir_util_read_file(AT_FDCWD, path, 4096, &text, &len, NULL, err) < 0)
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

/* ---- seal --archive: the sealed bag as one tar, hashed as it is written ---- */

struct packer {
	struct archive *a;
	int fd;
	struct cfir_hash *h;
	const char *top;	/* the bag's name, every member's first component */
	bool failed;		/* write nothing more */
	struct cfir_err *err;
	unsigned char buf[1 << 16];
};

static la_ssize_t
pack_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct packer *p = ctx;

	if (p->failed) {
		archive_set_error(a, ECANCELED, "the pack failed");
		return -1;
	}
	if (cfir_util_write_all(p->fd, buf, len) < 0) {
		archive_set_error(a, errno, "write: %s", strerror(errno));
		return -1;
	}
	cfir_hash_update(p->h, buf, len);
	return (la_ssize_t)len;
}

/*
 * One file, exactly the bytes its header promises: a read error, or a file
 * that shrinks or grows while it is packed, fails the archive; libarchive
 * would pad a short member with zeros, a tar that lies.
 */
static int
pack_file(struct packer *p, int dirfd, const char *name, const char *rel)
{
	cleanup_free char *path = NULL;
	struct archive_entry *e;
	struct stat st;
	uint64_t size, done = 0;
	ssize_t n;
	int fd, r = 0;
	char c;

	/* O_NONBLOCK: a FIFO put there since the walk looked would hang the open */
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return cfir_err_set(p->err, cfir_err_sys_exit(errno), errno, "open '%s'", rel);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cfir_err_set(p->err, EX_DATAERR, 0, "'%s' is not a regular file", rel);
	}
	size = (uint64_t)st.st_size;
	e = archive_entry_new();
	if (e == NULL || asprintf(&path, "%s/%s", p->top, rel) < 0) {
		archive_entry_free(e);
		close(fd);
		return cfir_err_set(p->err, EX_OSERR, ENOMEM, "archive");
	}
	archive_entry_copy_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, st.st_mode & 0777);
	archive_entry_set_size(e, st.st_size);
	archive_entry_set_mtime(e, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	if (archive_write_header(p->a, e) != ARCHIVE_OK)
		r = cfir_err_set(p->err, EX_IOERR, 0, "archive: %s", archive_error_string(p->a));
	while (r == 0 && done < size) {
		if (cfir_interrupt_pending()) {
			r = cfir_err_interrupted(p->err);
			break;
		}
		n = read(fd, p->buf, size - done < sizeof(p->buf) ? (size_t)(size - done) : sizeof(p->buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = cfir_err_set(p->err, EX_IOERR, errno, "read '%s'", rel);
		else if (n == 0)
			r = cfir_err_set(p->err, EX_IOERR, 0, "'%s' shrank while it was packed: %llu of %llu bytes",
					 rel, (unsigned long long)done, (unsigned long long)size);
		else if (archive_write_data(p->a, p->buf, (size_t)n) != n)
			r = cfir_err_set(p->err, EX_IOERR, 0, "archive: %s", archive_error_string(p->a));
		else
			done += (uint64_t)n;
	}
	while (r == 0 && (n = read(fd, &c, 1)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		r = n < 0 ? cfir_err_set(p->err, EX_IOERR, errno, "read '%s'", rel) :
			    cfir_err_set(p->err, EX_IOERR, 0, "'%s' grew while it was packed: past %llu bytes",
					 rel, (unsigned long long)size);
	}
	archive_entry_free(e);
	close(fd);
	return r;
}

/* Every file of the bag, by the walk's rules, depth first in name order: the same bag, the same tar. */
static int
pack_entry(void *ctx, const struct cfir_bag_entry *e, struct cfir_err *err)
{
	struct packer *p = ctx;

	if (cfir_interrupt_pending())
		return cfir_err_interrupted(err);
	switch (e->kind) {
	case CFIR_BAG_DIR:
	case CFIR_BAG_LEFTOVER:	/* never part of the bag */
		return 0;
	case CFIR_BAG_PAYLOAD:
	case CFIR_BAG_TAG:
	case CFIR_BAG_TAGMANIFEST:
		return pack_file(p, e->dirfd, e->name, e->path);
	case CFIR_BAG_SPECIAL:
		return cfir_err_set(err, EX_DATAERR, 0, "'%s' is not a regular file (cfir verify names it)",
				    e->path);
	case CFIR_BAG_UNREADABLE:
		return cfir_err_set(err, EX_IOERR, e->sys, "read '%s'", e->path);
	}
	return 0;
}

/*
 * The bag BAGDIR, open as DFD, into the tar OUT and its SHA-256 into
 * OUT.sha256; ^C stops it within a block, and then, as on any failure,
 * what was written of OUT is removed.
 */
static int
pack(int dfd, const char *bagdir, const char *out, char *hex, struct cfir_err *err)
{
	struct packer p = { .fd = -1, .err = err };
	cleanup_free char *copy = strdup(bagdir), *sumpath = NULL, *line = NULL, *outcopy = strdup(out);
	int r = -1;

	if (copy == NULL || outcopy == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "archive");
	p.top = basename(copy);
	p.fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	p.h = cfir_hash_new();
	p.a = archive_write_new();
	if (dfd < 0 || p.fd < 0) {
		cfir_err_set(err, p.fd < 0 && errno == EEXIST ? EX_CANTCREAT : EX_IOERR, errno, "'%s'",
			     p.fd < 0 ? out : bagdir);
		goto out;
	}
	if (p.h == NULL || p.a == NULL || archive_write_set_format_pax_restricted(p.a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(p.a, 1) != ARCHIVE_OK ||
	    archive_write_open(p.a, &p, NULL, pack_write, NULL) != ARCHIVE_OK) {
		cfir_err_set(err, EX_SOFTWARE, 0, "archive: %s", p.a ? archive_error_string(p.a) : "no memory");
		goto out;
	}
	if (cfir_bag_walk(dfd, 0, pack_entry, &p, err) < 0)
		goto out;
	if (archive_write_close(p.a) != ARCHIVE_OK) {
		cfir_err_set(err, EX_IOERR, 0, "archive: %s", archive_error_string(p.a));
		goto out;
	}
	if (fsync(p.fd) < 0) {
		cfir_err_set(err, EX_IOERR, errno, "fsync '%s'", out);
		goto out;
	}
	cfir_hash_final_hex(p.h, hex);
	/* sha256sum -c FILE.tar.sha256 checks it, from the directory it is in */
	if (asprintf(&sumpath, "%s.sha256", out) < 0 || asprintf(&line, "%s  %s\n", hex, basename(outcopy)) < 0) {
		cfir_err_set(err, EX_OSERR, ENOMEM, "archive");
		goto out;
	}
	{
		int sfd = open(sumpath, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);

		if (sfd < 0 || cfir_util_write_all(sfd, line, strlen(line)) < 0 || fsync(sfd) < 0) {
			cfir_err_set(err, EX_IOERR, errno, "'%s'", sumpath);
			if (sfd >= 0) {
				close(sfd);
				unlink(sumpath);
			}
			goto out;
		}
		close(sfd);
	}
	r = 0;
out:
	/* a failed pack writes no more: closing would pad the cut member with zeros */
	p.failed = r < 0;
	if (p.a != NULL)
		archive_write_free(p.a);
	cfir_hash_free(p.h);
	if (p.fd >= 0)
		close(p.fd);
	/* never a tar that lies: what was written of it goes */
	if (r < 0 && p.fd >= 0) {
		if (unlink(out) == 0 || errno == ENOENT)
			cfir_err_wrap(err, "--archive '%s' removed, not packed whole", out);
		else
			cfir_err_wrap(err, "--archive '%s' is incomplete (and could not be removed: %s)", out,
				      strerror(errno));
	}
	return r;
}

/* After a pack that failed: the bag is sealed all the same, and how to pack it. */
static void
sealed_hint(struct cfir_err *err, const char *archive, const char *bag)
{
	size_t n = strlen(err->msg);

	snprintf(err->msg + n, sizeof(err->msg) - n,
		 "; the bag is sealed and whole: 'cfir seal --archive %s %s' packs it again", archive, bag);
}

/* The output of a pack of a bag that was sealed before. */
static void
packed(struct cfir_global *g, const char *bag, const char *archive, const char *hex)
{
	cJSON *rec = cJSON_CreateObject();

	cfir_json_add_bytes(rec, "bag", bag, strlen(bag));
	cJSON_AddBoolToObject(rec, "sealed", true);
	cJSON_AddBoolToObject(rec, "sealed_before", true);
	cfir_json_add_bytes(rec, "archive", archive, strlen(archive));
	cfir_json_add_str(rec, "archive_sha256", hex);
	if (g->out.format == CFIR_FORMAT_JSON) {
		cfir_out_record(&g->out, rec, NULL, NULL);
	} else if (!g->out.quiet) {
		fputs("packed ", g->out.fp);
		cfir_vis_str(g->out.fp, bag);
		fputs(" (sealed before)\n", g->out.fp);
		fprintf(g->out.fp, "  archive: %s  ", hex);
		cfir_vis_str(g->out.fp, archive);
		fputc('\n', g->out.fp);
	}
	cJSON_Delete(rec);
}

int
cmd_seal(int argc, char **argv, struct cfir_global *g)
{
	static const struct option longopts[] = {
		{ "archive", required_argument, NULL, OPT_ARCHIVE },
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
	const char *key = NULL, *archive = NULL;
	char hex[CFIR_SHA256_HEX] = "";
	cJSON *details, *rec;
	int c, dfd = -1;

	tool_bagopts_init(&bo, g);
	while ((c = getopt_long(argc, argv, "hk:", longopts, NULL)) != -1) {
		if (c == 'k') {
			key = optarg;
			continue;
		}
		if (c == OPT_ARCHIVE) {
			archive = optarg;
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
	if (archive != NULL) {
		cleanup_free char *bagreal = realpath(bo.dir, NULL), *outdir = strdup(archive), *outreal = NULL;

		/* not into the bag it packs, nor over a file that exists */
		outreal = outdir ? realpath(dirname(outdir), NULL) : NULL;
		if (bagreal == NULL || outreal == NULL) {
			cfir_err_set(&err, EX_CANTCREAT, errno, "--archive '%s'", archive);
			goto out;
		}
		if (strncmp(outreal, bagreal, strlen(bagreal)) == 0 &&
		    (outreal[strlen(bagreal)] == '\0' || outreal[strlen(bagreal)] == '/')) {
			cfir_err_set(&err, EX_USAGE, 0, "--archive '%s' is inside the bag it packs", archive);
			goto out;
		}
		if (access(archive, F_OK) == 0) {
			cfir_err_set(&err, EX_CANTCREAT, EEXIST, "--archive '%s'", archive);
			goto out;
		}
	}
	/* a bag sealed already (a pack that failed or was stopped): pack it as it is */
	if (archive != NULL && key == NULL) {
		int sealed = cfir_bag_open_sealed(bo.dir, &dfd, &err);

		if (sealed < 0)
			goto out;
		if (sealed > 0) {
			if (pack(dfd, bo.dir, archive, hex, &err) == 0)
				packed(g, bo.dir, archive, hex);
			goto out;
		}
	}
	/* the key first: a wrong passphrase leaves the bag as it was */
	if (key != NULL && tool_load_secret(key, &sk, &err) < 0)
		goto out;
	if (cfir_interrupt_pending()) {
		cfir_err_interrupted(&err);
		cfir_err_wrap(&err, "bag '%s' not sealed", bo.dir);
		goto out;
	}
	if (tool_bag_open(&bo, NULL, &bag, &err) < 0 || cfir_bag_begin(bag, "seal", NULL, &err) < 0)
		goto out;
	details = cJSON_CreateObject();
	cJSON_AddBoolToObject(details, "signed", key != NULL);
	if (key != NULL) {
		char id[17];

		cfir_ms_keyid_hex(id, sk.keyid);
		cfir_json_add_str(details, "key_id", id);
	}
	if (cfir_bag_end(bag, "ok", NULL, details, &err) < 0 ||
	    cfir_bag_seal(bag, key != NULL ? &sk : NULL, &trusted, &err) < 0)
		goto out;
	/* the sealed bag is final: pack it as it is, still under its lock */
	if (archive != NULL) {
		dfd = open(bo.dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd < 0) {
			cfir_err_set(&err, cfir_err_sys_exit(errno), errno, "bag '%s'", bo.dir);
			goto out;
		}
		if (pack(dfd, bo.dir, archive, hex, &err) < 0) {
			sealed_hint(&err, archive, bo.dir);
			goto out;
		}
	}
	rec = cJSON_CreateObject();
	cfir_json_add_bytes(rec, "bag", bo.dir, strlen(bo.dir));
	cJSON_AddBoolToObject(rec, "sealed", true);
	cJSON_AddBoolToObject(rec, "signed", key != NULL);
	cfir_json_add_str(rec, "trusted_comment", trusted);
	if (archive != NULL) {
		cfir_json_add_bytes(rec, "archive", archive, strlen(archive));
		cfir_json_add_str(rec, "archive_sha256", hex);
	}
	if (g->out.format == CFIR_FORMAT_JSON) {
		cfir_out_record(&g->out, rec, NULL, NULL);
	} else if (!g->out.quiet) {
		fputs("sealed ", g->out.fp);
		cfir_vis_str(g->out.fp, bo.dir);
		fprintf(g->out.fp, "\n  %s\n", trusted);
		if (key != NULL)
			fputs("  signature: tagmanifest-sha256.txt.minisig\n", g->out.fp);
		if (archive != NULL) {
			fprintf(g->out.fp, "  archive: %s  ", hex);
			cfir_vis_str(g->out.fp, archive);
			fputc('\n', g->out.fp);
		}
	}
	cJSON_Delete(rec);
out:
	OPENSSL_cleanse(&sk, sizeof(sk));
	if (dfd >= 0)
		close(dfd);
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
	if (fchmod(fd, mode) < 0 || cfir_util_write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0) {
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
			cfir_err_print("no -o and no HOME");
			return EX_USAGE;
		}
		dir = home;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		cfir_err_set(&err, EX_CANTCREAT, errno, "'%s'", dir);
		goto out;
	}
	if (nopass)
		cfir_err_warn("the secret key is stored unencrypted: anyone who reads it can sign as you");
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
