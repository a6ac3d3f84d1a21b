/* test_hunt_oci.c - the configuration checks from config.json agree with the engine's inspect */
#include <fcntl.h>
#include <stdlib.h>

#include "common/cleanup.h"
#include "common/hunt.h"
#include "common/oci.h"
#include "common/util.h"
#include "tests/unit/unit.h"

/* Recorded from one container each: its docker inspect and its bundle's config.json. */
static const char *const cases[] = {
	"default", "cap-add", "cap-drop-all", "cap-drop-raw", "pid-host", "net-host", "ipc-uts-host", "limits",
	"cpus-nobody", "seccomp-nnp", "docker-sock", "host-mounts", "device", "secret-env", "user", "privileged",
};

/* What a config.json cannot say of a Docker container: not found from it, so not compared. */
static const char *const unsayable[] = {
	"image-not-pinned", "no-healthcheck", "no-log-rotation", "no-restart-policy", "userns-host", NULL,
};

static char *
read_fixture(const char *name, size_t *len)
{
	char *text = NULL;

	*len = 0;
	CHECK(cfir_util_read_file(AT_FDCWD, unit_fixture(name), 1 << 20, &text, len, NULL, NULL) == 0);
	return text;
}

static cJSON *
hunt_engine(const char *name)
{
	cleanup_free char *text = NULL;
	cleanup_cjson cJSON *in = NULL;
	char path[128];
	size_t len;
	cJSON *fs = cJSON_CreateArray();

	snprintf(path, sizeof(path), "oci/hunt/%s.inspect.json", name);
	text = read_fixture(path, &len);
	in = text ? cJSON_ParseWithLength(text, len) : NULL;
	CHECK(in != NULL);
	cfir_hunt_config(in, NULL, fs);
	return fs;
}

static cJSON *
hunt_text(const char *text, size_t len)
{
	struct cfir_oci_config c;
	struct cfir_err err = { 0 };
	cJSON *fs = cJSON_CreateArray();

	if (cfir_oci_config_parse(&c, text, len, &err) < 0) {
		fprintf(stderr, "    %s\n", err.msg);
		unit_failed_checks++;
		return fs;
	}
	cfir_hunt_oci(&c, NULL, fs);
	cfir_oci_config_free(&c);
	return fs;
}

static cJSON *
hunt_oci(const char *name)
{
	cleanup_free char *text = NULL;
	char path[128];
	size_t len;

	snprintf(path, sizeof(path), "oci/hunt/%s.config.json", name);
	text = read_fixture(path, &len);
	return text ? hunt_text(text, len) : cJSON_CreateArray();
}

static bool
is_unsayable(const char *id)
{
	const char *const *u;

	for (u = unsayable; *u; u++)
		if (strcmp(*u, id) == 0)
			return true;
	return false;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The check IDs of FS, sorted, each once, comma-separated, the unsayable ones left out. */
static void
id_set(const cJSON *fs, char *out, size_t n)
{
	const char *ids[128];
	const cJSON *f;
	size_t k = 0, i, at = 0;

	cJSON_ArrayForEach(f, fs) {
		const char *id = cJSON_GetObjectItem(f, "check")->valuestring;

		if (k < sizeof(ids) / sizeof(ids[0]) && !is_unsayable(id))
			ids[k++] = id;
	}
	qsort(ids, k, sizeof(ids[0]), cmp_str);
	out[0] = '\0';
	for (i = 0; i < k; i++)
		if (i == 0 || strcmp(ids[i], ids[i - 1]) != 0)
			at += (size_t)snprintf(out + at, at < n ? n - at : 0, "%s%s", at ? "," : "", ids[i]);
}

/* The finding of CHECK, NULL when it did not trip. */
static const cJSON *
finding(const cJSON *fs, const char *check)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, fs)
		if (strcmp(cJSON_GetObjectItem(f, "check")->valuestring, check) == 0)
			return f;
	return NULL;
}

static const char *
field_of(const cJSON *fs, const char *check)
{
	const cJSON *f = finding(fs, check);

	return f ? cJSON_GetObjectItem(cJSON_GetObjectItem(f, "evidence"), "field")->valuestring : NULL;
}

