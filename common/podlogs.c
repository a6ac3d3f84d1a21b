/* podlogs.c - a Kubernetes container's log files under /var/log/pods, opened safely */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/out.h"
#include "common/podlogs.h"
#include "common/util.h"

/*
 * NAME (WHAT, for the message) one path component: bounded, no '/', no
 * control byte, not "." or ".."; no '_' when it is part of the pod's
 * directory name. Its bytes are never put in the message: they are hostile.
 */
static int
check_name(const char *what, const char *name, bool in_pod_dir, struct cfir_err *err)
{
	size_t n, i;

	if (name == NULL || (n = strnlen(name, CFIR_PODLOGS_NAME_MAX + 1)) == 0)
		return cfir_err_set(err, EX_DATAERR, 0, "pod logs: no %s name", what);
	if (n > CFIR_PODLOGS_NAME_MAX)
		return cfir_err_set(err, EX_DATAERR, 0, "pod logs: the %s name is longer than %d bytes",
				    what, CFIR_PODLOGS_NAME_MAX);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return cfir_err_set(err, EX_DATAERR, 0, "pod logs: the %s name is '%s'", what, name);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '/' || c < 0x20 || c == 0x7f || (in_pod_dir && c == '_'))
			return cfir_err_set(err, EX_DATAERR, 0,
					    "pod logs: the %s name holds '/', '_' or a control byte", what);
	}
	return 0;
}

/* NAME under DFD, a directory and not a link; SHOWN names it in a message. */
static int
open_step(int dfd, const char *name, const char *shown, struct cfir_err *err)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == ELOOP || errno == ENOTDIR)
		return cfir_err_set(err, EX_DATAERR, errno, "'%s' is a link or not a directory", shown);
	if (errno == ENOENT)
		return cfir_err_set(err, EX_NOINPUT, errno, "no log directory '%s'", shown);
	return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "open '%s'", shown);
}

/* The N of "N.log" and what follows it; false for any other name. */
static bool
log_name(const char *name, struct cfir_podlogs_file *f)
{
	const char *dot = strchr(name, '.');
	char num[16];
	size_t n = dot != NULL ? (size_t)(dot - name) : 0, len = strlen(name);

	if (n == 0 || n >= sizeof(num) || strncmp(dot, ".log", 4) != 0 ||
	    (dot[4] != '\0' && (dot[4] != '.' || dot[5] == '\0')))
		return false;
	memcpy(num, name, n);
	num[n] = '\0';
	if (strspn(num, "0123456789") != n || cfir_util_parse_ulong(num, 1ul << 30, &f->restart) < 0)
		return false;
	f->rotated = dot[4] != '\0';
	f->compressed = len > 3 && strcmp(name + len - 3, ".gz") == 0;
	return true;
}

