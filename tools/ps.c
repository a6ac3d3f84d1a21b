/* ps.c - the container's processes from /proc, executables recovered */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/filetype.h"
#include "common/hash.h"
#include "common/proc.h"
#include "common/util.h"
#include "tools/tool.h"

static const char usage[] =
	"usage: cfir ps [-h] [-o bag] [--case case] [--examiner name] [--no-environ]\n"
	"               container\n";

enum { OPT_NO_ENVIRON = 0x200 };

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
	char start[CFIR_TIME_LEN];
};

/* Past this an executable is named, not read: a sparse file can claim terabytes. */
#define EXE_MAX (1ull << 30)
#define FUSE_MAGIC 0x65735546

/* Why a process's executable is not read, or NULL. */
static const char *exe_refused;

/*
 * Hash what /proc/PID/exe opens, if it still is the inode the group saw.
 * O_NOATIME: reading the implant must not leave cfir's read as its last
 * access. Not read: one on a FUSE file system (the container may serve it,
 * and stall every read) or larger than EXE_MAX.
 */
static int
open_exe(pid_t pid, dev_t dev, ino_t ino)
{
	char path[64];
	struct statfs sf;
	struct stat sb;
	int fd;

	exe_refused = NULL;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	fd = cfir_util_open_noatime(AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
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

/*
 * One copy per distinct SHA-256: processes are grouped by inode (sorted),
 * each inode hashed once, the inodes sorted by hash, and each hash copied
 * once (hashed again as it is written, like every artifact). n log n in
 * the number of processes, whatever the container runs.
 */
static int
recover(struct cfir_bag *bag, struct proc *p, size_t n, cJSON *exes, int *failed)
{
	size_t *idx = calloc(n ? n : 1, sizeof(*idx)), ni = 0, ng = 0, i, k, m;
	struct exe *g = calloc(n ? n : 1, sizeof(*g));
	struct cfir_err err = { 0 };
	int fd = -1;

	if (idx == NULL || g == NULL) {
		free(idx);
		free(g);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (!p[i].info.exited && p[i].info.exe_ino != 0)
			idx[ni++] = i;
	sort_base = p;
	qsort(idx, ni, sizeof(*idx), by_inode);
	for (i = 0; i < ni; i++) {
		const struct cfir_proc_info *in = &p[idx[i]].info;

		if (ng > 0 && g[ng - 1].dev == in->exe_dev && g[ng - 1].ino == in->exe_ino) {
			g[ng - 1].n++;
			continue;
		}
		g[ng].dev = in->exe_dev;
		g[ng].ino = in->exe_ino;
		g[ng].first = i;
		g[ng].n = 1;
		ng++;
	}
	for (k = 0; k < ng && !cfir_interrupt_pending(); k++) {
		/* any of its processes will do: the first that still runs it */
		cfir_err_clear(&err);
		exe_refused = NULL;
		for (m = 0; m < g[k].n && !g[k].hashed && !exe_refused; m++) {
			fd = open_exe(p[idx[g[k].first + m]].info.pid, g[k].dev, g[k].ino);
			if (fd >= 0 && cfir_sha256_fd_stoppable(fd, g[k].sha, NULL, &err) == 0)
				g[k].hashed = true;
			if (fd >= 0)
				close(fd);
		}
		if (!g[k].hashed && exe_refused != NULL) {
			cfir_err_warn("PID %d: executable %s", (int)p[idx[g[k].first]].info.pid, exe_refused);
			(*failed)++;
		} else if (!g[k].hashed) {
			cfir_err_warn("PID %d: executable not recovered: %s", (int)p[idx[g[k].first]].info.pid,
				  err.msg[0] ? cfir_err_str(&err) : strerror(errno));
			(*failed)++;
		}
	}
	qsort(g, ng, sizeof(*g), by_sha);
	for (k = 0; k < ng && g[k].hashed && !cfir_interrupt_pending(); k = m) {
		cJSON *e = cJSON_CreateObject(), *pids;
		bool copied = false;
		size_t q;

		cfir_json_add_str(e, "sha256", g[k].sha);
		cJSON_AddArrayToObject(e, "exe_paths");
		cfir_json_add_num(e, "exe_paths_total", 0);
		cJSON_AddBoolToObject(e, "deleted", false);
		pids = cJSON_AddArrayToObject(e, "pids");
		cJSON_AddItemToArray(exes, e);
		for (m = k; m < ng && g[m].hashed && strcmp(g[m].sha, g[k].sha) == 0; m++) {
			for (q = 0; q < g[m].n; q++) {
				struct proc *pr = &p[idx[g[m].first + q]];

				if (!copied) {
					cleanup_free char *name = NULL, *comm = cfir_util_safe_name(pr->info.comm, 32);

					fd = open_exe(pr->info.pid, g[m].dev, g[m].ino);
					if (fd < 0)
						continue;	/* gone meanwhile: the next one */
					copied = true;
					cfir_err_clear(&err);
					if (asprintf(&name, "%.12s-%s", g[k].sha, comm && *comm ? comm : "exe") < 0 ||
					    copy_exe(bag, fd, name, e, &err) < 0) {
						cfir_err_warn("PID %d: executable not recovered: %s", (int)pr->info.pid,
							  cfir_err_str(&err));
						(*failed)++;
					}
					close(fd);
				}
				add_path(e, pr);
				cJSON_AddItemToArray(pids, cJSON_CreateNumber(pr->info.pid));
				pr->sha = cJSON_GetObjectItem(e, "sha256")->valuestring;
			}
		}
		if (!copied) {
			cfir_err_warn("executable %.12s: every process running it is gone", g[k].sha);
			(*failed)++;
		}
	}
	free(idx);
	free(g);
	return 0;
}

static int
by_pid(const void *a, const void *b)
{
	const struct proc *x = a, *y = b;

	return (x->info.pid > y->info.pid) - (x->info.pid < y->info.pid);
}

/* One line of the tree: UID PID PPID STAT START COMMAND, hostile bytes escaped. */
static void
tree_line(FILE *f, const struct proc *p, int depth)
{
	const char *start = p->start[0] ? p->start : NULL;
	int i;

	fprintf(f, "%-6ld %7d %7d %-4c %-8.8s ", p->info.uid, (int)p->info.pid, (int)p->info.ppid,
		p->info.state ? p->info.state : '?', start ? start + 11 : "-");
	for (i = 0; i < depth; i++)
		fputs(i + 1 == depth ? " \\_ " : "    ", f);
	if (p->info.args != NULL && p->info.argslen > 0) {
		const char *a0 = p->info.args, *sp = memchr(a0, ' ', p->info.argslen), *base;
		size_t a0len = sp ? (size_t)(sp - a0) : p->info.argslen;

		cfir_vis(f, p->info.args, p->info.argslen);
		/* a process that renamed itself shows what it calls itself now */
		base = memrchr(a0, '/', a0len);
		base = base ? base + 1 : a0;
		a0len -= (size_t)(base - a0);
		if (a0len > 15)
			a0len = 15;	/* comm holds 15 bytes */
		if (p->info.commlen != a0len || memcmp(base, p->info.comm, a0len) != 0) {
			fputs("  {", f);
			cfir_vis(f, p->info.comm, p->info.commlen);
			fputc('}', f);
		}
	} else {
		fputc('[', f);
		cfir_vis(f, p->info.comm, p->info.commlen);
		fputc(']', f);
	}
	if (p->info.exe_deleted)
		fputs("  (deleted executable)", f);
	if (p->info.exited)
		fputs("  (gone)", f);
	fputc('\n', f);
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
tree_from(FILE *f, struct forest *fo, size_t at, int depth)
{
	size_t k;

	if (fo->p[at].printed || depth > 64)
		return;
	fo->p[at].printed = true;
	tree_line(f, &fo->p[at], depth);
	for (k = first_child(fo, fo->p[at].info.pid);
	     k < fo->n && fo->p[fo->byppid[k]].info.ppid == fo->p[at].info.pid; k++)
		tree_from(f, fo, fo->byppid[k], depth + 1);
}

/* P sorted by PID; each process printed once, n log n. */
static void
tree(FILE *f, struct proc *p, size_t n)
{
	struct forest fo = { p, n, calloc(n ? n : 1, sizeof(size_t)) };
	size_t i;

	fprintf(f, "%-6s %7s %7s %-4s %-8s %s\n", "UID", "PID", "PPID", "STAT", "START", "COMMAND");
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
			tree_from(f, &fo, i, 0);
	for (i = 0; i < n; i++)	/* cycles and chains deeper than 64, still each once */
		if (!p[i].printed) {
			if (fo.n == 0) {
				p[i].printed = true;
				tree_line(f, &p[i], 0);
			} else {
				tree_from(f, &fo, i, 0);
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

/* The executable of a process, as the kernel holds it: its inode and path. */
static void
peek(const struct cfir_proc_list *l, const struct cfir_proc_entry *e, struct proc *p)
{
	cleanup_close int pfd = cfir_proc_open(l, "/proc", e->pid, NULL);
	char buf[EXE_PATH_KEPT + 16];
	cleanup_free char *comm = NULL;
	struct stat sb;
	size_t len = 0;
	ssize_t n;

	p->info.pid = e->pid;
	p->found = e->found;
	if (pfd < 0) {
		p->info.exited = true;
		return;
	}
	/* the name its executable's copy gets */
	if (cfir_util_read_file(pfd, "comm", 64, &comm, &len, NULL, NULL) == 0) {
		while (len > 0 && comm[len - 1] == '\n')
			len--;
		p->info.commlen = len < sizeof(p->info.comm) - 1 ? len : sizeof(p->info.comm) - 1;
		memcpy(p->info.comm, comm, p->info.commlen);
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
}

static void start_of(struct proc *p);

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
	cleanup_close int pfd = cfir_proc_open(l, "/proc", e->pid, NULL);
	cJSON *j = cfir_proc_describe(pfd, e->pid, po, &p->info), *how;

	how = cJSON_AddArrayToObject(j, "found_by");
	if (e->found & CFIR_FOUND_PIDNS)
		cJSON_AddItemToArray(how, cJSON_CreateString("pidns"));
	if (e->found & CFIR_FOUND_CGROUP)
		cJSON_AddItemToArray(how, cJSON_CreateString("cgroup"));
	if (p->sha != NULL && p->info.exe_dev == seen.exe_dev && p->info.exe_ino == seen.exe_ino)
		cfir_json_add_str(j, "exe_sha256", p->sha);
	start_of(p);
	return j;
}

static void
start_of(struct proc *p)
{
	long long btime;
	long hz;

	cfir_proc_clock(&btime, &hz);
	if (hz > 0 && btime > 0) {
		struct timespec ts = { .tv_sec = (time_t)(btime + (long long)(p->info.starttime / (unsigned long long)hz)) };

		cfir_util_time_rfc3339(&ts, p->start);
	}
}

static int
wstr(struct cfir_writer *w, const char *s, struct cfir_err *err)
{
	return cfir_writer_write(w, s, strlen(s), err);
}

/*
 * processes.json is written as the processes are read: the container
 * chooses how many there are and how long their command lines and
 * environments are, so nothing but a bounded summary of each is kept.
 * First every executable (through one /proc fd a process, checked), then
 * each process in full, then the tree.
 */
int
cmd_ps(int argc, char **argv, struct cfir_global *g)
{
	static const struct option longopts[] = {
		TOOL_BAG_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ "no-environ", no_argument, NULL, OPT_NO_ENVIRON },
		{ NULL, 0, NULL, 0 },
	};
	struct cfir_proc_opts po = { .environ = true };
	struct cfir_engine *e = NULL;
	struct cfir_target *t = NULL;
	struct cfir_bag *bag = NULL;
	struct cfir_err err = { 0 }, werr = { 0 };
	struct cfir_proc_list l = { 0 };
	struct cfir_writer *w = NULL;
	struct tool_bagopts bo;
	struct proc *p = NULL;
	cleanup_cjson cJSON *head = NULL;
	cleanup_free char *text = NULL, *hs = NULL;
	cJSON *exes, *details;
	size_t i, hlen = 0, tlen = 0, gone = 0, np = 0, nexe = 0;
	int c, failed = 0, rc = 0, r = 0, wr = 0;
	FILE *tf;

	tool_bagopts_init(&bo, g);
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		if (tool_bagopt(&bo, c, optarg))
			continue;
		if (c == OPT_NO_ENVIRON) {
			po.environ = false;
			continue;
		}
		return tool_usage(usage, c != 'h');
	}
	if (argc - optind != 1)
		return tool_usage(usage, true);

	if (tool_target(g, argv[optind], &e, &t, &err) < 0 ||
	    cfir_proc_members(t, "/proc", &l, &err) < 0 ||
	    tool_bag_open(&bo, t->name, &bag, &err) < 0 ||
	    cfir_bag_begin(bag, "ps", t, &err) < 0)
		goto out;
	p = calloc(l.n ? l.n : 1, sizeof(*p));
	if (p == NULL) {
		rc = cfir_err_set(&err, EX_OSERR, ENOMEM, "ps");
		goto end;
	}
	/* the executables first: each inode hashed once, each content copied once */
	for (i = 0; i < l.n && !cfir_interrupt_pending(); i++)
		peek(&l, &l.e[i], &p[i]);
	head = cJSON_CreateObject();
	cfir_json_add_str(head, "container", t->id);
	cfir_json_add_num(head, "pidns", (double)l.pidns);
	membership(head, &l);
	cJSON_AddBoolToObject(head, "frozen", t->paused);
	exes = cJSON_AddArrayToObject(head, "executables");
	recover(bag, p, i, exes, &failed);
	nexe = (size_t)cJSON_GetArraySize(exes);
	hs = cfir_json_print(head, &hlen);
	if (hs == NULL || cfir_writer_open(bag, "proc", "processes.json", &w, &err) < 0) {
		if (hs == NULL)
			cfir_err_set(&err, EX_OSERR, ENOMEM, "ps");
		rc = -1;
		goto end;
	}
	/* {"container":...,"executables":[...],"processes":[ ... streamed ... ]} */
	wr = cfir_writer_write(w, hs, hlen - 1, &werr);
	if (wr == 0)
		wr = wstr(w, ",\"processes\":[", &werr);
	for (i = 0; i < l.n && wr == 0; i++) {
		cleanup_free char *js = NULL;
		cJSON *j;
		size_t jlen;

		if (cfir_interrupt_pending())
			break;	/* what was read so far is written whole, the record says partial */
		j = describe(&l, &l.e[i], &po, &p[i]);
		gone += p[i].info.exited;
		np++;
		js = cfir_json_print(j, &jlen);
		if (js == NULL)
			wr = cfir_err_set(&werr, EX_OSERR, ENOMEM, "ps");
		else if ((i > 0 && wstr(w, ",\n", &werr) < 0) || cfir_writer_write(w, js, jlen, &werr) < 0)
			wr = -1;
		if (g->out.format == CFIR_FORMAT_JSON)
			cfir_out_record(&g->out, j, NULL, NULL);
		cJSON_Delete(j);
	}
	if (wr == 0)
		wr = wstr(w, np < l.n ? "],\"interrupted\":true}\n" : "]}\n", &werr);
	if (wr == 0) {
		wr = cfir_writer_commit(w, &werr);
	} else {
		cfir_writer_abort(w);
	}
	w = NULL;
	if (wr < 0) {
		err = werr;
		rc = -1;
		goto end;
	}

	tf = open_memstream(&text, &tlen);
	if (tf == NULL) {
		rc = cfir_err_set(&err, EX_OSERR, ENOMEM, "ps");
		goto end;
	}
	if (l.pidns_shared)
		fputs("# the container shares a PID namespace: its processes are those of its cgroup\n", tf);
	tree(tf, p, np);
	fclose(tf);
	if (cfir_bag_add_buffer(bag, "proc", "tree.txt", text, tlen, &err) < 0) {
		rc = -1;
		goto end;
	}
	if (g->out.format != CFIR_FORMAT_JSON && !g->out.quiet)
		fwrite(text, 1, tlen, g->out.fp);
	if (l.pidns_shared)
		cfir_err_warn("container '%s' shares a PID namespace: its processes are those of its cgroup",
			  t->name);
	if (np < l.n || cfir_interrupt_pending())
		rc = cfir_err_interrupted(&err);
	else if (failed > 0)
		rc = cfir_err_set(&err, EX_IOERR, 0, "%d executables not recovered", failed);
end:
	details = cJSON_CreateObject();
	cfir_json_add_num(details, "processes", (double)np);
	if (np < l.n)
		cfir_json_add_num(details, "processes_found", (double)l.n);
	cfir_json_add_num(details, "gone", (double)gone);
	membership(details, &l);
	cfir_json_add_num(details, "executables", (double)nexe);
	cfir_json_add_num(details, "pidns", (double)l.pidns);
	cJSON_AddBoolToObject(details, "frozen", t->paused);
	if (tool_end(bag, rc, cJSON_GetArraySize(cfir_bag_artifacts(bag)) > 0, &err, details) < 0)
		goto out;
out:
	for (i = 0; p != NULL && i < l.n; i++) {
		cfir_proc_info_free(&p[i].info);
		free(p[i].exe);
	}
	free(p);
	cfir_proc_list_free(&l);
	return tool_done(e, t, bag, &err, r);
}