static void
same_ids(void)
{
	char a[2048], b[2048];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cleanup_cjson cJSON *eng = hunt_engine(cases[i]);
		cleanup_cjson cJSON *oci = hunt_oci(cases[i]);
		const cJSON *f;

		id_set(eng, a, sizeof(a));
		id_set(oci, b, sizeof(b));
		if (strcmp(a, b) != 0)
			fprintf(stderr, "    %s:\n", cases[i]);
		CHECK_STR(b, a);
		CHECK(a[0] != '\0');
		/* and the shape is the engine's */
		cJSON_ArrayForEach(f, oci) {
			CHECK(cJSON_GetObjectItem(f, "severity") != NULL && cJSON_GetObjectItem(f, "remedy") != NULL);
			CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(f, "evidence"), "field") != NULL);
			CHECK(!is_unsayable(cJSON_GetObjectItem(f, "check")->valuestring));
		}
	}
}

static void
default_container(void)
{
	cleanup_cjson cJSON *fs = hunt_oci("default");
	char ids[1024];

	id_set(fs, ids, sizeof(ids));
	CHECK_STR(ids, "caps-default,no-cpu-limit,no-memory-limit,no-new-privileges,no-pids-limit,root-user,"
		  "rootfs-writable");
	CHECK_STR(field_of(fs, "caps-default"), "process.capabilities.bounding");
	CHECK_STR(field_of(fs, "no-new-privileges"), "process.noNewPrivileges");
	CHECK_STR(field_of(fs, "root-user"), "process.user.uid");
	CHECK_STR(field_of(fs, "rootfs-writable"), "root.readonly");
	CHECK_STR(field_of(fs, "no-memory-limit"), "linux.resources.memory.limit");
	CHECK_STR(field_of(fs, "no-pids-limit"), "linux.resources.pids.limit");
	CHECK_STR(field_of(fs, "no-cpu-limit"), "linux.resources.cpu.quota");
}

static void
evidence_fields(void)
{
	cleanup_cjson cJSON *caps = hunt_oci("cap-add"), *pid = hunt_oci("pid-host"), *net = hunt_oci("net-host");
	cleanup_cjson cJSON *sock = hunt_oci("docker-sock"), *sec = hunt_oci("secret-env"), *nnp = hunt_oci("seccomp-nnp");
	cleanup_cjson cJSON *dev = hunt_oci("device"), *host = hunt_oci("host-mounts"), *drop = hunt_oci("cap-drop-all");
	cleanup_free char *sectext = cJSON_PrintUnformatted(sec);
	const cJSON *f = finding(sock, "engine-socket");

	CHECK_STR(field_of(caps, "cap-net-admin"), "process.capabilities.bounding");
	CHECK_STR(field_of(caps, "cap-sys-ptrace"), "process.capabilities.bounding");
	CHECK_STR(field_of(pid, "host-pid"), "linux.namespaces");
	/* the engine turns labelling off in the host's PID namespace: said from the missing label */
	CHECK_STR(field_of(pid, "selinux-disabled"), "linux.mountLabel");
	CHECK(finding(net, "selinux-disabled") == NULL);
	/* Docker joins libnetwork's host sandbox rather than leaving the namespace out */
	CHECK_STR(field_of(net, "host-network"), "linux.namespaces[1].path");
	CHECK_STR(field_of(sock, "engine-socket"), "mounts[10].source");
	CHECK(f != NULL && cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(f, "evidence"), "value"), "rw")));
	CHECK_STR(field_of(sec, "secret-env"), "process.env");
	CHECK(sectext != NULL && strstr(sectext, "AWS_SECRET_ACCESS_KEY") != NULL && strstr(sectext, "=x") == NULL);
	CHECK_STR(field_of(nnp, "seccomp-unconfined"), "linux.seccomp");
	CHECK_STR(field_of(dev, "host-device"), "linux.devices");
	CHECK_STR(field_of(host, "engine-socket"), "mounts[9].source");
	CHECK_STR(field_of(host, "sensitive-mount"), "mounts[8].source");
	CHECK_STR(field_of(host, "sensitive-mount-rw"), "mounts[7].source");
	CHECK_STR(field_of(drop, "cap-net-bind-service"), "process.capabilities.bounding");
	CHECK(finding(drop, "caps-default") == NULL);
	CHECK(finding(nnp, "no-new-privileges") == NULL);
	/* Docker's own hosts, hostname and resolv.conf under /var/lib/docker are not the user's mounts */
	CHECK(finding(sock, "sensitive-mount-rw") == NULL && finding(sock, "sensitive-mount") == NULL);
}

