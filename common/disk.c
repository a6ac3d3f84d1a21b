/* disk.c - paths resolved inside a root, and every engine's containers on disk in one list */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/disk.h"
#include "common/util.h"

static int
open_in_root(int root, const char *path, int flags)
{
	struct open_how how = { .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };

	while (*path == '/')
		path++;
	if (*path == '\0')
		path = ".";
	how.flags = (unsigned long long)(flags | O_CLOEXEC);
	return (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
}

/* The file FD (O_PATH) opened for reading with FLAGS, O_NOATIME where allowed. */
static int
reopen(int fd, int flags)
{
	char self[64];
	int r;

	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	r = open(self, flags | O_CLOEXEC | O_NOATIME);
	if (r < 0 && errno == EPERM)	/* not the owner and no CAP_FOWNER: opened all the same */
		r = open(self, flags | O_CLOEXEC);
	return r;
}

int
cfir_disk_open(int root, const char *path, int flags)
{
	struct stat st;
	int fd, r;

	if (flags & (O_PATH | O_DIRECTORY)) {
		fd = open_in_root(root, path, flags | ((flags & O_PATH) ? 0 : O_NOATIME));
		if (fd < 0 && errno == EPERM && !(flags & O_PATH))
			fd = open_in_root(root, path, flags);
		return fd;
	}
	/* a file: looked at before it is opened, so that no device of this host is ever opened */
	fd = open_in_root(root, path, O_PATH);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	r = reopen(fd, flags);
	close(fd);
	return r;
}

int
cfir_disk_read(int root, const char *path, size_t max, char **buf, size_t *len,
	       struct cfir_err *err)
{
	cleanup_close int fd = cfir_disk_open(root, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	cleanup_free char *p = NULL;
	struct stat st;
	size_t n = 0;
	ssize_t r;

	*buf = NULL;
	if (fd < 0 && errno == EINVAL)
		return cfir_err_set(err, EX_DATAERR, 0, "'%s' is not a regular file", path);
	if (fd < 0)
		return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "open '%s'", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return cfir_err_set(err, EX_DATAERR, 0, "'%s' is not a regular file", path);
	if ((uint64_t)st.st_size > max)
		return cfir_err_set(err, EX_DATAERR, EFBIG, "'%s' is larger than %zu bytes", path, max);
	/* its size when opened, and one byte more to see that it did not grow past it */
	p = malloc((size_t)st.st_size + 2);
	if (p == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "read '%s'", path);
	while (n < (size_t)st.st_size + 1) {
		r = read(fd, p + n, (size_t)st.st_size + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "read '%s'", path);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > (size_t)st.st_size)
		return cfir_err_set(err, EX_TEMPFAIL, 0, "'%s' grew while it was read", path);
	p[n] = '\0';
	if (len != NULL)
		*len = n;
	*buf = steal_pointer(&p);
	return 0;
}

char *
cfir_disk_resolve(int root, const char *path)
{
	cleanup_close int fd = cfir_disk_open(root, path, O_PATH);
	char link[64], buf[4096];
	ssize_t n;

	if (fd < 0)
		return NULL;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n < 0)
		return NULL;
	if ((size_t)n == sizeof(buf) - 1) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	buf[n] = '\0';
	return strdup(buf);
}

void
cfir_disk_layers_free(struct cfir_disk_layers *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].name);
		free(l->v[i].digest);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
cfir_disk_layers_add(int root, struct cfir_disk_layers *l, const char *name, const char *digest,
		     struct cfir_err *err)
{
	struct cfir_disk_layer *nv, *y;

	if (l->n >= CFIR_DISK_LAYERS_MAX)
		return cfir_err_set(err, EX_DATAERR, 0, "more than %d layers", CFIR_DISK_LAYERS_MAX);
	nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
	if (nv == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "layers");
	l->v = nv;
	y = &l->v[l->n];
	memset(y, 0, sizeof(*y));
	y->path = cfir_disk_resolve(root, name);
	if (y->path == NULL)
		return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "layer '%s'", name);
	y->name = strdup(name);
	y->digest = digest != NULL ? strdup(digest) : NULL;
	l->n++;
	if (y->name == NULL || (digest != NULL && y->digest == NULL))
		return cfir_err_set(err, EX_OSERR, ENOMEM, "layers");
	return 0;
}

