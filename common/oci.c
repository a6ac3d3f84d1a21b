/*
 * oci.c - an OCI bundle's config.json and the state runc and crun keep of a
 * container, parsed into plain structures (see oci.h for the trust model).
 * Every list is bounded before anything is allocated for it, every string
 * at CFIR_OCI_VALUE_MAX; nothing is defaulted.
 */
#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "common/cleanup.h"
#include "common/oci.h"
#include "common/out.h"
#include "common/util.h"

/* What a parse counts as it goes: fields of the wrong type, strings cut. */
struct tally {
	unsigned wrong, cut;
};

#define IS_BOOL (cJSON_True | cJSON_False)

/* KEY of object O when it has one of the types in MASK; counted when not. */
static const cJSON *
field(const cJSON *o, const char *key, int mask, struct tally *t)
{
	const cJSON *j;

	if (!cJSON_IsObject(o))
		return NULL;
	j = cJSON_GetObjectItemCaseSensitive(o, key);
	if (j == NULL || cJSON_IsNull(j))
		return NULL;
	if ((j->type & 0xff & mask) == 0) {
		t->wrong++;
		return NULL;
	}
	return j;
}

/* A copy of the string S, cut at CFIR_OCI_VALUE_MAX; *ENOMEM on failure. */
static char *
dup_cut(const char *s, size_t *lenp, bool *cutp, struct tally *t, bool *nomem)
{
	size_t n = strlen(s);
	char *d;

	if (cutp != NULL)
		*cutp = false;
	if (n > CFIR_OCI_VALUE_MAX) {
		n = CFIR_OCI_VALUE_MAX;
		t->cut++;
		if (cutp != NULL)
			*cutp = true;
	}
	d = strndup(s, n);
	if (d == NULL)
		*nomem = true;
	if (lenp != NULL)
		*lenp = n;
	return d;
}

static char *
get_str(const cJSON *o, const char *key, struct tally *t, bool *nomem)
{
	const cJSON *j = field(o, key, cJSON_String, t);

	return j != NULL ? dup_cut(j->valuestring, NULL, NULL, t, nomem) : NULL;
}

static bool
get_bool(const cJSON *o, const char *key, bool *v, struct tally *t)
{
	const cJSON *j = field(o, key, IS_BOOL, t);

	if (j == NULL)
		return false;
	*v = cJSON_IsTrue(j);
	return true;
}

/* An integral number in [LO, HI): a fraction or one out of range is wrong. */
static bool
get_num(const cJSON *o, const char *key, double lo, double hi, double *v, struct tally *t)
{
	const cJSON *j = field(o, key, cJSON_Number, t);
	double d;

	if (j == NULL)
		return false;
	d = j->valuedouble;
	/* past 2^53 every double is whole; below, a cast shows a fraction */
	if (!(d >= lo && d < hi) || (d > -0x1p53 && d < 0x1p53 && d != (double)(int64_t)d)) {
		t->wrong++;
		return false;
	}
	*v = d;
	return true;
}

static bool
get_i64(const cJSON *o, const char *key, int64_t *v, struct tally *t)
{
	double d;

	if (!get_num(o, key, -0x1p63, 0x1p63, &d, t))
		return false;
	*v = (int64_t)d;
	return true;
}

/*
 * Room in *V for the elements of ARR (an array or object), at most MAX of
 * them: *KEEP, the rest counted in *DROPPED, before anything is allocated.
 */
static int
alloc_bounded(const cJSON *arr, size_t max, size_t size, void **v, size_t *keep, size_t *dropped)
{
	size_t n = (size_t)cJSON_GetArraySize(arr);

	*dropped = n > max ? n - max : 0;
	*keep = n > max ? max : n;
	if (*keep == 0)
		return 0;
	*v = calloc(*keep, size);
	return *v == NULL ? -1 : 0;
}

/* An array of strings, at most MAX kept; other elements are wrong and skipped. */
static int
strv_parse_max(struct cfir_oci_strv *sv, const cJSON *arr, size_t max, struct tally *t)
{
	const cJSON *e;
	size_t keep, seen = 0;
	bool nomem = false;

	if (arr == NULL)
		return 0;
	sv->present = true;
	if (alloc_bounded(arr, max, sizeof(*sv->v), (void **)&sv->v, &keep, &sv->dropped) < 0)
		return -1;
	cJSON_ArrayForEach(e, arr) {
		if (seen++ >= keep)
			break;
		if (!cJSON_IsString(e)) {
			t->wrong++;
			continue;
		}
		sv->v[sv->n] = dup_cut(e->valuestring, NULL, NULL, t, &nomem);
		if (nomem)
			return -1;
		sv->n++;
	}
	return 0;
}

static int
strv_parse(struct cfir_oci_strv *sv, const cJSON *arr, struct tally *t)
{
	return strv_parse_max(sv, arr, CFIR_OCI_LIST_MAX, t);
}

static void
strv_free(struct cfir_oci_strv *sv)
{
	cfir_util_free_strv(sv->v, sv->n);
	memset(sv, 0, sizeof(*sv));
}