static void
privileged(void)
{
	cleanup_cjson cJSON *fs = hunt_oci("privileged");

	CHECK_STR(field_of(fs, "privileged"), "process.capabilities.bounding");
	CHECK(finding(fs, "seccomp-unconfined") != NULL);
	/* every capability and every device are the privileged finding's */
	CHECK(finding(fs, "cap-all") == NULL && finding(fs, "cap-sys-admin") == NULL);
	CHECK(finding(fs, "caps-default") == NULL && finding(fs, "host-device") == NULL);
}

static void
kubernetes_pod(void)
{
	cleanup_cjson cJSON *fs = hunt_oci("k8s-pod");
	cleanup_free char *text = cJSON_PrintUnformatted(fs);
	const cJSON *f;
	int sensitive = 0;

	CHECK_STR(field_of(fs, "k8s-sa-token"), "mounts[12].destination");
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(finding(fs, "k8s-sa-token"), "evidence"), "value")->valuestring,
		  "/var/run/secrets/kubernetes.io/serviceaccount");
	CHECK_STR(cJSON_GetObjectItem(finding(fs, "k8s-sa-token"), "severity")->valuestring, "info");
	/* a directory holding an engine socket is the socket */
	CHECK_STR(field_of(fs, "engine-socket"), "mounts[13].source");
	CHECK_STR(field_of(fs, "sensitive-mount"), "mounts[14].source");
	/* another pod's volumes are sensitive, the pod's own are its volumes */
	CHECK_STR(field_of(fs, "sensitive-mount-rw"), "mounts[15].source");
	cJSON_ArrayForEach(f, fs)
		sensitive += strncmp(cJSON_GetObjectItem(f, "check")->valuestring, "sensitive-mount", 15) == 0;
	CHECK(sensitive == 2);
	CHECK_STR(field_of(fs, "image-not-pinned"), "annotations[io.kubernetes.cri.image-name]");
	CHECK(finding(fs, "seccomp-unconfined") != NULL && finding(fs, "no-new-privileges") == NULL);
	CHECK(text != NULL && strstr(text, "DB_PASSWORD") != NULL && strstr(text, "hunter2") == NULL);
	CHECK(finding(fs, "host-device") == NULL && finding(fs, "cap-other") == NULL);
}

static cJSON *
hunt_str(const char *text)
{
	return hunt_text(text, strlen(text));
}

/* --cap-drop ALL --cap-add NET_BIND_SERVICE, and --cap-drop NET_RAW, as the engine sees them. */
static void
capability_sets(void)
{
	cleanup_cjson cJSON *few = hunt_str("{\"process\":{\"capabilities\":{\"bounding\":[\"CAP_NET_BIND_SERVICE\"]}}}");
	cleanup_cjson cJSON *most = hunt_str("{\"process\":{\"capabilities\":{\"bounding\":[\"CAP_CHOWN\","
		"\"CAP_DAC_OVERRIDE\",\"CAP_FSETID\",\"CAP_FOWNER\",\"CAP_MKNOD\",\"CAP_SETGID\",\"CAP_SETUID\","
		"\"CAP_SETFCAP\",\"CAP_SETPCAP\",\"CAP_NET_BIND_SERVICE\",\"CAP_SYS_CHROOT\",\"CAP_KILL\","
		"\"CAP_AUDIT_WRITE\",\"CAP_SYS_ADMIN\",\"CAP_BPF\"]}}}");

	/* after a drop of all, what is there was added back */
	CHECK(finding(few, "caps-default") == NULL && finding(few, "cap-net-bind-service") != NULL);
	CHECK(finding(most, "caps-default") != NULL && finding(most, "cap-net-raw") == NULL);
	CHECK(finding(most, "cap-sys-admin") != NULL && finding(most, "cap-other") != NULL);
	CHECK(finding(most, "cap-all") == NULL);
}