void
cfir_disk_container_free(struct cfir_disk_container *c)
{
	free(c->id);
	free(c->ns);
	free(c->name);
	free(c->image);
	free(c->image_id);
	free(c->created);
	free(c->status);
	free(c->config_name);
	free(c->config_raw);
	free(c->hostconfig_raw);
	free(c->spec_raw);
	cJSON_Delete(c->inspect);
	memset(c, 0, sizeof(*c));
}

void
cfir_disk_list_skip(struct cfir_disk_list *l, const char *name, const char *why)
{
	l->skipped++;
	if (l->first_skip == NULL && asprintf(&l->first_skip, "'%.200s': %s", name ? name : "?", why) < 0)
		l->first_skip = NULL;
}

int
cfir_disk_list_add(struct cfir_disk_list *l, struct cfir_disk_container *c, struct cfir_err *err)
{
	struct cfir_disk_container *nv;
	size_t kept = c->config_len + c->hostconfig_len + c->spec_len;

	if (l->n >= 3 * CFIR_DISK_CONTAINERS_MAX || kept > CFIR_DISK_LIST_BYTES - l->bytes) {
		cfir_disk_list_skip(l, c->id, l->n >= 3 * CFIR_DISK_CONTAINERS_MAX ? "past the containers a listing keeps"
								: "its files pass the 256 MiB a listing keeps");
		cfir_disk_container_free(c);
		return 0;
	}
	l->bytes += kept;
	nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
	if (nv == NULL) {
		cfir_disk_container_free(c);
		return cfir_err_set(err, EX_OSERR, ENOMEM, "containers");
	}
	l->v = nv;
	l->v[l->n++] = *c;
	memset(c, 0, sizeof(*c));
	return 0;
}

void
cfir_disk_list_free(struct cfir_disk_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		cfir_disk_container_free(&l->v[i]);
	free(l->v);
	free(l->first_skip);
	memset(l, 0, sizeof(*l));
}

/* Is C dockerd's own container in containerd's namespace "moby", listed already from dockerd's files? */
static bool
dockers(const struct cfir_disk_list *l, size_t ndocker, const struct cfir_disk_container *c)
{
	size_t i;

	if (c->ns == NULL || strcmp(c->ns, "moby") != 0)
		return false;
	for (i = 0; i < ndocker; i++)
		if (strcmp(l->v[i].id, c->id) == 0)
			return true;
	return false;
}

int
cfir_disk_list(int root, struct cfir_disk_list *l, struct cfir_err *err)
{
	size_t ndocker, i, j;

	memset(l, 0, sizeof(*l));
	if (cfir_disk_docker_list(root, l, err) < 0)
		goto fail;
	ndocker = l->n;
	if (cfir_disk_storage_list(root, l, err) < 0 || cfir_disk_containerd_list(root, l, err) < 0)
		goto fail;
	/* dockerd's containers are in containerd's too, with nothing more: one entry each */
	for (i = j = ndocker; i < l->n; i++) {
		if (dockers(l, ndocker, &l->v[i]))
			cfir_disk_container_free(&l->v[i]);
		else
			l->v[j++] = l->v[i];
	}
	l->n = j;
	return 0;
fail:
	cfir_disk_list_free(l);
	return -1;
}

int
cfir_disk_layers(int root, const struct cfir_disk_container *c, struct cfir_disk_layers *l,
		 struct cfir_err *err)
{
	memset(l, 0, sizeof(*l));
	if (strcmp(c->manager, "docker") == 0)
		return cfir_disk_docker_layers(root, c->id, l, err);
	if (strcmp(c->manager, "containerd") == 0)
		return cfir_disk_containerd_layers(root, c->ns, c->id, l, err);
	return cfir_disk_storage_layers(root, c->id, l, err);
}
