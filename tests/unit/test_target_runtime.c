/* test_target_runtime.c - a target described by a fake tree of runtime state, no engine */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/enginestate.h"
#include "common/proc.h"
#include "common/target.h"
#include "common/util.h"
#include "tests/unit/unit.h"

static const char config[] =
	"{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"
	"\"process\":{\"args\":[\"sleep\",\"600\"],\"user\":{\"uid\":0,\"gid\":0}},"
	"\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\","
	"\"io.kubernetes.cri.sandbox-namespace\":\"prod\",\"io.kubernetes.cri.sandbox-name\":\"web-7c9f6\","
	"\"io.kubernetes.cri.sandbox-uid\":\"0b5c\",\"io.kubernetes.cri.container-name\":\"nginx\","
	"\"io.kubernetes.cri.image-name\":\"nginx:1.25\"}}";

static unsigned long long
my_start(void)
{
	cleanup_free char *buf = NULL;
	struct cfir_proc_stat st = { 0 };
	size_t len = 0;

	CHECK(cfir_util_read_file(AT_FDCWD, "/proc/self/stat", 4096, &buf, &len, NULL, NULL) == 0);
	CHECK(buf != NULL && cfir_proc_stat_parse(buf, len, &st) == 0);
	return st.starttime;
}

static void
mkdirs(const char *path)
{
	char p[512], *s;

	snprintf(p, sizeof(p), "%s", path);
	for (s = p + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	CHECK(mkdir(p, 0755) == 0);
}

/* ROOT/run/runc/ID/state.json naming this process (start time START) and BUNDLE. */
static void
state(const char *root, const char *id, unsigned long long start, const char *bundle)
{
	char dir[512], text[1024];

	snprintf(dir, sizeof(dir), "%s/run/runc/%s", root, id);
	mkdirs(dir);
	snprintf(text, sizeof(text),
		 "{\"id\":\"%s\",\"init_process_pid\":%d,\"init_process_start\":%llu,"
		 "\"config\":{\"labels\":[\"bundle=%s\"]}}", id, (int)getpid(), start, bundle);
	unit_write(dir, "state.json", text);
}

static void
from_runtime_state(void)
{
	const char *root = unit_tmpdir();
	char bundle[512];
	struct cfir_target *t = NULL;
	struct cfir_err err = { 0 };
	cleanup_free char *raw = NULL;

	snprintf(bundle, sizeof(bundle), "%s/bundles/b1", root);
	mkdirs(bundle);
	unit_write(bundle, "config.json", config);
	state(root, "c0ffee01", my_start(), "/bundles/b1");
	state(root, "c0ffee02", my_start() + 1, "/bundles/none");	/* its PID is another process now */

	CHECK(cfir_target_resolve_runtime(root, NULL, "prod/web-7c9f6/nginx", &t, &err) == 0);
	if (t == NULL)
		return;
	CHECK_STR(t->source, "runtime");
	CHECK_STR(t->name, "prod/web-7c9f6/nginx");
	CHECK_STR(t->k8s_pod, "web-7c9f6");
	CHECK_STR(t->k8s_uid, "0b5c");
	CHECK_STR(t->image, "nginx:1.25");
	CHECK(t->running && !t->paused && t->pid == getpid() && t->pid_checked);
	CHECK_STR(t->state_file, "state.json");
	/* the bundle's bytes as they are, the spec parsed */
	raw = unit_read(bundle, "config.json");
	CHECK(raw != NULL && t->config_len == strlen(raw) && memcmp(t->config_raw, raw, t->config_len) == 0);
	CHECK(t->oci != NULL && t->oci->args.n == 2);
	/* no overlay at the bundle's root: no layer, said when asked */
	CHECK(t->rootfs_from == NULL && t->graph.upper == NULL);
	CHECK_STR(t->merged, "/bundles/b1/rootfs");
	cfir_target_free(t);
	t = NULL;

	/* a start time that differs: the PID is refused, the container has no process */
	CHECK(cfir_target_resolve_runtime(root, NULL, "c0ffee02", &t, &err) == 0);
	CHECK(t != NULL && !t->running && t->pid == 0 && t->refused_pid == getpid());
	cfir_target_free(t);
	t = NULL;

	CHECK(cfir_target_resolve_runtime(root, NULL, "c0ffee", &t, &err) < 0 && err.exit == EX_USAGE);
	cfir_err_clear(&err);
	CHECK(cfir_target_resolve_runtime(root, NULL, "nope", &t, &err) < 0 && err.exit == EX_NOINPUT);
	CHECK(t == NULL);
}

/* The names engines keep on disk: dockerd's and containers-storage's, hostile ones refused. */
static void
engine_names(void)
{
	static const char docker[] = "{\"ID\":\"x\",\"Name\":\"/web-1\",\"Config\":{\"Image\":\"nginx:1.25\"}}";
	static const char storage[] = "[{\"id\":\"c1\",\"names\":[\"a/b\"]},"
		"{\"id\":\"c2\",\"names\":[\"db\"],\"metadata\":\"{\\\"image-name\\\":\\\"pg:16\\\"}\"}]";
	struct cfir_enginestate d;
	struct cfir_err err = { 0 };

	CHECK(cfir_enginestate_parse(&d, docker, strlen(docker), &err) == 0);
	CHECK_STR(d.name, "web-1");
	CHECK_STR(d.image, "nginx:1.25");
	cfir_enginestate_free(&d);
	CHECK(cfir_enginestate_storage_parse(&d, storage, strlen(storage), "c2", &err) == 0);
	CHECK_STR(d.name, "db");
	CHECK_STR(d.image, "pg:16");
	cfir_enginestate_free(&d);
	/* a name with a slash is no container's: none */
	CHECK(cfir_enginestate_storage_parse(&d, storage, strlen(storage), "c1", &err) == 0);
	CHECK(d.name == NULL && d.image == NULL);
	cfir_enginestate_free(&d);
	CHECK(cfir_enginestate_storage_parse(&d, storage, strlen(storage), "c3", &err) < 0 && err.exit == EX_NOINPUT);
	CHECK(cfir_enginestate_parse(&d, "[1]", 3, &err) < 0 && err.exit == EX_DATAERR);
}

UNIT_SUITE(target_runtime_tests) = {
	{ "target: from the runtime state, a Kubernetes name, the bundle kept, a reused PID refused",
	  from_runtime_state },
	{ "enginestate: names from dockerd's config.v2.json and containers.json", engine_names },
	UNIT_END,
};
