/* proc.c - processes of a container from the host's /proc: bounded, exact */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/nsfs.h>
#include <unistd.h>

#include "common/caps.h"
#include "common/cleanup.h"
#include "common/out.h"
#include "common/proc.h"
#include "common/util.h"

#define SMALL (64u << 10)	/* status, environ */
#define CMDLINE_MAX (256u << 10)
#define MAPS_LINE_MAX (64u << 10)	/* a mapping's line: its path is at most PATH_MAX, escaped */
#define FDS_LISTED 1024
#define LISTED 64		/* anonymous executable and deleted mappings shown */

/* ---- parsers ---------------------------------------------------------------- */

static bool
num(const char **p, long long *v)
{
	char *end;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	if ((**p < '0' || **p > '9') && **p != '-')
		return false;
	errno = 0;
	*v = strtoll(*p, &end, 10);
	if (errno != 0 || end == *p)
		return false;
	*p = end;
	return true;
}

static bool
hex64(const char *p, uint64_t *v)
{
	char *end;

	while (*p == ' ' || *p == '\t')
		p++;
	errno = 0;
	*v = strtoull(p, &end, 16);
	return errno == 0 && end != p;
}

int
cfir_proc_status_parse(const char *text, size_t len, struct cfir_proc_status *s)
{
	cleanup_free char *copy = strndup(text, len);
	char *line, *save = NULL;
	int have = 0, i;
	long long v;

	memset(s, 0, sizeof(*s));
	s->seccomp = s->no_new_privs = -1;
	if (copy == NULL)
		return -1;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');
		const char *p;

		if (colon == NULL)
			continue;
		*colon = '\0';
		p = colon + 1;
		if (strcmp(line, "State") == 0) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p != '\0') {
				s->state = *p;
				have |= 1;
			}
		} else if (strcmp(line, "PPid") == 0 && num(&p, &v)) {
			s->ppid = (int)v;
			have |= 2;
		} else if (strcmp(line, "Uid") == 0 || strcmp(line, "Gid") == 0) {
			long *dst = line[0] == 'U' ? s->uid : s->gid;

			for (i = 0; i < 4 && num(&p, &v); i++)
				dst[i] = (long)v;
			if (i == 4)
				have |= line[0] == 'U' ? 4 : 8;
		} else if (strcmp(line, "NSpid") == 0) {
			while (s->nnspid < CFIR_NSPID_MAX && num(&p, &v))
				s->nspid[s->nnspid++] = (int)v;
		} else if (strcmp(line, "CapInh") == 0) {
			hex64(p, &s->cap_inh);
		} else if (strcmp(line, "CapPrm") == 0) {
			hex64(p, &s->cap_prm);
		} else if (strcmp(line, "CapEff") == 0) {
			hex64(p, &s->cap_eff);
		} else if (strcmp(line, "CapBnd") == 0) {
			hex64(p, &s->cap_bnd);
		} else if (strcmp(line, "CapAmb") == 0) {
			hex64(p, &s->cap_amb);
		} else if (strcmp(line, "Seccomp") == 0 && num(&p, &v)) {
			s->seccomp = (int)v;
		} else if (strcmp(line, "NoNewPrivs") == 0 && num(&p, &v)) {
			s->no_new_privs = (int)v;
		}
	}
	return have == 15 ? 0 : -1;
}

int
cfir_proc_stat_parse(const char *text, size_t len, struct cfir_proc_stat *s)
{
	cleanup_free char *copy = strndup(text, len);	/* strtoll wants a NUL */
	const char *paren, *lparen, *p;
	long long v;
	int field;

	memset(s, 0, sizeof(*s));
	if (copy == NULL)
		return -1;
	/* comm is in parentheses and may hold ')' itself: the last one ends it */
	paren = strrchr(copy, ')');
	lparen = strchr(copy, '(');
	if (paren == NULL || paren[1] != ' ' || paren[2] == '\0')
		return -1;
	if (lparen != NULL && lparen < paren) {
		s->commlen = (size_t)(paren - lparen - 1);
		if (s->commlen > sizeof(s->comm))
			s->commlen = sizeof(s->comm);
		memcpy(s->comm, lparen + 1, s->commlen);
	}
	s->state = paren[2];
	p = paren + 3;
	for (field = 4; field <= 22; field++) {
		if (!num(&p, &v))
			return -1;
		if (field == 4)
			s->ppid = (int)v;
		if (field == 22)
			s->starttime = (unsigned long long)v;
	}
	return 0;
}

int
cfir_proc_maps_line(char *line, struct cfir_proc_map *m)
{
	char *p = line, *end;
	size_t n;

	memset(m, 0, sizeof(*m));
	errno = 0;
	m->start = strtoull(p, &end, 16);
	if (end == p || *end != '-')
		return -1;
	p = end + 1;
	m->end = strtoull(p, &end, 16);
	if (end == p || *end != ' ' || m->end < m->start)
		return -1;
	p = end + 1;
	if (strlen(p) < 5 || p[4] != ' ')
		return -1;
	memcpy(m->perms, p, 4);
	p += 5;
	m->offset = strtoull(p, &end, 16);
	if (end == p || *end != ' ')
		return -1;
	p = strchr(end + 1, ' ');	/* past dev */
	if (p == NULL)
		return -1;
	m->inode = strtoul(p + 1, &end, 10);
	if (end == p + 1 || errno != 0)
		return -1;
	while (*end == ' ')
		end++;
	m->path = end;
	n = strlen(end);
	if (n >= 10 && strcmp(end + n - 10, " (deleted)") == 0)
		m->deleted = true;
	return 0;
}

