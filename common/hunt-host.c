/* hunt-host.c - the host read once for a hunt over many containers: each process's PID and network namespace, the mounts
 *
 * Each container's members (those of its PID namespace beside those of its
 * cgroup) and its sockets' holders (those of its network namespace) are
 * found among every process of the host. Read once for the whole hunt, two
 * links a process, rather than once a container; what is found is a
 * candidate only: each is checked again through its own fd when it is
 * read (cfir_proc_open, the sockets' holders). The host's mount table,
 * which the kernel renders whole at each read, is read once too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/nsfs.h>

#include "common/cleanup.h"
#include "common/hunt-private.h"
#include "common/interrupt.h"
#include "common/mountinfo.h"
#include "common/proc.h"
#include "common/util.h"

#define NS_DEPTH 34	/* a PID namespace and its ancestors: the kernel nests 32 */
#define HOST_PROCS_MAX (1u << 22)
#define HOST_MOUNTS_MAX (16u << 20)	/* bytes of the host's mount table kept; past it, each container reads it */

/* A PID namespace met, and those it is nested in, itself first. */
struct host_pidns {
	unsigned long up[NS_DEPTH];
	size_t nup;
};

struct host_proc {
	pid_t pid;
	size_t pidns;		/* into the namespaces met; SIZE_MAX when unread */
	unsigned long netns;	/* 0 when unread */
};

/* The host's mount on a mount point: the last line wins, as mounted on top. */
struct host_mount {
	char *mountpoint, *line;
	size_t at;		/* its place in the table */
};

struct cfir_hunt_host {
	struct host_mount *m;
	size_t nm, capm, mbytes;
	bool mounts;		/* the whole table was read */
	struct host_proc *p;
	size_t n, cap;
	struct host_pidns *ns;
	size_t nns, capns;
	pid_t *out;		/* what the last question found, n long */
	bool oom;
};

/* The chain of PID namespaces from the one NSFD holds up to ours; NSFD is closed. */
static void
chain(int nsfd, struct host_pidns *ns)
{
	struct stat sb;
	int up;

	ns->nup = 0;
	while (nsfd >= 0 && ns->nup < NS_DEPTH) {
		if (fstat(nsfd, &sb) == 0)
			ns->up[ns->nup++] = (unsigned long)sb.st_ino;
		up = ioctl(nsfd, NS_GET_PARENT);	/* EPERM at our own namespace: the top */
		close(nsfd);
		nsfd = up;
	}
	if (nsfd >= 0)
		close(nsfd);
}

/* The namespace of inode INO, read through PROCFD's PID/ns/pid when it is new: its index, SIZE_MAX for none. */
static size_t
pidns_of(struct cfir_hunt_host *h, int procfd, unsigned long pid, unsigned long ino)
{
	char path[48];
	size_t i;

	for (i = h->nns; i-- > 0;)	/* a host has few: the last met is the likeliest */
		if (h->ns[i].up[0] == ino)
			return i;
	if (!cfir_util_grow((void **)&h->ns, &h->capns, h->nns, sizeof(*h->ns), 16, HOST_PROCS_MAX)) {
		h->oom = true;
		return SIZE_MAX;
	}
	snprintf(path, sizeof(path), "%lu/ns/pid", pid);
	chain(openat(procfd, path, O_RDONLY | O_CLOEXEC), &h->ns[h->nns]);
	/*
	 * Gone, or replaced meanwhile by a process of another namespace: this
	 * process is left unread and nothing is kept of INO (a process that
	 * dies at the right time must not stand for its namespace's parents);
	 * a chain read whole is kept for the namespace it was read of.
	 */
	if (h->ns[h->nns].nup == 0)
		return SIZE_MAX;
	if (h->ns[h->nns].up[0] != ino) {
		h->nns++;
		return SIZE_MAX;
	}
	return h->nns++;
}

static unsigned long
ns_link(int procfd, unsigned long pid, const char *ns)
{
	char path[48];

	snprintf(path, sizeof(path), "%lu/ns/%s", pid, ns);
	return cfir_proc_inode_at(procfd, path, ns);
}

static int
mount_line(void *ctx, char *line, size_t n)
{
	struct cfir_hunt_host *h = ctx;
	cleanup_free char *copy = NULL;
	struct host_mount *hm;
	struct cfir_mount m;

	/* a line cfir_mountinfo_last would not match matches nothing here either */
	if (memchr(line, '\0', n) != NULL || (copy = strndup(line, n)) == NULL ||
	    cfir_mountinfo_parse_line(copy, &m) < 0)
		return copy == NULL && memchr(line, '\0', n) == NULL ? -2 : 0;
	h->mbytes += 2 * n;
	if (h->mbytes > HOST_MOUNTS_MAX ||
	    !cfir_util_grow((void **)&h->m, &h->capm, h->nm, sizeof(*h->m), 256, HOST_MOUNTS_MAX))
		return -2;
	hm = &h->m[h->nm];
	hm->mountpoint = strdup(m.mountpoint);
	hm->line = strndup(line, n);
	hm->at = h->nm;
	if (hm->mountpoint == NULL || hm->line == NULL) {
		free(hm->mountpoint);
		free(hm->line);
		return -2;
	}
	h->nm++;
	return 0;
}

