/* ps.c - the container's processes from /proc, executables recovered */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

struct proc {
	cJSON *j;
	struct cfir_proc_info info;
	int found;
	bool printed;
};

struct exe {
	dev_t dev;
	ino_t ino;
	char sha[CFIR_SHA256_HEX];
	cJSON *j;		/* the executables[] entry, shared by same-content groups */
};

/* Hash what /proc/PID/exe opens, if it still is the inode the group saw. */
static int
open_exe(pid_t pid, dev_t dev, ino_t ino)
{
	char path[64];
	struct stat sb;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_dev != dev || sb.st_ino != ino) {
		close(fd);
		errno = ESTALE;
		return -1;
	}
	return fd;
}

static int
copy_exe(struct cfir_bag *bag, int fd, const char *name, cJSON *e, struct cfir_err *err)
{
	static unsigned char buf[1 << 16];
	unsigned char head[CFIR_FILETYPE_BYTES];
	struct cfir_writer *w;
	size_t headlen = 0;
	ssize_t n;

	if (cfir_writer_open(bag, "proc/exe", name, &w, err) < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cfir_writer_abort(w);
			return cfir_err_set(err, EX_IOERR, errno, "read executable");
		}
		if (headlen < sizeof(head)) {
			size_t take = sizeof(head) - headlen < (size_t)n ? sizeof(head) - headlen : (size_t)n;

			memcpy(head + headlen, buf, take);
			headlen += take;
		}
		if (cfir_writer_write(w, buf, (size_t)n, err) < 0) {
			cfir_writer_abort(w);
			return -1;
		}
	}
	cfir_json_add_str(e, "path", cfir_writer_path(w));
	cfir_json_add_num(e, "bytes", (double)cfir_writer_bytes(w));
	cfir_filetype_json(e, head, headlen);
	return cfir_writer_commit(w, err);
}

/* Where processes ran this content from; deleted when any of them was. */
static void
add_path(cJSON *e, const struct proc *p)
{
	cJSON *paths = cJSON_GetObjectItem(e, "exe_paths");
	const cJSON *exe = cJSON_GetObjectItem(p->j, "exe"), *x;

	if (p->info.exe_deleted)
		cJSON_ReplaceItemInObject(e, "deleted", cJSON_CreateTrue());
	if (!cJSON_IsString(exe))
		return;
	cJSON_ArrayForEach(x, paths)
		if (cJSON_IsString(x) && strcmp(x->valuestring, exe->valuestring) == 0)
			return;
	cJSON_AddItemToArray(paths, cJSON_CreateString(exe->valuestring));
}

/*
 * One copy per distinct SHA-256: processes are grouped by inode, each group
 * hashed once, and only a hash not seen yet is copied (hashed again as it is
 * written, like every artifact).
 */
static int
recover(struct cfir_bag *bag, struct proc *p, size_t n, cJSON *exes, int *failed)
{
	struct exe *g = calloc(n ? n : 1, sizeof(*g));
	size_t ng = 0, i, k;
	struct cfir_err err = { 0 };

	if (g == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		cJSON *pids;
		int fd;

		if (p[i].info.gone || p[i].info.exe_ino == 0)
			continue;
		for (k = 0; k < ng; k++)
			if (g[k].dev == p[i].info.exe_dev && g[k].ino == p[i].info.exe_ino)
				break;
		if (k == ng) {
			uint64_t bytes;

			g[ng].dev = p[i].info.exe_dev;
			g[ng].ino = p[i].info.exe_ino;
			fd = open_exe(p[i].info.pid, g[ng].dev, g[ng].ino);
			if (fd < 0 || cfir_sha256_fd(fd, g[ng].sha, &bytes, &err) < 0) {
				cfir_warn("PID %d: executable not recovered: %s", (int)p[i].info.pid,
					  fd < 0 ? strerror(errno) : cfir_err_str(&err));
				if (fd >= 0)
					close(fd);
				(*failed)++;
				continue;
			}
			close(fd);
			for (k = 0; k < ng; k++)
				if (strcmp(g[k].sha, g[ng].sha) == 0)
					break;
			if (k < ng) {
				g[ng].j = g[k].j;	/* same content, another inode */
				add_path(g[ng].j, &p[i]);
			} else {
				cleanup_free char *name = NULL, *comm = cfir_safe_name(p[i].info.comm, 32);

				g[ng].j = cJSON_CreateObject();
				cfir_json_add_str(g[ng].j, "sha256", g[ng].sha);
				cJSON_AddArrayToObject(g[ng].j, "exe_paths");
				cJSON_AddBoolToObject(g[ng].j, "deleted", false);
				cJSON_AddArrayToObject(g[ng].j, "pids");
				add_path(g[ng].j, &p[i]);
				fd = open_exe(p[i].info.pid, g[ng].dev, g[ng].ino);
				if (asprintf(&name, "%.12s-%s", g[ng].sha, comm && *comm ? comm : "exe") < 0 ||
				    fd < 0 || copy_exe(bag, fd, name, g[ng].j, &err) < 0) {
					cfir_warn("PID %d: executable not recovered: %s", (int)p[i].info.pid,
						  fd < 0 ? strerror(errno) : cfir_err_str(&err));
					(*failed)++;
				}
				if (fd >= 0)
					close(fd);
				cJSON_AddItemToArray(exes, g[ng].j);
			}
			k = ng++;
		}
		if (g[k].j == NULL)
			continue;
		pids = cJSON_GetObjectItem(g[k].j, "pids");
		cJSON_AddItemToArray(pids, cJSON_CreateNumber(p[i].info.pid));
		cfir_json_add_str(p[i].j, "exe_sha256", g[k].sha);
	}
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
	const char *start = tool_jstr(p->j, "start");
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
	if (p->info.gone)
		fputs("  (gone)", f);
	fputc('\n', f);
}