int
cfir_proc_link_inode(const char *link, const char *kind, unsigned long *ino)
{
	size_t kl = strlen(kind);
	unsigned long v;
	char *end;

	if (strncmp(link, kind, kl) != 0 || link[kl] != ':' || link[kl + 1] != '[' ||
	    link[kl + 2] < '0' || link[kl + 2] > '9')
		return -1;
	errno = 0;
	v = strtoul(link + kl + 2, &end, 10);
	if (errno != 0 || end[0] != ']' || end[1] != '\0')
		return -1;
	*ino = v;
	return 0;
}

/* ---- reading /proc ---------------------------------------------------------- */

unsigned long
cfir_proc_inode_at(int dfd, const char *name, const char *kind)
{
	char link[64];
	unsigned long ino;
	ssize_t n = readlinkat(dfd, name, link, sizeof(link) - 1);

	if (n <= 0)
		return 0;
	link[n] = '\0';
	return cfir_proc_link_inode(link, kind, &ino) == 0 ? ino : 0;
}

static char *read_in(int pfd, const char *name, size_t max, size_t *len, bool *trunc);
static unsigned long ns_in(int pfd, const char *ns);

/* Namespace NS of PID under PROC, 0 for our own (the host's). */
static unsigned long
ns_inode(const char *proc, pid_t pid, const char *ns)
{
	char path[96];

	if (pid == 0)	/* our own: the host's */
		snprintf(path, sizeof(path), "%s/self/ns/%s", proc, ns);
	else
		snprintf(path, sizeof(path), "%s/%d/ns/%s", proc, (int)pid, ns);
	return cfir_proc_inode_at(AT_FDCWD, path, ns);
}

static char *
read_at(const char *proc, pid_t pid, const char *name, size_t max, size_t *len,
	bool *trunc, int *sys)
{
	char path[96], *buf = NULL;
	struct cfir_err err = { 0 };

	snprintf(path, sizeof(path), "%s/%d/%s", proc, (int)pid, name);
	if (cfir_util_read_file(AT_FDCWD, path, max, &buf, len, trunc, &err) < 0) {
		if (sys != NULL)
			*sys = err.sys;
		return NULL;
	}
	return buf;
}


/*
 * The init process's cgroup line whose path names the container (v1:
 * "12:pids:/docker/<id>", v2: "0::/system.slice/docker-<id>.scope"),
 * preferring the pids controller; the others are compared with it.
 */
static bool
cg_pick(const char *text, const char *id, struct cfir_proc_list *r)
{
	const char *p, *best = NULL, *colon2;
	size_t linelen = 0, bestlen = 0;

	for (p = text; p != NULL && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		const char *nl = strchr(p, '\n');
		const char *hit = strstr(p, id);

		linelen = nl ? (size_t)(nl - p) : strlen(p);
		if (hit == NULL || hit >= p + linelen)
			continue;
		if (best == NULL || memmem(p, linelen, ":pids:", 6) != NULL) {
			best = p;
			bestlen = linelen;
		}
	}
	if (best == NULL)
		return false;
	colon2 = memchr(best, ':', bestlen);
	colon2 = colon2 ? memchr(colon2 + 1, ':', bestlen - (size_t)(colon2 + 1 - best)) : NULL;
	if (colon2 == NULL || (size_t)(colon2 + 1 - best) >= sizeof(r->cg_hier) ||
	    bestlen - (size_t)(colon2 + 1 - best) >= sizeof(r->cg_path))
		return false;
	snprintf(r->cg_hier, sizeof(r->cg_hier), "%.*s", (int)(colon2 + 1 - best), best);
	snprintf(r->cg_path, sizeof(r->cg_path), "%.*s", (int)(bestlen - (size_t)(colon2 + 1 - best)), colon2 + 1);
	/*
	 * The container's own cgroup ends with the component that names it:
	 * an init that moved itself into a sub-cgroup does not narrow it.
	 */
	{
		char *hit = strstr(r->cg_path, id), *slash = hit ? strchr(hit, '/') : NULL;

		if (hit == NULL)
			return false;
		if (slash != NULL)
			*slash = '\0';
	}
	return true;
}

/* Is the process in the reference cgroup, or below it? */
static bool
cg_member(const char *text, const struct cfir_proc_list *r)
{
	size_t hl = strlen(r->cg_hier), pl = strlen(r->cg_path);
	const char *p = text;

	while (p != NULL && *p) {
		const char *nl = strchr(p, '\n');
		size_t linelen = nl ? (size_t)(nl - p) : strlen(p);

		if (linelen >= hl + pl && strncmp(p, r->cg_hier, hl) == 0 &&
		    strncmp(p + hl, r->cg_path, pl) == 0 &&
		    (linelen == hl + pl || p[hl + pl] == '/'))
			return true;
		p = nl ? nl + 1 : NULL;
	}
	return false;
}

static int
add_entry(struct cfir_proc_list *l, pid_t pid, int found)
{
	if (!cfir_util_grow((void **)&l->e, &l->cap, l->n, sizeof(*l->e), 256, SIZE_MAX / sizeof(*l->e)))
		return -1;
	l->e[l->n].pid = pid;
	l->e[l->n].found = found;
	l->n++;
	return 0;
}

