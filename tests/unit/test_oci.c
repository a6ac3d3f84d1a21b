/* test_oci.c - config.json, runc's and crun's state, Kubernetes identity */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "common/cleanup.h"
#include "common/oci.h"
#include "common/out.h"
#include "common/util.h"
#include "tests/unit/unit.h"

static char *
fixture(const char *name, size_t *len)
{
	char *buf = NULL;
	struct cfir_err err = { 0 };

	if (cfir_util_read_file(AT_FDCWD, unit_fixture(name), 1 << 22, &buf, len, NULL, &err) < 0)
		fprintf(stderr, "    %s: %s\n", name, err.msg);
	return buf;
}

static void
runc_config(void)
{
	struct cfir_oci_config c;
	struct cfir_err err = { 0 };
	struct cfir_oci_k8s k;
	size_t i;

	CHECK(cfir_oci_config_load(&c, AT_FDCWD, unit_fixture("oci/runc-config.json"), &err) == 0);
	CHECK_STR(c.oci_version, "1.0.2-dev");
	CHECK_STR(c.root_path, "rootfs");
	CHECK(c.has_root_readonly && c.root_readonly);
	CHECK(c.has_process && c.args.n == 2);
	if (c.args.n == 2) {
		CHECK_STR(c.args.v[0], "sleep");
		CHECK_STR(c.args.v[1], "600");
	}
	CHECK(c.has_uid && c.uid == 0 && c.has_gid && c.gid == 0);
	CHECK(c.has_no_new_privs && c.no_new_privs);
	CHECK(c.apparmor == NULL);
	CHECK(c.cap_bounding.present && c.cap_bounding.n == 3 && c.cap_effective.n == 3 && c.cap_permitted.n == 3);
	CHECK(c.cap_bounding.n == 3 && strcmp(c.cap_bounding.v[1], "CAP_KILL") == 0);
	CHECK_STR(c.hostname, "h14-oci");
	CHECK(c.has_mounts && c.n_mounts == 7 && c.mounts_dropped == 0);
	CHECK(c.n_mounts > 0 && strcmp(c.mounts[0].destination, "/proc") == 0 &&
	      strcmp(c.mounts[0].type, "proc") == 0 && !c.mounts[0].options.present);
	CHECK(c.annotations.n == 2);
	CHECK_STR(cfir_oci_annotation(&c, "com.example.note")->value, "recorded for cfir tests");
	CHECK(c.has_linux && c.has_ns && c.n_ns == 5);
	for (i = 0; i < c.n_ns; i++)
		CHECK(c.ns[i].type != NULL && c.ns[i].path == NULL);
	CHECK(c.cgroups_path == NULL && c.mount_label == NULL);
	CHECK(c.has_resources && c.has_memory_limit && c.memory_limit == 67108864);
	CHECK(c.has_pids_limit && c.pids_limit == 64);
	CHECK(c.has_cpu_quota && c.cpu_quota == 50000 && c.has_cpu_shares && c.cpu_shares == 512);
	CHECK(!c.has_seccomp && !c.has_devices);
	CHECK(c.n_wrong == 0 && c.n_cut == 0);
	CHECK(!cfir_oci_k8s(&c, &k) && cfir_oci_k8s_name(&k) == NULL);
	cfir_oci_config_free(&c);
}

static void
containerd_config(void)
{
	struct cfir_oci_config c;
	struct cfir_err err = { 0 };
	struct cfir_oci_k8s k;
	cleanup_free char *name = NULL;

	CHECK(cfir_oci_config_load(&c, AT_FDCWD, unit_fixture("oci/containerd-config.json"), &err) == 0);
	CHECK_STR(c.cgroups_path, "/k8s.io/h14-oci-ctr");
	CHECK(!c.has_root_readonly);
	CHECK(c.has_resources && !c.has_memory_limit && !c.has_pids_limit && !c.has_cpu_quota);
	CHECK(c.has_cpu_shares && c.cpu_shares == 1024);
	CHECK(cfir_oci_k8s(&c, &k));
	CHECK_STR(k.source, "containerd");
	CHECK(!k.is_sandbox && k.uid == NULL && k.sandbox_id == NULL);
	name = cfir_oci_k8s_name(&k);
	CHECK_STR(name, "prod/web-7c9f6/nginx");
	cfir_oci_config_free(&c);
}

