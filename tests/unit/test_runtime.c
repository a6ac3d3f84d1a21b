/* test_runtime.c - containers found in a fake tree of runtime state */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/oci.h"
#include "common/out.h"
#include "common/proc.h"
#include "common/runtime.h"
#include "common/util.h"
#include "tests/unit/unit.h"

#define BIG (1u << 20)

/* ROOT/SUB's parents made, then the file with TEXT (LEN bytes). */
static void
put(const char *root, const char *sub, const char *text, size_t len)
{
	char path[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, sub);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	CHECK((f = fopen(path, "w")) != NULL);
	if (f == NULL)
		return;
	CHECK(fwrite(text, 1, len, f) == len);
	fclose(f);
}

static void
puts_(const char *root, const char *sub, const char *text)
{
	put(root, sub, text, strlen(text));
}

static unsigned long long
my_start(void)
{
	cleanup_free char *buf = NULL;
	struct cfir_proc_stat st = { 0 };
	struct cfir_err err = { 0 };
	size_t len = 0;
	bool cut = false;

	CHECK(cfir_util_read_file(AT_FDCWD, "/proc/self/stat", 4096, &buf, &len, &cut, &err) == 0);
	CHECK(cfir_proc_stat_parse(buf, len, &st) == 0);
	return st.starttime;
}

static void
runc_state(const char *root, const char *sub, const char *id, long pid, unsigned long long start,
	   const char *bundle)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "{\"id\":\"%s\",\"init_process_pid\":%ld,\"init_process_start\":%llu,"
		 "\"config\":{\"labels\":[\"bundle=%s\"]}}", id, pid, start, bundle);
	puts_(root, sub, text);
}

/* A CRI config.json whose image name is 1 MiB of hostile bytes. */
static void
hostile_config(const char *root, const char *sub)
{
	static const char head[] = "{\"ociVersion\":\"1.0.2\",\"annotations\":{"
		"\"io.kubernetes.cri.container-type\":\"container\","
		"\"io.kubernetes.cri.sandbox-namespace\":\"default\","
		"\"io.kubernetes.cri.sandbox-name\":\"web-1\","
		"\"io.kubernetes.cri.container-name\":\"app\","
		"\"io.kubernetes.cri.image-name\":\"";
	static const char tail[] = "\"}}";
	char *buf = malloc(sizeof(head) + BIG + sizeof(tail));
	size_t i, n = sizeof(head) - 1;

	CHECK(buf != NULL);
	if (buf == NULL)
		return;
	memcpy(buf, head, n);
	for (i = 0; i < BIG; i += 6, n += 6)
		memcpy(buf + n, "\\u001b", 6);	/* ESC, a terminal's command */
	memcpy(buf + n, tail, sizeof(tail) - 1);
	n += sizeof(tail) - 1;
	put(root, sub, buf, n);
	free(buf);
}

static const struct cfir_runtime_entry *
find(const struct cfir_runtime_list *l, const char *id)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].id, id) == 0)
			return &l->v[i];
	return NULL;
}

static const char *
fake_tree(void)
{
	static char root[256];
	char link[512], bundle[300];
	unsigned long long start = my_start();

	snprintf(root, sizeof(root), "%s", unit_tmpdir());
	/* c1: runc, this process as its init, a CRI bundle with a hostile image */
	runc_state(root, "run/runc/c1/state.json", "c1", (long)getpid(), start, "/bundles/c1");
	hostile_config(root, "bundles/c1/config.json");
	/* c2: this PID with another start time: a reused PID */
	runc_state(root, "run/runc/c2/state.json", "c2", (long)getpid(), start + 1, "/bundles/none");
	/* a link among the containers: skipped */
	snprintf(link, sizeof(link), "%s/run/runc/c9", root);
	snprintf(bundle, sizeof(bundle), "%s/run/runc/c1", root);
	CHECK(symlink(bundle, link) == 0);
	/* c3: a containerd task bundle, and runc's state of it under containerd's root */
	puts_(root, "run/containerd/io.containerd.runtime.v2.task/k8s.io/c3/config.json",
	      "{\"annotations\":{\"io.kubernetes.cri.container-type\":\"sandbox\","
	      "\"io.kubernetes.cri.sandbox-namespace\":\"kube-system\","
	      "\"io.kubernetes.cri.sandbox-name\":\"dns\"}}");
	snprintf(link, sizeof(link), "%d\n", (int)getpid());
	puts_(root, "run/containerd/io.containerd.runtime.v2.task/k8s.io/c3/init.pid", link);
	runc_state(root, "run/containerd/runc/k8s.io/c3/state.json", "c3", (long)getpid(), start,
		   "/run/containerd/io.containerd.runtime.v2.task/k8s.io/c3");
	/* c4: crun, its init long gone */
	puts_(root, "run/crun/c4/status", "{\"pid\":2147483000,\"process-start-time\":5,\"bundle\":\"/b4\"}");
	/* c5: from $CFIR_RUNTIME_ROOTS; c6 there has unreadable state */
	runc_state(root, "extra/c5/state.json", "c5", (long)getpid(), start, "/bundles/none");
	puts_(root, "extra/c6/state.json", "{not json");
	return root;
}

