/* test_bag.c - the evidence bag: writers, custody chain, manifests, verify, lock */
#include <fcntl.h>
#include <pthread.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "common/bag.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "tests/unit/unit.h"

static char arg0[] = "cfir", arg1[] = "unit";
static char *argv0[] = { arg0, arg1, NULL };
static const struct cfir_bag_meta meta = { "CASE-1", "examiner", 2, argv0 };

/*
 * A file system without d_type (XFS without ftype, ext4 without filetype,
 * some network and FUSE file systems) as this binary sees it: while
 * dtype_fake is 1 every entry readdir gives is DT_UNKNOWN, while it is 2
 * every entry lies that it is a FIFO. The library, linked in statically,
 * calls this readdir.
 */
static int dtype_fake;

struct dirent *
readdir(DIR *d)
{
	static struct dirent *(*real)(DIR *);
	struct dirent *de;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "readdir");
	de = real(d);
	if (de != NULL && dtype_fake == 1)
		de->d_type = DT_UNKNOWN;
	else if (de != NULL && dtype_fake == 2)
		de->d_type = DT_FIFO;
	return de;
}

/*
 * A signal at the next renameat the library makes (a tag file put in
 * place): a second ^C, or a kill -9, right between the custody record and
 * the tag files. Armed in a child only.
 */
static int rename_raise;

int
renameat(int ofd, const char *from, int nfd, const char *to)
{
	static int (*real)(int, const char *, int, const char *);
	int sig = rename_raise;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "renameat");
	if (sig != 0) {
		rename_raise = 0;
		raise(sig);
	}
	return real(ofd, from, nfd, to);
}

/* The failures verify finds in DIR, each "path: why" on a line of TEXT. */
static size_t
verify_text(const char *dir, char *text, size_t n);

static size_t
verify_failures(const char *dir)
{
	struct cfir_verify_report r = { 0 };
	struct cfir_err err = { 0 };

	if (cfir_bag_verify(dir, &r, &err) < 0)
		return 1000;
	return r.failed;
}

/* A bag with one action that wrote two files. */
static char *
make_bag(void)
{
	char *dir = NULL;
	struct cfir_bag *b = NULL;
	struct cfir_err err = { 0 };

	CHECK(asprintf(&dir, "%s/bag", unit_tmpdir()) > 0);
	CHECK(cfir_bag_open(&b, dir, &meta, &err) == 0);
	if (b == NULL)
		return dir;
	CHECK(cfir_bag_begin(b, "test", NULL, &err) == 0);
	CHECK(cfir_bag_add_buffer(b, "one", "a.txt", "hello\n", 6, &err) == 0);
	CHECK(cfir_bag_add_buffer(b, "one", "odd%name\nx", "x", 1, &err) == 0);
	CHECK(cfir_bag_end(b, "ok", NULL, NULL, &err) == 0);
	CHECK(cfir_bag_close(b, &err) == 0);
	return dir;
}

