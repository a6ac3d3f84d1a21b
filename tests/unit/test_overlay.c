/* test_overlay.c - the upper-directory walk on a crafted overlay tree */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/overlay.h"
#include "tests/unit/unit.h"

static void
classify(void)
{
	const char *d;

	CHECK(cfir_overlay_classify("x", S_IFCHR | 0, makedev(0, 0), false, &d) == CFIR_OVERLAY_WHITEOUT && strcmp(d, "x") == 0);
	CHECK(cfir_overlay_classify("tty", S_IFCHR | 0620, makedev(5, 0), false, &d) == CFIR_OVERLAY_ENTRY && d == NULL);
	CHECK(cfir_overlay_classify(".wh.gone", S_IFREG, 0, true, &d) == CFIR_OVERLAY_WHITEOUT && strcmp(d, "gone") == 0);
	CHECK(cfir_overlay_classify(".wh..wh..opq", S_IFREG, 0, true, &d) == CFIR_OVERLAY_OPQ_MARKER);
	CHECK(cfir_overlay_classify(".wh.", S_IFREG, 0, true, &d) == CFIR_OVERLAY_ENTRY);
	/* a kernel overlay's: files a container made */
	CHECK(cfir_overlay_classify(".wh.gone", S_IFREG, 0, false, &d) == CFIR_OVERLAY_ENTRY && d == NULL);
	CHECK(cfir_overlay_classify(".wh..wh..opq", S_IFREG, 0, false, &d) == CFIR_OVERLAY_ENTRY);
	CHECK(cfir_overlay_opaque("y", 1) && !cfir_overlay_opaque("n", 1) && !cfir_overlay_opaque("yy", 2));
	CHECK(!cfir_overlay_opaque("x", 1));
}

struct seen {
	char text[4096];
};

static int
on(void *ctx, const struct cfir_overlay_entry *e, struct cfir_err *err)
{
	struct seen *s = ctx;
	size_t n = strlen(s->text);

	(void)err;
	snprintf(s->text + n, sizeof(s->text) - n, "%c %s%s%s|", e->kind, e->path,
		 e->opaque ? " opaque" : "",
		 e->kind != 'D' && S_ISREG(e->st.st_mode) && e->fd < 0 ? " unopened" : "");
	return 0;
}

static void
mk(const char *root, const char *rel, mode_t mode, dev_t dev)
{
	char p[600];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (S_ISDIR(mode))
		CHECK(mkdir(p, mode & 0777) == 0);
	else if (S_ISREG(mode))
		CHECK(close(open(p, O_CREAT | O_WRONLY, mode & 0777)) == 0);
	else
		CHECK(mknod(p, mode, dev) == 0);
}

static const char *
p_of(const char *root, const char *rel)
{
	static char p[600];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return p;
}

static int
cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The walk's order is readdir's: compare as sorted sets. */
static char *
sorted(char *text)
{
	char *v[64], *save = NULL, *t, *out = calloc(1, 4096);
	size_t n = 0, i;

	for (t = strtok_r(text, "|", &save); t && n < 64; t = strtok_r(NULL, "|", &save))
		v[n++] = t;
	qsort(v, n, sizeof(*v), cmp_line);
	for (i = 0; i < n; i++)
		strcat(strcat(out, v[i]), "|");
	return out;
}

static void
walk(void)
{
	const char *tmp = unit_tmpdir();
	char up[300], lo[300], p[600];
	struct cfir_rootfs r = { 0 };
	char overlay[] = "overlay", btrfs[] = "btrfs";
	char *lower[1] = { lo };
	struct cfir_overlay_stats st;
	struct cfir_err err = { 0 };
	struct seen s = { "" };
	char *got;

	snprintf(up, sizeof(up), "%s/upper", tmp);
	snprintf(lo, sizeof(lo), "%s/lower", tmp);
	mk(tmp, "upper", S_IFDIR | 0755, 0);
	mk(tmp, "lower", S_IFDIR | 0755, 0);
	mk(lo, "etc", S_IFDIR | 0755, 0);
	mk(lo, "etc/passwd", S_IFREG | 0644, 0);
	mk(lo, "etc/group", S_IFREG | 0644, 0);
	mk(lo, "etc/shadow", S_IFREG | 0600, 0);
	mk(lo, "var", S_IFDIR | 0755, 0);
	mk(lo, "var/log", S_IFDIR | 0755, 0);
	mk(lo, "var/log/old", S_IFREG | 0644, 0);

	mk(up, "etc", S_IFDIR | 0755, 0);
	mk(up, "etc/passwd", S_IFREG | 0644, 0);	/* changed */
	mk(up, "etc/group", S_IFCHR, makedev(0, 0));	/* deleted, overlayfs style */
	mk(up, "etc/.wh.shadow", S_IFREG | 0644, 0);	/* aufs' name: a file the container made */
	mk(up, "etc/new", S_IFREG | 04755, 0);		/* added */
	mk(up, "var", S_IFDIR | 0755, 0);
	mk(up, "var/log", S_IFDIR | 0755, 0);		/* deleted and made again */
	CHECK(setxattr(p_of(up, "var/log"), "trusted.overlay.opaque", "y", 1, 0) == 0);
	mk(up, "var/log/.wh..wh..opq", S_IFREG | 0644, 0);	/* a file, not a mark */
	mk(up, "var/log/old", S_IFREG | 0644, 0);	/* in an opaque dir: added */
	mk(up, "fifo", S_IFIFO | 0644, 0);
	mk(up, "newdir", S_IFDIR | 0755, 0);
	mk(up, "newdir/f", S_IFREG | 0644, 0);
	snprintf(p, sizeof(p), "%s/secret-link", up);
	CHECK(symlink("/etc/shadow", p) == 0);

	r.fstype = overlay;
	r.upper = up;
	r.lower = lower;
	r.nlower = 1;
	CHECK(cfir_overlay_walk(&r, on, &s, &st, &err) == 0);
	got = sorted(s.text);
	CHECK_STR(got, "A /etc/.wh.shadow|A /etc/new|A /fifo|A /newdir|A /newdir/f|A /secret-link|A /var/log/.wh..wh..opq|"
		       "A /var/log/old|C /etc|C /etc/passwd|C /var|C /var/log opaque|D /etc/group|");
	CHECK(st.entries == 13 && st.skipped == 0);
	free(got);

	r.fstype = btrfs;
	CHECK(cfir_overlay_walk(&r, on, &s, &st, &err) < 0 && err.exit == EX_DATAERR);
	CHECK(strstr(err.msg, "'btrfs', not overlay") != NULL);
}

UNIT_SUITE(overlay_tests) = {
	{ "overlay: whiteouts, aufs markers and the opaque xattr decoded", classify },
	{ "overlay: A/C/D against the lower layer, opaque dirs, no FIFO opened", walk },
	UNIT_END,
};
