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

int
cfir_disk_open(int root, const char *path, int flags)
{
	struct open_how how = { .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	int fd;

	while (*path == '/')
		path++;
	if (*path == '\0')
		path = ".";
	how.flags = (unsigned long long)(flags | O_CLOEXEC | ((flags & O_PATH) ? 0 : O_NOATIME));
	fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
	if (fd < 0 && errno == EPERM && !(flags & O_PATH)) {
		/* not the owner and no CAP_FOWNER: opened all the same */
		how.flags &= ~(unsigned long long)O_NOATIME;
		fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
	}
	return fd;
}

int
cfir_disk_read(int root, const char *path, size_t max, char **buf, size_t *len,
	       struct cfir_err *err)
{
	cleanup_close int fd = cfir_disk_open(root, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	cleanup_free char *p = NULL;
	size_t n = 0, cap;
	struct stat st;
	ssize_t r;
	char *np;

	*buf = NULL;
	if (fd < 0)
		return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "open '%s'", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return cfir_err_set(err, EX_DATAERR, 0, "'%s' is not a regular file", path);
	/*
	 * The fd itself is read (openat(fd, "") is ENOENT, and a path opened
	 * again could be another file): sized by the file, grown to the bound
	 * once should it have grown since.
	 */
	cap = (uintmax_t)st.st_size < max ? (size_t)st.st_size + 1 : max + 1;
	if ((p = malloc(cap + 1)) == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "read '%s'", path);
	for (;;) {
		if (n == cap && cap <= max) {
			if ((np = realloc(p, max + 2)) == NULL)
				return cfir_err_set(err, EX_OSERR, ENOMEM, "read '%s'", path);
			p = np;
			cap = max + 1;
		}
		if (n == cap || (r = read(fd, p + n, cap - n)) == 0)
			break;
		if (r < 0 && errno != EINTR)
			return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "read '%s'", path);
		n += r > 0 ? (size_t)r : 0;
	}
	if (n > max)
		return cfir_err_set(err, EX_DATAERR, EFBIG, "'%s' is larger than %zu bytes", path, max);
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

int
cfir_disk_list_add(struct cfir_disk_list *l, struct cfir_disk_container *c, struct cfir_err *err)
{
	struct cfir_disk_container *nv;

	if (l->n >= 3 * CFIR_DISK_CONTAINERS_MAX) {
		cfir_disk_container_free(c);
		l->skipped++;
		return 0;
	}
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

int
cfir_disk_list(int root, struct cfir_disk_list *l, struct cfir_err *err)
{
	memset(l, 0, sizeof(*l));
	if (cfir_disk_docker_list(root, l, err) < 0 ||
	    cfir_disk_storage_list(root, l, err) < 0 ||
	    cfir_disk_containerd_list(root, l, err) < 0) {
		cfir_disk_list_free(l);
		return -1;
	}
	return 0;
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
