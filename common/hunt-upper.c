/* hunt-upper.c - the live checks on the writable layer: setuid files, programs run from it, its mount */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hunt-private.h"
#include "common/out.h"
#include "common/overlay.h"
#include "common/target.h"

/* A NUL-terminated path against LEN exact bytes, in strcmp's order. */
static int
path_cmp(const char *a, const char *b, size_t len)
{
	size_t n = strlen(a);
	int d = memcmp(a, b, n < len ? n : len);

	if (d != 0)
		return d;
	return (n > len) - (n < len);
}

static int
by_exe(const void *a, const void *b)
{
	const struct cfir_hunt_proc *x = *(const struct cfir_hunt_proc *const *)a, *y = *(const struct cfir_hunt_proc *const *)b;

	return path_cmp(x->exe, y->exe, strlen(y->exe));
}

/* An ELF file or a script, by its first bytes (read without moving the file's offset). */
static bool
executable(int fd)
{
	unsigned char h[4];

	if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return false;
	return (h[0] == 0x7f && h[1] == 'E' && h[2] == 'L' && h[3] == 'F') || (h[0] == '#' && h[1] == '!');
}

static int
on_upper(void *ctx, const struct cfir_overlay_entry *e, struct cfir_err *err)
{
	struct cfir_hunt_live *lv = ctx;
	size_t lo, hi, mid;
	cJSON *v;

	(void)err;
	if (e->kind == 'D' || !S_ISREG(e->st.st_mode))
		return 0;
	if (e->st.st_mode & (S_ISUID | S_ISGID)) {
		char mode[8];

		v = cJSON_CreateObject();
		cfir_json_add_bytes(v, "path", e->path, e->pathlen);
		snprintf(mode, sizeof(mode), "%04o", (unsigned)(e->st.st_mode & 07777));
		cfir_json_add_str(v, "mode", mode);
		cfir_json_add_str(v, "change", e->kind == 'A' ? "added" : "changed");
		cfir_hunt_finding(lv->fs, lv->sel, "setuid-added", "upperdir", v);
	}
	if (lv->offline && (e->st.st_mode & 0111) && e->fd >= 0 && executable(e->fd)) {
		v = cJSON_CreateObject();
		cfir_json_add_bytes(v, "path", e->path, e->pathlen);
		cfir_json_add_str(v, "change", e->kind == 'A' ? "added" : "changed");
		cfir_json_add_num(v, "size", (double)e->st.st_size);
		cfir_hunt_finding(lv->fs, lv->sel, "exe-added", "upperdir", v);
	}
	/* the processes whose executable is this file: a binary search, not a scan */
	lo = 0;
	hi = lv->nexe;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (path_cmp(lv->byexe[mid]->exe, e->path, e->pathlen) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < lv->nexe && path_cmp(lv->byexe[lo]->exe, e->path, e->pathlen) == 0; lo++)
		cfir_hunt_finding(lv->fs, lv->sel, "exe-upper", "/proc/PID/exe", cfir_hunt_proc_value(lv->byexe[lo], NULL, NULL));
	return 0;
}


/* LV's processes that run a file still there, sorted by its path: found by a binary search, not a scan. */
static void
sort_by_exe(struct cfir_hunt_live *lv)
{
	size_t i;

	lv->byexe = calloc(lv->n ? lv->n : 1, sizeof(*lv->byexe));
	for (i = 0; lv->byexe != NULL && i < lv->n; i++)
		if (lv->ps[i].have_exe && !lv->ps[i].deleted)
			lv->byexe[lv->nexe++] = &lv->ps[i];
	if (lv->byexe != NULL)
		qsort(lv->byexe, lv->nexe, sizeof(*lv->byexe), by_exe);
}

void
cfir_hunt_upper(struct cfir_hunt_host *h, const struct cfir_target *t, const char *proc,
		struct cfir_hunt_live *lv, cJSON *notes)
{
	struct cfir_overlay_stats ost = { 0 };
	struct cfir_err oerr = { 0 };
	struct cfir_target rt;

	sort_by_exe(lv);
	/* a private copy: the rootfs is read again, the caller's target stays as it is */
	rt = *t;
	memset(&rt.rootfs, 0, sizeof(rt.rootfs));
	rt.rootfs_check = NULL;
	/* the host's mount at MergedDir as the round read it: the rootfs takes it as a runtime's, read already */
	if (rt.host_mount == NULL)
		rt.host_mount = (char *)cfir_hunt_host_mount(h, t->merged);
	if (cfir_target_rootfs(&rt, proc, &oerr) < 0) {
		cJSON_AddItemToArray(notes, cJSON_CreateString(oerr.msg));
	} else {
		if (rt.rootfs_mismatch) {
			cJSON *v = cJSON_CreateObject();

			cfir_json_add_bytes(v, "check", rt.rootfs_check, strlen(rt.rootfs_check));
			cfir_hunt_finding(lv->fs, lv->sel, "rootfs-remounted", "/proc/PID/mountinfo", v);
		}
		/* the engine's layer, whatever the container's mount table says */
		if (rt.rootfs.upper == NULL)
			cJSON_AddItemToArray(notes, cJSON_CreateString(
				"no overlay upper directory: setuid-added and exe-upper not checked"));
		else if (cfir_overlay_walk(&rt.rootfs, on_upper, lv, &ost, &oerr) < 0)
			cJSON_AddItemToArray(notes, cJSON_CreateString(oerr.msg));
	}
	cfir_mountinfo_rootfs_free(&rt.rootfs);
	free(rt.rootfs_check);
	free(lv->byexe);
	lv->byexe = NULL;
	lv->nexe = 0;
}