/* In the order the kubelet wrote them: by restart, rotated before live, by name. */
static int
cmp_file(const void *a, const void *b)
{
	const struct cfir_podlogs_file *x = a, *y = b;

	if (x->restart != y->restart)
		return CFIR_UTIL_CMP(x->restart, y->restart);
	if (x->rotated != y->rotated)
		return x->rotated ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Entry NAME of the container's directory, when it is a log file. */
static int
add_file(struct cfir_podlogs *pl, size_t *cap, const char *name)
{
	struct cfir_podlogs_file f = { 0 };
	struct stat st;

	if (fstatat(pl->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		pl->skipped++;
		return 0;
	}
	if (S_ISLNK(st.st_mode)) {
		pl->links++;
		return 0;
	}
	if (!S_ISREG(st.st_mode) || !log_name(name, &f)) {
		pl->skipped++;
		return 0;
	}
	if (pl->n >= CFIR_PODLOGS_FILES_MAX) {
		pl->dropped++;
		return 0;
	}
	if (!cfir_util_grow((void **)&pl->v, cap, pl->n, sizeof(*pl->v), 8, CFIR_PODLOGS_FILES_MAX) ||
	    (f.name = strdup(name)) == NULL)
		return -1;
	f.dev = st.st_dev;
	f.ino = st.st_ino;
	f.size = st.st_size;
	f.mtime = st.st_mtim;
	pl->v[pl->n++] = f;
	return 0;
}

/* The log files of PL's directory, listed and sorted. */
static int
list_files(struct cfir_podlogs *pl, struct cfir_err *err)
{
	int fd = dup(pl->dirfd);
	size_t cap = 0, seen = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return cfir_err_set(err, EX_OSERR, errno, "read '%s'", pl->dir);
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (++seen > CFIR_PODLOGS_DIR_MAX) {
			pl->dropped++;
			break;
		}
		if (add_file(pl, &cap, de->d_name) < 0) {
			closedir(d);
			return cfir_err_set(err, EX_OSERR, ENOMEM, "pod logs");
		}
	}
	closedir(d);
	if (pl->n > 1)
		qsort(pl->v, pl->n, sizeof(*pl->v), cmp_file);
	return 0;
}

/* The pod's directory, "NS_POD_UID", under the open /var/log/pods PODSFD; its fd. */
static int
open_pod_dir(int podsfd, const struct cfir_podlogs_id *id, struct cfir_podlogs *pl,
	     struct cfir_err *err)
{
	cleanup_free char *name = NULL;
	cleanup_close int fd = -1;

	if (check_name("namespace", id->ns, true, err) < 0 || check_name("pod", id->pod, true, err) < 0 ||
	    check_name("pod uid", id->uid, true, err) < 0 ||
	    check_name("container", id->container, false, err) < 0)
		return -1;
	if (asprintf(&name, "%s_%s_%s", id->ns, id->pod, id->uid) < 0 ||
	    asprintf(&pl->dir, "/var/log/pods/%s/%s", name, id->container) < 0) {
		pl->dir = NULL;
		return cfir_err_set(err, EX_OSERR, ENOMEM, "pod logs");
	}
	if (strlen(name) > 255)
		return cfir_err_set(err, EX_DATAERR, 0, "pod logs: the pod's directory name is too long");
	if ((fd = open_step(podsfd, name, "/var/log/pods/<pod>", err)) < 0)
		return -1;
	return open_step(fd, id->container, pl->dir, err);
}

int
cfir_podlogs_open(const char *root, const struct cfir_podlogs_id *id, struct cfir_podlogs *pl,
		  struct cfir_err *err)
{
	cleanup_close int rootfd = -1, podsfd = -1;

	memset(pl, 0, sizeof(*pl));
	pl->dirfd = -1;
	rootfd = open(root != NULL ? root : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "open '%s'", root ? root : "/");
	/* the host's own path, resolved as the host has it; below it, no link */
	podsfd = openat(rootfd, "var/log/pods", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (podsfd < 0)
		return cfir_err_set(err, errno == ENOENT ? EX_NOINPUT : cfir_err_sys_exit(errno), errno,
				    "open '/var/log/pods'");
	if ((pl->dirfd = open_pod_dir(podsfd, id, pl, err)) < 0 || list_files(pl, err) < 0) {
		cfir_podlogs_close(pl);
		return -1;
	}
	return 0;
}

void
cfir_podlogs_close(struct cfir_podlogs *pl)
{
	size_t i;

	if (pl->dirfd >= 0)
		close(pl->dirfd);
	for (i = 0; i < pl->n; i++)
		free(pl->v[i].name);
	free(pl->v);
	free(pl->dir);
	memset(pl, 0, sizeof(*pl));
	pl->dirfd = -1;
}

int
cfir_podlogs_file_open(const struct cfir_podlogs *pl, size_t i, struct stat *st,
		       struct cfir_err *err)
{
	int fd;

	if (i >= pl->n || pl->dirfd < 0)
		return cfir_err_set(err, EX_SOFTWARE, 0, "pod logs: no file %zu", i);
	fd = cfir_util_open_noatime(pl->dirfd, pl->v[i].name,
				    O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return cfir_err_set(err, errno == ELOOP ? EX_DATAERR : cfir_err_sys_exit(errno), errno,
				    "open '%s/%s'", pl->dir, pl->v[i].name);
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return cfir_err_set(err, EX_DATAERR, 0, "'%s/%s' is not a regular file", pl->dir,
				    pl->v[i].name);
	}
	return fd;
}

cJSON *
cfir_podlogs_json(const struct cfir_podlogs *pl)
{
	cJSON *o = cJSON_CreateObject(), *files, *f;
	char t[CFIR_TIME_LEN];
	size_t i;

	if (o == NULL || (files = cJSON_AddArrayToObject(o, "files")) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	cfir_json_add_bytes(o, "dir", pl->dir, pl->dir != NULL ? strlen(pl->dir) : 0);
	for (i = 0; i < pl->n; i++) {
		if ((f = cJSON_CreateObject()) == NULL)
			break;
		cJSON_AddItemToArray(files, f);
		cfir_json_add_bytes(f, "name", pl->v[i].name, strlen(pl->v[i].name));
		cfir_json_add_num(f, "restart", (double)pl->v[i].restart);
		cJSON_AddBoolToObject(f, "rotated", pl->v[i].rotated);
		cJSON_AddBoolToObject(f, "compressed", pl->v[i].compressed);
		cfir_json_add_num(f, "size", (double)pl->v[i].size);
		cfir_util_time_rfc3339(&pl->v[i].mtime, t);
		cfir_json_add_str(f, "mtime", t);
	}
	cfir_json_add_num(o, "dropped", (double)pl->dropped);
	cfir_json_add_num(o, "links", pl->links);
	cfir_json_add_num(o, "skipped", pl->skipped);
	return o;
}
