/* ps.c - the container's processes from /proc, executables recovered */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/filetype.h"
#include "common/hash.h"
#include "common/proc.h"
#include "common/util.h"
#include "tools/tool.h"

/*
 * What is kept of a process while the others are read: enough for the
 * executables and the tree, bounded (its JSON is written as it is read).
 */
#define EXE_PATH_KEPT 1024

struct proc {
	struct cfir_proc_info info;
	int found;
	bool printed;
	char *exe;		/* the kernel's path of the executable, at most EXE_PATH_KEPT */
	const char *sha;	/* its content's SHA-256, once recovered */
	int pfd;		/* its /proc directory, checked in the first pass, or -1 */
};

/* Past this an executable is named, not read: a sparse file can claim terabytes. */
#define EXE_MAX (1ull << 30)
#define FUSE_MAGIC 0x65735546

/* Why a process's executable is not read, or NULL. */
static const char *exe_refused;

/*
 * What exe opens under PFD, a /proc/PID directory, if it still is the inode
 * the group saw. O_NOATIME: reading the implant must not leave cfir's read as its last
 * access. Not read: one on a FUSE file system (the container may serve it,
 * and stall every read) or larger than EXE_MAX.
 */
static int
open_exe(int pfd, dev_t dev, ino_t ino)
{
	struct statfs sf;
	struct stat sb;
	int fd;

	exe_refused = NULL;
	if (pfd < 0)
		return -1;	/* gone: errno says so */
	fd = cfir_util_open_noatime(pfd, "exe", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_dev != dev || sb.st_ino != ino) {
		close(fd);
		errno = ESTALE;
		return -1;
	}
	if (fstatfs(fd, &sf) == 0 && sf.f_type == FUSE_MAGIC)
		exe_refused = "on a FUSE file system, which the container may serve: not read";
	else if ((uint64_t)sb.st_size > EXE_MAX)
		exe_refused = "larger than 1 GiB: not read";
	if (exe_refused != NULL) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	return fd;
}


/*
 * The copy into the bag, hashed as it goes: if it is not the content hashed
 * before (it changed meanwhile), the entry says so.
 */
static int
copy_exe(struct cfir_bag *bag, int fd, const char *name, cJSON *e, struct cfir_err *err)
{
	static unsigned char buf[1 << 16];
	unsigned char head[CFIR_FILETYPE_BYTES];
	struct cfir_writer *w;
	struct cfir_hash *h = cfir_hash_new();
	char hex[CFIR_SHA256_HEX];
	size_t headlen = 0;
	ssize_t n;

	if (h == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "sha256");
	if (cfir_writer_open(bag, "proc/exe", name, &w, err) < 0) {
		cfir_hash_free(h);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR && !cfir_interrupt_pending())
			continue;
		if (n < 0 || cfir_interrupt_pending()) {
			cfir_writer_abort(w);
			cfir_hash_free(h);
			return n < 0 ? cfir_err_set(err, EX_IOERR, errno, "read executable") : cfir_err_interrupted(err);
		}
		if (headlen < sizeof(head)) {
			size_t take = sizeof(head) - headlen < (size_t)n ? sizeof(head) - headlen : (size_t)n;

			memcpy(head + headlen, buf, take);
			headlen += take;
		}
		cfir_hash_update(h, buf, (size_t)n);
		if (cfir_writer_write(w, buf, (size_t)n, err) < 0) {
			cfir_writer_abort(w);
			cfir_hash_free(h);
			return -1;
		}
	}
	cfir_hash_final_hex(h, hex);
	cfir_hash_free(h);
	cfir_json_add_str(e, "path", cfir_writer_path(w));
	cfir_json_add_num(e, "bytes", (double)cfir_writer_bytes(w));
	cfir_filetype_json(e, head, headlen);
	if (strcmp(hex, cJSON_GetObjectItem(e, "sha256")->valuestring) != 0) {
		cfir_json_add_str(e, "copy_sha256", hex);
		cfir_json_add_str(e, "note", "the executable changed between its hash and its copy");
	}
	return cfir_writer_commit(w, err);
}

#define EXE_PATHS_LISTED 64

/* Where processes ran this content from; deleted when any of them was. */
static void
add_path(cJSON *e, const struct proc *p)
{
	cJSON *paths = cJSON_GetObjectItem(e, "exe_paths"), *total = cJSON_GetObjectItem(e, "exe_paths_total");
	const cJSON *x;
	cJSON *o;

	if (p->info.exe_deleted)
		cJSON_ReplaceItemInObject(e, "deleted", cJSON_CreateTrue());
	if (p->exe == NULL)
		return;
	cJSON_ArrayForEach(x, paths)
		if (cJSON_IsString(x) && strcmp(x->valuestring, p->exe) == 0)
			return;
	/* a bounded list: a container running one binary from 100,000 paths stays linear */
	cJSON_SetNumberValue(total, total->valuedouble + 1);
	if (cJSON_GetArraySize(paths) >= EXE_PATHS_LISTED)
		return;
	o = cJSON_CreateObject();
	cfir_json_add_bytes(o, "p", p->exe, strlen(p->exe));	/* escaped where it is not UTF-8 */
	cJSON_AddItemToArray(paths, cJSON_DetachItemFromObject(o, "p"));
	cJSON_Delete(o);
}

