/* proc.h - a container's processes, straight from the host's /proc */
#ifndef CFIR_PROC_H
#define CFIR_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "common/err.h"
#include "common/target.h"

/* ---- parsers of hostile text (each has a fuzz target) ---- */

#define CFIR_NSPID_MAX 32

struct cfir_proc_status {
	char state;
	int ppid;
	long uid[4], gid[4];	/* real, effective, saved, fs */
	int nspid[CFIR_NSPID_MAX];
	int nnspid;
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
	int seccomp;		/* -1 when not shown */
	int no_new_privs;	/* -1 when not shown */
};
/* /proc/PID/status; -1 when the fields every process has are missing. */
int cfir_proc_status_parse(const char *text, size_t len, struct cfir_proc_status *s);

struct cfir_proc_stat {
	char state;
	int ppid;
	unsigned long long starttime;	/* clock ticks after boot */
	char comm[64];		/* exact bytes, as /proc/PID/comm has them */
	size_t commlen;
};
/*
 * /proc/PID/stat: comm between the first '(' and the last ')' (it may hold
 * anything, parentheses included), the fields after it.
 */
int cfir_proc_stat_parse(const char *text, size_t len, struct cfir_proc_stat *s);

/*
 * The inode an anonymous /proc link names: "KIND:[N]" ("net:[4026531840]",
 * "socket:[12345]") puts N in *INO and returns 0; any other text, or
 * another KIND, returns -1.
 */
int cfir_proc_link_inode(const char *link, const char *kind, unsigned long *ino);
/*
 * The same read from the link NAME under DFD ("ns/net" under a /proc/PID
 * fd, or a whole path with AT_FDCWD): N, or 0 when it cannot be read or
 * is not KIND's.
 */
unsigned long cfir_proc_inode_at(int dfd, const char *name, const char *kind);

struct cfir_proc_map {
	uint64_t start, end, offset;
	char perms[5];
	unsigned long inode;
	const char *path;	/* into the line; "" for anonymous */
	bool deleted;		/* the mapped file is gone */
};
/* One line of /proc/PID/maps, in place; -1 when malformed. */
int cfir_proc_maps_line(char *line, struct cfir_proc_map *m);

/*
 * Each mapping of the process whose /proc directory is PFD, parsed, to FN
 * (0 to go on), read as a stream: a process chooses how many it has, so
 * none is left out past a size and memory stays one line.
 */
typedef int (*cfir_proc_map_fn)(void *ctx, const struct cfir_proc_map *m);
int cfir_proc_maps_each(int pfd, cfir_proc_map_fn fn, void *ctx, struct cfir_err *err);
/*
 * Executable memory no file on disk backs: unnamed, a memfd, [heap],
 * [stack], a named anonymous region ([anon:NAME], [anon_shmem:NAME]). What
 * a JIT, an unpacker or injected code maps.
 */
bool cfir_proc_map_anon_exec(const struct cfir_proc_map *m);


/* ---- processes of a container ---- */

enum { CFIR_FOUND_PIDNS = 1, CFIR_FOUND_CGROUP = 2 };

struct cfir_proc_entry {
	pid_t pid;
	int found;		/* CFIR_FOUND_* bits */
};

struct cfir_proc_list {
	struct cfir_proc_entry *e;	/* sorted by PID, one entry a PID */
	size_t n, cap;
	unsigned long pidns;	/* inode of the container's PID namespace */
	unsigned long netns;
	bool pidns_shared;	/* the host's or another container's: membership by cgroup only */
	bool have_cg;		/* the init process's cgroup, to compare others with: */
	char cg_hier[128];	/* "0:" (v2) or "7:pids:" */
	char cg_path[1024];
};

/*
 * The container's processes: those in its cgroup (cgroup v1 and v2) and,
 * when the PID namespace is its own, those in it. A shared PID namespace
 * (--pid host, --pid container:X) counts for nothing. Sorted by PID;
 * linear in the number of processes, whatever shape the container gives
 * its cgroups.
 */
int cfir_proc_members(const struct cfir_target *t, const char *proc,
		      struct cfir_proc_list *l, struct cfir_err *err);
void cfir_proc_list_free(struct cfir_proc_list *l);
bool cfir_proc_list_has(const struct cfir_proc_list *l, pid_t pid);
const struct cfir_proc_entry *cfir_proc_list_find(const struct cfir_proc_list *l, pid_t pid);
/*
 * PROC/PID as a directory fd, after checking through that same fd that it
 * still is a member (its cgroup, or its PID namespace when that counts):
 * every later read of the process goes through it, so a PID that is reused
 * meanwhile is never read. EX_USAGE for a PID that was never a member.
 */
int cfir_proc_open(const struct cfir_proc_list *l, const char *proc, pid_t pid,
		   struct cfir_err *err);

struct cfir_proc_opts {
	bool environ;		/* include the environment */
};

#define CFIR_PROC_ARGS_MAX 1024

/* What ps needs beyond the JSON: the tree and the executable. */
struct cfir_proc_info {
	pid_t pid, ppid;
	char state;
	char comm[64];		/* exact bytes */
	size_t commlen;
	unsigned long long starttime;
	bool exited;		/* vanished while it was read */
	bool exe_deleted;
	dev_t exe_dev;
	ino_t exe_ino;
	long uid;
	char *args;		/* cmdline, NULs as spaces, for the tree, at most
				 * CFIR_PROC_ARGS_MAX bytes; malloc'd */
	size_t argslen;
};

/*
 * Everything ps records about PID, read through PFD (its /proc directory,
 * from cfir_proc_open; -1 when that failed), as JSON. A process that
 * vanishes midway is returned with "gone": true and what was read.
 */
cJSON *cfir_proc_describe(int pfd, pid_t pid, const struct cfir_proc_opts *o,
			  struct cfir_proc_info *info);
void cfir_proc_info_free(struct cfir_proc_info *info);

/* Boot time (nanoseconds since the epoch, from CLOCK_REALTIME - CLOCK_BOOTTIME) and clock ticks. */
void cfir_proc_clock(long long *btime, long *hz);
/* The realtime a process started, from its start time in ticks after boot; zero when unknown. */
void cfir_proc_start_time(unsigned long long starttime, struct timespec *ts);

/*
 * The PIDs that a caller's own reading of the host's /proc found in the
 * namespace whose inode is INO (a PID namespace: it or one nested in it),
 * in ascending order, into *PIDS (the callee's); their number.
 */
typedef size_t (*cfir_proc_ns_fn)(void *ctx, unsigned long ino, const pid_t **pids);
/*
 * cfir_proc_members, the walk of every process of PROC made once for many
 * containers by the caller: IN_PIDNS gives those of the container's PID
 * namespace. Each is checked again through its fd when opened.
 */
int cfir_proc_members_among(const struct cfir_target *t, const char *proc, cfir_proc_ns_fn in_pidns,
			    void *ctx, struct cfir_proc_list *l, struct cfir_err *err);

#endif