/* Where the reference hierarchy is mounted: v1 by controller, v2 unified. */
static int
cg_dir(const struct cfir_proc_list *l)
{
	char path[1400];
	const char *ctl = strchr(l->cg_hier, ':');
	int fd = -1;

	if (strstr(l->cg_path, "/..") != NULL || l->cg_path[0] != '/')
		return -1;
	if (ctl != NULL && ctl[1] != ':') {	/* "12:pids:" */
		snprintf(path, sizeof(path), "/sys/fs/cgroup/%.*s%s", (int)strcspn(ctl + 1, ":,"),
			 ctl + 1, l->cg_path);
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {	/* "0::" */
		snprintf(path, sizeof(path), "/sys/fs/cgroup%s", l->cg_path);
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			snprintf(path, sizeof(path), "/sys/fs/cgroup/unified%s", l->cg_path);
			fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		}
	}
	return fd;
}

/*
 * The PIDs in a cgroup and every cgroup below it (bounded depth), appended:
 * duplicates are merged once at the end, so the cost is linear in what the
 * container put there, not quadratic.
 */
static int
cg_walk(int dfd, struct cfir_proc_list *l, int depth)
{
	cleanup_free char *procs = NULL;
	struct cfir_err err = { 0 };
	struct dirent *de;
	const char *p;
	DIR *d;
	int fd;

	/* any part not read makes the whole untrusted: the caller reads every process's cgroup */
	if (depth > 64 || cfir_interrupt_pending() ||
	    cfir_util_read_file(dfd, "cgroup.procs", 64u << 20, &procs, NULL, NULL, &err) < 0)
		return -1;
	for (p = procs; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		long pid = strtol(p, NULL, 10);

		if (pid > 0 && pid <= 0x7fffffff && add_entry(l, (pid_t)pid, CFIR_FOUND_CGROUP) < 0)
			return -1;
	}
	fd = dup(dfd);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* every sub-cgroup, ".hidden" ones too: the container may name them */
	while ((de = readdir(d)) != NULL) {
		int sub, r;

		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		r = sub >= 0 ? cg_walk(sub, l, depth + 1) : -1;
		if (sub >= 0)
			close(sub);
		if (r < 0) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

static int
by_pid(const void *a, const void *b)
{
	const struct cfir_proc_entry *x = a, *y = b;

	return CFIR_UTIL_CMP(x->pid, y->pid);
}

/* Sort by PID and merge the entries of one PID (their ways of being found). */
static void
sort_merge(struct cfir_proc_list *l)
{
	size_t i, w = 0;

	if (l->n > 1)
		qsort(l->e, l->n, sizeof(*l->e), by_pid);
	for (i = 0; i < l->n; i++) {
		if (w > 0 && l->e[w - 1].pid == l->e[i].pid)
			l->e[w - 1].found |= l->e[i].found;
		else
			l->e[w++] = l->e[i];
	}
	l->n = w;
}

/* Is NSFD's PID namespace TARGET or nested in it? NSFD is closed. */
static bool
ns_within(int nsfd, unsigned long target)
{
	struct stat sb;
	int up, hops;

	for (hops = 0; nsfd >= 0 && hops <= 33; hops++) {
		if (fstat(nsfd, &sb) == 0 && (unsigned long)sb.st_ino == target) {
			close(nsfd);
			return true;
		}
		up = ioctl(nsfd, NS_GET_PARENT);	/* EPERM at our own namespace: the top */
		close(nsfd);
		nsfd = up;
	}
	if (nsfd >= 0)
		close(nsfd);
	return false;
}

/*
 * The PID namespaces met in one scan of /proc and whether each is the
 * container's or nested in it: a host's processes live in few namespaces,
 * so the walk up the parents is made once for each, not once a process.
 */
#define NS_SEEN_MAX 1024

struct ns_seen {
	unsigned long ino[NS_SEEN_MAX];
	bool within[NS_SEEN_MAX];
	size_t n;
};

static int
ns_seen_find(const struct ns_seen *c, unsigned long ino)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->ino[i] == ino)
			return c->within[i];
	return -1;
}

/* Is the PID namespace of PROCFD's PID TARGET, or nested in it? */
static bool
pidns_within(int procfd, pid_t pid, unsigned long target, struct ns_seen *c)
{
	char name[48];
	unsigned long ino;
	struct stat sb;
	bool within;
	int nsfd, v;

	snprintf(name, sizeof(name), "%d/ns/pid", (int)pid);
	ino = cfir_proc_inode_at(procfd, name, "pid");
	if (ino == target)
		return true;
	if (ino != 0 && (v = ns_seen_find(c, ino)) >= 0)
		return v == 1;
	nsfd = openat(procfd, name, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || fstat(nsfd, &sb) < 0) {
		if (nsfd >= 0)
			close(nsfd);
		return false;
	}
	/* the namespace the fd holds, whatever the PID has become since the readlink */
	v = ns_seen_find(c, (unsigned long)sb.st_ino);
	if (v >= 0) {
		close(nsfd);
		return v == 1;
	}
	within = ns_within(nsfd, target);
	if (c->n < NS_SEEN_MAX) {
		c->ino[c->n] = (unsigned long)sb.st_ino;
		c->within[c->n++] = within;
	}
	return within;
}

/* The innermost PID of the process in its own namespace (NSpid's last). */
static int
inner_pid(int pfd)
{
	cleanup_free char *st = read_in(pfd, "status", SMALL, NULL, NULL);
	struct cfir_proc_status s;

	if (st == NULL || cfir_proc_status_parse(st, strlen(st), &s) < 0 || s.nnspid < 1)
		return -1;
	return s.nspid[s.nnspid - 1];
}

