/* hunt-private.h - what the hunt's files share: how a finding is made, the processes seen */
#ifndef CFIR_HUNT_PRIVATE_H
#define CFIR_HUNT_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "common/hunt.h"
#include "common/proc.h"

/*
 * A finding of check ID appended to FINDINGS, with FIELD and VALUE (taken
 * over) as its evidence; NULL, VALUE freed, when SEL turns the check off.
 */
cJSON *cfir_hunt_finding(cJSON *findings, const struct cfir_hunt_sel *sel, const char *id,
			 const char *field, cJSON *value);
/* N bytes of S as a JSON string, escaped where they are not UTF-8. */
cJSON *cfir_hunt_bytes(const char *s, size_t n);
/* The number at KEY of O, 0 when absent or not a number. */
double cfir_hunt_num(const cJSON *o, const char *key);
/* Whether SEL leaves any of IDS (NULL-ended) on. */
bool cfir_hunt_any_on(const struct cfir_hunt_sel *sel, const char *const *ids);

static inline bool
cfir_hunt_str_is(const char *s, const char *want)
{
	return s != NULL && strcmp(s, want) == 0;
}

/* hunt-rules.c: what both configuration sources judge by. */
#define CFIR_HUNT_DEFAULT_CAPS	14	/* the engine's default capabilities */

/* "CAP_SYS_ADMIN", "sys_admin" -> "sys-admin", in OUT of N bytes. */
void cfir_hunt_cap_id(const char *cap, char *out, size_t n);
/* The check of capability ID added: "cap-sys-admin" when it is rated, else "cap-other". */
void cfir_hunt_cap_check(const char *id, char *check, size_t n);
/* The place of capability ID among the engine's defaults, -1 when it is not one. */
int cfir_hunt_cap_default(const char *id);
/* Whether IMAGE names its content (a digest, an image ID) rather than a tag. */
bool cfir_hunt_image_pinned(const char *image);
/* P without its trailing slashes into NORM; false when it does not fit. */
bool cfir_hunt_path_norm(const char *p, char *norm, size_t size);
/*
 * The check a bind mount of host path SRC at DST trips: "engine-socket",
 * "sensitive-mount-rw" or "sensitive-mount"; NULL for none.
 */
const char *cfir_hunt_mount_check(const char *src, const char *dst, bool rw);
/* A mount's evidence: {KEYS[0]: SRC, KEYS[1]: DST, KEYS[2]: RW}, the paths kept exact. */
cJSON *cfir_hunt_mount_value(const char *const keys[3], const char *src, const char *dst, bool rw);
/* Whether DST is where Kubernetes mounts a service account's token. */
bool cfir_hunt_sa_token(const char *dst);
/* The name of ENTRY ("NAME=value") onto NAMES when it names a secret; never the value. */
void cfir_hunt_secret_add(cJSON *names, const char *entry);
/* The secret-env finding of NAMES (taken over) at FIELD; none when NAMES is empty. */
void cfir_hunt_secret_env(cJSON *fs, const struct cfir_hunt_sel *sel, const char *field, cJSON *names);

/* One process of the container as the host saw it. */
struct cfir_hunt_proc {
	pid_t pid, ppid;
	char exe[512];		/* as /proc/PID/exe reads, " (deleted)" cut off */
	bool deleted, have_exe;
	char comm[32];
};

/* {"pid", "comm", "exe"} of P, and WHAT: V when WHAT is not NULL. */
cJSON *cfir_hunt_proc_value(const struct cfir_hunt_proc *p, const char *what, const char *v);

/* The live checks' state: the processes seen, and where findings go. */
struct cfir_hunt_live {
	const struct cfir_hunt_sel *sel;
	cJSON *fs;
	struct cfir_hunt_proc *ps;
	size_t n;
	struct cfir_hunt_proc **byexe;	/* running a file still there, sorted by its path */
	size_t nexe;
	bool offline;		/* nothing runs: the layer's executables are findings themselves */
};

/* hunt-proc.c: each member's process checks, into LV; -1 out of memory. */
int cfir_hunt_procs(const struct cfir_target *t, const char *proc, const struct cfir_proc_list *members,
		    struct cfir_hunt_live *lv);
/* hunt-proc.c: the processes of LV that do not descend from T's init. */
void cfir_hunt_foreign(const struct cfir_target *t, struct cfir_hunt_live *lv);
/*
 * hunt-upper.c: the writable layer against LV's processes; what could not
 * be read into NOTES. The host's mount of it from H when H read it.
 */
void cfir_hunt_upper(struct cfir_hunt_host *h, const struct cfir_target *t, const char *proc,
		     struct cfir_hunt_live *lv, cJSON *notes);
/* hunt-net.c: the container's sockets; their holders among H's processes when H is not NULL. */
void cfir_hunt_sockets(struct cfir_hunt_host *h, const struct cfir_target *t, const char *proc,
		       const struct cfir_proc_list *members, const struct cfir_hunt_sel *sel, cJSON *fs,
		       cJSON *notes);

/* hunt-host.c: the PIDs of H in PID namespace INO or one nested in it, as cfir_proc_ns_fn; CTX is H. */
size_t cfir_hunt_host_pidns(void *ctx, unsigned long ino, const pid_t **pids);
/*
 * hunt-host.c: the last line of H's reading of the host's mount table
 * whose mount point is MOUNTPOINT; NULL when there is none or H did not
 * read the whole table.
 */
const char *cfir_hunt_host_mount(const struct cfir_hunt_host *h, const char *mountpoint);
/* hunt-host.c: the PIDs of H in network namespace INO; CTX is H. */
size_t cfir_hunt_host_netns(void *ctx, unsigned long ino, const pid_t **pids);

#endif
