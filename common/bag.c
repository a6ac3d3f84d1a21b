/* bag.c - the evidence bag: open and close, and what it tells the examiner */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/bag.h"
#include "common/bag-internal.h"
#include "common/cleanup.h"
#include "common/target.h"
#include "common/util.h"

/*
 * cfir's own binary, hashed for every record: begun on a thread before
 * the bag is needed (the engine's answer and the bag's own fsyncs leave
 * the time), taken by the first bag opened. A fork waits for it: the
 * child has no thread, and keeps the digest.
 */
static struct {
	pthread_mutex_t mu;
	pthread_t th;
	bool registered, running, done;
	char sha[CFIR_SHA256_HEX];
} self = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void
self_hash(char out[CFIR_SHA256_HEX])
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || cfir_sha256_fd(fd, out, NULL, NULL) < 0)
		snprintf(out, CFIR_SHA256_HEX, "unknown");
	if (fd >= 0)
		close(fd);
}

static void *
self_hash_run(void *arg)
{
	(void)arg;
	self_hash(self.sha);
	return NULL;
}

/* The digest, waited for when it is on its thread; under self.mu. */
static void
self_hash_take(void)
{
	if (self.running)
		pthread_join(self.th, NULL);
	else if (!self.done)
		self_hash(self.sha);
	self.running = false;
	self.done = true;
}

static void
self_hash_prefork(void)
{
	pthread_mutex_lock(&self.mu);
	self_hash_take();
}

static void
self_hash_postfork(void)
{
	pthread_mutex_unlock(&self.mu);
}

/* At exit, after a command that opened no bag: the thread ended before libcrypto's own cleanup runs. */
static void
self_hash_atexit(void)
{
	pthread_mutex_lock(&self.mu);
	if (self.running) {
		pthread_join(self.th, NULL);
		self.running = false;
		self.done = true;
	}
	pthread_mutex_unlock(&self.mu);
}

void
cfir_bag_self_hash_begin(void)
{
	sigset_t all, old;

	pthread_mutex_lock(&self.mu);
	/*
	 * libcrypto's exit handler registered first (an init that asks for
	 * something: asked for nothing it returns at once), so this one runs
	 * before it: a thread still hashing would find libcrypto freed
	 */
	if (!self.registered && OPENSSL_init_crypto(OPENSSL_INIT_ADD_ALL_DIGESTS, NULL) == 1 &&
	    atexit(self_hash_atexit) == 0)
		self.registered = pthread_atfork(self_hash_prefork, self_hash_postfork, self_hash_postfork) == 0;
	/* no signal for it: SIGINT stays the main thread's */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (self.registered && !self.running && !self.done)
		self.running = pthread_create(&self.th, NULL, self_hash_run, NULL) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_mutex_unlock(&self.mu);
}

static void
self_hash_get(char out[CFIR_SHA256_HEX])
{
	pthread_mutex_lock(&self.mu);
	self_hash_take();
	memcpy(out, self.sha, CFIR_SHA256_HEX);
	pthread_mutex_unlock(&self.mu);
}

void
cfir_bag_notice(struct cfir_bag *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfir_err_vnotice(&b->notices, fmt, ap);
	va_end(ap);
}

char *
cfir_bag_notices(struct cfir_bag *b)
{
	char *n;

	pthread_mutex_lock(&b->mu);
	n = steal_pointer(&b->notices);
	pthread_mutex_unlock(&b->mu);
	return n;
}

uint64_t
cfir_bag_seq(const struct cfir_bag *b)
{
	return b->seq;
}

const char *
cfir_bag_dir(const struct cfir_bag *b)
{
	return b->dir;
}

const cJSON *
cfir_bag_artifacts(const struct cfir_bag *b)
{
	return b->cur.artifacts;
}

char *
cfir_bag_default_dir(const char *name)
{
	cleanup_free char *safe = cfir_util_safe_name(name, 64);
	char stamp[32], *dir = NULL;

	cfir_util_time_stamp(stamp, sizeof(stamp));
	if (safe == NULL || asprintf(&dir, "cfir-%s-%s", safe, stamp) < 0)
		return NULL;
	return dir;
}