static int members(const struct cfir_target *t, const char *proc, struct cfir_proc_list *l,
		   struct cfir_err *err);

int
cfir_proc_members(const struct cfir_target *t, const char *proc,
		  struct cfir_proc_list *l, struct cfir_err *err)
{
	int r = members(t, proc, l, err);

	if (r < 0)
		cfir_proc_list_free(l);	/* nothing half-made is handed out */
	return r;
}

/*
 * What a member shares with the init, read through one fd of it checked
 * against the container's cgroup first: its PID and network namespaces
 * and its cgroup; and whether the PID namespace is the container's own.
 */
static int
members_init(const struct cfir_target *t, const char *proc, struct cfir_proc_list *l,
	     struct cfir_err *err)
{
	cleanup_free char *cg = NULL;
	cleanup_close int ipfd = -1;

	ipfd = cfir_target_pidfd(t, proc, err);
	if (ipfd < 0)
		return -1;
	l->pidns = ns_in(ipfd, "pid");
	l->netns = ns_in(ipfd, "net");
	cg = read_in(ipfd, "cgroup", SMALL, NULL, NULL);
	if (l->pidns == 0 || cg == NULL)
		return cfir_err_set(err, EX_TEMPFAIL, 0, "init process %d of '%s' vanished",
				    (int)t->pid, t->name);
	l->have_cg = cg_pick(cg, t->id, l);
	if (!l->have_cg)
		return cfir_err_set(err, EX_UNAVAILABLE, 0, "container '%s': no cgroup of its init names it",
				    t->name);
	/*
	 * The PID namespace is the container's own only when its init is PID 1
	 * in it and it is not the host's: a shared one (--pid host, or another
	 * container's) would make every process there a "member".
	 */
	l->pidns_shared = l->pidns == ns_inode(proc, 0, "pid") || inner_pid(ipfd) != 1;
	return 0;
}

/* Every process of PROC in the PID namespace and, when PER_PROCESS, by its own cgroup line. */
static int
members_scan(const char *proc, struct cfir_proc_list *l, bool per_process, struct cfir_err *err)
{
	cleanup_free struct ns_seen *seen = calloc(1, sizeof(*seen));
	struct dirent *de;
	DIR *d;

	if (seen == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "process list");
	d = opendir(proc);
	if (d == NULL)
		return cfir_err_set(err, EX_IOERR, errno, "open '%s'", proc);
	while ((de = readdir(d)) != NULL && !cfir_interrupt_pending()) {
		unsigned long pid;
		int found = 0;

		if (cfir_util_parse_ulong(de->d_name, 0x7fffffff, &pid) < 0 || pid == 0)
			continue;
		/* its own PID namespace and those nested in it */
		if (!l->pidns_shared && pidns_within(dirfd(d), (pid_t)pid, l->pidns, seen))
			found |= CFIR_FOUND_PIDNS;
		if (per_process) {
			cleanup_free char *c = read_at(proc, (pid_t)pid, "cgroup", SMALL, NULL, NULL, NULL);

			if (c != NULL && cg_member(c, l))
				found |= CFIR_FOUND_CGROUP;
		}
		if (found && add_entry(l, (pid_t)pid, found) < 0) {
			closedir(d);
			return cfir_err_set(err, EX_OSERR, ENOMEM, "process list");
		}
	}
	closedir(d);
	return 0;
}

static int
members(const struct cfir_target *t, const char *proc, struct cfir_proc_list *l,
	struct cfir_err *err)
{
	bool per_process;
	int cgfd;

	memset(l, 0, sizeof(*l));
	if (t->pid <= 0)
		return cfir_err_set(err, EX_UNAVAILABLE, 0, "container '%s' is %s: it has no processes",
				    t->name, t->status);
	if (members_init(t, proc, l, err) < 0)
		return -1;
	/*
	 * The cgroup lists its own members: one read instead of one per
	 * process. Any part of it that cannot be read (too deep, gone) and
	 * every process's own cgroup line is read instead.
	 */
	cgfd = strcmp(proc, "/proc") == 0 ? cg_dir(l) : -1;
	per_process = cgfd < 0;
	if (cgfd >= 0) {
		if (cg_walk(cgfd, l, 0) < 0) {
			l->n = 0;
			per_process = true;
		}
		close(cgfd);
	}
	if (members_scan(proc, l, per_process, err) < 0)
		return -1;
	sort_merge(l);
	if (cfir_interrupt_pending())
		return cfir_err_interrupted(err);
	return 0;
}

void
cfir_proc_list_free(struct cfir_proc_list *l)
{
	free(l->e);
	memset(l, 0, sizeof(*l));
}

const struct cfir_proc_entry *
cfir_proc_list_find(const struct cfir_proc_list *l, pid_t pid)
{
	struct cfir_proc_entry key = { .pid = pid };

	return l->n ? bsearch(&key, l->e, l->n, sizeof(*l->e), by_pid) : NULL;
}

bool
cfir_proc_list_has(const struct cfir_proc_list *l, pid_t pid)
{
	return cfir_proc_list_find(l, pid) != NULL;
}