static int
kv_set(struct cfir_oci_kv *kv, const char *k, size_t klen, const char *v, struct tally *t)
{
	bool nomem = false, cut = false;

	if (klen > CFIR_OCI_VALUE_MAX) {
		klen = CFIR_OCI_VALUE_MAX;
		t->cut++;
		kv->cut = true;
	}
	kv->key = strndup(k, klen);
	kv->key_len = klen;
	if (kv->key == NULL)
		return -1;
	kv->value = dup_cut(v, &kv->value_len, &cut, t, &nomem);
	if (kv->value == NULL)
		return -1;
	kv->cut = kv->cut || cut;
	return 0;
}

/* An object of strings (annotations, cgroup paths) as pairs, in order. */
static int
kvv_object(struct cfir_oci_kvv *kvv, const cJSON *obj, struct tally *t)
{
	const cJSON *e;
	size_t keep, seen = 0;

	if (obj == NULL)
		return 0;
	kvv->present = true;
	if (alloc_bounded(obj, CFIR_OCI_ANNOT_MAX, sizeof(*kvv->v), (void **)&kvv->v, &keep,
			  &kvv->dropped) < 0)
		return -1;
	cJSON_ArrayForEach(e, obj) {
		if (seen++ >= keep)
			break;
		if (!cJSON_IsString(e) || e->string == NULL) {
			t->wrong++;
			continue;
		}
		if (kv_set(&kvv->v[kvv->n], e->string, strlen(e->string), e->valuestring, t) < 0) {
			kvv->n++;
			return -1;
		}
		kvv->n++;
	}
	return 0;
}

static void
kvv_free(struct cfir_oci_kvv *kvv)
{
	size_t i;

	for (i = 0; i < kvv->n; i++) {
		free(kvv->v[i].key);
		free(kvv->v[i].value);
	}
	free(kvv->v);
	memset(kvv, 0, sizeof(*kvv));
}

static int
parse_root(struct cfir_oci_config *c, const cJSON *doc, struct tally *t, bool *nomem)
{
	const cJSON *root = field(doc, "root", cJSON_Object, t);

	c->root_path = get_str(root, "path", t, nomem);
	c->has_root_readonly = get_bool(root, "readonly", &c->root_readonly, t);
	return *nomem ? -1 : 0;
}

static int
parse_caps(struct cfir_oci_config *c, const cJSON *proc, struct tally *t)
{
	const cJSON *caps = field(proc, "capabilities", cJSON_Object, t);

	if (caps == NULL)
		return 0;
	if (strv_parse(&c->cap_bounding, field(caps, "bounding", cJSON_Array, t), t) < 0 ||
	    strv_parse(&c->cap_effective, field(caps, "effective", cJSON_Array, t), t) < 0 ||
	    strv_parse(&c->cap_permitted, field(caps, "permitted", cJSON_Array, t), t) < 0)
		return -1;
	return 0;
}

static int
parse_process(struct cfir_oci_config *c, const cJSON *doc, struct tally *t, bool *nomem)
{
	const cJSON *proc = field(doc, "process", cJSON_Object, t);
	const cJSON *user;
	double d;

	if (proc == NULL)
		return 0;
	c->has_process = true;
	if (strv_parse(&c->args, field(proc, "args", cJSON_Array, t), t) < 0)
		return -1;
	user = field(proc, "user", cJSON_Object, t);
	if ((c->has_uid = get_num(user, "uid", 0, 0x1p32, &d, t)))
		c->uid = (uint32_t)d;
	if ((c->has_gid = get_num(user, "gid", 0, 0x1p32, &d, t)))
		c->gid = (uint32_t)d;
	c->has_no_new_privs = get_bool(proc, "noNewPrivileges", &c->no_new_privs, t);
	c->apparmor = get_str(proc, "apparmorProfile", t, nomem);
	if (*nomem || strv_parse(&c->env, field(proc, "env", cJSON_Array, t), t) < 0)
		return -1;
	return parse_caps(c, proc, t);
}

static int
parse_mounts(struct cfir_oci_config *c, const cJSON *doc, struct tally *t, bool *nomem)
{
	const cJSON *arr = field(doc, "mounts", cJSON_Array, t), *e;
	size_t keep, seen = 0;

	if (arr == NULL)
		return 0;
	c->has_mounts = true;
	if (alloc_bounded(arr, CFIR_OCI_LIST_MAX, sizeof(*c->mounts), (void **)&c->mounts, &keep,
			  &c->mounts_dropped) < 0)
		return -1;
	cJSON_ArrayForEach(e, arr) {
		struct cfir_oci_mount *m = &c->mounts[c->n_mounts];

		if (seen++ >= keep)
			break;
		if (!cJSON_IsObject(e)) {
			t->wrong++;
			continue;
		}
		c->n_mounts++;
		m->destination = get_str(e, "destination", t, nomem);
		m->source = get_str(e, "source", t, nomem);
		m->type = get_str(e, "type", t, nomem);
		if (*nomem || strv_parse(&m->options, field(e, "options", cJSON_Array, t), t) < 0)
			return -1;
	}
	return 0;
}

static int
parse_namespaces(struct cfir_oci_config *c, const cJSON *lx, struct tally *t, bool *nomem)
{
	const cJSON *arr = field(lx, "namespaces", cJSON_Array, t), *e;
	size_t keep, seen = 0;

	if (arr == NULL)
		return 0;
	c->has_ns = true;
	if (alloc_bounded(arr, CFIR_OCI_LIST_MAX, sizeof(*c->ns), (void **)&c->ns, &keep,
			  &c->ns_dropped) < 0)
		return -1;
	cJSON_ArrayForEach(e, arr) {
		if (seen++ >= keep)
			break;
		if (!cJSON_IsObject(e)) {
			t->wrong++;
			continue;
		}
		c->ns[c->n_ns].type = get_str(e, "type", t, nomem);
		c->ns[c->n_ns].path = get_str(e, "path", t, nomem);
		c->n_ns++;
		if (*nomem)
			return -1;
	}
	return 0;
}