static bool
dir_is_empty(int fd)
{
	int dfd = dup(fd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *de;
	bool empty = true;

	if (d == NULL) {
		if (dfd >= 0)
			close(dfd);
		return false;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = false;
	closedir(d);
	return empty;
}

/* case-42/web-1: the case directory comes into being with the first bag */
static int
mkdir_parents(const char *dir)
{
	cleanup_free char *p = strdup(dir);
	char *s;

	if (p == NULL)
		return -1;
	for (s = p + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return 0;
}

static int
check_meta_value(const char *what, const char *v, struct cfir_err *err)
{
	const char *p;

	for (p = v; p && *p; p++)
		if ((unsigned char)*p < 0x20)
			return cfir_err_set(err, EX_USAGE, 0, "%s holds a control character", what);
	return 0;
}

static void
bag_free(struct cfir_bag *b)
{
	if (b == NULL)
		return;
	if (b->dirfd >= 0) {
		cfir_bag_reserve_give(b);
		close(b->dirfd);
	}
	cfir_bag_manifest_free(b);
	cfir_bag_info_free(b);
	free(b->dir);
	free(b->notices);
	cfir_bag_act_clear(&b->cur);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

static int
bag_init(struct cfir_bag *b, bool fresh, struct recovery *rv, struct cfir_err *err)
{
	struct stat st;
	char today[16];
	time_t t = time(NULL);
	struct tm tm;
	int fd;

	gmtime_r(&t, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	if (fresh) {
		snprintf(b->date, sizeof(b->date), "%s", today);
		if (mkdirat(b->dirfd, "data", 0700) < 0 && errno != EEXIST)
			return cfir_err_set(err, EX_IOERR, errno, "bag '%s': mkdir data", b->dir);
		if (mkdirat(b->dirfd, "custody", 0700) < 0 && errno != EEXIST)
			return cfir_err_set(err, EX_IOERR, errno, "bag '%s': mkdir custody", b->dir);
		fd = openat(b->dirfd, "custody/log.jsonl",
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return cfir_err_set(err, EX_IOERR, errno, "bag '%s': create custody log", b->dir);
		close(fd);
		/* bagit.txt last: its presence says the bag is whole */
		return cfir_bag_write_atomic(b, "bagit.txt", CFIR_BAGIT_TXT, strlen(CFIR_BAGIT_TXT), err);
	}
	if (fstatat(b->dirfd, "bagit.txt", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
		return cfir_err_set(err, EX_DATAERR, 0,
				    "'%s' exists and is not an evidence bag (no bagit.txt)", b->dir);
	if (cfir_bag_info_load(b, err) < 0 || cfir_bag_manifest_load(b, err) < 0 || cfir_bag_custody_load(b, rv, err) < 0)
		return -1;
	rv->tags_stale = cfir_bag_tags_stale(b, rv->log_hex);
	if (b->date[0] == '\0')
		snprintf(b->date, sizeof(b->date), "%s", today);
	return 0;
}

/* The case and the examiner this command names; a bag of another case refuses it. */
static int
bag_take_meta(struct cfir_bag *b, const struct cfir_bag_meta *meta, struct cfir_err *err)
{
	if (meta != NULL && meta->case_id != NULL) {
		if (b->case_id != NULL && strcmp(b->case_id, meta->case_id) != 0)
			return cfir_err_set(err, EX_USAGE, 0, "bag '%s' belongs to case '%s', not '%s'",
					    b->dir, b->case_id, meta->case_id);
		free(b->case_id);
		b->case_id = strdup(meta->case_id);
	}
	if (meta != NULL && meta->examiner != NULL) {
		free(b->examiner);
		b->examiner = strdup(meta->examiner);
	}
	return 0;
}

int
cfir_bag_open(struct cfir_bag **bp, const char *dir,
	      const struct cfir_bag_meta *meta, struct cfir_err *err)
{
	struct cfir_bag *b;
	struct recovery rv = { 0 };
	bool fresh = false;
	int e;

	*bp = NULL;
	if (meta != NULL && (check_meta_value("--case", meta->case_id, err) < 0 ||
			     check_meta_value("--examiner", meta->examiner, err) < 0))
		return -1;
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "bag");
	b->dirfd = -1;
	b->meta = meta;
	pthread_mutex_init(&b->mu, NULL);
	memcpy(b->head, CFIR_BAG_ZERO_HASH, CFIR_SHA256_HEX);
	b->dir = strdup(dir);
	if (mkdir_parents(dir) < 0 || (mkdir(dir, 0700) < 0 && errno != EEXIST)) {
		cfir_err_set(err, cfir_err_sys_exit(errno), errno, "create bag '%s'", dir);
		goto fail;
	}
	b->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (b->dirfd < 0) {
		cfir_err_set(err, cfir_err_sys_exit(errno), errno, "open bag '%s'", dir);
		goto fail;
	}
	if (cfir_bag_lock(b, err) < 0)
		goto fail;
	/* decided under the lock: another cfir may have made the bag meanwhile */
	fresh = dir_is_empty(b->dirfd);
	if (fresh)
		fchmod(b->dirfd, 0700);
	if (bag_init(b, fresh, &rv, err) < 0)
		goto fail;
	if (bag_take_meta(b, meta, err) < 0)
		goto fail;
	self_hash_get(b->binsha);
	if (fresh && cfir_bag_tags_update(b, err) < 0)
		goto fail;
	if ((e = cfir_bag_reserve_take(b)) != 0) {
		cfir_err_set(err, EX_IOERR, e, "bag '%s': no room for the reserve that keeps the bag "
			     "whole when the disk fills", dir);
		goto fail;
	}
	/* what an earlier cfir left unrecorded, recorded before anything new */
	if (!fresh && cfir_bag_recover(b, &rv, err) < 0)
		goto fail;
	*bp = b;
	return 0;
fail:
	bag_free(b);
	return -1;
}

int
cfir_bag_close(struct cfir_bag *b, struct cfir_err *err)
{
	int r = 0;

	if (b == NULL)
		return 0;
	if (b->cur.action != NULL)
		r = cfir_bag_end(b, "failed", "the command ended before the action did", NULL, err);
	bag_free(b);
	return r;
}