static void
runc_state(void)
{
	struct cfir_oci_state s;
	struct cfir_err err = { 0 };
	cleanup_cjson cJSON *j = NULL;
	size_t i;
	bool v2 = false, net = false;

	CHECK(cfir_oci_state_load(&s, AT_FDCWD, unit_fixture("oci/runc-state.json"), &err) == 0);
	CHECK(s.kind == CFIR_OCI_STATE_RUNC);
	CHECK_STR(s.id, "h14-oci-runc");
	CHECK(s.has_pid && s.pid == 15653 && s.has_start && s.start == 1351342);
	CHECK_STR(s.created, "2026-11-30T16:56:58.311872969Z");
	CHECK_STR(s.bundle, "/tmp/h14b");
	CHECK_STR(s.rootfs, "/tmp/h14b/rootfs");
	CHECK(s.cgroups.present && s.cgroups.n == 10);
	for (i = 0; i < s.cgroups.n; i++)
		if (s.cgroups.v[i].key_len == 0)
			v2 = strcmp(s.cgroups.v[i].value, "/sys/fs/cgroup/unified/h14-oci-runc") == 0;
	for (i = 0; i < s.ns_paths.n; i++)
		if (strcmp(s.ns_paths.v[i].key, "NEWNET") == 0)
			net = strcmp(s.ns_paths.v[i].value, "/proc/15653/ns/net") == 0;
	CHECK(v2 && net);
	CHECK(s.labels.n == 3 && s.n_wrong == 0);
	j = cfir_oci_state_json(&s);
	CHECK_STR(cfir_json_str(j, "runtime"), "runc");
	CHECK(cfir_json_num(j, "pid") == 15653 && cfir_json_num(j, "start_ticks") == 1351342);
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "cgroup_paths")) == 10);
	CHECK(cJSON_GetObjectItem(j, "wrong_types") == NULL);
	cfir_oci_state_free(&s);

	CHECK(cfir_oci_state_load(&s, AT_FDCWD, unit_fixture("oci/containerd-runc-state.json"), &err) == 0);
	CHECK_STR(s.bundle, "/run/containerd/io.containerd.runtime.v2.task/k8s.io/h14-oci-ctr");
	CHECK_STR(s.id, "h14-oci-ctr");
	cfir_oci_state_free(&s);
}

static void
crun_status(void)
{
	struct cfir_oci_state s;
	struct cfir_err err = { 0 };
	cleanup_cjson cJSON *j = NULL;

	CHECK(cfir_oci_state_load(&s, AT_FDCWD, unit_fixture("oci/crun-status.json"), &err) == 0);
	CHECK(s.kind == CFIR_OCI_STATE_CRUN);
	CHECK(s.id == NULL);
	CHECK(s.has_pid && s.pid == 15790 && s.has_start && s.start == 1351983);
	CHECK_STR(s.bundle, "/tmp/h14b");
	CHECK_STR(s.rootfs, "rootfs");
	CHECK_STR(s.created, "2026-11-30T16:57:04.732284Z");
	CHECK(s.cgroups.present && s.cgroups.n == 1 && s.cgroups.v[0].key_len == 0 &&
	      s.cgroups.v[0].value_len == 0);
	CHECK(!s.ns_paths.present && !s.labels.present);
	j = cfir_oci_state_json(&s);
	CHECK_STR(cfir_json_str(j, "runtime"), "crun");
	CHECK(cJSON_GetObjectItem(j, "id") == NULL && cJSON_GetObjectItem(j, "labels") == NULL);
	cfir_oci_state_free(&s);
}

/* CRI-O's keys, and values a pod's author chose: exact, never cleaned. */
static void
crio_hostile(void)
{
	struct cfir_oci_config c;
	struct cfir_err err = { 0 };
	struct cfir_oci_k8s k;
	cleanup_free char *name = NULL, *printed = NULL;
	cleanup_cjson cJSON *j = NULL;
	const cJSON *a, *e;
	bool hex = false;

	CHECK(cfir_oci_config_load(&c, AT_FDCWD, unit_fixture("oci/crio-hostile-config.json"), &err) == 0);
	CHECK(cfir_oci_k8s(&c, &k));
	CHECK_STR(k.source, "cri-o");
	CHECK(!k.is_sandbox);
	CHECK_STR(k.sandbox_id, "0123\xff" "456789abcdef");
	CHECK_STR(k.uid, "8f2e0c1a-1111-2222-3333-444455556666");
	CHECK_STR(k.image, "docker.io/library/nginx:latest");
	name = cfir_oci_k8s_name(&k);
	CHECK_STR(name, "prod\nkube-system/web\xe2\x80\xaegnp.exe/nginx\x1b[2J");
	CHECK_STR(c.args.v[2], "echo \xe2\x80\xae" "evil\n");
	CHECK_STR(c.mounts[0].destination, "/etc/hosts\n");
	CHECK_STR(c.mount_label, "system_u:object_r:container_file_t:s0:c1,c2");
	CHECK(c.n_ns == 2 && c.ns[0].path == NULL && strcmp(c.ns[1].path, "/var/run/netns/abc") == 0);
	CHECK(c.cap_bounding.n == 2 && c.cap_effective.n == 1 && !c.cap_permitted.present);

	j = cfir_oci_config_json(&c);
	a = cJSON_GetObjectItem(j, "annotations");
	cJSON_ArrayForEach(e, a)
		if (strcmp(cfir_json_str(e, "key"), "io.kubernetes.cri-o.SandboxID") == 0)
			hex = strcmp(cfir_json_str(e, "value_hex"), "30313233ff3435363738396162636465" "66") == 0;
	CHECK(hex);
	CHECK_STR(cfir_json_str(cJSON_GetObjectItem(j, "kubernetes"), "namespace"), "prod\nkube-system");
	printed = cfir_json_print(j, NULL);
	CHECK(printed != NULL && strstr(printed, "\xe2\x80\xae") == NULL && strchr(printed, '\x1b') == NULL);
	cfir_oci_config_free(&c);
}