/*
 * Whether rule E of resources.devices matches every device ("a", or no
 * type and no numbers) for read, write and mknod, as runc reads it.
 */
static bool
device_wildcard(const cJSON *e, struct tally *t)
{
	const cJSON *type = field(e, "type", cJSON_String, t), *access = field(e, "access", cJSON_String, t);
	const char *a = access != NULL ? access->valuestring : "rwm";
	const cJSON *major = field(e, "major", cJSON_Number, t), *minor = field(e, "minor", cJSON_Number, t);

	if (type != NULL && strcmp(type->valuestring, "a") != 0)
		return false;
	if ((major != NULL && major->valuedouble != -1) || (minor != NULL && minor->valuedouble != -1))
		return false;
	return *a == '\0' || (strchr(a, 'r') != NULL && strchr(a, 'w') != NULL && strchr(a, 'm') != NULL);
}

static void
parse_device_rules(struct cfir_oci_config *c, const cJSON *res, struct tally *t)
{
	const cJSON *e;
	size_t seen = 0;
	bool allow;

	cJSON_ArrayForEach(e, field(res, "devices", cJSON_Array, t)) {
		if (seen++ >= CFIR_OCI_LIST_MAX)
			break;
		if (!cJSON_IsObject(e)) {
			t->wrong++;
			continue;
		}
		if (get_bool(e, "allow", &allow, t) && device_wildcard(e, t))
			c->devices_allow_all = allow;
	}
}

static void
parse_resources(struct cfir_oci_config *c, const cJSON *lx, struct tally *t)
{
	const cJSON *res = field(lx, "resources", cJSON_Object, t), *cpu;
	double d;

	if (res == NULL)
		return;
	c->has_resources = true;
	c->has_memory_limit = get_i64(field(res, "memory", cJSON_Object, t), "limit",
				      &c->memory_limit, t);
	c->has_pids_limit = get_i64(field(res, "pids", cJSON_Object, t), "limit",
				    &c->pids_limit, t);
	cpu = field(res, "cpu", cJSON_Object, t);
	c->has_cpu_quota = get_i64(cpu, "quota", &c->cpu_quota, t);
	if ((c->has_cpu_shares = get_num(cpu, "shares", 0, 0x1p64, &d, t)))
		c->cpu_shares = (uint64_t)d;
	parse_device_rules(c, res, t);
}

/* linux.devices: the nodes made in the container, by their paths. */
static int
parse_devices(struct cfir_oci_config *c, const cJSON *lx, struct tally *t, bool *nomem)
{
	const cJSON *dev = field(lx, "devices", cJSON_Array, t), *e;
	struct cfir_oci_strv *sv = &c->device_paths;
	size_t keep, seen = 0;

	if (dev == NULL)
		return 0;
	c->has_devices = true;
	c->n_devices = (size_t)cJSON_GetArraySize(dev);
	sv->present = true;
	if (alloc_bounded(dev, CFIR_OCI_LIST_MAX, sizeof(*sv->v), (void **)&sv->v, &keep, &sv->dropped) < 0)
		return -1;
	cJSON_ArrayForEach(e, dev) {
		const cJSON *path;

		if (seen++ >= keep)
			break;
		if (!cJSON_IsObject(e)) {
			t->wrong++;
			continue;
		}
		if ((path = field(e, "path", cJSON_String, t)) == NULL)
			continue;
		if ((sv->v[sv->n] = dup_cut(path->valuestring, NULL, NULL, t, nomem)) == NULL)
			return -1;
		sv->n++;
	}
	return 0;
}

static int
parse_linux(struct cfir_oci_config *c, const cJSON *doc, struct tally *t, bool *nomem)
{
	const cJSON *lx = field(doc, "linux", cJSON_Object, t);

	if (lx == NULL)
		return 0;
	c->has_linux = true;
	if (parse_namespaces(c, lx, t, nomem) < 0)
		return -1;
	c->cgroups_path = get_str(lx, "cgroupsPath", t, nomem);
	c->mount_label = get_str(lx, "mountLabel", t, nomem);
	parse_resources(c, lx, t);
	c->has_seccomp = field(lx, "seccomp", cJSON_Object, t) != NULL;
	if (*nomem || parse_devices(c, lx, t, nomem) < 0)
		return -1;
	return 0;
}

/*
 * How many \u0000 escapes BUF holds: cJSON ends a string at the NUL one
 * decodes to, so each is a string cut short, and said so. An escape is a
 * backslash after an even run of them.
 */
static unsigned
nul_escapes(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *q;
	unsigned n = 0;

	while ((q = memmem(p, (size_t)(end - p), "u0000", 5)) != NULL) {
		const char *b = q;

		while (b > buf && b[-1] == '\\')
			b--;
		if ((q - b) % 2 == 1)
			n++;
		p = q + 5;
	}
	return n;
}

