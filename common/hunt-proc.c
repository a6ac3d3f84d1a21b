/* hunt-proc.c - the live checks of each process: what it runs, its fds, its memory, its root, its parent */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fileflags.h"
#include "common/hunt-private.h"
#include "common/out.h"
#include "common/path.h"
#include "common/proc.h"
#include "common/target.h"
#include "common/util.h"

static bool
in_list(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(name, *list) == 0)
			return true;
	return false;
}

static const char *const shells[] = {
	"sh", "ash", "bash", "dash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "busybox",
	"python", "python2", "python3", "perl", "ruby", "php", "lua", "node", "nc", "ncat", "socat",
	"telnet", NULL,
};
/* Runtimes whose JITs map anonymous executable memory by design. */
static const char *const jits[] = {
	"java", "node", "nodejs", "dotnet", "mono", "pypy", "pypy3", "luajit", "beam.smp", "erl",
	"chrome", "chromium", "firefox", "qemu-system-x86_64", "wasmtime", "deno", "bun", NULL,
};

static bool
shell_like(const struct cfir_hunt_proc *p)
{
	const char *b = cfir_path_base(p->exe);
	char stem[64];
	size_t n = strcspn(b, ".");	/* python3.11 */

	snprintf(stem, sizeof(stem), "%.*s", (int)(n < 63 ? n : 63), b);
	return in_list(b, shells) || in_list(stem, shells) || in_list(p->comm, shells);
}

cJSON *
cfir_hunt_proc_value(const struct cfir_hunt_proc *p, const char *what, const char *v)
{
	cJSON *o = cJSON_CreateObject();

	cfir_json_add_num(o, "pid", p->pid);
	cfir_json_add_bytes(o, "comm", p->comm, strlen(p->comm));
	if (p->have_exe)
		cfir_json_add_bytes(o, "exe", p->exe, strlen(p->exe));
	if (what != NULL)
		cfir_json_add_bytes(o, what, v, strlen(v));
	return o;
}

static bool
fd_is_socket(int dfd, const char *fd)
{
	char link[64];
	ssize_t n = readlinkat(dfd, fd, link, sizeof(link) - 1);

	if (n <= 0)
		return false;
	link[n] = '\0';
	return strncmp(link, "socket:[", 8) == 0;
}

static int
anon_exec(void *ctx, const struct cfir_proc_map *m)
{
	size_t *n = ctx;

	if (cfir_proc_map_anon_exec(m))
		(*n)++;
	return 0;
}

/* Every mapping is looked at, however many the process made to hide one. */
static size_t
anon_exec_regions(int dfd)
{
	size_t n = 0;

	cfir_proc_maps_each(dfd, anon_exec, &n, NULL);
	return n;
}

/* One process as the host sees it, through one fd of its /proc directory, checked first. */
static int
look(const struct cfir_proc_list *members, const char *proc, pid_t pid, struct cfir_hunt_proc *p)
{
	cleanup_free char *stat = NULL, *comm = NULL;
	struct cfir_proc_stat st;
	struct cfir_err err = { 0 };
	size_t len = 0;
	ssize_t n;
	int dfd;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	dfd = cfir_proc_open(members, proc, pid, &err);
	if (dfd < 0)
		return -1;
	if (cfir_util_read_file(dfd, "stat", 4096, &stat, &len, NULL, NULL) == 0 &&
	    cfir_proc_stat_parse(stat, len, &st) == 0)
		p->ppid = st.ppid;
	if (cfir_util_read_file(dfd, "comm", 64, &comm, &len, NULL, NULL) == 0) {
		while (len > 0 && comm[len - 1] == '\n')
			len--;
		snprintf(p->comm, sizeof(p->comm), "%.*s", (int)len, comm);
	}
	n = readlinkat(dfd, "exe", p->exe, sizeof(p->exe) - 1);
	if (n > 0) {
		p->exe[n] = '\0';
		p->have_exe = true;
		if (n > 10 && strcmp(p->exe + n - 10, " (deleted)") == 0) {
			p->deleted = true;
			p->exe[n - 10] = '\0';
		}
	}
	return dfd;
}