static void
create_and_verify(void)
{
	cleanup_free char *dir = make_bag(), *man = NULL, *info = NULL, *log = NULL;
	char path[600];
	struct stat st;

	man = unit_read(dir, "manifest-sha256.txt");
	CHECK(man != NULL && strstr(man, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  data/one/a.txt\n") != NULL);
	CHECK(man != NULL && strstr(man, "  data/one/odd%25name%0Ax\n") != NULL);
	info = unit_read(dir, "bag-info.txt");
	CHECK(info != NULL && strstr(info, "Payload-Oxum: 7.2\n") != NULL);
	CHECK(info != NULL && strstr(info, "Case-Number: CASE-1\n") != NULL);
	CHECK(info != NULL && strstr(info, "Custody-Records: 1\n") != NULL);
	log = unit_read(dir, "custody/log.jsonl");
	CHECK(log != NULL && strstr(log, "\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\"") != NULL);
	CHECK(verify_failures(dir) == 0);
	snprintf(path, sizeof(path), "%s/data/one/a.txt", dir);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	snprintf(path, sizeof(path), "%s/data/one", dir);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700);
}

static void
reopen_continues_chain(void)
{
	cleanup_free char *dir = make_bag(), *log = NULL, *info = NULL;
	struct cfir_bag *b = NULL;
	struct cfir_err err = { 0 };
	char head[CFIR_SHA256_HEX], why[200];
	size_t count = 0;

	CHECK(cfir_bag_open(&b, dir, &meta, &err) == 0);
	if (b == NULL)
		return;
	CHECK(cfir_bag_begin(b, "again", NULL, &err) == 0);
	/* the same name again gets a new one: evidence is never overwritten */
	CHECK(cfir_bag_add_buffer(b, "one", "a.txt", "second\n", 7, &err) == 0);
	CHECK(cfir_bag_end(b, "ok", NULL, NULL, &err) == 0);
	CHECK(cfir_bag_close(b, &err) == 0);
	log = unit_read(dir, "custody/log.jsonl");
	CHECK(log != NULL && cfir_custody_check(log, strlen(log), head, &count, why, sizeof(why)) == 0);
	CHECK(count == 2);
	CHECK(strstr(log, "data/one/a-2.txt") != NULL);
	info = unit_read(dir, "bag-info.txt");
	CHECK(info != NULL && strstr(info, head) != NULL);
	CHECK(verify_failures(dir) == 0);
}

static void
partial_writer(void)
{
	cleanup_free char *dir = NULL, *log = NULL;
	struct cfir_bag *b = NULL;
	struct cfir_writer *w = NULL;
	struct cfir_err err = { 0 };

	CHECK(asprintf(&dir, "%s/bag", unit_tmpdir()) > 0);
	CHECK(cfir_bag_open(&b, dir, &meta, &err) == 0);
	if (b == NULL)
		return;
	CHECK(cfir_bag_begin(b, "cut", NULL, &err) == 0);
	CHECK(cfir_writer_open(b, "x", "stream.bin", &w, &err) == 0);
	CHECK(cfir_writer_write(w, "abc", 3, &err) == 0);
	cfir_writer_abort(w);
	CHECK(cfir_bag_end(b, "partial", "connection broke", NULL, &err) == 0);
	CHECK(cfir_bag_close(b, &err) == 0);
	log = unit_read(dir, "custody/log.jsonl");
	CHECK(log != NULL && strstr(log, "\"partial\":true") != NULL);
	CHECK(log != NULL && strstr(log, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") != NULL);
	CHECK(log != NULL && strstr(log, "\"status\":\"partial\",\"error\":\"connection broke\"") != NULL);
	CHECK(verify_failures(dir) == 0);
}

static void
tamper_detected(void)
{
	cleanup_free char *dir = make_bag(), *man = NULL;
	char path[600];

	unit_write(dir, "data/one/a.txt", "hellO\n");
	CHECK(verify_failures(dir) > 0);
	unit_write(dir, "data/one/a.txt", "hello\n");
	CHECK(verify_failures(dir) == 0);
	unit_write(dir, "data/one/extra", "x");
	CHECK(verify_failures(dir) > 0);
	snprintf(path, sizeof(path), "%s/data/one/extra", dir);
	unlink(path);
	symlink("/etc/passwd", path);
	CHECK(verify_failures(dir) > 0);
	unlink(path);
	CHECK(verify_failures(dir) == 0);
	/* a manifest that reaches out of the bag fails, and reads nothing there */
	man = unit_read(dir, "manifest-sha256.txt");
	unit_write(dir, "manifest-sha256.txt",
	     "0000000000000000000000000000000000000000000000000000000000000000  data/../../../etc/passwd\n");
	CHECK(verify_failures(dir) > 0);
	unit_write(dir, "manifest-sha256.txt", man);
}

static void
manifest_lines(void)
{
	char a[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  data/x%0Ay%25z";
	char b[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad *data/bin";
	char c[] = "BA7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  data/x";
	char d[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  ";
	char e[] = "ba78  data/x";
	char hex[CFIR_SHA256_HEX], *path;
	cleanup_free char *enc = cfir_manifest_encode("a\rb\nc%d");

	CHECK(cfir_manifest_parse_line(a, &path, hex) == 0);
	CHECK_STR(path, "data/x\ny%z");
	CHECK(cfir_manifest_parse_line(b, &path, hex) == 0);
	CHECK_STR(path, "data/bin");
	CHECK(cfir_manifest_parse_line(c, &path, hex) < 0);
	CHECK(cfir_manifest_parse_line(d, &path, hex) < 0);
	CHECK(cfir_manifest_parse_line(e, &path, hex) < 0);
	CHECK_STR(enc, "a%0Db%0Ac%25d");
}

static void
custody_chain(void)
{
	char l1[512], l2[512], l3[512], h1[CFIR_SHA256_HEX], h2[CFIR_SHA256_HEX];
	char head[CFIR_SHA256_HEX], why[200], text[2048];
	size_t count;

	snprintf(l1, sizeof(l1), "{\"seq\":1,\"prev\":\"%064d\"}", 0);
	cfir_sha256_hex(l1, strlen(l1), h1);
	snprintf(l2, sizeof(l2), "{\"seq\":2,\"prev\":\"%s\"}", h1);
	cfir_sha256_hex(l2, strlen(l2), h2);
	snprintf(l3, sizeof(l3), "{\"seq\":3,\"prev\":\"%s\"}", h2);

	snprintf(text, sizeof(text), "%s\n%s\n%s\n", l1, l2, l3);
	CHECK(cfir_custody_check(text, strlen(text), head, &count, why, sizeof(why)) == 0);
	CHECK(count == 3);
	snprintf(text, sizeof(text), "%s\n%s\n", l1, l3);	/* one removed */
	CHECK(cfir_custody_check(text, strlen(text), head, &count, why, sizeof(why)) < 0);
	snprintf(text, sizeof(text), "%s\n%s\n%s\n", l2, l1, l3);	/* swapped */
	CHECK(cfir_custody_check(text, strlen(text), head, &count, why, sizeof(why)) < 0);
	snprintf(text, sizeof(text), "%s\n%s \n%s\n", l1, l2, l3);	/* edited */
	CHECK(cfir_custody_check(text, strlen(text), head, &count, why, sizeof(why)) < 0);
	CHECK(strstr(why, "record 3") != NULL);
	snprintf(text, sizeof(text), "%s\n%s", l1, l2);		/* cut mid-line */
	CHECK(cfir_custody_check(text, strlen(text), head, &count, why, sizeof(why)) < 0);
	CHECK(cfir_custody_check("", 0, head, &count, why, sizeof(why)) == 0 && count == 0);
}

static void
lock_excludes(void)
{
	cleanup_free char *dir = make_bag();
	struct cfir_bag *b = NULL;
	struct cfir_err err = { 0 };
	int p[2], status;
	pid_t pid;
	char c;

	CHECK(pipe(p) == 0);
	pid = fork();
	if (pid == 0) {
		struct cfir_bag *cb = NULL;

		close(p[0]);
		if (cfir_bag_open(&cb, dir, &meta, &err) < 0)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	CHECK(read(p[0], &c, 1) == 1);
	setenv("CFIR_LOCK_TIMEOUT", "0", 1);
	CHECK(cfir_bag_open(&b, dir, &meta, &err) < 0);
	CHECK(err.exit == EX_TEMPFAIL && strstr(err.msg, "locked") != NULL);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	/* the lock dies with its holder */
	CHECK(cfir_bag_open(&b, dir, &meta, &err) == 0);
	cfir_bag_close(b, &err);
	unsetenv("CFIR_LOCK_TIMEOUT");
	close(p[0]);
}

static void
refuses_foreign(void)
{
	const char *tmp = unit_tmpdir();
	cleanup_free char *dir = make_bag();
	struct cfir_bag *b = NULL;
	struct cfir_err err = { 0 };
	const struct cfir_bag_meta other = { "CASE-2", NULL, 0, NULL };

	unit_write(tmp, "notes.txt", "mine");
	CHECK(cfir_bag_open(&b, tmp, &meta, &err) < 0 && err.exit == EX_DATAERR);
	CHECK(cfir_bag_open(&b, dir, &other, &err) < 0 && err.exit == EX_USAGE);
	CHECK(strstr(err.msg, "CASE-1") != NULL);
}

struct side_job {
	struct cfir_bag *b;
	struct cfir_bag_side *side;
	int failures;
};

static void *
side_writer(void *arg)
{
	struct side_job *j = arg;
	struct cfir_err err = { 0 };
	char name[32];
	int i;

	for (i = 0; i < 50; i++) {
		struct cfir_writer *w = NULL;

		snprintf(name, sizeof(name), "p%02d.pcap", i);
		if (cfir_writer_open_side(j->b, j->side, "net", name, &w, &err) < 0 ||
		    cfir_writer_write(w, name, strlen(name), &err) < 0 || cfir_writer_commit(w, &err) < 0)
			j->failures++;
	}
	return NULL;
}

/* A side action writes from its own thread while actions come and go: one bag, both records. */
static void
side_action(void)
{
	cleanup_free char *dir = NULL, *log = NULL;
	struct cfir_bag *b = NULL;
	struct cfir_err err = { 0 };
	struct side_job j = { 0 };
	pthread_t th;
	char name[32];
	int i;

	CHECK(asprintf(&dir, "%s/side", unit_tmpdir()) > 0);
	CHECK(cfir_bag_open(&b, dir, &meta, &err) == 0);
	if (b == NULL)
		return;
	j.b = b;
	CHECK(cfir_bag_side_begin(b, "capture", NULL, &j.side, &err) == 0);
	CHECK(pthread_create(&th, NULL, side_writer, &j) == 0);
	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "f%02d.txt", i);
		CHECK(cfir_bag_begin(b, "step", NULL, &err) == 0);
		CHECK(cfir_bag_add_buffer(b, "steps", name, name, strlen(name), &err) == 0);
		CHECK(cfir_bag_end(b, "ok", NULL, NULL, &err) == 0);
	}
	pthread_join(th, NULL);
	CHECK(j.failures == 0);
	CHECK(cfir_bag_side_end(b, j.side, "ok", NULL, NULL, &err) == 0);
	CHECK(cfir_bag_close(b, &err) == 0);
	CHECK(verify_failures(dir) == 0);
	log = unit_read(dir, "custody/log.jsonl");
	/* the side's record lists its 50 files, each step its one */
	{
		char *line, *save = NULL;
		int steps = 0, sides = 0;

		for (line = log ? strtok_r(log, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
			cJSON *r = cJSON_Parse(line);
			const char *a = cJSON_GetObjectItem(r, "action")->valuestring;
			int n = cJSON_GetArraySize(cJSON_GetObjectItem(r, "artifacts"));

			if (strcmp(a, "capture") == 0)
				sides += n == 50;
			else
				steps += n == 1;
			cJSON_Delete(r);
		}
		CHECK(sides == 1 && steps == 50);
	}
}


/* The last line of the custody log of DIR (malloc'd), and how many records it holds. */
static char *
last_record(const char *dir, size_t *count)
{
	cleanup_free char *log = NULL, *path = NULL;
	char head[CFIR_SHA256_HEX], why[200], *end, *start;

	*count = 0;
	if (asprintf(&path, "%s/custody/log.jsonl", dir) < 0 ||
	    cfir_util_read_file(AT_FDCWD, path, 64u << 20, &log, NULL, NULL, NULL) < 0)
		log = NULL;
	if (log == NULL || cfir_custody_check(log, strlen(log), head, count, why, sizeof(why)) < 0) {
		fprintf(stderr, "    custody log of %s: %s\n", dir, log ? why : "missing");
		*count = 1000;
		return NULL;
	}
	end = log + strlen(log);
	if (end == log)
		return NULL;
	end[-1] = '\0';
	start = strrchr(log, '\n');
	return strdup(start ? start + 1 : log);
}

/*
 * A small tmpfs at DIR/mnt (a real file system that fills), or NULL when
 * this machine cannot mount one (not root).
 */
static char *
small_fs(const char *size)
{
	char *mnt = NULL, opts[64];

	if (asprintf(&mnt, "%s/mnt", unit_tmpdir()) < 0 || mkdir(mnt, 0700) < 0)
		abort();
	snprintf(opts, sizeof(opts), "size=%s,mode=0700", size);
	if (mount("tmpfs", mnt, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0) {
		printf("    skip: cannot mount a tmpfs (%s)\n", strerror(errno));
		free(mnt);
		return NULL;
	}
	return mnt;
}

/* Fill the file system DIR is on, to the last block. */
static void
fill(const char *dir)
{
	static char block[1 << 16];
	char path[600];
	int fd;

	snprintf(path, sizeof(path), "%s/filler", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	while (fd >= 0 && write(fd, block, sizeof(block)) > 0)
		;
	while (fd >= 0 && write(fd, block, 1) > 0)
		;
	CHECK(errno == ENOSPC);
	if (fd >= 0)
		close(fd);
}

/*
 * A record larger than the 1 MiB reserve on a full disk: it is written
 * without its details (or not at all), never as a partial line, and the
 * bag opens and verifies after.
 */
static void
record_on_full_disk(void)
{
	cleanup_free char *mnt = small_fs("8m"), *dir = NULL, *last = NULL, *blob = NULL;
	struct cfir_bag *b = NULL;
	struct cfir_err err = { 0 };
	char path[600];
	cJSON *details;
	size_t count;

	if (mnt == NULL)
		return;
	CHECK(asprintf(&dir, "%s/bag", mnt) > 0);
	CHECK(cfir_bag_open(&b, dir, &meta, &err) == 0);
	if (b == NULL)
		goto out;
	CHECK(cfir_bag_begin(b, "first", NULL, &err) == 0);
	CHECK(cfir_bag_add_buffer(b, "one", "a.txt", "hello\n", 6, &err) == 0);
	CHECK(cfir_bag_end(b, "ok", NULL, NULL, &err) == 0);
	CHECK(cfir_bag_begin(b, "big", NULL, &err) == 0);
	CHECK(cfir_bag_add_buffer(b, "one", "b.txt", "world\n", 6, &err) == 0);
	fill(mnt);
	blob = malloc(2u << 20);
	memset(blob, 'x', 2u << 20);
	blob[(2u << 20) - 1] = '\0';
	details = cJSON_CreateObject();
	cJSON_AddStringToObject(details, "blob", blob);
	CHECK(cfir_bag_end(b, "ok", NULL, details, &err) < 0);
	CHECK(err.exit == EX_IOERR && strstr(err.msg, "'big'") != NULL);
	cfir_bag_close(b, &err);
	b = NULL;

	/* whole records only: the chain holds and names what happened */
	last = last_record(dir, &count);
	CHECK(count == 2);
	CHECK(last != NULL && strstr(last, "\"action\":\"big\"") != NULL);
	CHECK(last != NULL && strstr(last, "No space left on device") != NULL);
	CHECK(last != NULL && strstr(last, "data/one/b.txt") != NULL);
	CHECK(verify_failures(dir) == 0);

	/* it opens again, and takes more evidence once there is room */
	snprintf(path, sizeof(path), "%s/filler", mnt);
	unlink(path);
	CHECK(cfir_bag_open(&b, dir, &meta, &err) == 0);
	if (b != NULL) {
		CHECK(cfir_bag_begin(b, "after", NULL, &err) == 0);
		CHECK(cfir_bag_end(b, "ok", NULL, NULL, &err) == 0);
		CHECK(cfir_bag_close(b, &err) == 0);
	}
	CHECK(verify_failures(dir) == 0);
out:
	umount2(mnt, MNT_DETACH);
}

/* Details larger than a record may be are replaced by a note; the record keeps the rest. */
static void
record_too_large(void)
{
	cleanup_free char *dir = NULL, *last = NULL, *blob = NULL;
	struct cfir_bag *b = NULL;
	struct cfir_err err = { 0 };
	size_t count, n = 17u << 20;
	cJSON *details;

	CHECK(asprintf(&dir, "%s/bag", unit_tmpdir()) > 0);
	CHECK(cfir_bag_open(&b, dir, &meta, &err) == 0);
	if (b == NULL)
		return;
	CHECK(cfir_bag_begin(b, "huge", NULL, &err) == 0);
	CHECK(cfir_bag_add_buffer(b, "one", "a.txt", "hello\n", 6, &err) == 0);
	blob = malloc(n);
	memset(blob, 'y', n);
	blob[n - 1] = '\0';
	details = cJSON_CreateObject();
	cJSON_AddStringToObject(details, "blob", blob);
	CHECK(cfir_bag_end(b, "ok", NULL, details, &err) == 0);
	CHECK(cfir_bag_close(b, &err) == 0);
	last = last_record(dir, &count);
	CHECK(count == 1);
	CHECK(last != NULL && strlen(last) < (16u << 20));
	CHECK(last != NULL && strstr(last, "larger than a custody record may be") != NULL);
	CHECK(last != NULL && strstr(last, "data/one/a.txt") != NULL);
	CHECK(verify_failures(dir) == 0);
}

/* On a file system that reports DT_UNKNOWN the tag manifest still covers the custody log. */
static void
bag_without_dtype(void)
{
	cleanup_free char *dir = NULL, *tm = NULL;

	dtype_fake = 1;
	dir = make_bag();
	tm = unit_read(dir, "tagmanifest-sha256.txt");
	CHECK(tm != NULL && strstr(tm, "  custody/log.jsonl\n") != NULL);
	CHECK(tm != NULL && strstr(tm, "  custody/collector.json\n") != NULL);
	CHECK(tm != NULL && strstr(tm, "  bag-info.txt\n") != NULL);
	CHECK(verify_failures(dir) == 0);
	unit_write(dir, "data/one/planted", "x");
	CHECK(verify_failures(dir) == 1);
	dtype_fake = 0;
	CHECK(verify_failures(dir) == 1);
}

struct listing {
	char text[4096];
	size_t len;
};

static int
list_entry(void *ctx, const struct cfir_bag_entry *e, struct cfir_err *err)
{
	static const char *kinds[] = { "dir", "payload", "tag", "tagmanifest", "leftover", "special",
				       "unreadable" };
	struct listing *l = ctx;
	int n;

	(void)err;
	n = snprintf(l->text + l->len, sizeof(l->text) - l->len, "%s %s\n", kinds[e->kind], e->path);
	if (n > 0 && (size_t)n < sizeof(l->text) - l->len)
		l->len += (size_t)n;
	return 0;
}

static void
walk_listing(const char *dir, unsigned flags, struct listing *l)
{
	struct cfir_err err = { 0 };
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	memset(l, 0, sizeof(*l));
	CHECK(fd >= 0 && cfir_bag_walk(fd, flags, list_entry, l, &err) == 0);
	if (fd >= 0)
		close(fd);
}

/*
 * One walk, one set of rules: what is payload, tag file, leftover; the
 * reserve never shown; links and FIFOs reported, never followed. The same
 * with d_type, without it, and (the flag) when d_type lies.
 */
static void
walk_rules(void)
{
	cleanup_free char *dir = make_bag();
	struct listing with, without, lying, flagged;
	char path[600];
	const char *want =
		"tag bag-info.txt\n"
		"tag bagit.txt\n"
		"dir custody\n"
		"leftover custody/.cfir-tmp-collector.json\n"
		"tag custody/collector.json\n"
		"special custody/fifo\n"
		"tag custody/log.jsonl\n"
		"dir data\n"
		"dir data/one\n"
		"payload data/one/a.txt\n"
		"special data/one/link\n"
		"payload data/one/odd%name\nx\n"
		"tag manifest-sha256.txt\n"
		"tagmanifest tagmanifest-sha256.txt\n";

	unit_write(dir, ".cfir-reserve", "");
	unit_write(dir, "custody/.cfir-tmp-collector.json", "{");
	snprintf(path, sizeof(path), "%s/custody/fifo", dir);
	CHECK(mkfifo(path, 0600) == 0);
	snprintf(path, sizeof(path), "%s/data/one/link", dir);
	CHECK(symlink("/etc/passwd", path) == 0);

	walk_listing(dir, 0, &with);
	CHECK_STR(with.text, want);
	dtype_fake = 1;
	walk_listing(dir, 0, &without);
	CHECK_STR(without.text, want);
	/* a d_type that lies is believed, unless the flag says to ask fstatat */
	dtype_fake = 2;
	walk_listing(dir, 0, &lying);
	CHECK(strcmp(lying.text, want) != 0);
	walk_listing(dir, CFIR_BAG_WALK_NO_DTYPE, &flagged);
	CHECK_STR(flagged.text, want);
	dtype_fake = 0;
	/* verify by the same rules: the leftover, the FIFO and the link fail */
	CHECK(verify_failures(dir) == 3);
}

/* A tar at PATH with N members bag/<name> of the sizes given (zeros), as a hostile archive can be. */
static void
tar_write(const char *path, size_t n, const char *const *names, const uint64_t *sizes)
{
	static char zeros[1 << 20];
	struct archive *a = archive_write_new();
	struct archive_entry *e;
	char name[600];
	uint64_t left;
	size_t i;

	CHECK(archive_write_set_format_pax_restricted(a) == ARCHIVE_OK);
	CHECK(archive_write_open_filename(a, path) == ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		e = archive_entry_new();
		snprintf(name, sizeof(name), "bag/%s", names[i]);
		archive_entry_copy_pathname(e, name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0600);
		archive_entry_set_size(e, (la_int64_t)sizes[i]);
		CHECK(archive_write_header(a, e) == ARCHIVE_OK);
		for (left = sizes[i]; left > 0; left -= left < sizeof(zeros) ? left : sizeof(zeros))
			archive_write_data(a, zeros, left < sizeof(zeros) ? left : sizeof(zeros));
		archive_entry_free(e);
	}
	CHECK(archive_write_close(a) == ARCHIVE_OK);
	archive_write_free(a);
}

struct fails {
	char text[4096];
	size_t len;
};

static void
fail_item(void *ctx, const char *path, bool ok, const char *why)
{
	struct fails *f = ctx;
	int n;

	if (ok)
		return;
	n = snprintf(f->text + f->len, sizeof(f->text) - f->len, "%s: %s\n", path, why ? why : "");
	if (n > 0 && (size_t)n < sizeof(f->text) - f->len)
		f->len += (size_t)n;
}

static long
peak_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/*
 * A tag file larger than it may be is a clear FAIL, never a silent cut, and
 * is not held in memory; payload members stream through.
 */
static void
archive_tag_too_large(void)
{
	static const char *const names[] = { "bagit.txt", "custody/log.jsonl", "data/big", "notes.bin" };
	const uint64_t sizes[] = { 0, (uint64_t)CFIR_BAG_TAGFILE_MAX + 1, 64u << 20, 300u << 20 };
	struct fails f = { "", 0 };
	struct cfir_verify_report r = { .item = fail_item, .ctx = &f };
	struct cfir_err err = { 0 };
	cleanup_free char *path = NULL;
	long before;

	CHECK(asprintf(&path, "%s/big.tar", unit_tmpdir()) > 0);
	tar_write(path, 4, names, sizes);
	before = peak_rss_kib();
	CHECK(cfir_bag_verify_archive(path, &r, &err) == 0);
	CHECK(strstr(f.text, "custody chain: 'custody/log.jsonl' is larger than the 268435456 bytes") != NULL);
	CHECK(strstr(f.text, "notes.bin: extra: not in the tag manifest") != NULL);
	/* flat: neither the log nor the extra file was held */
	CHECK(peak_rss_kib() - before < (32 << 10));
	if (unit_failed_checks)
		fprintf(stderr, "    %s    peak RSS grew by %ld KiB\n", f.text, peak_rss_kib() - before);
	unlink(path);
}

/* An archive with more members than any bag holds is refused, clearly. */
static void
archive_too_many_members(void)
{
	cleanup_free char *path = NULL;
	struct cfir_verify_report r = { 0 };
	struct cfir_err err = { 0 };
	size_t n = (1u << 18) + 1, i;
	char **names = calloc(n, sizeof(*names));
	uint64_t *sizes = calloc(n, sizeof(*sizes));

	CHECK(asprintf(&path, "%s/many.tar", unit_tmpdir()) > 0);
	for (i = 0; i < n; i++)
		CHECK(asprintf(&names[i], "data/f%07zu", i) > 0);
	tar_write(path, n, (const char *const *)names, sizes);
	CHECK(cfir_bag_verify_archive(path, &r, &err) < 0);
	CHECK(err.exit == EX_DATAERR && strstr(err.msg, "more than 262144 members") != NULL);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(sizes);
	unlink(path);
}

struct vtext {
	char *text;
	size_t n, len;
};

static void
vtext_item(void *ctx, const char *path, bool ok, const char *why)
{
	struct vtext *t = ctx;
	int w;

	if (ok)
		return;
	w = snprintf(t->text + t->len, t->n - t->len, "%s: %s\n", path, why ? why : "");
	if (w > 0 && (size_t)w < t->n - t->len)
		t->len += (size_t)w;
}

static size_t
verify_text(const char *dir, char *text, size_t n)
{
	struct vtext t = { text, n, 0 };
	struct cfir_verify_report r = { .item = vtext_item, .ctx = &t };
	struct cfir_err err = { 0 };

	text[0] = '\0';
	if (cfir_bag_verify(dir, &r, &err) < 0)
		return 1000;
	return r.failed;
}

/* In a child: open DIR, write a.txt in an action, and end it with SIG at the first tag file. */
static int
end_with_signal(const char *dir, int sig)
{
	struct cfir_bag *b = NULL;
	struct cfir_err err = { 0 };
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGINT, SIG_DFL);	/* as after the first ^C */
		if (cfir_bag_open(&b, dir, &meta, &err) < 0 || cfir_bag_begin(b, "cut", NULL, &err) < 0 ||
		    cfir_bag_add_buffer(b, "one", "a.txt", "hello\n", 6, &err) < 0)
			_exit(1);
		rename_raise = sig;
		cfir_bag_end(b, "ok", NULL, NULL, &err);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return WIFSIGNALED(status) ? WTERMSIG(status) : -WEXITSTATUS(status);
}

/* A second ^C between the custody record and the tag files waits for them: the bag verifies as it is. */
static void
second_signal(void)
{
	cleanup_free char *dir = NULL;
	char text[4096];
	size_t count;

	CHECK(asprintf(&dir, "%s/bag", unit_tmpdir()) > 0);
	CHECK(end_with_signal(dir, SIGINT) == SIGINT);
	free(last_record(dir, &count));
	CHECK(count == 1);
	CHECK(verify_text(dir, text, sizeof(text)) == 0);
	if (unit_failed_checks)
		fprintf(stderr, "%s", text);
}

/* The artifact PATH of record R has SHA and is marked partial. */
static bool
recovered(const cJSON *r, const char *path, const char *sha)
{
	const cJSON *a, *p, *h, *part;

	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(r, "artifacts")) {
		p = cJSON_GetObjectItemCaseSensitive(a, "path");
		h = cJSON_GetObjectItemCaseSensitive(a, "sha256");
		part = cJSON_GetObjectItemCaseSensitive(a, "partial");
		if (cJSON_IsString(p) && strcmp(p->valuestring, path) == 0)
			return cJSON_IsString(h) && strcmp(h->valuestring, sha) == 0 && cJSON_IsTrue(part);
	}
	return false;
}

/* Open, one action, close: the next cfir command on the bag. */
static void
next_command(const char *dir)
{
	struct cfir_bag *b = NULL;
	struct cfir_err err = { 0 };

	CHECK(cfir_bag_open(&b, dir, &meta, &err) == 0);
	if (b == NULL) {
		fprintf(stderr, "    %s\n", err.msg);
		return;
	}
	CHECK(cfir_bag_begin(b, "next", NULL, &err) == 0);
	CHECK(cfir_bag_end(b, "ok", NULL, NULL, &err) == 0);
	CHECK(cfir_bag_close(b, &err) == 0);
}

/*
 * kill -9 between the custody record and the tag files: verify says what is
 * wrong and how to mend it; the next cfir records it, and the bag verifies.
 */
static void
killed_between_record_and_tags(void)
{
	cleanup_free char *dir = NULL;
	cleanup_cjson cJSON *rec = NULL;
	char text[4096];
	size_t count;
	const cJSON *d;

	CHECK(asprintf(&dir, "%s/bag", unit_tmpdir()) > 0);
	CHECK(end_with_signal(dir, SIGKILL) == SIGKILL);
	CHECK(verify_text(dir, text, sizeof(text)) > 0);
	CHECK(strstr(text, "data/one/a.txt: extra: not in the manifest; if a cfir ended before it recorded "
			   "this file, the next cfir command on the bag (cfir seal, say) records it") != NULL);
	CHECK(strstr(text, ".cfir-tmp-manifest-sha256.txt: left by a cfir") != NULL);
	CHECK(strstr(text, "custody chain: bag-info.txt is 1 record behind the custody log") != NULL);
	next_command(dir);
	CHECK(verify_text(dir, text, sizeof(text)) == 0);
	if (unit_failed_checks)
		fprintf(stderr, "%s", text);
	/* record 1 is the killed action's, 2 the recovery, 3 the next command's */
	free(last_record(dir, &count));
	CHECK(count == 3);
	{
		cleanup_free char *log = unit_read(dir, "custody/log.jsonl");
		char *l2 = log ? strchr(log, '\n') : NULL, *end = l2 ? strchr(l2 + 1, '\n') : NULL;

		if (end != NULL)
			*end = '\0';
		rec = l2 ? cJSON_Parse(l2 + 1) : NULL;
	}
	d = cJSON_GetObjectItemCaseSensitive(rec, "details");
	CHECK(recovered(rec, "data/one/a.txt", "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"));
	CHECK(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d, "tag_files_behind")) == 1);
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d, "leftovers")) == 1);
	CHECK(unit_read(dir, ".cfir-tmp-manifest-sha256.txt") == NULL);
}

/*
 * A cfir killed mid-action, its writer open and a custody line half
 * written: the line is cut off, the file recorded as it is, partial.
 */
static void
killed_mid_action(void)
{
	cleanup_free char *dir = NULL;
	cleanup_cjson cJSON *rec = NULL;
	struct cfir_bag *b = NULL;
	struct cfir_writer *w = NULL;
	struct cfir_err err = { 0 };
	char text[4096], path[600];
	size_t count;
	int fd, status;
	pid_t pid;

	dir = make_bag();
	pid = fork();
	if (pid == 0) {
		if (cfir_bag_open(&b, dir, &meta, &err) < 0 || cfir_bag_begin(b, "long", NULL, &err) < 0 ||
		    cfir_writer_open(b, "x", "stream.bin", &w, &err) < 0 ||
		    cfir_writer_write(w, "abc", 3, &err) < 0 || cfir_writer_commit(w, &err) < 0)
			_exit(1);
		raise(SIGKILL);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status));
	snprintf(path, sizeof(path), "%s/custody/log.jsonl", dir);
	fd = open(path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, "{\"seq\":2,\"ti", 13) == 13);
	close(fd);
	CHECK(verify_text(dir, text, sizeof(text)) > 0);
	CHECK(strstr(text, "data/x/stream.bin: extra: not in the manifest; if a cfir ended") != NULL);
	CHECK(strstr(text, "custody chain: record 2: no newline at the end of the log: a cfir ended while it "
			   "wrote it; the next cfir command on the bag (cfir seal, say) cuts it off") != NULL);
	next_command(dir);
	CHECK(verify_text(dir, text, sizeof(text)) == 0);
	if (unit_failed_checks)
		fprintf(stderr, "%s", text);
	{
		cleanup_free char *log = unit_read(dir, "custody/log.jsonl");
		char *l = log ? strstr(log, "\"action\":\"recover\"") : NULL;

		while (l != NULL && l > log && l[-1] != '\n')
			l--;
		if (l != NULL && strchr(l, '\n') != NULL)
			*strchr(l, '\n') = '\0';
		rec = l ? cJSON_Parse(l) : NULL;
	}
	free(last_record(dir, &count));
	CHECK(count == 3);
	CHECK(recovered(rec, "data/x/stream.bin", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	CHECK(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
		      cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rec, "details"), "cut_record"),
		      "bytes")) == 13);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "status")), "partial");
	{
		const char *e = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "error"));

		CHECK(e != NULL && strstr(e, "an earlier cfir ended before it recorded 1 file") != NULL);
	}
}