/* The document: bounded, then parsed whole; anything but an object is bad data. */
static cJSON *
parse_doc(const char *buf, size_t len, size_t max, const char *what, struct cfir_err *err)
{
	cJSON *doc;

	if (len > max) {
		cfir_err_set(err, EX_DATAERR, 0, "%s: %zu bytes, over %zu", what, len, max);
		return NULL;
	}
	doc = cJSON_ParseWithLength(buf, len);
	if (doc == NULL || !cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		cfir_err_set(err, EX_DATAERR, 0, "%s: not a JSON object", what);
		return NULL;
	}
	return doc;
}

int
cfir_oci_config_parse(struct cfir_oci_config *c, const char *buf, size_t len,
		      struct cfir_err *err)
{
	cleanup_cjson cJSON *doc = NULL;
	struct tally t = { 0 };
	bool nomem = false;

	memset(c, 0, sizeof(*c));
	if ((doc = parse_doc(buf, len, CFIR_OCI_CONFIG_MAX, "config.json", err)) == NULL)
		return -1;
	t.cut = nul_escapes(buf, len);
	c->oci_version = get_str(doc, "ociVersion", &t, &nomem);
	c->hostname = get_str(doc, "hostname", &t, &nomem);
	if (nomem || parse_root(c, doc, &t, &nomem) < 0 ||
	    parse_process(c, doc, &t, &nomem) < 0 ||
	    parse_mounts(c, doc, &t, &nomem) < 0 ||
	    kvv_object(&c->annotations, field(doc, "annotations", cJSON_Object, &t), &t) < 0 ||
	    parse_linux(c, doc, &t, &nomem) < 0) {
		cfir_oci_config_free(c);
		return cfir_err_set(err, EX_OSERR, ENOMEM, "config.json");
	}
	c->n_wrong = t.wrong;
	c->n_cut = t.cut;
	return 0;
}

void
cfir_oci_config_free(struct cfir_oci_config *c)
{
	size_t i;

	free(c->oci_version);
	free(c->root_path);
	free(c->apparmor);
	free(c->hostname);
	free(c->cgroups_path);
	free(c->mount_label);
	strv_free(&c->args);
	strv_free(&c->env);
	strv_free(&c->device_paths);
	strv_free(&c->cap_bounding);
	strv_free(&c->cap_effective);
	strv_free(&c->cap_permitted);
	for (i = 0; i < c->n_mounts; i++) {
		free(c->mounts[i].destination);
		free(c->mounts[i].source);
		free(c->mounts[i].type);
		strv_free(&c->mounts[i].options);
	}
	free(c->mounts);
	for (i = 0; i < c->n_ns; i++) {
		free(c->ns[i].type);
		free(c->ns[i].path);
	}
	free(c->ns);
	kvv_free(&c->annotations);
	memset(c, 0, sizeof(*c));
}

int
cfir_oci_read(int dirfd, const char *path, size_t max, char **buf, size_t *len, struct cfir_err *err)
{
	bool truncated = false;

	if (cfir_util_read_file(dirfd, path, max, buf, len, &truncated, err) < 0)
		return -1;
	if (truncated) {
		free(*buf);
		*buf = NULL;
		return cfir_err_set(err, EX_DATAERR, 0, "'%s': over %zu bytes", path, max);
	}
	return 0;
}

int
cfir_oci_config_load(struct cfir_oci_config *c, int dirfd, const char *path,
		     struct cfir_err *err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;

	memset(c, 0, sizeof(*c));
	if (cfir_oci_read(dirfd, path, CFIR_OCI_CONFIG_MAX, &buf, &len, err) < 0)
		return -1;
	if (cfir_oci_config_parse(c, buf, len, err) < 0)
		return cfir_err_wrap(err, "'%s'", path);
	return 0;
}

/*
 * The last "bundle=PATH" of runc's labels, looked for in all of them:
 * runc appends it after the annotations, which may be more than are kept.
 */
static int
label_bundle(struct cfir_oci_state *s, const cJSON *labels, struct tally *t)
{
	const cJSON *e, *last = NULL;
	bool nomem = false;

	cJSON_ArrayForEach(e, labels)
		if (cJSON_IsString(e) && strncmp(e->valuestring, "bundle=", 7) == 0)
			last = e;
	if (last == NULL)
		return 0;
	s->bundle = dup_cut(last->valuestring + 7, NULL, NULL, t, &nomem);
	return nomem ? -1 : 0;
}

/* runc's libcontainer state: its config's labels hold the annotations and the bundle. */
static int
state_runc(struct cfir_oci_state *s, const cJSON *doc, struct tally *t, bool *nomem)
{
	const cJSON *cfg = field(doc, "config", cJSON_Object, t), *labels;
	double d;

	s->kind = CFIR_OCI_STATE_RUNC;
	s->id = get_str(doc, "id", t, nomem);
	if ((s->has_pid = get_num(doc, "init_process_pid", 1, INT_MAX + 1.0, &d, t)))
		s->pid = (pid_t)d;
	if ((s->has_start = get_num(doc, "init_process_start", 0, 0x1p64, &d, t)))
		s->start = (uint64_t)d;
	s->created = get_str(doc, "created", t, nomem);
	s->rootfs = get_str(cfg, "rootfs", t, nomem);
	if (*nomem || kvv_object(&s->cgroups, field(doc, "cgroup_paths", cJSON_Object, t), t) < 0 ||
	    kvv_object(&s->ns_paths, field(doc, "namespace_paths", cJSON_Object, t), t) < 0 ||
	    strv_parse_max(&s->labels, labels = field(cfg, "labels", cJSON_Array, t),
			   CFIR_OCI_ANNOT_MAX, t) < 0)
		return -1;
	return label_bundle(s, labels, t);
}

