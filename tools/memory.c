/* memory.c - readable memory of chosen processes, from /proc/PID/mem */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/hash.h"
#include "common/proc.h"
#include "common/util.h"
#include "tools/tool.h"


#define CHUNK (1u << 20)

struct dump {
	struct cfir_writer *w, *idx;
	struct cfir_hash *h;
	unsigned char *buf;
	uint64_t budget;	/* bytes left under --max-bytes */
	uint64_t taken, regions, skipped;
};

static int
index_line(struct dump *d, cJSON *o, struct cfir_err *err)
{
	size_t len;
	char *line = cfir_json_line(o, &len);
	int r;

	cJSON_Delete(o);
	if (line == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "memory index");
	r = cfir_writer_write(d->idx, line, len, err);
	free(line);
	return r;
}

/* One region: its bytes into the dump, its line into the index. */
static int
region(struct dump *d, int memfd, const struct cfir_proc_map *m, struct cfir_err *err)
{
	cJSON *o = cJSON_CreateObject();
	char r[48], hex[CFIR_SHA256_HEX];
	uint64_t at = m->start, off = cfir_writer_bytes(d->w), got = 0, want = m->end - m->start;
	const char *why = NULL;
	ssize_t n;

	snprintf(r, sizeof(r), "%llx", (unsigned long long)m->start);
	cfir_json_add_str(o, "start", r);
	snprintf(r, sizeof(r), "%llx", (unsigned long long)m->end);
	cfir_json_add_str(o, "end", r);
	cfir_json_add_str(o, "perms", m->perms);
	cfir_json_add_num(o, "file_offset", (double)m->offset);
	cfir_json_add_bytes(o, "path", m->path, strlen(m->path));
	if (m->perms[0] != 'r')
		why = "not readable";
	else if (strncmp(m->path, "[vvar", 5) == 0 || strcmp(m->path, "[vsyscall]") == 0)
		why = "kernel page, not process memory";
	else if (want > d->budget)
		why = "past --max-bytes";
	if (why == NULL) {
		while (got < want) {
			size_t take = want - got < CHUNK ? (size_t)(want - got) : CHUNK;

			if (cfir_interrupt_pending()) {
				why = "interrupted";
				break;
			}
			n = pread(memfd, d->buf, take, (off_t)at);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				why = n < 0 ? strerror(errno) : "end of memory";
				break;
			}
			cfir_hash_update(d->h, d->buf, (size_t)n);
			if (cfir_writer_write(d->w, d->buf, (size_t)n, err) < 0) {
				cJSON_Delete(o);
				return -1;
			}
			got += (uint64_t)n;
			at += (uint64_t)n;
		}
	}
	cfir_hash_final_hex(d->h, hex);
	if (got > 0) {
		cfir_json_add_num(o, "dump_offset", (double)off);
		cfir_json_add_num(o, "bytes", (double)got);
		cfir_json_add_str(o, "sha256", hex);
		d->budget -= got;
		d->taken += got;
		d->regions++;
	}
	if (why != NULL) {
		cfir_json_add_str(o, "skipped", why);
		d->skipped++;
	}
	return index_line(d, o, err);
}

/*
 * PID's readable memory. Membership is checked through one fd of its /proc
 * directory and maps and mem are opened through that same fd: a PID that
 * is reused meanwhile fails (ESRCH), it is never a different process read.
 */
struct each {
	struct dump *d;
	int memfd;
	struct cfir_err *err;
};

static int
each_region(void *ctx, const struct cfir_proc_map *m)
{
	struct each *x = ctx;

	return region(x->d, x->memfd, m, x->err);
}

static int
dump_pid(struct cfir_bag *bag, const struct cfir_proc_list *l, pid_t pid, uint64_t *budget,
	 cJSON *sum, struct cfir_err *err)
{
	cleanup_close int pfd = -1, memfd = -1;
	struct dump d = { .budget = *budget };
	struct each x = { &d, -1, err };
	char name[48];
	int r = 0;

	pfd = cfir_proc_open(l, "/proc", pid, err);
	if (pfd < 0)
		return -1;
	memfd = openat(pfd, "mem", O_RDONLY | O_CLOEXEC);
	if (memfd < 0)
		return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "open '/proc/%d/mem'", (int)pid);
	d.h = cfir_hash_new();
	d.buf = malloc(CHUNK);
	snprintf(name, sizeof(name), "%d.dump", (int)pid);
	if (d.h == NULL || d.buf == NULL) {
		r = cfir_err_set(err, EX_OSERR, ENOMEM, "memory");
		goto out;
	}
	if (cfir_writer_open(bag, "proc/mem", name, &d.w, err) < 0) {
		r = -1;		/* the writer's own error, not a guess */
		goto out;
	}
	snprintf(name, sizeof(name), "%d.regions.jsonl", (int)pid);
	if (cfir_writer_open(bag, "proc/mem", name, &d.idx, err) < 0) {
		cfir_writer_abort(d.w);
		d.w = NULL;
		r = -1;
		goto out;
	}
	/* the mappings as a stream: every one, however many the process made */
	x.memfd = memfd;
	r = cfir_proc_maps_each(pfd, each_region, &x, err) < 0 ? -1 : 0;
	if (r < 0) {
		cfir_writer_abort(d.w);
		cfir_writer_abort(d.idx);
	} else if (cfir_writer_commit(d.w, err) < 0 || cfir_writer_commit(d.idx, err) < 0) {
		r = -1;
	}
	{
		cJSON *o = cJSON_CreateObject();

		cfir_json_add_num(o, "pid", pid);
		cfir_json_add_num(o, "bytes", (double)d.taken);
		cfir_json_add_num(o, "regions", (double)d.regions);
		cfir_json_add_num(o, "skipped", (double)d.skipped);
		/* cut short: the bytes taken are in the bag, as partial artifacts */
		if (r < 0)
			cJSON_AddBoolToObject(o, "partial", true);
		cJSON_AddItemToArray(sum, o);
	}
	*budget = d.budget;
