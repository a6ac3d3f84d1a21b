/* bag-recover.c - recovery: what a cfir that was killed left, recorded before anything new */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bag.h"
#include "common/bag-internal.h"
#include "common/cleanup.h"
#include "common/out.h"
#include "common/util.h"

struct rwalk {
	struct cfir_bag *b;
	char **listed;		/* the manifest's paths at open, sorted */
	size_t nlisted;
	cJSON *artifacts, *leftovers;
	size_t files;
};

static int
cmp_strp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int
hash_entry(const struct cfir_bag_entry *e, char *hex, uint64_t *bytes, struct cfir_err *err)
{
	cleanup_close int fd = openat(e->dirfd, e->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return cfir_err_set(err, cfir_err_sys_exit(errno), errno, "open '%s'", e->path);
	if (!S_ISREG(st.st_mode))
		return cfir_err_set(err, EX_DATAERR, 0, "'%s' is not a regular file", e->path);
	if (cfir_sha256_fd(fd, hex, bytes, err) < 0)
		return cfir_err_wrap(err, "'%s'", e->path);
	return 0;
}

/* A payload file no manifest lists becomes an artifact; a leftover is noted. */
static int
recover_entry(void *ctx, const struct cfir_bag_entry *e, struct cfir_err *err)
{
	struct rwalk *w = ctx;
	char hex[CFIR_SHA256_HEX];
	uint64_t bytes = 0;
	cJSON *a;

	if (e->kind != CFIR_BAG_PAYLOAD && e->kind != CFIR_BAG_LEFTOVER)
		return 0;
	if (e->kind == CFIR_BAG_PAYLOAD && w->nlisted > 0 &&
	    bsearch(&e->path, w->listed, w->nlisted, sizeof(*w->listed), cmp_strp) != NULL)
		return 0;
	if (hash_entry(e, hex, &bytes, err) < 0)
		return -1;
	a = cJSON_CreateObject();
	cfir_json_add_bytes(a, "path", e->path, strlen(e->path));
	cfir_json_add_str(a, "sha256", hex);
	cfir_json_add_num(a, "bytes", (double)bytes);
	if (e->kind == CFIR_BAG_LEFTOVER) {
		cJSON_AddItemToArray(w->leftovers, a);
		return 0;
	}
	cJSON_AddBoolToObject(a, "partial", true);
	cJSON_AddItemToArray(w->artifacts, a);
	w->files++;
	return cfir_bag_manifest_add(w->b, e->path, hex, bytes) < 0 ? cfir_err_set(err, EX_OSERR, ENOMEM, "bag") : 0;
}

/* The words and the details of the "recover" record: what was found, each thing once. */
static cJSON *
recover_details(const struct cfir_bag *b, const struct recovery *rv, const struct rwalk *w,
		char *msg, size_t n)
{
	cJSON *details = cJSON_CreateObject(), *l;
	int nleft = cJSON_GetArraySize(w->leftovers);
	char part[160];

	if (w->files > 0)
		snprintf(msg, n, "an earlier cfir ended before it recorded %zu file%s: hashed now, "
			 "as they are", w->files, w->files == 1 ? "" : "s");
	else
		snprintf(msg, n, "an earlier cfir ended before it finished");
	if (rv->cut_bytes > 0) {
		l = cJSON_AddObjectToObject(details, "cut_record");
		cfir_json_add_num(l, "bytes", (double)rv->cut_bytes);
		cfir_json_add_str(l, "sha256", rv->cut_hex);
		snprintf(part, sizeof(part), "; a custody record it was writing was cut off (%zu bytes)",
			 rv->cut_bytes);
		strncat(msg, part, n - strlen(msg) - 1);
	}
	if (!b->info_found) {
		cJSON_AddBoolToObject(details, "tag_files_missing", true);
		strncat(msg, "; the tag files were never written", n - strlen(msg) - 1);
	} else if (rv->behind > 0) {
		cfir_json_add_num(details, "tag_files_behind", (double)rv->behind);
		snprintf(part, sizeof(part), "; the tag files were %llu record%s behind the custody log",
			 (unsigned long long)rv->behind, rv->behind == 1 ? "" : "s");
		strncat(msg, part, n - strlen(msg) - 1);
	} else if (rv->tags_stale) {
		cJSON_AddBoolToObject(details, "tag_manifest_stale", true);
		strncat(msg, "; the tag manifest was not up to date", n - strlen(msg) - 1);
	}
	if (nleft > 0) {
		snprintf(part, sizeof(part), "; %d unfinished tag file%s removed", nleft, nleft == 1 ? "" : "s");
		strncat(msg, part, n - strlen(msg) - 1);
		cJSON_AddItemToObject(details, "leftovers", cJSON_Duplicate(w->leftovers, true));
	}
	return details;
}

/* The walk that finds what no manifest lists, the manifest's paths sorted for it. */
static int
recover_walk(struct cfir_bag *b, struct rwalk *w, struct cfir_err *err)
{
	size_t i, n = b->nm;

	w->listed = malloc((n ? n : 1) * sizeof(*w->listed));
	if (w->listed == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "bag");
	for (i = 0; i < n; i++)
		w->listed[i] = b->m[i].path;
	if (n > 1)
		qsort(w->listed, n, sizeof(*w->listed), cmp_strp);
	w->nlisted = n;
	if (cfir_bag_walk(b->dirfd, 0, recover_entry, w, err) < 0)
		return cfir_err_wrap(err, "bag '%s': recover what an earlier cfir left", b->dir);
	return 0;
}

/*
 * An earlier cfir that was killed (kill -9, a crash, the power) leaves
 * payload files no manifest lists, a custody line without its newline,
 * tag files behind the log, or half-written .cfir-tmp-* replacements.
 * Each is recorded in one custody record, action "recover", before the new
 * action: the files hashed as they are and marked partial, the cut line's
 * hash and size, the leftovers' hashes (then removed: they are half-written
 * copies of tag files cfir writes anew). Then the bag verifies again.
 */
int
cfir_bag_recover(struct cfir_bag *b, const struct recovery *rv, struct cfir_err *err)
{
	struct rwalk w = { .b = b };
	struct act a = { 0 };
	cleanup_cjson cJSON *leftovers = cJSON_CreateArray();
	const cJSON *l;
	cJSON *details;
	char msg[480] = "";
	int r = -1;

	w.leftovers = leftovers;
	if (leftovers == NULL || cfir_bag_act_begin(b, &a, "recover", NULL, err) < 0) {
		if (err->exit == 0)
			cfir_err_set(err, EX_OSERR, ENOMEM, "bag");
		goto out;
	}
	w.artifacts = a.artifacts;
	if (recover_walk(b, &w, err) < 0)
		goto out;
	if (w.files == 0 && rv->cut_bytes == 0 && rv->behind == 0 && !rv->tags_stale &&
	    cJSON_GetArraySize(leftovers) == 0 && b->info_found) {
		r = 0;
		goto out;
	}
	details = recover_details(b, rv, &w, msg, sizeof(msg));
	pthread_mutex_lock(&b->mu);
	r = cfir_bag_record_write(b, &a, "partial", msg, details, err);
	pthread_mutex_unlock(&b->mu);
	if (r < 0) {
		cfir_err_wrap(err, "bag '%s': recover what an earlier cfir left", b->dir);
		goto out;
	}
	cJSON_ArrayForEach(l, leftovers) {
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(l, "path");

		if (cJSON_IsString(p) && unlinkat(b->dirfd, p->valuestring, 0) < 0 && errno != ENOENT)
			cfir_bag_notice(b, "bag '%s': remove '%s': %s", b->dir, p->valuestring, strerror(errno));
	}
	cfir_bag_notice(b, "bag '%s': %s (custody record %llu)", b->dir, msg, (unsigned long long)b->seq);
out:
	cfir_bag_act_clear(&a);
	free(w.listed);
	return r;
}