/* A field of the wrong type is absent and counted, never a default. */
static void
wrong_types(void)
{
	struct cfir_oci_config c;
	struct cfir_err err = { 0 };
	cleanup_cjson cJSON *j = NULL;

	CHECK(cfir_oci_config_load(&c, AT_FDCWD, unit_fixture("oci/wrong-types-config.json"), &err) == 0);
	CHECK(c.oci_version == NULL && c.root_path == NULL && !c.has_root_readonly && c.hostname == NULL);
	CHECK(c.has_process && !c.args.present && !c.has_uid && !c.has_gid && !c.has_no_new_privs);
	CHECK(c.cap_bounding.present && c.cap_bounding.n == 1 && strcmp(c.cap_bounding.v[0], "CAP_KILL") == 0);
	CHECK(c.has_mounts && c.n_mounts == 1 && c.mounts[0].destination == NULL &&
	      !c.mounts[0].options.present);
	CHECK(c.annotations.n == 1 && strcmp(c.annotations.v[0].key, "c") == 0);
	CHECK(c.has_linux && !c.has_ns && c.cgroups_path == NULL);
	CHECK(c.has_resources && !c.has_memory_limit && !c.has_pids_limit && !c.has_cpu_quota && !c.has_cpu_shares);
	CHECK(!c.has_seccomp && !c.has_devices);
	CHECK(c.n_wrong >= 20);
	j = cfir_oci_config_json(&c);
	CHECK(j != NULL && cfir_json_num(j, "wrong_types") == c.n_wrong);
	cfir_oci_config_free(&c);

	CHECK(cfir_oci_config_parse(&c, "[1,2]", 5, &err) < 0 && err.exit == EX_DATAERR);
	CHECK(cfir_oci_config_parse(&c, "{}", 2, &err) == 0 && !c.has_process && !c.has_linux &&
	      !c.annotations.present && !c.has_mounts);
	cfir_oci_config_free(&c);
	CHECK(cfir_oci_state_parse(&(struct cfir_oci_state){ 0 }, "{\"x\":1}", 7, &err) < 0 &&
	      err.exit == EX_DATAERR);
}

/* Every prefix of each recorded file: refused or parsed, never more. */
static void
truncated(void)
{
	static const char *const names[] = { "oci/runc-config.json", "oci/containerd-config.json",
		"oci/runc-state.json", "oci/crun-status.json" };
	struct cfir_err err = { 0 };
	size_t i, n, len = 0, ok = 0;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		cleanup_free char *buf = fixture(names[i], &len);

		CHECK(buf != NULL);
		while (len > 0 && buf[len - 1] != '}')	/* the last byte that closes it */
			len--;
		for (n = 0; buf != NULL && n + 1 < len; n++) {
			struct cfir_oci_config c;
			struct cfir_oci_state s;

			if (cfir_oci_config_parse(&c, buf, n, &err) == 0) {
				ok++;
				cfir_oci_config_free(&c);
			}
			if (cfir_oci_state_parse(&s, buf, n, &err) == 0) {
				ok++;
				cfir_oci_state_free(&s);
			}
		}
	}
	CHECK(ok == 0);
}

/* {"annotations":{"k0":"v","k1":"v",...}} with N pairs, VLEN bytes a value. */
static char *
annotations_doc(size_t n, size_t vlen, size_t *len)
{
	struct cfir_text t = { 0 };
	char *v = malloc(vlen + 1);
	size_t i;

	memset(v, 'x', vlen);
	v[vlen] = '\0';
	cfir_text_printf(&t, "{\"annotations\":{");
	for (i = 0; i < n; i++)
		cfir_text_printf(&t, "%s\"k%zu\":\"%s\"", i ? "," : "", i, v);
	cfir_text_printf(&t, "}}");
	free(v);
	*len = t.len;
	return t.p;
}