/* crun's status: flat, its cgroup one path, its rootfs maybe relative. */
static int
state_crun(struct cfir_oci_state *s, const cJSON *doc, struct tally *t, bool *nomem)
{
	const cJSON *cg;
	double d;

	s->kind = CFIR_OCI_STATE_CRUN;
	if ((s->has_pid = get_num(doc, "pid", 1, INT_MAX + 1.0, &d, t)))
		s->pid = (pid_t)d;
	if ((s->has_start = get_num(doc, "process-start-time", 0, 0x1p64, &d, t)))
		s->start = (uint64_t)d;
	s->created = get_str(doc, "created", t, nomem);
	s->bundle = get_str(doc, "bundle", t, nomem);
	s->rootfs = get_str(doc, "rootfs", t, nomem);
	if (*nomem)
		return -1;
	if ((cg = field(doc, "cgroup-path", cJSON_String, t)) != NULL) {
		s->cgroups.present = true;
		if ((s->cgroups.v = calloc(1, sizeof(*s->cgroups.v))) == NULL)
			return -1;
		s->cgroups.n = 1;
		if (kv_set(&s->cgroups.v[0], "", 0, cg->valuestring, t) < 0)
			return -1;
	}
	return 0;
}


/*
 * runc's state.json holds its whole libcontainer config (tens of KiB) of
 * which only "rootfs" and "labels" are read: the document is copied with
 * every other member of "config" left out before it is parsed. A scanner
 * of spans, no decoding: anything it is not sure of (a key with an escape,
 * a malformed document) and the whole document is parsed as it is.
 */
#define SLIM_MIN (16u << 10)

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* Past the string at P ('"'), NULL when it does not end; *ESC says whether it had an escape. */
static const char *
skip_str(const char *p, const char *end, bool *esc)
{
	for (p++; p < end; p++) {
		if (*p == '\\') {
			*esc = true;
			p++;
		} else if (*p == '"') {
			return p + 1;
		}
	}
	return NULL;
}

/* Past the value at P, NULL when it is malformed (as far as spans can tell). */
static const char *
skip_value(const char *p, const char *end)
{
	size_t depth = 0;
	bool esc;

	do {
		p = skip_ws(p, end);
		if (p >= end)
			return NULL;
		if (*p == '"') {
			if ((p = skip_str(p, end, &esc)) == NULL)
				return NULL;
		} else if (*p == '{' || *p == '[') {
			depth++, p++;
		} else if (*p == '}' || *p == ']') {
			if (depth == 0)
				return NULL;
			depth--, p++;
		} else if (*p == ',' || *p == ':') {
			if (depth == 0)
				return NULL;
			p++;
		} else {
			while (p < end && strchr(",:{}[]\" \t\r\n", *p) == NULL)
				p++;
		}
	} while (depth > 0);
	return p;
}

/*
 * The members of the object at *P, each handed to FN (key span without its
 * quotes, the member's whole span); *P ends past the object. -1 when the
 * scan cannot be sure.
 */
static int
members(const char **pp, const char *end, int (*fn)(void *ctx, const char *k, size_t kn,
						      const char *m, size_t mn), void *ctx)
{
	const char *p = skip_ws(*pp, end), *k, *kend, *m, *v;
	bool esc = false;

	if (p >= end || *p++ != '{')
		return -1;
	for (;;) {
		p = skip_ws(p, end);
		if (p < end && *p == '}')
			break;
		m = k = p;
		if (p >= end || *p != '"' || (p = skip_str(p, end, &esc)) == NULL || esc)
			return -1;
		kend = p;
		p = skip_ws(p, end);
		if (p >= end || *p++ != ':' || (v = skip_value(p, end)) == NULL)
			return -1;
		if (fn(ctx, k + 1, (size_t)(kend - k) - 2, m, (size_t)(v - m)) < 0)
			return -1;
		p = skip_ws(v, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p >= end || *p != '}')
			return -1;
		break;
	}
	*pp = p + 1;
	return 0;
}

struct slim {
	FILE *out;
	bool first;
};

static bool
key_is(const char *k, size_t kn, const char *want)
{
	return kn == strlen(want) && memcmp(k, want, kn) == 0;
}

/* A member of "config": only those read are kept. */
static int
slim_config(void *ctx, const char *k, size_t kn, const char *m, size_t mn)
{
	struct slim *sl = ctx;

	if (!key_is(k, kn, "rootfs") && !key_is(k, kn, "labels"))
		return 0;
	fprintf(sl->out, "%s%.*s", sl->first ? "" : ",", (int)mn, m);
	sl->first = false;
	return 0;
}