/* By mount point, the last mounted first. */
static int
by_mountpoint(const void *a, const void *b)
{
	const struct host_mount *x = a, *y = b;
	int d = strcmp(x->mountpoint, y->mountpoint);

	return d != 0 ? d : (x->at < y->at) - (x->at > y->at);
}

/* The host's mount table, whole or not at all: a part could miss the mount on top. */
static void
read_mounts(struct cfir_hunt_host *h, const char *proc)
{
	cleanup_close int fd = -1;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/self/mountinfo", proc);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && cfir_util_lines(fd, CFIR_MOUNTINFO_LINE_MAX, mount_line, h, NULL) == 0) {
		h->mounts = true;
		if (h->nm > 1)
			qsort(h->m, h->nm, sizeof(*h->m), by_mountpoint);
	}
}

const char *
cfir_hunt_host_mount(const struct cfir_hunt_host *h, const char *mountpoint)
{
	size_t lo = 0, hi, mid;

	if (h == NULL || !h->mounts || mountpoint == NULL)
		return NULL;
	hi = h->nm;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(h->m[mid].mountpoint, mountpoint) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < h->nm && strcmp(h->m[lo].mountpoint, mountpoint) == 0 ? h->m[lo].line : NULL;
}

int
cfir_hunt_host_read(const char *proc, struct cfir_hunt_host **out, struct cfir_err *err)
{
	struct cfir_hunt_host *h = calloc(1, sizeof(*h));
	cleanup_close int procfd = -1;
	struct dirent *de;
	DIR *d;
	int dfd;

	*out = NULL;
	if (h == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "the host's processes");
	procfd = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dfd = procfd >= 0 ? fcntl(procfd, F_DUPFD_CLOEXEC, 0) : -1;
	d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (d == NULL) {
		if (dfd >= 0)
			close(dfd);
		cfir_hunt_host_free(h);
		return cfir_err_set(err, EX_IOERR, errno, "open '%s'", proc);
	}
	while ((de = readdir(d)) != NULL && !cfir_interrupt_pending()) {
		struct host_proc *p;
		unsigned long pid, pidns;

		if (cfir_util_parse_ulong(de->d_name, 0x7fffffff, &pid) < 0 || pid == 0)
			continue;
		if (!cfir_util_grow((void **)&h->p, &h->cap, h->n, sizeof(*h->p), 256, HOST_PROCS_MAX)) {
			closedir(d);
			cfir_hunt_host_free(h);
			return cfir_err_set(err, EX_OSERR, ENOMEM, "the host's processes");
		}
		p = &h->p[h->n];
		p->pid = (pid_t)pid;
		pidns = ns_link(procfd, pid, "pid");
		p->pidns = pidns != 0 ? pidns_of(h, procfd, pid, pidns) : SIZE_MAX;
		p->netns = ns_link(procfd, pid, "net");
		h->n++;
	}
	closedir(d);
	if (cfir_interrupt_pending()) {
		cfir_hunt_host_free(h);
		return cfir_err_interrupted(err);
	}
	read_mounts(h, proc);
	h->out = h->oom ? NULL : calloc(h->n ? h->n : 1, sizeof(*h->out));
	if (h->out == NULL) {
		cfir_hunt_host_free(h);
		return cfir_err_set(err, EX_OSERR, ENOMEM, "the host's processes");
	}
	*out = h;
	return 0;
}

void
cfir_hunt_host_free(struct cfir_hunt_host *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->nm; i++) {
		free(h->m[i].mountpoint);
		free(h->m[i].line);
	}
	free(h->m);
	free(h->p);
	free(h->ns);
	free(h->out);
	free(h);
}

size_t
cfir_hunt_host_pidns(void *ctx, unsigned long ino, const pid_t **pids)
{
	struct cfir_hunt_host *h = ctx;
	size_t i, j, k = 0;

	for (i = 0; i < h->n; i++) {
		const struct host_pidns *ns = h->p[i].pidns < h->nns ? &h->ns[h->p[i].pidns] : NULL;

		for (j = 0; ns != NULL && j < ns->nup; j++)
			if (ns->up[j] == ino) {
				h->out[k++] = h->p[i].pid;
				break;
			}
	}
	*pids = h->out;
	return k;
}

size_t
cfir_hunt_host_netns(void *ctx, unsigned long ino, const pid_t **pids)
{
	struct cfir_hunt_host *h = ctx;
	size_t i, k = 0;

	for (i = 0; ino != 0 && i < h->n; i++)
		if (h->p[i].netns == ino)
			h->out[k++] = h->p[i].pid;
	*pids = h->out;
	return k;
}
