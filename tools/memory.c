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

static const char usage[] =
	"usage: cfir memory [-h] [-o bag] [--case case] [--examiner name] [--max-bytes bytes]\n"
	"                   container [--all | pid ...]\n";

enum { OPT_ALL = 0x300, OPT_MAX_BYTES };

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

static void
text(struct cfir_out *o, const cJSON *rec, void *ctx)
{
	(void)ctx;
	fprintf(o->fp, "PID %.0f: %.0f bytes in %.0f regions, %.0f skipped\n",
		cJSON_GetObjectItem(rec, "pid")->valuedouble, cJSON_GetObjectItem(rec, "bytes")->valuedouble,
		cJSON_GetObjectItem(rec, "regions")->valuedouble,
		cJSON_GetObjectItem(rec, "skipped")->valuedouble);
}

int
cmd_memory(int argc, char **argv, struct cfir_global *g)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, OPT_ALL },
		TOOL_BAG_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ "max-bytes", required_argument, NULL, OPT_MAX_BYTES },
		{ NULL, 0, NULL, 0 },
	};
	struct cfir_engine *e = NULL;
	struct cfir_target *t = NULL;
	struct cfir_bag *bag = NULL;
	struct cfir_err err = { 0 }, first = { 0 };
	struct cfir_proc_list l = { 0 };
	struct tool_bagopts bo;
	unsigned long max = 1ul << 30, pid;
	uint64_t budget;
	bool all = false;
	cJSON *sum, *s;
	int c, i, failed = 0, r = 0;

	tool_bagopts_init(&bo, g);
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		if (tool_bagopt(&bo, c, optarg))
			continue;
		if (c == OPT_ALL) {
			all = true;
			continue;
		}
		if (c == OPT_MAX_BYTES && cfir_util_parse_ulong(optarg, ~0ul, &max) == 0)
			continue;
		if (c == OPT_MAX_BYTES)
			cfir_err_print("--max-bytes takes a number of bytes, not '%s'", optarg);
		return tool_usage(usage, c != 'h');
	}
	if (optind >= argc || (all == (argc - optind > 1)))
		return tool_usage(usage, true);
	for (i = optind + 1; i < argc; i++)
		if (cfir_util_parse_ulong(argv[i], 0x7fffffff, &pid) < 0) {
			cfir_err_print("'%s' is not a PID", argv[i]);
			return tool_usage(usage, true);
		}
	budget = max;
	if (tool_target(g, argv[optind], &e, &t, &err) < 0 ||
	    cfir_proc_members(t, "/proc", &l, &err) < 0)
		goto out;
	/* only the container's own processes: a PID outside it is a usage error, nothing is written */
	for (i = optind + 1; i < argc; i++) {
		cfir_util_parse_ulong(argv[i], 0x7fffffff, &pid);
		if (!cfir_proc_list_has(&l, (pid_t)pid)) {
			cfir_err_set(&err, EX_USAGE, 0, "PID %lu is not a process of container '%s'%s", pid,
				     t->name, l.pidns_shared ? " (it shares a PID namespace: its cgroup decides)" : "");
			goto out;
		}
	}
	if (tool_bag_open(&bo, t->name, &bag, &err) < 0 || cfir_bag_begin(bag, "memory", t, &err) < 0)
		goto out;
	sum = cJSON_CreateArray();
	for (i = 0; i < (all ? (int)l.n : argc - optind - 1); i++) {
		pid_t p;

		if (all)
			p = l.e[i].pid;
		else {
			cfir_util_parse_ulong(argv[optind + 1 + i], 0x7fffffff, &pid);
			p = (pid_t)pid;
		}
		if (cfir_interrupt_pending())
			break;
		if (dump_pid(bag, &l, p, &budget, sum, &err) < 0) {
			cfir_err_report(&err);
			if (failed++ == 0)
				first = err;
		}
	}
	if (cfir_interrupt_pending() && failed++ == 0) {
		cfir_err_interrupted(&first);
		cfir_err_report(&first);
	}
	{
		cJSON *details = cJSON_CreateObject();

		cJSON_AddItemToObject(details, "processes", sum);
		cfir_json_add_num(details, "max_bytes", (double)max);
		cfir_json_add_num(details, "bytes", (double)(max - budget));
		cJSON_AddBoolToObject(details, "frozen", t->paused);
		cJSON_ArrayForEach(s, sum)
			cfir_out_record(&g->out, s, text, NULL);
		cfir_err_clear(&err);
		if (failed)
			err = first;
		if (tool_end(bag, failed ? -1 : 0, cJSON_GetArraySize(cfir_bag_artifacts(bag)) > 0, &err, details) < 0)
			goto out;
	}
out:
	cfir_proc_list_free(&l);
	/* failures of single PIDs were reported as they came */
	if (failed && r == 0)
		r = err.exit;
	return tool_done(e, t, bag, &err, r);
}