/* A top-level member: as it is, but "config" slimmed. */
static int
slim_top(void *ctx, const char *k, size_t kn, const char *m, size_t mn)
{
	struct slim *sl = ctx, inner;
	const char *v = m;

	fputs(sl->first ? "" : ",", sl->out);
	sl->first = false;
	if (!key_is(k, kn, "config")) {
		fwrite(m, 1, mn, sl->out);
		return 0;
	}
	/* the value's start: past the key, the colon and white space */
	v = memchr(m, ':', mn);
	v = skip_ws(v + 1, m + mn);
	if (*v != '{') {
		fwrite(m, 1, mn, sl->out);	/* the wrong type: the parser says so */
		return 0;
	}
	inner = (struct slim){ .out = sl->out, .first = true };
	fprintf(sl->out, "%.*s{", (int)(v - m), m);
	if (members(&v, m + mn, slim_config, &inner) < 0)
		return -1;
	fputc('}', sl->out);
	return 0;
}

int
cfir_oci_state_slim(const char *buf, size_t len, char **out, size_t *outlen)
{
	struct slim sl = { .first = true };
	const char *p = buf;
	int r;

	*out = NULL;
	*outlen = 0;
	if (len < SLIM_MIN || memchr(buf, '\0', len) != NULL)
		return -1;
	if ((sl.out = open_memstream(out, outlen)) == NULL)
		return -1;
	fputc('{', sl.out);
	r = members(&p, buf + len, slim_top, &sl);
	fputc('}', sl.out);
	if (fclose(sl.out) != 0 || r < 0 || skip_ws(p, buf + len) != buf + len) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int
cfir_oci_state_parse(struct cfir_oci_state *s, const char *buf, size_t len,
		     struct cfir_err *err)
{
	return cfir_oci_state_parse_with(s, buf, len, true, err);
}

int
cfir_oci_state_parse_with(struct cfir_oci_state *s, const char *buf, size_t len, bool slim,
			  struct cfir_err *err)
{
	cleanup_cjson cJSON *doc = NULL;
	cleanup_free char *small = NULL;
	size_t smallen = 0;
	struct tally t = { 0 };
	bool nomem = false;
	int rc;

	memset(s, 0, sizeof(*s));
	if (len <= CFIR_OCI_STATE_MAX && slim && cfir_oci_state_slim(buf, len, &small, &smallen) == 0)
		doc = parse_doc(small, smallen, CFIR_OCI_STATE_MAX, "state", NULL);
	if (doc == NULL && (doc = parse_doc(buf, len, CFIR_OCI_STATE_MAX, "state", err)) == NULL)
		return -1;
	t.cut = nul_escapes(buf, len);
	if (cJSON_GetObjectItemCaseSensitive(doc, "init_process_pid") != NULL ||
	    cJSON_GetObjectItemCaseSensitive(doc, "id") != NULL)
		rc = state_runc(s, doc, &t, &nomem);
	else if (cJSON_GetObjectItemCaseSensitive(doc, "process-start-time") != NULL ||
		 cJSON_GetObjectItemCaseSensitive(doc, "pid") != NULL)
		rc = state_crun(s, doc, &t, &nomem);
	else
		return cfir_err_set(err, EX_DATAERR, 0, "state: neither runc's nor crun's");
	if (rc < 0) {
		cfir_oci_state_free(s);
		return cfir_err_set(err, EX_OSERR, ENOMEM, "state");
	}
	s->n_wrong = t.wrong;
	s->n_cut = t.cut;
	return 0;
}

void
cfir_oci_state_free(struct cfir_oci_state *s)
{
	free(s->id);
	free(s->created);
	free(s->bundle);
	free(s->rootfs);
	kvv_free(&s->cgroups);
	kvv_free(&s->ns_paths);
	strv_free(&s->labels);
	memset(s, 0, sizeof(*s));
}

int
cfir_oci_state_load(struct cfir_oci_state *s, int dirfd, const char *path,
		    struct cfir_err *err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;

	memset(s, 0, sizeof(*s));
	if (cfir_oci_read(dirfd, path, CFIR_OCI_STATE_MAX, &buf, &len, err) < 0)
		return -1;
	if (cfir_oci_state_parse(s, buf, len, err) < 0)
		return cfir_err_wrap(err, "'%s'", path);
	return 0;
}

const struct cfir_oci_kv *
cfir_oci_annotation(const struct cfir_oci_config *c, const char *key)
{
	size_t i, n = strlen(key);

	for (i = c->annotations.n; i-- > 0;)
		if (c->annotations.v[i].key_len == n && memcmp(c->annotations.v[i].key, key, n) == 0)
			return &c->annotations.v[i];
	return NULL;
}

static const char *
annot(const struct cfir_oci_config *c, const char *key)
{
	const struct cfir_oci_kv *kv = cfir_oci_annotation(c, key);

	return kv != NULL ? kv->value : NULL;
}

/*
 * The keys of containerd's CRI plugin and of CRI-O. A containerd sandbox
 * names no container of its own; CRI-O names it "POD", as the kubelet does.
 */
static const struct k8s_keys {
	const char *source, *type, *ns, *pod, *container, *uid, *sandbox_id, *image;
} k8s_keys[] = {
	{ "containerd", "io.kubernetes.cri.container-type", "io.kubernetes.cri.sandbox-namespace",
	  "io.kubernetes.cri.sandbox-name", "io.kubernetes.cri.container-name",
	  "io.kubernetes.cri.sandbox-uid", "io.kubernetes.cri.sandbox-id",
	  "io.kubernetes.cri.image-name" },
	{ "cri-o", "io.kubernetes.cri-o.ContainerType", "io.kubernetes.pod.namespace",
	  "io.kubernetes.pod.name", "io.kubernetes.container.name", "io.kubernetes.pod.uid",
	  "io.kubernetes.cri-o.SandboxID", "io.kubernetes.cri-o.ImageName" },
};

bool
cfir_oci_k8s(const struct cfir_oci_config *c, struct cfir_oci_k8s *k)
{
	const struct k8s_keys *ks;
	const char *type;
	size_t i;

	for (i = 0; i < sizeof(k8s_keys) / sizeof(k8s_keys[0]); i++) {
		ks = &k8s_keys[i];
		memset(k, 0, sizeof(*k));
		type = annot(c, ks->type);
		k->ns = annot(c, ks->ns);
		k->pod = annot(c, ks->pod);
		if (type == NULL && k->ns == NULL && k->pod == NULL)
			continue;
		k->source = ks->source;
		k->is_sandbox = type != NULL && strcmp(type, "sandbox") == 0;
		k->container = annot(c, ks->container);
		k->uid = annot(c, ks->uid);
		k->sandbox_id = annot(c, ks->sandbox_id);
		k->image = annot(c, ks->image);
		return true;
	}
	memset(k, 0, sizeof(*k));
	return false;
}

char *
cfir_oci_k8s_name(const struct cfir_oci_k8s *k)
{
	const char *ctr = k->container;
	char *s;

	if (k->ns == NULL || k->pod == NULL)
		return NULL;
	if (ctr == NULL)
		ctr = k->is_sandbox ? "POD" : "";
	if (asprintf(&s, "%s/%s/%s", k->ns, k->pod, ctr) < 0)
		return NULL;
	return s;
}

/* A list as KEY, and KEY_hex beside it (null where the text is exact) when some are not UTF-8. */
static void
json_strv(cJSON *o, const char *key, const struct cfir_oci_strv *sv)
{
	cJSON *a, *hex = NULL, *tmp;
	char hkey[64];
	size_t i;

	if (!sv->present)
		return;
	a = cJSON_AddArrayToObject(o, key);
	for (i = 0; a != NULL && i < sv->n; i++) {
		if ((tmp = cJSON_CreateObject()) == NULL)
			return;
		cfir_json_add_bytes(tmp, "s", sv->v[i], strlen(sv->v[i]));
		cJSON_AddItemToArray(a, cJSON_DetachItemFromObject(tmp, "s"));
		if (cJSON_GetObjectItem(tmp, "s_hex") != NULL && hex == NULL) {
			snprintf(hkey, sizeof(hkey), "%s_hex", key);
			hex = cJSON_AddArrayToObject(o, hkey);
			while (hex != NULL && (size_t)cJSON_GetArraySize(hex) < i)
				cJSON_AddItemToArray(hex, cJSON_CreateNull());
		}
		if (hex != NULL)
			cJSON_AddItemToArray(hex, cJSON_GetObjectItem(tmp, "s_hex") != NULL ?
					     cJSON_DetachItemFromObject(tmp, "s_hex") : cJSON_CreateNull());
		cJSON_Delete(tmp);
	}
	if (sv->dropped > 0) {
		snprintf(hkey, sizeof(hkey), "%s_dropped", key);
		cfir_json_add_num(o, hkey, (double)sv->dropped);
	}
}

static void
json_kvv(cJSON *o, const char *key, const struct cfir_oci_kvv *kvv)
{
	cJSON *a, *e;
	char dkey[64];
	size_t i;

	if (!kvv->present)
		return;
	if ((a = cJSON_AddArrayToObject(o, key)) == NULL)
		return;
	for (i = 0; i < kvv->n; i++) {
		if ((e = cJSON_CreateObject()) == NULL)
			return;
		cfir_json_add_bytes(e, "key", kvv->v[i].key, kvv->v[i].key_len);
		cfir_json_add_bytes(e, "value", kvv->v[i].value, kvv->v[i].value_len);
		if (kvv->v[i].cut)
			cJSON_AddBoolToObject(e, "cut", 1);
		cJSON_AddItemToArray(a, e);
	}
	if (kvv->dropped > 0) {
		snprintf(dkey, sizeof(dkey), "%s_dropped", key);
		cfir_json_add_num(o, dkey, (double)kvv->dropped);
	}
}

static void
json_process(cJSON *o, const struct cfir_oci_config *c)
{
	cJSON *p, *caps;

	if (!c->has_process || (p = cJSON_AddObjectToObject(o, "process")) == NULL)
		return;
	json_strv(p, "args", &c->args);
	if (c->has_uid)
		cfir_json_add_num(p, "uid", c->uid);
	if (c->has_gid)
		cfir_json_add_num(p, "gid", c->gid);
	if (c->has_no_new_privs)
		cJSON_AddBoolToObject(p, "no_new_privileges", c->no_new_privs);
	cfir_json_add_text(p, "apparmor_profile", c->apparmor);
	if (!c->cap_bounding.present && !c->cap_effective.present && !c->cap_permitted.present)
		return;
	if ((caps = cJSON_AddObjectToObject(p, "capabilities")) == NULL)
		return;
	json_strv(caps, "bounding", &c->cap_bounding);
	json_strv(caps, "effective", &c->cap_effective);
	json_strv(caps, "permitted", &c->cap_permitted);
}

static void
json_mounts(cJSON *o, const struct cfir_oci_config *c)
{
	cJSON *a, *m;
	size_t i;

	if (!c->has_mounts || (a = cJSON_AddArrayToObject(o, "mounts")) == NULL)
		return;
	for (i = 0; i < c->n_mounts; i++) {
		if ((m = cJSON_CreateObject()) == NULL)
			return;
		cfir_json_add_text(m, "destination", c->mounts[i].destination);
		cfir_json_add_text(m, "source", c->mounts[i].source);
		cfir_json_add_text(m, "type", c->mounts[i].type);
		json_strv(m, "options", &c->mounts[i].options);
		cJSON_AddItemToArray(a, m);
	}
	if (c->mounts_dropped > 0)
		cfir_json_add_num(o, "mounts_dropped", (double)c->mounts_dropped);
}

static void
json_resources(cJSON *lx, const struct cfir_oci_config *c)
{
	cJSON *r;

	if (!c->has_resources || (r = cJSON_AddObjectToObject(lx, "resources")) == NULL)
		return;
	if (c->has_memory_limit)
		cfir_json_add_num(r, "memory_limit", (double)c->memory_limit);
	if (c->has_pids_limit)
		cfir_json_add_num(r, "pids_limit", (double)c->pids_limit);
	if (c->has_cpu_quota)
		cfir_json_add_num(r, "cpu_quota", (double)c->cpu_quota);
	if (c->has_cpu_shares)
		cfir_json_add_num(r, "cpu_shares", (double)c->cpu_shares);
}

static void
json_linux(cJSON *o, const struct cfir_oci_config *c)
{
	cJSON *lx, *a, *n;
	size_t i;

	if (!c->has_linux || (lx = cJSON_AddObjectToObject(o, "linux")) == NULL)
		return;
	if (c->has_ns && (a = cJSON_AddArrayToObject(lx, "namespaces")) != NULL) {
		for (i = 0; i < c->n_ns && (n = cJSON_CreateObject()) != NULL; i++) {
			cfir_json_add_text(n, "type", c->ns[i].type);
			cfir_json_add_text(n, "path", c->ns[i].path);
			cJSON_AddItemToArray(a, n);
		}
	}
	cfir_json_add_text(lx, "cgroups_path", c->cgroups_path);
	json_resources(lx, c);
	cJSON_AddBoolToObject(lx, "seccomp", c->has_seccomp);
	if (c->has_devices)
		cfir_json_add_num(lx, "devices", (double)c->n_devices);
	cfir_json_add_text(lx, "mount_label", c->mount_label);
}

static void
json_k8s(cJSON *o, const struct cfir_oci_config *c)
{
	struct cfir_oci_k8s k;
	cJSON *j;

	if (!cfir_oci_k8s(c, &k) || (j = cfir_oci_k8s_json(k.ns, k.pod, k.container, k.uid, k.sandbox_id)) == NULL)
		return;
	cJSON_AddItemToObject(o, "kubernetes", j);
	cJSON_AddStringToObject(j, "source", k.source);
	cfir_json_add_text(j, "image", k.image);
	cJSON_AddBoolToObject(j, "sandbox", k.is_sandbox);
}

cJSON *
cfir_oci_config_json(const struct cfir_oci_config *c)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cfir_json_add_text(o, "oci_version", c->oci_version);
	cfir_json_add_text(o, "root_path", c->root_path);
	if (c->has_root_readonly)
		cJSON_AddBoolToObject(o, "root_readonly", c->root_readonly);
	cfir_json_add_text(o, "hostname", c->hostname);
	json_process(o, c);
	json_mounts(o, c);
	json_kvv(o, "annotations", &c->annotations);
	json_linux(o, c);
	json_k8s(o, c);
	if (c->n_wrong > 0)
		cfir_json_add_num(o, "wrong_types", c->n_wrong);
	if (c->n_cut > 0)
		cfir_json_add_num(o, "cut", c->n_cut);
	return o;
}

