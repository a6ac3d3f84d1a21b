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
		CHECK_STR(e->runtime, "runc");
		CHECK_STR(e->manager, "containerd");
		CHECK_STR(e->source_name, "containerd");
		CHECK(e->state_dir != NULL && strstr(e->state_dir, "/run/containerd/runc/k8s.io/c3") != NULL);
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
	if ((e = find(&l, "c5")) != NULL) {
		CHECK_STR(e->source, "/extra");
		CHECK_STR(e->source_name, "env");
		CHECK(e->manager == NULL);
	} else
		CHECK(!"c5 found");
	cfir_runtime_list_free(&l);
}

/* One container by its ID: the same entry as in the whole list, and nothing else. */
static void
tree_id(void)
{
	const char *root = fake_tree();
	struct cfir_runtime_list l;
	const struct cfir_runtime_entry *e;
	struct cfir_err err = { 0 };

	CHECK(cfir_runtime_list_id(root, NULL, "c3", &l, &err) == 0);
	CHECK(l.n == 1);
	if ((e = find(&l, "c3")) != NULL) {
		CHECK_STR(e->ns, "k8s.io");
		CHECK(e->has_pid && e->pid_checked && e->sandbox);
		CHECK_STR(e->name, "kube-system/dns/POD");
	} else
		CHECK(!"c3 found");
	cfir_runtime_list_free(&l);
	CHECK(cfir_runtime_list_id(root, NULL, "c9", &l, &err) == 0 && l.n == 0);
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

/* A fake /proc/PID under ROOT/proc: its stat with START (field 22), its cgroup. */
static void
fake_proc(const char *root, int pid, unsigned long long start, const char *cgroup)
{
	char sub[64], text[512];

	snprintf(sub, sizeof(sub), "proc/%d/stat", pid);
	snprintf(text, sizeof(text), "%d (sleep) S 1 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 %llu "
		 "1 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n", pid, start);
	puts_(root, sub, text);
	snprintf(sub, sizeof(sub), "proc/%d/cgroup", pid);
	puts_(root, sub, cgroup);
}

#define VL "var/lib/containers/storage/overlay-containers/"
#define RS "run/containers/storage/overlay-containers/"
#define TK "run/containerd/io.containerd.runtime.v2.task/"

/*
 * Podman: its config under /var/lib, its pidfile under /run, runc's state
 * under /run/runc; CRI-O: config and pidfile under /run; a containers.json
 * beside them; containerd bundles whose init.pid alone gives the PID.
 */
static const char *
storage_tree(void)
{
	static char root[256];

	snprintf(root, sizeof(root), "%s", unit_tmpdir());
	puts_(root, VL "p1/userdata/config.json", "{\"annotations\":{\"io.container.manager\":\"libpod\","
	      "\"io.kubernetes.cri-o.TTY\":\"false\"}}");
	puts_(root, VL "containers.json", "[]");
	puts_(root, VL "p0/userdata/ctr.log", "");	/* created, never started: not listed */
	puts_(root, RS "p1/userdata/pidfile", "4100");
	runc_state(root, "run/runc/p1/state.json", "p1", 4100, 777, "/" VL "p1/userdata");
	fake_proc(root, 4100, 777, "0::/libpod_parent/libpod-p1\n");
	/* CRI-O: only the pidfile, checked by its cgroup */
	puts_(root, RS "o1/userdata/config.json", "{\"annotations\":{"
	      "\"io.kubernetes.cri-o.ContainerType\":\"container\","
	      "\"io.kubernetes.pod.namespace\":\"prod\",\"io.kubernetes.pod.name\":\"api-0\","
	      "\"io.kubernetes.container.name\":\"app\"}}");
	puts_(root, RS "o1/userdata/pidfile", "4200\n");
	fake_proc(root, 4200, 1, "12:pids:/kubepods/pod9/crio-o1.scope\n0::/kubepods/pod9/crio-o1.scope\n");
	/* a pidfile whose PID now lives in conmon's cgroup: refused */
	puts_(root, RS "o2/userdata/pidfile", "4250");
	fake_proc(root, 4250, 1, "0::/machine.slice/libpod-conmon-o2.scope\n");
	/* containerd: t1's PID taken by another container, t2's its own */
	puts_(root, TK "default/t1/config.json", "{}");
	puts_(root, TK "default/t1/init.pid", "4300\n");
	fake_proc(root, 4300, 1, "0::/default/t1x\n1:name=systemd:/default/other\n");
	puts_(root, TK "default/t2/config.json", "{}");
	puts_(root, TK "default/t2/init.pid", "4400\n");
	fake_proc(root, 4400, 1, "garbage\n::\n0::/default/t2\n");
	/* t3: options.json names a runc root no table has, under /var/run */
	puts_(root, TK "default/t3/config.json", "{}");
	puts_(root, TK "default/t3/init.pid", "4500\n");
	puts_(root, TK "default/t3/options.json", "{\"binary_name\":\"runc\",\"root\":\"/var/run/myroot\"}");
	runc_state(root, "run/myroot/default/t3/state.json", "t3", 4500, 99, "/" TK "default/t3");
	fake_proc(root, 4500, 98, "0::/default/t3\n");
	return root;
}

static void
storage(void)
{
	const char *root = storage_tree();
	char proc[300];
	struct cfir_runtime_list l;
	const struct cfir_runtime_entry *e;
	struct cfir_err err = { 0 };

	snprintf(proc, sizeof(proc), "%s/proc", root);
	CHECK(cfir_runtime_list(root, proc, &l, &err) == 0);
	CHECK(l.n == 6);
	CHECK(l.skipped == 0);
	CHECK(find(&l, "p0") == NULL);
	if ((e = find(&l, "p1")) != NULL) {
		CHECK_STR(e->runtime, "runc");
		CHECK_STR(e->manager, "podman");
		CHECK_STR(e->source_name, "storage");
		CHECK_STR(e->bundle, "/" VL "p1/userdata");
		CHECK_STR(e->state_dir, "/run/runc/p1");
		CHECK(e->has_pid && e->pid == 4100 && e->has_start && e->start == 777);
		CHECK_STR(e->pid_check, "start time");
		CHECK(e->name == NULL);	/* Podman's cri-o.TTY names no pod */
	} else
		CHECK(!"p1 found");
	if ((e = find(&l, "o1")) != NULL) {
		CHECK(e->runtime == NULL);
		CHECK_STR(e->manager, "cri-o");
		CHECK_STR(e->source_name, "storage/run");
		CHECK_STR(e->name, "prod/api-0/app");
		CHECK(e->has_pid && e->pid == 4200 && !e->has_start);
		CHECK_STR(e->pid_check, "cgroup");
		CHECK_STR(e->state, "running");
	} else
		CHECK(!"o1 found");
	if ((e = find(&l, "o2")) != NULL) {
		CHECK_STR(e->state, "pid reused");
		CHECK(!e->has_pid && e->recorded_pid == 4250 && e->pid_check == NULL);
	} else
		CHECK(!"o2 found");
	if ((e = find(&l, "t1")) != NULL) {
		CHECK_STR(e->state, "pid reused");
		CHECK_STR(e->manager, "containerd");
		CHECK(!e->has_pid && e->recorded_pid == 4300 && !e->pid_checked);
	} else
		CHECK(!"t1 found");
	if ((e = find(&l, "t2")) != NULL) {
		CHECK_STR(e->state, "running");
		CHECK(e->has_pid && e->pid == 4400 && e->pid_checked);
		CHECK_STR(e->pid_check, "cgroup");
	} else
		CHECK(!"t2 found");
	if ((e = find(&l, "t3")) != NULL) {
		CHECK_STR(e->runtime, "runc");
		CHECK_STR(e->state_dir, "/run/myroot/default/t3");
		CHECK(e->has_start && e->start == 99);
		CHECK_STR(e->state, "pid reused");	/* the start time, not the cgroup, decides */
	} else
		CHECK(!"t3 found");
	cfir_runtime_list_free(&l);
}

static void
cgroup_names(void)
{
	static const char id[] = "0123abcd";

	CHECK(cfir_runtime_cgroup_names("0::/docker/0123abcd\n", 20, id));
	CHECK(cfir_runtime_cgroup_names("0::/system.slice/docker-0123abcd.scope", 38, id));
	CHECK(cfir_runtime_cgroup_names("4:pids:/kubepods/cri-containerd-0123abcd.scope/x", 48, id));
	CHECK(cfir_runtime_cgroup_names("1:name=systemd:/a:b:0123abcd", 28, id));
	CHECK(!cfir_runtime_cgroup_names("0::/docker/0123abcde", 20, id));
	CHECK(!cfir_runtime_cgroup_names("0::/docker/x0123abcd", 20, id));
	CHECK(!cfir_runtime_cgroup_names("0::/libpod-conmon-0123abcd.scope", 32, id));
	CHECK(!cfir_runtime_cgroup_names("0::/crio-conmon-0123abcd.scope", 30, id));
	CHECK(cfir_runtime_cgroup_names("0::/default/myconmon", 20, "myconmon"));
	CHECK(cfir_runtime_cgroup_names("0::/conmon-0123abcd.scope/0123abcd", 34, id));
	CHECK(!cfir_runtime_cgroup_names("0123abcd", 8, id));	/* no path */
	CHECK(!cfir_runtime_cgroup_names("0::/docker/0123", 15, id));
	/* the length, not a NUL, ends the text */
	CHECK(!cfir_runtime_cgroup_names("0::/docker/0123abcd", 15, id));
	CHECK(!cfir_runtime_cgroup_names("0::/x", 5, ""));
}

/* A list made by hand: IDs, namespaces, a Kubernetes name. */
static void
fake_list(struct cfir_runtime_list *l, struct cfir_runtime_entry *v, size_t n)
{
	static const char *ids[] = { "abc123", "abd456", "dup1", "dup1", "ffff" };
	static const char *nss[] = { NULL, NULL, "k8s.io", "default", "k8s.io" };
	size_t i;

	memset(l, 0, sizeof(*l));
	memset(v, 0, n * sizeof(*v));
	for (i = 0; i < n && i < 5; i++) {
		v[i].id = (char *)ids[i];
		v[i].ns = (char *)nss[i];
		v[i].state = "running";
	}
	v[4].name = (char *)"kube-system/dns/POD";
	l->v = v;
	l->n = n;
}

static void
find_ref(void)
{
	struct cfir_runtime_entry v[5];
	struct cfir_runtime_list l;
	const struct cfir_runtime_entry *e = NULL;
	struct cfir_err err = { 0 };

	fake_list(&l, v, 5);
	CHECK(cfir_runtime_find(&l, "abc123", &e, &err) == 0 && e == &v[0]);
	CHECK(cfir_runtime_find(&l, "abd", &e, &err) == 0 && e == &v[1]);
	CHECK(cfir_runtime_find(&l, "kube-system/dns/POD", &e, &err) == 0 && e == &v[4]);
	CHECK(cfir_runtime_find(&l, "default/dup1", &e, &err) == 0 && e == &v[3]);
	CHECK(cfir_runtime_find(&l, "k8s.io/du", &e, &err) == 0 && e == &v[2]);
	CHECK(cfir_runtime_find(&l, "ab", &e, &err) < 0 && err.exit == EX_USAGE && e == NULL);
	CHECK(strstr(err.msg, "abc123") != NULL && strstr(err.msg, "abd456") != NULL);
	/* one ID in two namespaces: the namespace must be named */
	CHECK(cfir_runtime_find(&l, "dup1", &e, &err) < 0 && err.exit == EX_USAGE);
	CHECK(strstr(err.msg, "k8s.io") != NULL && strstr(err.msg, "default") != NULL);
	CHECK(cfir_runtime_find(&l, "kube-system/dns/PO", &e, &err) < 0 && err.exit == EX_NOINPUT);
	CHECK(cfir_runtime_find(&l, "nope", &e, &err) < 0 && err.exit == EX_NOINPUT);
	CHECK(cfir_runtime_find(&l, "other/dup1", &e, &err) < 0 && err.exit == EX_NOINPUT);
	CHECK(cfir_runtime_find(&l, "", &e, &err) < 0 && err.exit == EX_USAGE);
	/* a second pod of one name: ambiguous, never the first found */
	v[3].name = (char *)"kube-system/dns/POD";
	CHECK(cfir_runtime_find(&l, "kube-system/dns/POD", &e, &err) < 0 && err.exit == EX_USAGE);
	/* restarted: the exited one keeps the name, the running one is the container */
	v[4].has_pid = true;
	CHECK(cfir_runtime_find(&l, "kube-system/dns/POD", &e, &err) == 0 && e == &v[4]);
	v[3].has_pid = true;
	CHECK(cfir_runtime_find(&l, "kube-system/dns/POD", &e, &err) < 0 && err.exit == EX_USAGE);
}

UNIT_SUITE(runtime_tests) = {
	{ "runtime: runc, crun, containerd and extra roots; links, reused PIDs", tree },
	{ "runtime: one container by its ID alone, as the whole list has it", tree_id },
	{ "runtime: a 1 MiB hostile annotation kept bounded, JSON escaped", json },
	{ "runtime: an empty root lists nothing, a missing one fails", no_root },
	{ "runtime: Podman's and CRI-O's userdata merged with runc's state; init.pid checked", storage },
	{ "runtime: a cgroup names the container as a whole word, never conmon's", cgroup_names },
	{ "runtime: found by ID, NAMESPACE/ID, Kubernetes name (the running one), prefix; ambiguity refused", find_ref },
	UNIT_END,
};