out:
	cfir_hash_free(d.h);
	free(d.buf);
	return r;
}

static const struct cfir_field columns[] = {
	{ "pid", "PID", CFIR_FMT_NUM, 8, CFIR_FIELD_RIGHT, NULL },
	{ "bytes", "BYTES", CFIR_FMT_NUM, 12, CFIR_FIELD_RIGHT, NULL },
	{ "regions", "REGIONS", CFIR_FMT_NUM, 8, CFIR_FIELD_RIGHT, NULL },
	{ "skipped", "SKIPPED", CFIR_FMT_NUM, 8, CFIR_FIELD_RIGHT, NULL },
	{ "partial", "PARTIAL", CFIR_FMT_BOOL, 0, 0, NULL },
	{ 0 },
};

static void
init(void *opts)
{
	((struct memory_opts *)opts)->max_bytes = 1ull << 30;
}

/* --all or PIDs, one of them; each PID a number */
static int
check(struct tool_step *s, void *opts, int argc, char **argv)
{
	struct memory_opts *o = opts;
	unsigned long pid;
	int a;

	if (o->npids > 0)
		return 0;	/* given by collect */
	if (o->all == (argc > 1))
		return cfir_err_set(&s->err, EX_USAGE, 0, "memory takes --all or PIDs, one of them");
	o->parsed = calloc((size_t)argc, sizeof(*o->parsed));
	if (o->parsed == NULL)
		return cfir_err_set(&s->err, EX_OSERR, ENOMEM, "memory");
	for (a = 1; a < argc; a++) {
		if (cfir_util_parse_ulong(argv[a], 0x7fffffff, &pid) < 0)
			return cfir_err_set(&s->err, EX_USAGE, 0, "'%s' is not a PID", argv[a]);
		o->parsed[o->npids++] = (int)pid;
	}
	o->pids = o->parsed;
	return 0;
}

/* Only the container's own processes: a PID outside it is a usage error, nothing is written. */
static int
prepare(struct tool_step *s, void *opts, int argc, char **argv)
{
	struct memory_opts *o = opts;
	size_t i;

	(void)argc, (void)argv;
	o->members = calloc(1, sizeof(*o->members));
	if (o->members == NULL)
		return cfir_err_set(&s->err, EX_OSERR, ENOMEM, "memory");
	if (cfir_proc_members(s->t, "/proc", o->members, &s->err) < 0)
		return -1;
	for (i = 0; i < o->npids; i++)
		if (!cfir_proc_list_has(o->members, (pid_t)o->pids[i]))
			return cfir_err_set(&s->err, EX_USAGE, 0, "PID %d is not a process of container '%s'%s",
					    o->pids[i], s->t->name,
					    o->members->pidns_shared ? " (it shares a PID namespace: its cgroup decides)" : "");
	return 0;
}

static int
run(struct tool_step *s, void *opts, int argc, char **argv)
{
	struct memory_opts *o = opts;
	struct cfir_proc_list *l = o->members;
	struct cfir_err err = { 0 };
	uint64_t budget = o->max_bytes;
	size_t i, n = o->all ? l->n : o->npids;
	cJSON *sum = cJSON_CreateArray(), *p;

	(void)argc, (void)argv;
	for (i = 0; i < n && !cfir_interrupt_pending(); i++) {
		if (dump_pid(s->bag, l, o->all ? l->e[i].pid : (pid_t)o->pids[i], &budget, sum, &err) < 0)
			tool_soft_fail(s, &err);
		cfir_err_clear(&err);
	}
	if (cfir_interrupt_pending()) {
		cfir_err_interrupted(&err);
		tool_soft_fail(s, &err);
	}
	s->details = cJSON_CreateObject();
	cJSON_AddItemToObject(s->details, "processes", sum);
	cfir_json_add_num(s->details, "max_bytes", (double)o->max_bytes);
	cfir_json_add_num(s->details, "bytes", (double)(o->max_bytes - budget));
	cJSON_AddBoolToObject(s->details, "frozen", s->t->paused);
	cfir_out_head(s->out, columns);
	cJSON_ArrayForEach(p, sum)
		cfir_out_row(s->out, p, columns);
	return s->soft.exit != 0 ? -1 : 0;
}

static void
fini(void *opts)
{
	struct memory_opts *o = opts;

	if (o->members != NULL)
		cfir_proc_list_free(o->members);
	free(steal_pointer(&o->members));
	free(steal_pointer(&o->parsed));
}

static const struct tool_opt opts[] = {
	TOOL_OPT("all", 0, TOOL_OPT_FLAG, struct memory_opts, all),
	TOOL_OPT("max-bytes", 0, TOOL_OPT_SIZE, struct memory_opts, max_bytes),
	{ 0 },
};

static const char memory_usage[] =
	"usage: cfir memory [-h] [-o bag] [--case case] [--examiner name] [--max-bytes size]\n"
	"                   container [--all | pid ...]\n";

const struct tool_cmd cmd_memory = {
	.name = "memory", .usage = memory_usage, .needs = TOOL_TARGET | TOOL_BAG,
	.summary = "readable memory of chosen processes, with an index of regions",
	.min_args = 1, .max_args = -1, .opts = opts, .opts_size = sizeof(struct memory_opts), .init = init,
	.check = check, .prepare = prepare, .run = run, .fini = fini,
};