/* A distinct executable inode, hashed once. */
struct exe {
	dev_t dev;
	ino_t ino;
	size_t first, n;	/* its processes: idx[first .. first + n) */
	char sha[CFIR_SHA256_HEX];
	bool hashed;
};

static struct proc *sort_base;

static int
by_inode(const void *a, const void *b)
{
	const struct cfir_proc_info *x = &sort_base[*(const size_t *)a].info;
	const struct cfir_proc_info *y = &sort_base[*(const size_t *)b].info;

	if (x->exe_dev != y->exe_dev)
		return x->exe_dev < y->exe_dev ? -1 : 1;
	if (x->exe_ino != y->exe_ino)
		return x->exe_ino < y->exe_ino ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int
by_sha(const void *a, const void *b)
{
	const struct exe *x = a, *y = b;
	int d = (y->hashed - x->hashed);

	return d != 0 ? d : strcmp(x->sha, y->sha);
}

/* The executables being recovered: processes grouped by inode, then by hash. */
struct recovery {
	struct tool_step *s;
	struct proc *p;
	size_t *idx, ni;	/* processes with an executable, sorted by inode */
	struct exe *g;
	size_t ng;
	cJSON *exes;
	int failed;
};

static void
group_by_inode(struct recovery *rc, size_t n)
{
	struct proc *p = rc->p;
	struct exe *g = rc->g;
	size_t i;

	for (i = 0; i < n; i++)
		if (!p[i].info.exited && p[i].info.exe_ino != 0)
			rc->idx[rc->ni++] = i;
	sort_base = p;
	qsort(rc->idx, rc->ni, sizeof(*rc->idx), by_inode);
	for (i = 0; i < rc->ni; i++) {
		const struct cfir_proc_info *in = &p[rc->idx[i]].info;

		if (rc->ng > 0 && g[rc->ng - 1].dev == in->exe_dev && g[rc->ng - 1].ino == in->exe_ino) {
			g[rc->ng - 1].n++;
			continue;
		}
		g[rc->ng] = (struct exe){ .dev = in->exe_dev, .ino = in->exe_ino, .first = i, .n = 1 };
		rc->ng++;
	}
}

/*
 * PR's /proc directory, what its executable and comm are read through:
 * the one the first pass checked and kept, else opened again in *PFD
 * (closed first; open_exe still checks the inode it finds there).
 */
static int
proc_dir(const struct proc *pr, int *pfd)
{
	char path[32];

	if (pr->pfd >= 0)
		return pr->pfd;
	if (*pfd >= 0)
		close(*pfd);
	snprintf(path, sizeof(path), "/proc/%d", (int)pr->info.pid);
	*pfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return *pfd;
}

/* each inode hashed once: any of its processes will do, the first that still runs it */
static void
hash_inode(struct recovery *rc, struct exe *x)
{
	cleanup_close int pfd = -1;
	struct cfir_err err = { 0 };
	pid_t first = rc->p[rc->idx[x->first]].info.pid;
	size_t m;
	int fd;

	exe_refused = NULL;
	for (m = 0; m < x->n && !x->hashed && !exe_refused; m++) {
		fd = open_exe(proc_dir(&rc->p[rc->idx[x->first + m]], &pfd), x->dev, x->ino);
		if (fd >= 0 && cfir_sha256_fd_stoppable(fd, x->sha, NULL, &err) == 0)
			x->hashed = true;
		if (fd >= 0)
			close(fd);
	}
	if (!x->hashed && exe_refused != NULL) {
		tool_warn(rc->s, "PID %d: executable %s", (int)first, exe_refused);
		rc->failed++;
	} else if (!x->hashed) {
		tool_warn(rc->s, "PID %d: executable not recovered: %s", (int)first,
			  err.msg[0] ? cfir_err_str(&err) : strerror(errno));
		rc->failed++;
	}
}

/* What the process calls itself, for the name of its executable's copy. */
static char *
comm_of(int pfd)
{
	cleanup_free char *comm = NULL;
	char buf[64];
	size_t len = 0;

	if (cfir_util_read_file(pfd, "comm", 64, &comm, &len, NULL, NULL) < 0)
		len = 0;
	while (len > 0 && comm[len - 1] == '\n')
		len--;
	len = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;
	if (len > 0)
		memcpy(buf, comm, len);
	buf[len] = '\0';
	return cfir_util_safe_name(buf, 32);
}

/* the content once, from the first process that still runs it; its comm names the copy */
static bool
copy_once(struct recovery *rc, const struct exe *x, const char *sha, struct proc *pr, cJSON *e)
{
	cleanup_free char *name = NULL, *comm = NULL;
	cleanup_close int pfd = -1;
	struct cfir_err err = { 0 };
	int dir = proc_dir(pr, &pfd), fd = open_exe(dir, x->dev, x->ino);

	if (fd < 0)
		return false;	/* gone meanwhile: the next one */
	comm = comm_of(dir);
	if (asprintf(&name, "%.12s-%s", sha, comm && *comm ? comm : "exe") < 0 ||
	    copy_exe(rc->s->bag, fd, name, e, &err) < 0) {
		tool_warn(rc->s, "PID %d: executable not recovered: %s", (int)pr->info.pid, cfir_err_str(&err));
		rc->failed++;
	}
	close(fd);
	return true;
}

/* One entry a hash: every inode with that content, every process running one; returns the next. */
static size_t
copy_hash(struct recovery *rc, size_t k)
{
	cJSON *e = cJSON_CreateObject(), *pids;
	bool copied = false;
	size_t m, q;

	cfir_json_add_str(e, "sha256", rc->g[k].sha);
	cJSON_AddArrayToObject(e, "exe_paths");
	cfir_json_add_num(e, "exe_paths_total", 0);
	cJSON_AddBoolToObject(e, "deleted", false);
	pids = cJSON_AddArrayToObject(e, "pids");
	cJSON_AddItemToArray(rc->exes, e);
	for (m = k; m < rc->ng && rc->g[m].hashed && strcmp(rc->g[m].sha, rc->g[k].sha) == 0; m++) {
		for (q = 0; q < rc->g[m].n; q++) {
			struct proc *pr = &rc->p[rc->idx[rc->g[m].first + q]];

			if (!copied)
				copied = copy_once(rc, &rc->g[m], rc->g[k].sha, pr, e);
			add_path(e, pr);
			cJSON_AddItemToArray(pids, cJSON_CreateNumber(pr->info.pid));
			pr->sha = cJSON_GetObjectItem(e, "sha256")->valuestring;
		}
	}
	if (!copied) {
		tool_warn(rc->s, "executable %.12s: every process running it is gone", rc->g[k].sha);
		rc->failed++;
	}
	return m;
}

/*
 * One copy per distinct SHA-256: processes are grouped by inode (sorted),
 * each inode hashed once, the inodes sorted by hash, and each hash copied
 * once (hashed again as it is written, like every artifact). n log n in
 * the number of processes, whatever the container runs.
 */
static int
recover(struct tool_step *s, struct proc *p, size_t n, cJSON *exes, int *failed)
{
	struct recovery rc = { .s = s, .p = p, .exes = exes };
	struct cfir_err err = { 0 };
	size_t k;

	rc.idx = calloc(n ? n : 1, sizeof(*rc.idx));
	rc.g = calloc(n ? n : 1, sizeof(*rc.g));
	if (rc.idx == NULL || rc.g == NULL) {
		free(rc.idx);
		free(rc.g);
		return -1;
	}
	if (cfir_filetype_open(&err) < 0)
		tool_warn(s, "%s", err.msg);	/* the executables are copied untyped */
	group_by_inode(&rc, n);
	for (k = 0; k < rc.ng && !cfir_interrupt_pending(); k++)
		hash_inode(&rc, &rc.g[k]);
	qsort(rc.g, rc.ng, sizeof(*rc.g), by_sha);
	for (k = 0; k < rc.ng && rc.g[k].hashed && !cfir_interrupt_pending();)
		k = copy_hash(&rc, k);
	*failed += rc.failed;
	free(rc.idx);
	free(rc.g);
	return 0;
}

static int
by_pid(const void *a, const void *b)
{
	const struct proc *x = a, *y = b;

	return (x->info.pid > y->info.pid) - (x->info.pid < y->info.pid);
}

/* The tree's columns, like ps -ef --forest; COMMAND comes escaped. */
static const struct cfir_field tree_cols[] = {
	{ "uid", "UID", CFIR_FMT_NUM, 6, 0, NULL },
	{ "pid", "PID", CFIR_FMT_NUM, 7, CFIR_FIELD_RIGHT, NULL },
	{ "ppid", "PPID", CFIR_FMT_NUM, 7, CFIR_FIELD_RIGHT, NULL },
	{ "stat", "STAT", CFIR_FMT_STR, 4, 0, NULL },
	{ "start", "START", CFIR_FMT_STR, 8, 0, NULL },
	{ "command", "COMMAND", CFIR_FMT_STR, 0, CFIR_FIELD_ESCAPED, NULL },
	{ 0 },
};

/* The tree's command: indented under its parent, hostile bytes escaped. */
static void
tree_command(struct cfir_text *t, const struct proc *p, int depth)
{
	int i;

	for (i = 0; i < depth; i++)
		cfir_text_printf(t, "%s", i + 1 == depth ? " \\_ " : "    ");
	if (p->info.args != NULL && p->info.argslen > 0) {
		const char *a0 = p->info.args, *sp = memchr(a0, ' ', p->info.argslen), *base;
		size_t a0len = sp ? (size_t)(sp - a0) : p->info.argslen;

		cfir_vis_text(t, p->info.args, p->info.argslen, 0);
		/* a process that renamed itself shows what it calls itself now */
		base = memrchr(a0, '/', a0len);
		base = base ? base + 1 : a0;
		a0len -= (size_t)(base - a0);
		if (a0len > 15)
			a0len = 15;	/* comm holds 15 bytes */
		if (p->info.commlen != a0len || memcmp(base, p->info.comm, a0len) != 0) {
			cfir_text_printf(t, "  {");
			cfir_vis_text(t, p->info.comm, p->info.commlen, 0);
			cfir_text_printf(t, "}");
		}
	} else {
		cfir_text_printf(t, "[");
		cfir_vis_text(t, p->info.comm, p->info.commlen, 0);
		cfir_text_printf(t, "]");
	}
	if (p->info.exe_deleted)
		cfir_text_printf(t, "  (deleted executable)");
	if (p->info.exited)
		cfir_text_printf(t, "  (gone)");
}

/* One line of the tree: UID PID PPID STAT START COMMAND. */
static void
tree_line(struct cfir_out *o, const struct proc *p, int depth)
{
	cleanup_cjson cJSON *row = cJSON_CreateObject();
	struct cfir_text cmd = { 0 };
	char stat[2] = { p->info.state ? p->info.state : '?', '\0' };
	char start[CFIR_TIME_LEN] = "";
	struct timespec ts;

	cfir_proc_start_time(p->info.starttime, &ts);
	if (ts.tv_sec > 0)
		cfir_util_time_rfc3339(&ts, start);

	cfir_json_add_num(row, "uid", (double)p->info.uid);
	cfir_json_add_num(row, "pid", p->info.pid);
	cfir_json_add_num(row, "ppid", p->info.ppid);
	cfir_json_add_str(row, "stat", stat);
	cfir_json_add_str(row, "start", start[0] ? start + 11 : "-");
	tree_command(&cmd, p, depth);
	cfir_json_add_str(row, "command", cmd.p ? cmd.p : "");
	free(cmd.p);
	cfir_out_row(o, row, tree_cols);
}

/* The processes sorted by PID, and their indices sorted by parent: children by binary search. */
struct forest {
	struct proc *p;
	size_t n;
	size_t *byppid;
};

static int
by_ppid(const void *a, const void *b)
{
	const struct proc *x = &sort_base[*(const size_t *)a], *y = &sort_base[*(const size_t *)b];

	if (x->info.ppid != y->info.ppid)
		return x->info.ppid < y->info.ppid ? -1 : 1;
	return (x->info.pid > y->info.pid) - (x->info.pid < y->info.pid);
}

/* The first index in byppid whose parent is PID. */
static size_t
first_child(const struct forest *fo, pid_t pid)
{
	size_t lo = 0, hi = fo->n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (fo->p[fo->byppid[mid]].info.ppid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool
has_pid(const struct forest *fo, pid_t pid)
{
	struct proc key = { .info = { .pid = pid } };

	return bsearch(&key, fo->p, fo->n, sizeof(*fo->p), by_pid) != NULL;
}

static void
tree_from(struct cfir_out *o, struct forest *fo, size_t at, int depth)
{
	size_t k;

	if (fo->p[at].printed || depth > 64)
		return;
	fo->p[at].printed = true;
	tree_line(o, &fo->p[at], depth);
	for (k = first_child(fo, fo->p[at].info.pid);
	     k < fo->n && fo->p[fo->byppid[k]].info.ppid == fo->p[at].info.pid; k++)
		tree_from(o, fo, fo->byppid[k], depth + 1);
}

/* P sorted by PID; each process printed once, n log n. */
static void
tree(struct cfir_out *o, struct proc *p, size_t n)
{
	struct forest fo = { p, n, calloc(n ? n : 1, sizeof(size_t)) };
	size_t i;

	cfir_out_head(o, tree_cols);
	for (i = 0; i < n; i++) {
		p[i].printed = false;
		if (fo.byppid != NULL)
			fo.byppid[i] = i;
	}
	if (fo.byppid == NULL)
		fo.n = 0;	/* no memory: a flat list below */
	sort_base = p;
	qsort(fo.byppid, fo.n, sizeof(size_t), by_ppid);
	/* roots: parents outside the container (the runtime's shim, nsenter's shell) */
	for (i = 0; i < fo.n; i++)
		if (!has_pid(&fo, p[i].info.ppid))
			tree_from(o, &fo, i, 0);
	for (i = 0; i < n; i++)	/* cycles and chains deeper than 64, still each once */
		if (!p[i].printed) {
			if (fo.n == 0) {
				p[i].printed = true;
				tree_line(o, &p[i], 0);
			} else {
				tree_from(o, &fo, i, 0);
			}
		}
	free(fo.byppid);
}

/* How membership was decided, for the output and the record. */
static void
membership(cJSON *o, const struct cfir_proc_list *l)
{
	cfir_json_add_str(o, "membership", l->pidns_shared ? "cgroup" : "pidns+cgroup");
	if (l->pidns_shared)
		cJSON_AddBoolToObject(o, "pidns_shared", true);
}

/*
 * The executable of a process, as the kernel holds it: its inode and path.
 * Its comm is read only for the one process whose executable is copied.
 * The fd of its /proc directory is kept for the second pass while KEPT
 * stays within the budget: it stays bound to that process, so it is not
 * opened and checked twice.
 */
static void
peek(const struct cfir_proc_list *l, const struct cfir_proc_entry *e, struct proc *p,
     size_t *kept, size_t budget)
{
	cleanup_close int pfd = cfir_proc_open(l, "/proc", e->pid, NULL);
	char buf[EXE_PATH_KEPT + 16];
	struct stat sb;
	ssize_t n;

	p->info.pid = e->pid;
	p->found = e->found;
	p->pfd = -1;
	if (pfd < 0) {
		p->info.exited = true;
		return;
	}
	if (fstatat(pfd, "exe", &sb, 0) == 0) {
		p->info.exe_dev = sb.st_dev;
		p->info.exe_ino = sb.st_ino;
	}
	n = readlinkat(pfd, "exe", buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
		p->info.exe_deleted = n >= 10 && strcmp(buf + n - 10, " (deleted)") == 0;
		p->exe = strndup(buf, EXE_PATH_KEPT);
	}
	if (__atomic_add_fetch(kept, 1, __ATOMIC_RELAXED) <= budget)
		p->pfd = cfir_steal_fd(&pfd);
}

/*
 * Everything about one process, through one fd of its /proc directory
 * (checked, then every read through it), with how it was found and the
 * content of its executable when it still runs the inode that was hashed.
 */
static cJSON *
describe(const struct cfir_proc_list *l, const struct cfir_proc_entry *e, const struct cfir_proc_opts *po,
	 struct proc *p)
{
	struct cfir_proc_info seen = p->info;
	cleanup_close int pfd = p->pfd >= 0 ? p->pfd : cfir_proc_open(l, "/proc", e->pid, NULL);
	cJSON *j, *how;

	p->pfd = -1;
	j = cfir_proc_describe(pfd, e->pid, po, &p->info);

	how = cJSON_AddArrayToObject(j, "found_by");
	if (e->found & CFIR_FOUND_PIDNS)
		cJSON_AddItemToArray(how, cJSON_CreateString("pidns"));
	if (e->found & CFIR_FOUND_CGROUP)
		cJSON_AddItemToArray(how, cJSON_CreateString("cgroup"));
	if (p->sha != NULL && p->info.exe_dev == seen.exe_dev && p->info.exe_ino == seen.exe_ino)
		cfir_json_add_str(j, "exe_sha256", p->sha);
	return j;
}

static int
wstr(struct cfir_writer *w, const char *s, struct cfir_err *err)
{
	return cfir_writer_write(w, s, strlen(s), err);
}

struct ps_opts {
	bool no_environ;
};

/* What one ps holds while it works. */
struct ps {
	struct tool_step *s;
	struct cfir_proc_list l;
	struct proc *p;
	cJSON *head;
	size_t np, vanished, nexe;
	int failed;		/* executables not recovered */
};

/*
 * At most half the fds the process may open, less what the rest of the
 * step needs, are kept from the first pass to the second.
 */
static size_t
fd_budget(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	return rl.rlim_cur > 512 ? (size_t)(rl.rlim_cur - 256) / 2 : 0;
}

/* How many threads read /proc: one a core online, at most READERS_MAX. */
#define READERS_MAX 8

static unsigned
readers_wanted(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > READERS_MAX ? READERS_MAX : (unsigned)n;
}

/* FN for each of 0 .. N-1 in any order, on the calling thread and readers_wanted() - 1 more. */
struct each {
	void (*fn)(void *ctx, size_t i);
	void *ctx;
	size_t n, next;
};

static void *
each_run(void *arg)
{
	struct each *e = arg;
	size_t i;

	/* taken only when it will be done: 0 .. next-1 are, when every thread has ended */
	while (!cfir_interrupt_pending() && (i = __atomic_fetch_add(&e->next, 1, __ATOMIC_RELAXED)) < e->n)
		e->fn(e->ctx, i);
	return NULL;
}

/* How many of 0 .. N-1 were done: all of them unless interrupted. */
static size_t
each_parallel(size_t n, void (*fn)(void *ctx, size_t i), void *ctx)
{
	struct each e = { .fn = fn, .ctx = ctx, .n = n };
	pthread_t th[READERS_MAX];
	unsigned k, nth = 0, want = readers_wanted();

	for (k = 1; k < want && n > 1; k++)
		if (cfir_util_thread_create(&th[nth], each_run, &e) == 0)
			nth++;
	each_run(&e);
	for (k = 0; k < nth; k++)
		pthread_join(th[k], NULL);
	return e.next < n ? e.next : n;
}

/*
 * The fd table made room for MORE fds now, while one thread runs: grown
 * while threads share it, each doubling waits for an RCU grace period
 * (milliseconds; six of them for a thousand fds kept).
 */
static void
fd_table_grow(size_t more)
{
	int fd = open("/", O_PATH | O_CLOEXEC), hi;

	if (fd < 0)
		return;
	hi = fcntl(fd, F_DUPFD_CLOEXEC, fd + (int)more + 64);
	if (hi >= 0)
		close(hi);
	close(fd);
}

struct peeking {
	struct ps *ps;
	size_t kept, budget;
};

static void
peek_one(void *ctx, size_t i)
{
	struct peeking *pk = ctx;

	peek(&pk->ps->l, &pk->ps->l.e[i], &pk->ps->p[i], &pk->kept, pk->budget);
}

/* The executables first: each inode hashed once, each content copied once. */
static int
executables(struct ps *ps)
{
	struct peeking pk = { .ps = ps, .budget = fd_budget() };
	size_t i, n;

	ps->p = calloc(ps->l.n ? ps->l.n : 1, sizeof(*ps->p));
	ps->head = cJSON_CreateObject();
	if (ps->p == NULL || ps->head == NULL)
		return cfir_err_set(&ps->s->err, EX_OSERR, ENOMEM, "ps");
	for (i = 0; i < ps->l.n; i++)
		ps->p[i].pfd = -1;
	fd_table_grow(ps->l.n < pk.budget ? ps->l.n : pk.budget);
	n = each_parallel(ps->l.n, peek_one, &pk);
	cfir_json_add_str(ps->head, "container", ps->s->t->id);
	cfir_json_add_num(ps->head, "pidns", (double)ps->l.pidns);
	membership(ps->head, &ps->l);
	cJSON_AddBoolToObject(ps->head, "frozen", ps->s->t->paused);
	recover(ps->s, ps->p, n, cJSON_AddArrayToObject(ps->head, "executables"), &ps->failed);
	ps->nexe = (size_t)cJSON_GetArraySize(cJSON_GetObjectItem(ps->head, "executables"));
	return 0;
}

/*
 * The processes are read on a thread a core and written in order by the
 * thread that asked, at most AHEAD of them and HELD bytes of their JSON
 * ahead of it (the container chooses how long each is: thousands of fds,
 * long command lines): /proc renders each process's files under that
 * process's own locks, so two readers take little more than one's time
 * for half the processes each.
 */
#define AHEAD 64
#define HELD (32u << 20)

struct described {
	cJSON *j;
	char *js;	/* J printed, NULL when out of memory */
	size_t len;
	bool ready;
};

struct readers {
	struct ps *ps;
	const struct cfir_proc_opts *po;
	pthread_mutex_t mu;
	pthread_cond_t ready;	/* the writer waits for the next one described */
	pthread_cond_t room;	/* readers wait for the writer, AHEAD behind */
	size_t next, written;
	size_t held;		/* bytes described, not yet written */
	unsigned live;		/* readers not ended */
	unsigned waiting;	/* readers waiting for room */
	bool writer_waits, stop;
	struct described d[AHEAD];
};

/* Process I described and printed; its tree kept only where it could not be printed. */
static void
describe_printed(struct ps *ps, size_t i, const struct cfir_proc_opts *po, struct described *d)
{
	d->j = describe(&ps->l, &ps->l.e[i], po, &ps->p[i]);
	d->js = cfir_json_print(d->j, &d->len);
	if (d->js != NULL) {
		cJSON_Delete(d->j);
		d->j = NULL;
	}
	d->ready = true;
}

static void *
reader(void *arg)
{
	struct readers *r = arg;
	struct ps *ps = r->ps;
	struct described d;
	size_t i;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		while (!r->stop && r->next < ps->l.n && (r->next >= r->written + AHEAD || r->held > HELD)) {
			r->waiting++;
			pthread_cond_wait(&r->room, &r->mu);
			r->waiting--;
		}
		if (r->stop || r->next >= ps->l.n || cfir_interrupt_pending())
			break;
		i = r->next++;
		pthread_mutex_unlock(&r->mu);
		describe_printed(ps, i, r->po, &d);
		pthread_mutex_lock(&r->mu);
		r->d[i % AHEAD] = d;
		r->held += d.len;
		/* woken only when it waits: a thousand processes are not a thousand wakeups */
		if (r->writer_waits)
			pthread_cond_signal(&r->ready);
	}
	r->live--;
	pthread_cond_signal(&r->ready);
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* Process I described, once it is; false when the readers ended before it (interrupted). */
static bool
next_described(struct readers *r, size_t i, struct described *out)
{
	struct described *d = &r->d[i % AHEAD];
	bool ok;

	pthread_mutex_lock(&r->mu);
	while (!d->ready && r->live > 0) {
		r->writer_waits = true;
		pthread_cond_wait(&r->ready, &r->mu);
		r->writer_waits = false;
	}
	ok = d->ready;
	if (ok) {
		*out = *d;
		d->ready = false;
		r->held -= d->len;
		r->written = i + 1;
		if (r->waiting > 0)
			pthread_cond_broadcast(&r->room);
	}
	pthread_mutex_unlock(&r->mu);
	return ok;
}

/*
 * processes.json is written as the processes are read: the container
 * chooses how many there are and how long their command lines and
 * environments are, so nothing but a bounded summary of each is kept.
 * {"container":...,"executables":[...],"processes":[ ... streamed ... ]}
 */
static int
processes(struct ps *ps, const struct cfir_proc_opts *po)
{
	struct readers r = { .ps = ps, .po = po };
	pthread_t th[READERS_MAX];
	struct cfir_writer *w = NULL;
	struct cfir_err werr = { 0 };
	cleanup_free char *hs = NULL;
	unsigned k, nth = 0, want = readers_wanted();
	size_t i, hlen = 0;
	int wr;

	hs = cfir_json_print(ps->head, &hlen);
	if (hs == NULL)
		return cfir_err_set(&ps->s->err, EX_OSERR, ENOMEM, "ps");
	if (cfir_writer_open(ps->s->bag, "proc", "processes.json", &w, &ps->s->err) < 0)
		return -1;
	wr = cfir_writer_write(w, hs, hlen - 1, &werr);
	if (wr == 0)
		wr = wstr(w, ",\"processes\":[", &werr);
	/* written: not held while the processes are read */
	free(steal_pointer(&hs));
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.ready, NULL);
	pthread_cond_init(&r.room, NULL);
	/* started under the lock: none ends before every one is counted */
	pthread_mutex_lock(&r.mu);
	for (k = 0; wr == 0 && k < want; k++)
		if (cfir_util_thread_create(&th[nth], reader, &r) == 0)
			nth++;
	r.live = nth;
	pthread_mutex_unlock(&r.mu);
	for (i = 0; i < ps->l.n && wr == 0 && !cfir_interrupt_pending(); i++) {
		struct described d;

		/* no thread to be had (a fork bomb in the container has them all): read here */
		if (nth == 0)
			describe_printed(ps, i, po, &d);
		else if (!next_described(&r, i, &d))
			break;
		ps->vanished += ps->p[i].info.exited;
		ps->np++;
		if (d.js == NULL)
			wr = cfir_err_set(&werr, EX_OSERR, ENOMEM, "ps");
		else if ((i > 0 && wstr(w, ",\n", &werr) < 0) || cfir_writer_write(w, d.js, d.len, &werr) < 0)
			wr = -1;
		/* the line cfir_out_record would print, serialised once */
		if (ps->s->out->format == CFIR_FORMAT_JSON && d.js != NULL) {
			fwrite(d.js, 1, d.len, ps->s->out->fp);
			fputc('\n', ps->s->out->fp);
		} else if (ps->s->out->format == CFIR_FORMAT_JSON) {
			cfir_out_record(ps->s->out, d.j, NULL);
		}
		cJSON_Delete(d.j);
		free(d.js);
	}
	pthread_mutex_lock(&r.mu);
	r.stop = true;
	pthread_cond_broadcast(&r.room);
	pthread_mutex_unlock(&r.mu);
	for (k = 0; k < nth; k++)
		pthread_join(th[k], NULL);
	/* read ahead of a failure or an interruption: not written */
	for (k = 0; k < AHEAD; k++)
		if (r.d[k].ready) {
			cJSON_Delete(r.d[k].j);
			free(r.d[k].js);
		}
	pthread_cond_destroy(&r.ready);
	pthread_cond_destroy(&r.room);
	pthread_mutex_destroy(&r.mu);
	/* interrupted: what was read so far is written whole, the record says partial */
	if (wr == 0)
		wr = wstr(w, ps->np < ps->l.n ? "],\"interrupted\":true}\n" : "]}\n", &werr);
	if (wr == 0)
		wr = cfir_writer_commit(w, &werr);
	else
		cfir_writer_abort(w);
	if (wr < 0)
		ps->s->err = werr;
	return wr;
}

/* tree.txt, the same as the text output */
static int
tree_file(struct ps *ps)
{
	struct cfir_out to = { .format = CFIR_FORMAT_TEXT };
	cleanup_free char *text = NULL;
	size_t tlen = 0;

	to.fp = open_memstream(&text, &tlen);
	if (to.fp == NULL)
		return cfir_err_set(&ps->s->err, EX_OSERR, ENOMEM, "ps");
	if (ps->l.pidns_shared)
		cfir_out_note(&to, "# the container shares a PID namespace: its processes are those of its cgroup");
	tree(&to, ps->p, ps->np);
	fclose(to.fp);
	if (cfir_bag_add_buffer(ps->s->bag, "proc", "tree.txt", text, tlen, &ps->s->err) < 0)
		return -1;
	if (ps->s->out->format != CFIR_FORMAT_JSON && !ps->s->out->quiet)
		fwrite(text, 1, tlen, ps->s->out->fp);
	return 0;
}

static cJSON *
details_of(const struct ps *ps)
{
	cJSON *d = cJSON_CreateObject();

	cfir_json_add_num(d, "processes", (double)ps->np);
	if (ps->np < ps->l.n)
		cfir_json_add_num(d, "processes_found", (double)ps->l.n);
	cfir_json_add_num(d, "gone", (double)ps->vanished);
	membership(d, &ps->l);
	cfir_json_add_num(d, "executables", (double)ps->nexe);
	cfir_json_add_num(d, "pidns", (double)ps->l.pidns);
	cJSON_AddBoolToObject(d, "frozen", ps->s->t->paused);
	return d;
}

/*
 * First every executable (through one /proc fd a process, checked), then
 * each process in full, then the tree.
 */
static int
run(struct tool_step *s, void *opts, int argc, char **argv)
{
	const struct ps_opts *o = opts;
	struct cfir_proc_opts po = { .environ = !o->no_environ };
	struct ps ps = { .s = s };
	size_t i;
	int rc;

	(void)argc, (void)argv;
	rc = cfir_proc_members(s->t, "/proc", &ps.l, &s->err);
	if (rc == 0)
		rc = executables(&ps);
	if (rc == 0)
		rc = processes(&ps, &po);
	if (rc == 0)
		rc = tree_file(&ps);
	if (rc == 0 && ps.l.pidns_shared)
		tool_warn(s, "container '%s' shares a PID namespace: its processes are those of its cgroup",
			  s->t->name);
	if (rc == 0 && (ps.np < ps.l.n || cfir_interrupt_pending()))
		rc = cfir_err_interrupted(&s->err);
	else if (rc == 0 && ps.failed > 0)
		rc = cfir_err_set(&s->err, EX_IOERR, 0, "%d executables not recovered", ps.failed);
	s->details = details_of(&ps);
	cJSON_Delete(ps.head);
	for (i = 0; ps.p != NULL && i < ps.l.n; i++) {
		cfir_proc_info_free(&ps.p[i].info);
		free(ps.p[i].exe);
		if (ps.p[i].pfd >= 0)	/* not described: interrupted */
			close(ps.p[i].pfd);
	}
	free(ps.p);
	cfir_proc_list_free(&ps.l);
	return rc;
}

static const struct tool_opt opts[] = {
	TOOL_OPT("no-environ", 0, TOOL_OPT_FLAG, struct ps_opts, no_environ),
	{ 0 },
};

static const char ps_usage[] =
	"usage: cfir ps [-h] [-o bag] [--case case] [--examiner name] [--no-environ]\n"
	"               container\n";

const struct tool_cmd cmd_ps = {
	.name = "ps", .usage = ps_usage, .needs = TOOL_TARGET | TOOL_BAG, .min_args = 1, .max_args = 1,
	.summary = "the process tree from /proc, every executable recovered",
	.opts = opts, .opts_size = sizeof(struct ps_opts), .run = run,
};