static void
bounds(void)
{
	struct cfir_oci_config c;
	struct cfir_err err = { 0 };
	size_t len;
	cleanup_free char *many = annotations_doc(100000, 1, &len);
	cleanup_free char *big = NULL;

	CHECK(cfir_oci_config_parse(&c, many, len, &err) == 0);
	CHECK(c.annotations.n == CFIR_OCI_ANNOT_MAX && c.annotations.dropped == 100000 - CFIR_OCI_ANNOT_MAX);
	CHECK_STR(c.annotations.v[4095].key, "k4095");
	cfir_oci_config_free(&c);

	big = annotations_doc(1, 1u << 20, &len);
	CHECK(cfir_oci_config_parse(&c, big, len, &err) == 0);
	CHECK(c.annotations.n == 1 && c.annotations.v[0].cut &&
	      c.annotations.v[0].value_len == CFIR_OCI_VALUE_MAX && c.n_cut == 1);
	CHECK(strlen(c.annotations.v[0].value) == CFIR_OCI_VALUE_MAX);
	cfir_oci_config_free(&c);

	CHECK(cfir_oci_config_parse(&c, many, CFIR_OCI_CONFIG_MAX + 1, &err) < 0 && err.exit == EX_DATAERR);
}

static void
duplicates_and_sandbox(void)
{
	static const char doc[] = "{\"annotations\":{"
		"\"io.kubernetes.cri.container-type\":\"sandbox\","
		"\"io.kubernetes.cri.sandbox-name\":\"decoy\","
		"\"io.kubernetes.cri.sandbox-name\":\"web-1\","
		"\"io.kubernetes.cri.sandbox-namespace\":\"default\","
		"\"io.kubernetes.cri.sandbox-uid\":\"u-1\","
		"\"io.kubernetes.cri.sandbox-id\":\"abc\"}}";
	struct cfir_oci_config c;
	struct cfir_err err = { 0 };
	struct cfir_oci_k8s k;
	cleanup_free char *name = NULL;

	CHECK(cfir_oci_config_parse(&c, doc, sizeof(doc) - 1, &err) == 0);
	CHECK(c.n_cut == 0);
	CHECK(cfir_oci_k8s(&c, &k) && k.is_sandbox);
	CHECK_STR(k.pod, "web-1");
	CHECK_STR(k.uid, "u-1");
	CHECK_STR(k.sandbox_id, "abc");
	name = cfir_oci_k8s_name(&k);
	CHECK_STR(name, "default/web-1/POD");
	cfir_oci_config_free(&c);
}

/* runc puts the bundle after every annotation: past the labels kept, it is still found. */
static void
bundle_after_many_labels(void)
{
	struct cfir_text t = { 0 };
	struct cfir_oci_state s;
	struct cfir_err err = { 0 };
	size_t i;

	cfir_text_printf(&t, "{\"id\":\"x\",\"config\":{\"labels\":[\"bundle=/decoy\"");
	for (i = 0; i < 2 * CFIR_OCI_ANNOT_MAX; i++)
		cfir_text_printf(&t, ",\"k%zu=v\"", i);
	cfir_text_printf(&t, ",\"bundle=/run/b\"]}}");
	CHECK(cfir_oci_state_parse(&s, t.p, t.len, &err) == 0);
	CHECK(s.labels.n == CFIR_OCI_ANNOT_MAX && s.labels.dropped == CFIR_OCI_ANNOT_MAX + 2);
	CHECK_STR(s.bundle, "/run/b");
	cfir_oci_state_free(&s);
	free(t.p);
}

static void
loaders(void)
{
	const char *dir = unit_tmpdir();
	struct cfir_oci_config c;
	struct cfir_oci_state s;
	struct cfir_err err = { 0 };
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/state.json", dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f != NULL) {
		fprintf(f, "{\"id\":\"x\",\"pad\":\"");
		for (size_t i = 0; i < CFIR_OCI_STATE_MAX; i++)
			fputc('a', f);
		fprintf(f, "\"}");
		fclose(f);
	}
	CHECK(cfir_oci_state_load(&s, AT_FDCWD, path, &err) < 0 && err.exit == EX_DATAERR);
	CHECK(cfir_oci_config_load(&c, AT_FDCWD, "/nonexistent/config.json", &err) < 0 &&
	      err.exit != 0);
}