int
cfir_proc_open(const struct cfir_proc_list *l, const char *proc, pid_t pid, struct cfir_err *err)
{
	const struct cfir_proc_entry *e = cfir_proc_list_find(l, pid);
	cleanup_free char *cg = NULL;
	cleanup_close int pfd = -1;
	char path[96];
	bool ok = false;

	if (e == NULL)
		return cfir_err_set(err, EX_USAGE, 0, "PID %d is not a process of the container", (int)pid);
	snprintf(path, sizeof(path), "%s/%d", proc, (int)pid);
	pfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return cfir_err_set(err, EX_TEMPFAIL, errno, "PID %d is gone", (int)pid);
	/*
	 * Checked through the fd that every later read goes through; the
	 * namespace first, one readlink where the cgroup is a whole file that
	 * the kernel renders line by line.
	 */
	if ((e->found & CFIR_FOUND_PIDNS) && !l->pidns_shared)
		ok = ns_in(pfd, "pid") == l->pidns ||
		     ns_within(openat(pfd, "ns/pid", O_RDONLY | O_CLOEXEC), l->pidns);
	if (!ok && (e->found & CFIR_FOUND_CGROUP) && l->have_cg &&
	    cfir_util_read_file(pfd, "cgroup", SMALL, &cg, NULL, NULL, NULL) == 0)
		ok = cg_member(cg, l);
	if (!ok)
		return cfir_err_set(err, EX_TEMPFAIL, 0,
				    "PID %d is gone or no longer a process of the container", (int)pid);
	return cfir_steal_fd(&pfd);
}

static long long boot_ns;
static long boot_hz;
static pthread_once_t boot_once = PTHREAD_ONCE_INIT;

static void
boot_find(void)
{
	struct timespec real, boot;

	boot_hz = sysconf(_SC_CLK_TCK);
	/* to the nanosecond: /proc/stat's btime is cut to the second */
	if (clock_gettime(CLOCK_REALTIME, &real) == 0 && clock_gettime(CLOCK_BOOTTIME, &boot) == 0)
		boot_ns = ((long long)real.tv_sec - boot.tv_sec) * 1000000000LL + (real.tv_nsec - boot.tv_nsec);
}

void
cfir_proc_clock(long long *btime, long *hz)
{
	/* the boot time does not change: found once, whichever thread asks first */
	pthread_once(&boot_once, boot_find);
	*btime = boot_ns;
	*hz = boot_hz;
}

void
cfir_proc_start_time(unsigned long long starttime, struct timespec *ts)
{
	long long btime, ns;
	long hz;

	cfir_proc_clock(&btime, &hz);
	memset(ts, 0, sizeof(*ts));
	if (hz <= 0 || btime <= 0)
		return;
	ns = btime + (long long)(starttime / (unsigned long long)hz) * 1000000000LL +
	     (long long)(starttime % (unsigned long long)hz) * (1000000000LL / hz);
	ts->tv_sec = (time_t)(ns / 1000000000LL);
	ts->tv_nsec = (long)(ns % 1000000000LL);
}

/* NUL-separated strings as a JSON array of exact byte strings. */
static cJSON *
strings_json(const char *buf, size_t len)
{
	cJSON *a = cJSON_CreateArray();
	size_t i = 0, n;

	while (i < len) {
		cJSON *o = cJSON_CreateObject();

		n = strnlen(buf + i, len - i);
		cfir_json_add_bytes(o, "s", buf + i, n);
		cJSON_AddItemToArray(a, cJSON_DetachItemFromObject(o, "s"));
		if (cJSON_GetObjectItem(o, "s_hex") != NULL)	/* keep the exact bytes */
			cJSON_AddItemToArray(a, cJSON_DetachItemFromObject(o, "s_hex"));
		cJSON_Delete(o);
		i += n + 1;
	}
	return a;
}

/*
 * Inside describe everything is read relative to an fd of /proc/PID: such
 * an fd stays bound to the process it was opened for, so when that process
 * exits every read fails (ESRCH), even if its PID is reused meanwhile.
 */