static void
tree(void)
{
	const char *root = fake_tree();
	struct cfir_runtime_list l;
	const struct cfir_runtime_entry *e;
	struct cfir_err err = { 0 };

	setenv("CFIR_RUNTIME_ROOTS", "/nowhere:/extra", 1);
	CHECK(cfir_runtime_list(root, NULL, &l, &err) == 0);
	unsetenv("CFIR_RUNTIME_ROOTS");
	CHECK(l.n == 5);
	CHECK(l.skipped == 2);	/* the link, the bad state */
	CHECK(find(&l, "c9") == NULL && find(&l, "c6") == NULL);
	if ((e = find(&l, "c1")) != NULL) {
		CHECK_STR(e->runtime, "runc");
		CHECK_STR(e->state, "running");
		CHECK(e->has_pid && e->pid == getpid() && e->pid_checked);
		CHECK_STR(e->name, "default/web-1/app");
		CHECK(e->image != NULL && strlen(e->image) == CFIR_OCI_VALUE_MAX);
		CHECK(e->n_cut > 0 && !e->sandbox);
		CHECK_STR(e->bundle, "/bundles/c1");
	} else
		CHECK(!"c1 found");
	if ((e = find(&l, "c2")) != NULL) {
		CHECK_STR(e->state, "pid reused");
		CHECK(!e->has_pid && e->recorded_pid == getpid());
	} else
		CHECK(!"c2 found");
	if ((e = find(&l, "c3")) != NULL) {
		CHECK_STR(e->runtime, "containerd");
		CHECK_STR(e->ns, "k8s.io");
		CHECK_STR(e->state, "running");
		CHECK(e->has_pid && e->pid_checked && e->sandbox);
		CHECK_STR(e->name, "kube-system/dns/POD");
	} else
		CHECK(!"c3 found");
	if ((e = find(&l, "c4")) != NULL) {
		CHECK_STR(e->runtime, "crun");
		CHECK_STR(e->state, "stopped");
		CHECK(!e->has_pid);
	} else
		CHECK(!"c4 found");
	if ((e = find(&l, "c5")) != NULL)
		CHECK_STR(e->source, "/extra");
	else
		CHECK(!"c5 found");
	cfir_runtime_list_free(&l);
}

/* The hostile image comes out as JSON that holds its exact bytes, escaped. */
static void
json(void)
{
	const char *root = fake_tree();
	struct cfir_runtime_list l;
	struct cfir_err err = { 0 };
	cleanup_cjson cJSON *j = NULL;
	cleanup_free char *text = NULL;

	CHECK(cfir_runtime_list(root, NULL, &l, &err) == 0);
	CHECK(find(&l, "c1") != NULL);
	if (find(&l, "c1") == NULL)
		goto out;
	j = cfir_runtime_entry_json(find(&l, "c1"));
	CHECK_STR(cfir_json_str(j, "name"), "default/web-1/app");
	CHECK_STR(cfir_json_str(cfir_json_get(j, "kubernetes"), "pod"), "web-1");
	CHECK(cfir_json_num(j, "pid") == getpid());
	CHECK(cfir_json_get(j, "namespace") == NULL);	/* absent, not null */
	text = cfir_json_print(j, NULL);
	CHECK(text != NULL && strchr(text, 0x1b) == NULL);
out:
	cfir_runtime_list_free(&l);
}

static void
no_root(void)
{
	struct cfir_runtime_list l;
	struct cfir_err err = { 0 };
	char path[256];

	snprintf(path, sizeof(path), "%s/none", unit_tmpdir());
	CHECK(cfir_runtime_list(path, NULL, &l, &err) < 0);
	CHECK(mkdir(path, 0755) == 0);
	CHECK(cfir_runtime_list(path, NULL, &l, &err) == 0 && l.n == 0);
	cfir_runtime_list_free(&l);
}

UNIT_SUITE(runtime_tests) = {
	{ "runtime: runc, crun, containerd and extra roots; links, reused PIDs", tree },
	{ "runtime: a 1 MiB hostile annotation kept bounded, JSON escaped", json },
	{ "runtime: an empty root lists nothing, a missing one fails", no_root },
	UNIT_END,
};