/* JSON text can hold a NUL that a C string cannot: the string is cut there, and counted. */
static void
nul_escape(void)
{
	static const char doc[] = "{\"hostname\":\"a\\u0000b\",\"ociVersion\":\"\\\\u0000\"}";
	struct cfir_oci_config c;
	struct cfir_err err = { 0 };

	CHECK(cfir_oci_config_parse(&c, doc, sizeof(doc) - 1, &err) == 0);
	CHECK_STR(c.hostname, "a");
	CHECK_STR(c.oci_version, "\\u0000");
	CHECK(c.n_cut == 1);
	cfir_oci_config_free(&c);
}

/* A list keeps its text, and beside it the exact bytes where text cannot hold them. */
static void
list_bytes(void)
{
	static const char doc[] = "{\"process\":{\"args\":[\"sh\",\"a\xff\",\"b\"]}}";
	struct cfir_oci_config c;
	struct cfir_err err = { 0 };
	cleanup_cjson cJSON *j = NULL;
	const cJSON *hex;

	CHECK(cfir_oci_config_parse(&c, doc, sizeof(doc) - 1, &err) == 0);
	CHECK(c.args.n == 3 && strcmp(c.args.v[1], "a\xff") == 0);
	j = cfir_oci_config_json(&c);
	hex = cfir_json_get(j, "process.args_hex");
	CHECK(cJSON_GetArraySize(hex) == 3 && cJSON_IsNull(cJSON_GetArrayItem(hex, 0)) &&
	      cJSON_IsNull(cJSON_GetArrayItem(hex, 2)));
	CHECK(cJSON_IsString(cJSON_GetArrayItem(hex, 1)) &&
	      strcmp(cJSON_GetArrayItem(hex, 1)->valuestring, "61ff") == 0);
	cfir_oci_config_free(&c);
}

/* A state.json of tens of KiB read slimmed: the same answer, a fraction of the bytes parsed. */
static void
state_slim(void)
{
	static const char *const names[] = { "docker-big.json", "dup-config.json", "escaped-key.json" };
	size_t i;

	for (i = 0; i < 3; i++) {
		char path[256];
		cleanup_free char *buf = NULL, *small = NULL;
		size_t len = 0, smallen = 0;
		struct cfir_oci_state a, b;
		struct cfir_err err = { 0 };
		cleanup_cjson cJSON *ja = NULL, *jb = NULL;
		cleanup_free char *ta = NULL, *tb = NULL;

		snprintf(path, sizeof(path), "%s/../fuzz/corpus/oci_state/%s", unit_fixture(""), names[i]);
		CHECK(cfir_util_read_file(AT_FDCWD, path, 1u << 20, &buf, &len, NULL, &err) == 0);
		if (buf == NULL)
			continue;
		/* a key spelled with an escape cannot be told by spans: parsed whole */
		CHECK((cfir_oci_state_slim(buf, len, &small, &smallen) == 0) == (i != 2));
		CHECK(i == 2 || smallen < len / 4);
		CHECK(cfir_oci_state_parse_with(&a, buf, len, true, &err) == 0);
		CHECK(cfir_oci_state_parse_with(&b, buf, len, false, &err) == 0);
		ja = cfir_oci_state_json(&a);
		jb = cfir_oci_state_json(&b);
		ta = cfir_json_print(ja, NULL);
		tb = cfir_json_print(jb, NULL);
		CHECK_STR(ta, tb);
		CHECK(a.has_pid && a.has_start && a.bundle != NULL && a.labels.n > 0);
		cfir_oci_state_free(&a);
		cfir_oci_state_free(&b);
	}
}

UNIT_SUITE(oci_tests) = {
	{ "oci: a large runc state.json slimmed, the same answer", state_slim },
	{ "oci: recorded runc bundle's config.json", runc_config },
	{ "oci: recorded containerd CRI bundle, its pod", containerd_config },
	{ "oci: recorded runc state.json, direct and under containerd", runc_state },
	{ "oci: recorded crun status", crun_status },
	{ "oci: CRI-O identity from hostile annotations, kept exact", crio_hostile },
	{ "oci: wrong types absent and counted", wrong_types },
	{ "oci: truncated documents refused", truncated },
	{ "oci: 100,000 annotations and a 1 MiB value bounded", bounds },
	{ "oci: duplicate keys and a containerd sandbox", duplicates_and_sandbox },
	{ "oci: loaders bound what they read", loaders },
	{ "oci: runc's bundle label past the labels kept", bundle_after_many_labels },
	{ "oci: a list's bytes kept beside its text", list_bytes },
	{ "oci: a \\u0000 cuts a string, and is counted", nul_escape },
	UNIT_END,
};