static char *
link_at(int pfd, const char *name)
{
	char buf[4096];
	ssize_t n = readlinkat(pfd, name, buf, sizeof(buf) - 1);

	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

static char *
read_in(int pfd, const char *name, size_t max, size_t *len, bool *trunc)
{
	char *buf = NULL;

	if (cfir_util_read_file(pfd, name, max, &buf, len, trunc, NULL) < 0)
		return NULL;
	return buf;
}

/*
 * NAME under PFD, for the files the kernel renders whole on the first read:
 * stat and status are one seq_file record, and cmdline and environ are
 * copied in a loop up to the end or the first page that fails. A read
 * shorter than asked is their end, so the read that would return 0 is not
 * made. MAX bounds it as read_in does; *TRUNC when there was more.
 */
static char *
read_whole(int pfd, const char *name, size_t max, size_t *len, bool *trunc)
{
	cleanup_close int fd = openat(pfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	cleanup_free char *p = NULL;
	size_t cap = max < 4096 ? max + 1 : 4096, n = 0, want;
	ssize_t r;
	char *np, c;

	if (trunc != NULL)
		*trunc = false;
	if (fd < 0 || (p = malloc(cap)) == NULL)
		return NULL;
	while (n < max) {
		if (n + 1 >= cap) {
			cap = cap > max / 2 ? max + 1 : cap * 2;
			if ((np = realloc(p, cap)) == NULL)
				return NULL;
			p = np;
		}
		want = cap - 1 - n;
		r = read(fd, p + n, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return NULL;
		n += (size_t)r;
		if ((size_t)r < want)
			break;
	}
	if (n == max && trunc != NULL && read(fd, &c, 1) == 1)
		*trunc = true;
	p[n] = '\0';
	if (len != NULL)
		*len = n;
	return steal_pointer(&p);
}

static unsigned long
ns_in(int pfd, const char *ns)
{
	char name[32];

	snprintf(name, sizeof(name), "ns/%s", ns);
	return cfir_proc_inode_at(pfd, name, ns);
}

static void
add_link(cJSON *o, const char *key, int pfd, const char *name)
{
	cleanup_free char *l = link_at(pfd, name);

	if (l != NULL)
		cfir_json_add_bytes(o, key, l, strlen(l));
	else
		cJSON_AddNullToObject(o, key);
}

static const char *
fd_kind(const char *t)
{
	size_t n = strlen(t);

	if (strncmp(t, "socket:[", 8) == 0)
		return "socket";
	if (strncmp(t, "pipe:[", 6) == 0)
		return "pipe";
	if (strncmp(t, "/memfd:", 7) == 0)
		return "memfd";
	if (strncmp(t, "anon_inode:", 11) == 0)
		return "anon";
	if (n >= 10 && strcmp(t + n - 10, " (deleted)") == 0)
		return "deleted";
	return t[0] == '/' ? "file" : "other";
}

/* One fd of the process: its number, kind and target. */
static void
add_fd(cJSON *a, int pfd, unsigned long fd)
{
	cleanup_free char *t = NULL;
	char name[40];
	cJSON *f;

	snprintf(name, sizeof(name), "fd/%lu", fd);
	t = link_at(pfd, name);
	if (t == NULL)
		return;	/* closed meanwhile */
	f = cJSON_CreateObject();
	cfir_json_add_num(f, "fd", (double)fd);
	cfir_json_add_str(f, "kind", fd_kind(t));
	cfir_json_add_bytes(f, "target", t, strlen(t));
	cJSON_AddItemToArray(a, f);
}

/* The fd directory read with getdents64 itself: no DIR, none of its fstat and fcntl calls. */
static void
add_fds(cJSON *o, int pfd)
{
	cJSON *a = cJSON_AddArrayToObject(o, "fds");
	cleanup_close int dfd = openat(pfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char buf[8192] __attribute__((aligned(8)));
	unsigned long fd;
	size_t total = 0;
	ssize_t n, off;

	if (dfd < 0)
		return;
	while ((n = getdents64(dfd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n;) {
			const struct dirent64 *de = (const struct dirent64 *)(buf + off);

			off += de->d_reclen;
			if (cfir_util_parse_ulong(de->d_name, 0x7fffffff, &fd) < 0)
				continue;
			if (total++ < FDS_LISTED)
				add_fd(a, pfd, fd);
		}
	}
	cfir_json_add_num(o, "fds_total", (double)total);
}

struct maps_ctx {
	cfir_proc_map_fn fn;
	void *ctx;
};

static int
maps_line(void *ctx, char *line, size_t len)
{
	struct maps_ctx *mc = ctx;
	struct cfir_proc_map m;

	(void)len;
	if (cfir_interrupt_pending())
		return -2;
	return cfir_proc_maps_line(line, &m) < 0 ? 0 : mc->fn(mc->ctx, &m);
}

int
cfir_proc_maps_each(int pfd, cfir_proc_map_fn fn, void *ctx, struct cfir_err *err)
{
	struct maps_ctx mc = { fn, ctx };
	cleanup_close int fd = openat(pfd, "maps", O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "open maps");
	r = cfir_util_lines(fd, MAPS_LINE_MAX, maps_line, &mc, err);
	if (r == -2)
		return cfir_err_interrupted(err);
	return r;
}

bool
cfir_proc_map_anon_exec(const struct cfir_proc_map *m)
{
	const char *p = m->path;

	return m->perms[2] == 'x' &&
	       (p[0] == '\0' || strncmp(p, "/memfd:", 7) == 0 || strcmp(p, "[heap]") == 0 ||
		strcmp(p, "[stack]") == 0 || strncmp(p, "[anon", 5) == 0);
}

struct maps_sum {
	cJSON *ax, *del;
	size_t regions;
};

static int
map_seen(void *ctx, const struct cfir_proc_map *m)
{
	struct maps_sum *ms = ctx;
	char r[64];

	ms->regions++;
	snprintf(r, sizeof(r), "%llx-%llx %s", (unsigned long long)m->start,
		 (unsigned long long)m->end, m->perms);
	if (cfir_proc_map_anon_exec(m) && cJSON_GetArraySize(ms->ax) < LISTED) {
		cJSON *e = cJSON_CreateObject();

		cfir_json_add_str(e, "region", r);
		cfir_json_add_bytes(e, "path", m->path, strlen(m->path));
		cJSON_AddItemToArray(ms->ax, e);
	}
	if (m->deleted && cJSON_GetArraySize(ms->del) < LISTED) {
		cJSON *e = cJSON_CreateObject();

		cfir_json_add_str(e, "region", r);
		cfir_json_add_bytes(e, "path", m->path, strlen(m->path));
		cJSON_AddItemToArray(ms->del, e);
	}
	return 0;
}

/* A summary of the mappings, read as a stream: every one counted, however many. */
static void
add_maps(cJSON *o, int pfd)
{
	cJSON *s = cJSON_AddObjectToObject(o, "maps");
	struct maps_sum ms = { cJSON_AddArrayToObject(s, "anon_exec"), cJSON_AddArrayToObject(s, "deleted"), 0 };
	struct cfir_err err = { 0 };

	if (cfir_proc_maps_each(pfd, map_seen, &ms, &err) < 0)
		cfir_json_add_str(s, "error", err.msg);
	cfir_json_add_num(s, "regions", (double)ms.regions);
}

/* uid_map and gid_map belong to a user namespace: read once for each. */
static const char *
id_map(int pfd, unsigned long userns_now, const char *map)
{
	static unsigned long userns[2];
	static char *text[2];
	int k = map[0] == 'g';

	if (userns_now == 0 || userns_now != userns[k]) {
		free(text[k]);
		text[k] = read_in(pfd, map, SMALL, NULL, NULL);
		userns[k] = userns_now;
	}
	return text[k];
}

static pthread_mutex_t id_map_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * uid_map: "inside outside count" lines; the host ID of each of ids[4].
 * Processes may be described by several threads: the maps read once are
 * shared under a lock.
 */
static cJSON *
host_ids(int pfd, unsigned long userns, const char *map, const long ids[4])
{
	const char *text;
	cJSON *a = cJSON_CreateArray();
	int i;

	pthread_mutex_lock(&id_map_lock);
	text = id_map(pfd, userns, map);

	for (i = 0; i < 4; i++) {
		const char *p = text;
		long long in, out, count, host = -1;

		while (p != NULL && *p) {
			const char *q = p;

			if (num(&q, &in) && num(&q, &out) && num(&q, &count) &&
			    ids[i] >= in && ids[i] < in + count) {
				host = out + (ids[i] - in);
				break;
			}
			p = strchr(p, '\n');
			if (p != NULL)
				p++;
		}
		cJSON_AddItemToArray(a, host < 0 ? cJSON_CreateNull() : cJSON_CreateNumber((double)host));
	}
	pthread_mutex_unlock(&id_map_lock);
	return a;
}

static cJSON *
ids_json(const long v[4])
{
	cJSON *a = cJSON_CreateArray();
	int i;

	for (i = 0; i < 4; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber((double)v[i]));
	return a;
}

void
cfir_proc_info_free(struct cfir_proc_info *info)
{
	free(info->args);
	info->args = NULL;
}

/* The process as the kernel names it: comm exact (stat has it so; status escapes it), the tree. */
static void
add_identity(cJSON *j, const struct cfir_proc_stat *st, const struct cfir_proc_status *s,
	     struct cfir_proc_info *info)
{
	char state[2] = { s->state, '\0' };
	cJSON *nspid;
	int i;

	info->commlen = st->commlen;
	memcpy(info->comm, st->comm, st->commlen);
	cfir_json_add_bytes(j, "comm", st->comm, st->commlen);
	nspid = cJSON_AddArrayToObject(j, "nspid");
	for (i = 0; i < s->nnspid; i++)
		cJSON_AddItemToArray(nspid, cJSON_CreateNumber(s->nspid[i]));
	cfir_json_add_num(j, "ppid", s->ppid);
	cfir_json_add_str(j, "state", state);
	cJSON_AddItemToObject(j, "uids", ids_json(s->uid));
	cJSON_AddItemToObject(j, "gids", ids_json(s->gid));
}

/* cmdline whole in the JSON; for the tree a line, bounded, NULs as spaces. */
static void
add_cmdline(cJSON *j, int pfd, struct cfir_proc_info *info)
{
	size_t len = 0, i;
	bool trunc = false;
	cleanup_free char *cmd = read_whole(pfd, "cmdline", CMDLINE_MAX, &len, &trunc);

	cJSON_AddItemToObject(j, "cmdline", cmd ? strings_json(cmd, len) : cJSON_CreateArray());
	if (trunc)
		cJSON_AddBoolToObject(j, "cmdline_truncated", true);
	if (cmd == NULL)
		return;
	if (len > CFIR_PROC_ARGS_MAX)
		len = CFIR_PROC_ARGS_MAX;
	info->args = malloc(len + 1);
	if (info->args == NULL)
		return;
	for (i = 0; i < len; i++)
		info->args[i] = cmd[i] ? cmd[i] : ' ';
	while (len > 0 && info->args[len - 1] == ' ')
		len--;
	info->args[len] = '\0';
	info->argslen = len;
}

static void
add_environ(cJSON *j, int pfd)
{
	size_t len = 0;
	bool trunc = false;
	cleanup_free char *env = read_whole(pfd, "environ", SMALL, &len, &trunc);

	cJSON_AddItemToObject(j, "environ", env ? strings_json(env, len) : cJSON_CreateNull());
	if (trunc)
		cJSON_AddBoolToObject(j, "environ_truncated", true);
}

/* exe, cwd and root; the binary also by the kernel's reference, not a path the container controls */
static void
add_paths(cJSON *j, int pfd, struct cfir_proc_info *info)
{
	const cJSON *exe;
	struct stat sb;
	size_t n;

	add_link(j, "exe", pfd, "exe");
	exe = cJSON_GetObjectItem(j, "exe");
	n = cJSON_IsString(exe) ? strlen(exe->valuestring) : 0;
	info->exe_deleted = n >= 10 && strcmp(exe->valuestring + n - 10, " (deleted)") == 0;
	cJSON_AddBoolToObject(j, "exe_deleted", info->exe_deleted);
	if (fstatat(pfd, "exe", &sb, 0) == 0) {
		info->exe_dev = sb.st_dev;
		info->exe_ino = sb.st_ino;
	}
	add_link(j, "cwd", pfd, "cwd");
	add_link(j, "root", pfd, "root");
}

/* When it started, from its start time in clock ticks after boot. */
static void
add_start(cJSON *j, unsigned long long starttime)
{
	char t[CFIR_TIME_LEN];
	struct timespec ts;

	cfir_proc_start_time(starttime, &ts);
	if (ts.tv_sec > 0) {
		cfir_util_time_rfc3339(&ts, t);
		cfir_json_add_str(j, "start", t);
	}
}

/* Capabilities, seccomp, no_new_privs, namespaces and the IDs they map to on the host. */
static void
add_privileges(cJSON *j, int pfd, const struct cfir_proc_status *s)
{
	static const char *nss[] = { "pid", "net", "mnt", "uts", "ipc", "user", "cgroup" };
	unsigned long userns = 0, inode;
	cJSON *caps, *ns;
	size_t i;

	caps = cJSON_AddObjectToObject(j, "caps");
	cJSON_AddItemToObject(caps, "effective", cfir_caps_describe(s->cap_eff));
	cJSON_AddItemToObject(caps, "permitted", cfir_caps_describe(s->cap_prm));
	cJSON_AddItemToObject(caps, "inheritable", cfir_caps_describe(s->cap_inh));
	cJSON_AddItemToObject(caps, "bounding", cfir_caps_describe(s->cap_bnd));
	cJSON_AddItemToObject(caps, "ambient", cfir_caps_describe(s->cap_amb));
	cfir_json_add_str(j, "seccomp", s->seccomp == 0 ? "disabled" : s->seccomp == 1 ? "strict" :
					 s->seccomp == 2 ? "filter" : NULL);
	if (s->no_new_privs >= 0)
		cJSON_AddBoolToObject(j, "no_new_privs", s->no_new_privs == 1);
	ns = cJSON_AddObjectToObject(j, "ns");
	for (i = 0; i < sizeof(nss) / sizeof(nss[0]); i++) {
		inode = ns_in(pfd, nss[i]);
		cfir_json_add_num(ns, nss[i], (double)inode);
		if (strcmp(nss[i], "user") == 0)
			userns = inode;
	}
	cJSON_AddItemToObject(j, "host_uids", host_ids(pfd, userns, "uid_map", s->uid));
	cJSON_AddItemToObject(j, "host_gids", host_ids(pfd, userns, "gid_map", s->gid));
}

cJSON *
cfir_proc_describe(int pfd, pid_t pid, const struct cfir_proc_opts *o,
		   struct cfir_proc_info *info)
{
	cleanup_free char *status = NULL, *stattext = NULL;
	struct cfir_proc_status s;
	struct cfir_proc_stat st;
	cJSON *j = cJSON_CreateObject();
	size_t len = 0;

	memset(info, 0, sizeof(*info));
	info->pid = pid;
	cfir_json_add_num(j, "pid", pid);
	stattext = pfd >= 0 ? read_whole(pfd, "stat", SMALL, &len, NULL) : NULL;
	status = stattext ? read_whole(pfd, "status", SMALL, NULL, NULL) : NULL;
	if (stattext == NULL || status == NULL || cfir_proc_stat_parse(stattext, len, &st) < 0 ||
	    cfir_proc_status_parse(status, strlen(status), &s) < 0) {
		info->exited = true;
		cJSON_AddBoolToObject(j, "gone", true);
		return j;
	}
	/* parsed: not held while the rest is read */
	free(steal_pointer(&stattext));
	free(steal_pointer(&status));
	info->ppid = s.ppid;
	info->state = s.state;
	info->starttime = st.starttime;
	info->uid = s.uid[0];
	add_identity(j, &st, &s, info);
	add_cmdline(j, pfd, info);
	if (o->environ)
		add_environ(j, pfd);
	add_paths(j, pfd, info);
	add_start(j, st.starttime);
	add_privileges(j, pfd, &s);
	add_fds(j, pfd);
	add_maps(j, pfd);

	/* still the same process? Its /proc fd fails once it has exited */
	if (faccessat(pfd, "stat", R_OK, 0) < 0) {
		info->exited = true;
		cJSON_AddBoolToObject(j, "gone", true);
	}
	return j;
}

/*
 * cfir_proc_members where the caller read the host's PID namespaces once
 * for many containers: IN_PIDNS stands for the walk of PROC. Where the
 * cgroup cannot be walked, the whole walk is made, as cfir_proc_members
 * does.
 */
int
cfir_proc_members_among(const struct cfir_target *t, const char *proc, cfir_proc_ns_fn in_pidns,
			void *ctx, struct cfir_proc_list *l, struct cfir_err *err)
{
	const pid_t *pids = NULL;
	size_t i, n;
	int cgfd, r;

	if (t->pid <= 0 || strcmp(proc, "/proc") != 0)
		return cfir_proc_members(t, proc, l, err);
	memset(l, 0, sizeof(*l));
	if (members_init(t, proc, l, err) < 0) {
		cfir_proc_list_free(l);
		return -1;
	}
	cgfd = cg_dir(l);
	r = cgfd >= 0 ? cg_walk(cgfd, l, 0) : -1;
	if (cgfd >= 0)
		close(cgfd);
	if (r < 0) {
		cfir_proc_list_free(l);
		return cfir_proc_members(t, proc, l, err);
	}
	n = l->pidns_shared ? 0 : in_pidns(ctx, l->pidns, &pids);
	for (i = 0; i < n; i++)
		if (add_entry(l, pids[i], CFIR_FOUND_PIDNS) < 0) {
			cfir_proc_list_free(l);
			return cfir_err_set(err, EX_OSERR, ENOMEM, "process list");
		}
	sort_merge(l);
	if (cfir_interrupt_pending()) {
		cfir_proc_list_free(l);
		return cfir_err_interrupted(err);
	}
	return 0;
}