static void
tree_from(FILE *f, struct proc *p, size_t n, size_t at, int depth)
{
	size_t i;

	if (p[at].printed || depth > 64)
		return;
	p[at].printed = true;
	tree_line(f, &p[at], depth);
	for (i = 0; i < n; i++)
		if (!p[i].printed && p[i].info.ppid == p[at].info.pid && i != at)
			tree_from(f, p, n, i, depth + 1);
}

static void
tree(FILE *f, struct proc *p, size_t n)
{
	size_t i, k;

	fprintf(f, "%-6s %7s %7s %-4s %-8s %s\n", "UID", "PID", "PPID", "STAT", "START", "COMMAND");
	for (i = 0; i < n; i++)
		p[i].printed = false;
	/* roots: parents outside the container (the runtime's shim, nsenter's shell) */
	for (i = 0; i < n; i++) {
		for (k = 0; k < n; k++)
			if (p[k].info.pid == p[i].info.ppid)
				break;
		if (k == n)
			tree_from(f, p, n, i, 0);
	}
	for (i = 0; i < n; i++)	/* cycles a hostile /proc could not make, but still */
		if (!p[i].printed)
			tree_from(f, p, n, i, 0);
}

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
	struct cfir_err err = { 0 };
	struct cfir_proc_list l = { 0 };
	struct tool_bagopts bo;
	struct proc *p = NULL;
	cleanup_cjson cJSON *doc = NULL;
	cleanup_free char *json = NULL, *text = NULL;
	cJSON *procs, *exes, *details;
	size_t i, len = 0, tlen = 0, gone = 0;
	int c, failed = 0, rc = 0, r = 0;
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
	for (i = 0; i < l.n; i++) {
		cJSON *how;

		p[i].j = cfir_proc_describe("/proc", l.e[i].pid, &po, &p[i].info);
		how = cJSON_AddArrayToObject(p[i].j, "found_by");
		if (l.e[i].found & CFIR_FOUND_PIDNS)
			cJSON_AddItemToArray(how, cJSON_CreateString("pidns"));
		if (l.e[i].found & CFIR_FOUND_CGROUP)
			cJSON_AddItemToArray(how, cJSON_CreateString("cgroup"));
		gone += p[i].info.gone;
	}
	qsort(p, l.n, sizeof(*p), by_pid);

	doc = cJSON_CreateObject();
	cfir_json_add_str(doc, "container", t->id);
	cfir_json_add_num(doc, "pidns", (double)l.pidns);
	cJSON_AddBoolToObject(doc, "frozen", t->paused);
	exes = cJSON_AddArrayToObject(doc, "executables");
	recover(bag, p, l.n, exes, &failed);
	procs = cJSON_AddArrayToObject(doc, "processes");
	for (i = 0; i < l.n; i++)
		cJSON_AddItemToArray(procs, p[i].j);

	json = cfir_json_line(doc, &len);
	tf = open_memstream(&text, &tlen);
	if (json == NULL || tf == NULL) {
		rc = cfir_err_set(&err, EX_OSERR, ENOMEM, "ps");
		goto end;
	}
	tree(tf, p, l.n);
	fclose(tf);
	if (cfir_bag_add_buffer(bag, "proc", "processes.json", json, len, &err) < 0 ||
	    cfir_bag_add_buffer(bag, "proc", "tree.txt", text, tlen, &err) < 0) {
		rc = -1;
		goto end;
	}
	if (g->out.format == CFIR_FORMAT_JSON) {
		for (i = 0; i < l.n; i++)
			cfir_out_record(&g->out, p[i].j, NULL, NULL);
	} else if (!g->out.quiet) {
		fwrite(text, 1, tlen, g->out.fp);
	}
	if (failed > 0)
		rc = cfir_err_set(&err, EX_IOERR, 0, "%d executables not recovered", failed);
end:
	details = cJSON_CreateObject();
	cfir_json_add_num(details, "processes", (double)l.n);
	cfir_json_add_num(details, "gone", (double)gone);
	cfir_json_add_num(details, "executables", (double)cJSON_GetArraySize(cJSON_GetObjectItem(doc, "executables")));
	cfir_json_add_num(details, "pidns", (double)l.pidns);
	cJSON_AddBoolToObject(details, "frozen", t->paused);
	if (tool_end(bag, rc, cJSON_GetArraySize(cfir_bag_artifacts(bag)) > 0, &err, details) < 0)
		goto out;
out:
	if (doc == NULL)
		for (i = 0; p != NULL && i < l.n; i++)
			cJSON_Delete(p[i].j);
	for (i = 0; p != NULL && i < l.n; i++)
		cfir_proc_info_free(&p[i].info);
	free(p);
	cfir_proc_list_free(&l);
	return tool_done(e, t, bag, &err, r);
}