/* Records removed at the end are no crash: the bag is not opened, nor mended. */
static void
removed_records_refused(void)
{
	cleanup_free char *dir = make_bag(), *log = NULL;
	struct cfir_bag *b = NULL;
	struct cfir_err err = { 0 };

	next_command(dir);
	log = unit_read(dir, "custody/log.jsonl");
	if (log == NULL)
		return;
	*(strchr(log, '\n') + 1) = '\0';
	unit_write(dir, "custody/log.jsonl", log);
	CHECK(cfir_bag_open(&b, dir, &meta, &err) < 0 && err.exit == EX_DATAERR);
	CHECK(strstr(err.msg, "never had") != NULL);
	CHECK(verify_failures(dir) > 0);
}

UNIT_SUITE(bag_tests) = {
	{ "bag: a side action writes from its own thread beside the main one", side_action },
	{ "bag: create, hash as written, encode names, verify, modes", create_and_verify },
	{ "bag: reopening continues the chain and never overwrites", reopen_continues_chain },
	{ "bag: an aborted writer is recorded as partial with its hash", partial_writer },
	{ "bag: verify catches altered, extra, linked and escaping entries", tamper_detected },
	{ "bag: manifest lines parse and encode as RFC 8493 says", manifest_lines },
	{ "bag: custody chain breaks on removal, swap, edit, cut", custody_chain },
	{ "bag: one writer at a time, lock released with its holder", lock_excludes },
	{ "bag: refuses a directory that is not a bag, and another case", refuses_foreign },
	{ "bag: a record too large for a full disk is whole or absent, never cut", record_on_full_disk },
	{ "bag: details larger than a record may be become a note", record_too_large },
	{ "bag: on a file system without d_type the tag manifest covers custody/", bag_without_dtype },
	{ "bag: one walk, one set of rules, with d_type, without, and when it lies", walk_rules },
	{ "bag: an archive's oversized tag file fails clearly and is not held", archive_tag_too_large },
	{ "bag: an archive with more members than a bag holds is refused", archive_too_many_members },
	{ "bag: a second ^C waits until the record and the tag files agree", second_signal },
	{ "bag: killed between the record and the tag files: verify says, the next cfir mends",
	  killed_between_record_and_tags },
	{ "bag: killed mid-action: the cut line goes, the file is recorded as partial", killed_mid_action },
	{ "bag: records removed at the end are refused, not mended", removed_records_refused },
	UNIT_END,
};