static int
by_pid(const void *a, const void *b)
{
	const struct cfir_hunt_proc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* LV->ps sorted by PID: the index of PID, or -1. */
static long
seen(const struct cfir_hunt_live *lv, pid_t pid)
{
	size_t lo = 0, hi = lv->n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (lv->ps[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < lv->n && lv->ps[lo].pid == pid ? (long)lo : -1;
}

/*
 * Up the PPid chain, inside the container, to its init; anything else came
 * from outside. MEMO (0 unknown, 1 yes, 2 no) makes it linear however the
 * container shapes its tree: a chain is walked once, a loop ends.
 */
static bool
descends(const struct cfir_hunt_live *lv, size_t i, pid_t init, unsigned char *memo)
{
	long j = (long)i;
	unsigned char v = 2;
	size_t hops;

	for (hops = 0; hops <= lv->n; hops++) {
		if (memo[j] != 0) {
			v = memo[j];
			break;
		}
		if (lv->ps[j].pid == init) {
			v = 1;
			break;
		}
		j = seen(lv, lv->ps[j].ppid);
		if (j < 0 || (size_t)j == i)
			break;
	}
	for (j = (long)i, hops = 0; j >= 0 && memo[j] == 0 && hops <= lv->n; hops++) {
		memo[j] = v;
		j = seen(lv, lv->ps[j].ppid);
	}
	return v == 1;
}

/* The mount namespaces met so far; the init's is checked with the target. */
#define MNT_CHECKED 64

struct mnt_seen {
	unsigned long ino[MNT_CHECKED];
	size_t n;
	bool init_known;
	char *host;		/* the host's mount of the overlay, read once */
};

static unsigned long
mnt_of(int dfd)
{
	return cfir_proc_inode_at(dfd, "ns/mnt", "mnt");
}

/*
 * A process in a mount namespace of its own (not the init's) can pivot or
 * remount its root where the init's looks clean: each such namespace's
 * root is compared with the engine's overlay too.
 */
static void
other_root(const struct cfir_target *t, const char *proc, const struct cfir_hunt_sel *sel, cJSON *fs,
	   int dfd, const struct cfir_hunt_proc *p, struct mnt_seen *m)
{
	unsigned long ino = mnt_of(dfd);
	cleanup_free char *why = NULL;
	size_t i;

	if (!m->init_known) {
		cleanup_close int ifd = cfir_target_pidfd(t, proc, NULL);

		m->init_known = true;
		if (ifd >= 0 && (m->ino[0] = mnt_of(ifd)) != 0)
			m->n = 1;
	}
	if (ino == 0)
		return;
	for (i = 0; i < m->n; i++)
		if (m->ino[i] == ino)
			return;
	if (m->n == MNT_CHECKED)
		return;	/* bounded: a container cannot make this the long part */
	m->ino[m->n++] = ino;
	why = cfir_target_root_check(t, proc, dfd, &m->host);
	if (why != NULL) {
		cJSON *v = cfir_hunt_proc_value(p, NULL, NULL);

		cfir_json_add_bytes(v, "check", why, strlen(why));
		cfir_hunt_finding(fs, sel, "rootfs-remounted", "/proc/PID/mountinfo", v);
	}
}

/* The checks on one process, through DFD, its /proc directory. */
static void
one_proc(const struct cfir_hunt_live *lv, int dfd, const struct cfir_hunt_proc *p)
{
	const struct cfir_hunt_sel *sel = lv->sel;
	cJSON *fs = lv->fs;

	if (p->deleted)
		cfir_hunt_finding(fs, sel, "exe-deleted", "/proc/PID/exe", cfir_hunt_proc_value(p, NULL, NULL));
	if (p->have_exe && cfir_fileflags_get(&(struct cfir_fileflags_of){ .path = p->exe }, CFIR_FILEFLAG_TMP))
		cfir_hunt_finding(fs, sel, "exe-tmp", "/proc/PID/exe", cfir_hunt_proc_value(p, NULL, NULL));
	if (shell_like(p) && (fd_is_socket(dfd, "fd/0") || fd_is_socket(dfd, "fd/1")))
		cfir_hunt_finding(fs, sel, "reverse-shell", "/proc/PID/fd",
				  cfir_hunt_proc_value(p, "fds", fd_is_socket(dfd, "fd/0") ? "stdin is a socket" :
								 "stdout is a socket"));
	if (!in_list(cfir_path_base(p->exe), jits) && !in_list(p->comm, jits)) {
		size_t k = anon_exec_regions(dfd);

		if (k > 0) {
			char nreg[32];

			snprintf(nreg, sizeof(nreg), "%zu", k);
			cfir_hunt_finding(fs, sel, "anon-exec", "/proc/PID/maps", cfir_hunt_proc_value(p, "regions", nreg));
		}
	}
}

int
cfir_hunt_procs(const struct cfir_target *t, const char *proc, const struct cfir_proc_list *members,
		struct cfir_hunt_live *lv)
{
	static const char *const root_checks[] = { "rootfs-remounted", NULL };
	bool roots = cfir_hunt_any_on(lv->sel, root_checks);
	struct mnt_seen mnts = { 0 };
	size_t i;

	lv->ps = calloc(members->n ? members->n : 1, sizeof(*lv->ps));
	if (lv->ps == NULL)
		return -1;
	for (i = 0; i < members->n; i++) {
		struct cfir_hunt_proc *p = &lv->ps[lv->n];
		int dfd;

		if (cfir_interrupt_pending())
			break;
		dfd = look(members, proc, members->e[i].pid, p);
		if (dfd < 0)
			continue;	/* gone meanwhile */
		lv->n++;
		if (roots)
			other_root(t, proc, lv->sel, lv->fs, dfd, p, &mnts);
		one_proc(lv, dfd, p);
		close(dfd);
	}
	free(mnts.host);
	return 0;
}

void
cfir_hunt_foreign(const struct cfir_target *t, struct cfir_hunt_live *lv)
{
	unsigned char *memo = calloc(lv->n ? lv->n : 1, 1);
	size_t i;

	if (memo == NULL)
		return;
	qsort(lv->ps, lv->n, sizeof(*lv->ps), by_pid);
	for (i = 0; i < lv->n; i++)
		if (!descends(lv, i, t->pid, memo)) {
			cJSON *v = cfir_hunt_proc_value(&lv->ps[i], NULL, NULL);

			cfir_json_add_num(v, "ppid", lv->ps[i].ppid);
			cfir_hunt_finding(lv->fs, lv->sel, "foreign-process", "/proc/PID/stat", v);
		}
	free(memo);
}