/* The runtime's own files are left out only where they are, climbing nowhere. */
static void
runtime_files(void)
{
	cleanup_cjson cJSON *fs = hunt_str("{\"annotations\":{\"io.kubernetes.cri.sandbox-namespace\":\"n\","
		"\"io.kubernetes.cri.sandbox-name\":\"p\",\"io.kubernetes.cri.sandbox-uid\":\"..\"},\"mounts\":["
		"{\"destination\":\"/etc/hosts\",\"type\":\"bind\",\"source\":\"/var/lib/docker/containers/x/../../../../etc\"},"
		"{\"destination\":\"/d\",\"type\":\"bind\",\"source\":\"/var/lib/kubelet/pods/../pki\",\"options\":[\"rro\"]},"
		"{\"destination\":\"/etc/hostname\",\"type\":\"bind\",\"source\":\"/var/lib/docker/containers/x/hostname\"}]}");

	CHECK_STR(field_of(fs, "sensitive-mount-rw"), "mounts[0].source");
	CHECK_STR(field_of(fs, "sensitive-mount"), "mounts[1].source");
	CHECK(cJSON_GetArraySize(fs) == 3);	/* and rootfs-writable */
}

/* Both sources: the token by where it lands, a socket's directory as the socket. */
static void
engine_side(void)
{
	cleanup_cjson cJSON *in = cJSON_Parse("{\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"/v\","
		"\"Destination\":\"/run/secrets/kubernetes.io/serviceaccount/\"},{\"Type\":\"bind\","
		"\"Source\":\"/var/run/crio/\",\"Destination\":\"/c\",\"RW\":true},{\"Type\":\"bind\","
		"\"Source\":\"/etc/kubernetes/admin.conf\",\"Destination\":\"/a\",\"RW\":false}]}");
	cleanup_cjson cJSON *fs = cJSON_CreateArray();

	cfir_hunt_config(in, NULL, fs);
	CHECK_STR(field_of(fs, "k8s-sa-token"), "Mounts[0].Destination");
	CHECK_STR(field_of(fs, "engine-socket"), "Mounts[1]");
	CHECK_STR(field_of(fs, "sensitive-mount"), "Mounts[2]");
	CHECK(cfir_check_find("k8s-sa-token") != NULL && cfir_check_find("k8s-sa-token")->severity == CFIR_SEV_INFO);
}

/* What is absent is not found missing where the spec has no place for it; nothing crashes. */
static void
sparse(void)
{
	cleanup_cjson cJSON *empty = hunt_str("{}");
	cleanup_free char *text = NULL;
	cleanup_cjson cJSON *wrong = NULL;
	char ids[512];
	size_t len;

	text = read_fixture("oci/wrong-types-config.json", &len);
	wrong = text ? hunt_text(text, len) : NULL;

	id_set(empty, ids, sizeof(ids));
	CHECK_STR(ids, "rootfs-writable");
	CHECK(cJSON_IsArray(wrong));
}

UNIT_SUITE(hunt_oci_tests) = {
	{ "hunt-oci: a recorded container gives the engine's check IDs from its config.json", same_ids },
	{ "hunt-oci: a default container, field by field", default_container },
	{ "hunt-oci: the evidence names the config's field", evidence_fields },
	{ "hunt-oci: all capabilities, no seccomp and every device are privileged", privileged },
	{ "hunt-oci: a pod's token, its own volumes, a host path and its image", kubernetes_pod },
	{ "hunt-oci: the default set kept or dropped, as the engine says it", capability_sets },
	{ "hunt-oci: the runtime's own files, and no further", runtime_files },
	{ "hunt-oci: the engine's inspect has the token and the socket directories too", engine_side },
	{ "hunt-oci: a sparse or mistyped config", sparse },
	UNIT_END
};