cJSON *
cfir_oci_state_json(const struct cfir_oci_state *s)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "runtime", s->kind == CFIR_OCI_STATE_CRUN ? "crun" : "runc");
	cfir_json_add_text(o, "id", s->id);
	if (s->has_pid)
		cfir_json_add_num(o, "pid", s->pid);
	if (s->has_start)
		cfir_json_add_num(o, "start_ticks", (double)s->start);
	cfir_json_add_text(o, "created", s->created);
	cfir_json_add_text(o, "bundle", s->bundle);
	cfir_json_add_text(o, "rootfs", s->rootfs);
	json_kvv(o, "cgroup_paths", &s->cgroups);
	json_kvv(o, "namespace_paths", &s->ns_paths);
	json_strv(o, "labels", &s->labels);
	if (s->n_wrong > 0)
		cfir_json_add_num(o, "wrong_types", s->n_wrong);
	if (s->n_cut > 0)
		cfir_json_add_num(o, "cut", s->n_cut);
	return o;
}

cJSON *
cfir_oci_k8s_json(const char *ns, const char *pod, const char *container, const char *uid,
		  const char *sandbox_id)
{
	cJSON *k = cJSON_CreateObject();

	cfir_json_add_text(k, "namespace", ns);
	cfir_json_add_text(k, "pod", pod);
	cfir_json_add_text(k, "container", container);
	cfir_json_add_text(k, "uid", uid);
	cfir_json_add_text(k, "sandbox_id", sandbox_id);
	return k;
}
