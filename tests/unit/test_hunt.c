/* test_hunt.c - the configuration checks on recorded inspect replies; the host's processes read once */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/hunt-private.h"
#include "common/netsock.h"
#include "common/proc.h"
#include "common/util.h"
#include "tests/unit/unit.h"

static cJSON *
hunt_fixture(const char *name, const struct cfir_hunt_sel *sel)
{
	cleanup_free char *text = NULL;
	cleanup_cjson cJSON *in = NULL;
	size_t len = 0;
	cJSON *fs = cJSON_CreateArray();

	CHECK(cfir_util_read_file(AT_FDCWD, unit_fixture(name), 1 << 20, &text, &len, NULL, NULL) == 0);
	in = text ? cJSON_ParseWithLength(text, len) : NULL;
	CHECK(in != NULL);
	cfir_hunt_config(in, sel, fs);
	return fs;
}

/* The severity of CHECK's finding, NULL when it did not trip. */
static const char *
found(const cJSON *fs, const char *check)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, fs)
		if (strcmp(cJSON_GetObjectItem(f, "check")->valuestring, check) == 0)
			return cJSON_GetObjectItem(f, "severity")->valuestring;
	return NULL;
}

static void
privileged(void)
{
	cleanup_cjson cJSON *fs = hunt_fixture("inspect-privileged.json", NULL);
	cleanup_free char *all = cJSON_PrintUnformatted(fs);
	const cJSON *f;

	CHECK_STR(found(fs, "privileged"), "critical");
	CHECK_STR(found(fs, "engine-socket"), "critical");
	CHECK_STR(found(fs, "host-pid"), "high");
	CHECK_STR(found(fs, "host-network"), "high");
	CHECK_STR(found(fs, "sensitive-mount-rw"), "high");
	CHECK_STR(found(fs, "seccomp-unconfined"), "high");
	CHECK_STR(found(fs, "secret-env"), "medium");
	/* every capability is the privileged finding's: none listed again */
	CHECK(found(fs, "caps-default") == NULL && found(fs, "cap-sys-admin") == NULL);
	/* names, never values */
	CHECK(all != NULL && strstr(all, "DB_PASSWORD") != NULL && strstr(all, "AWS_REGION") != NULL);
	CHECK(all != NULL && strstr(all, "hunter2") == NULL && strstr(all, "\"PATH\"") == NULL);
	cJSON_ArrayForEach(f, fs) {
		CHECK(cJSON_GetObjectItem(f, "remedy") != NULL && cJSON_GetObjectItem(f, "title") != NULL);
		CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(f, "evidence"), "field") != NULL);
	}
}

static void
capabilities_and_options(void)
{
	cleanup_cjson cJSON *fs = hunt_fixture("inspect-caps.json", NULL);

	CHECK_STR(found(fs, "cap-sys-admin"), "critical");
	CHECK_STR(found(fs, "cap-net-bind-service"), "low");
	CHECK_STR(found(fs, "cap-other"), "medium");
	CHECK_STR(found(fs, "caps-default"), "low");
	CHECK_STR(found(fs, "seccomp-unconfined"), "high");
	CHECK_STR(found(fs, "apparmor-unconfined"), "medium");
	CHECK_STR(found(fs, "host-device"), "high");
	CHECK_STR(found(fs, "host-ipc"), "medium");
	CHECK_STR(found(fs, "host-uts"), "low");
	CHECK_STR(found(fs, "userns-host"), "medium");
	CHECK_STR(found(fs, "sensitive-mount"), "medium");
	CHECK(found(fs, "privileged") == NULL && found(fs, "engine-socket") == NULL);
}

/* As the hardening guide says: nothing above low, and none of these at all. */
static void
hardened(void)
{
	static const char *const gone[] = {
		"root-user", "rootfs-writable", "no-memory-limit", "no-pids-limit", "no-cpu-limit", "caps-default",
		"no-new-privileges", "image-not-pinned", "no-healthcheck", "no-log-rotation", "no-restart-policy",
	};
	cleanup_cjson cJSON *fs = hunt_fixture("inspect-hardened.json", NULL);
	const cJSON *f;
	size_t i;

	cJSON_ArrayForEach(f, fs) {
		int s = cfir_severity_parse(cJSON_GetObjectItem(f, "severity")->valuestring);

		CHECK(s >= 0 && s <= CFIR_SEV_LOW);
	}
	for (i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
		CHECK(found(fs, gone[i]) == NULL);
		if (found(fs, gone[i]) != NULL)
			fprintf(stderr, "    tripped: %s\n", gone[i]);
	}
}

static void
selection(void)
{
	struct cfir_hunt_sel sel = { { false } };
	cJSON *fs;
	size_t i;

	sel.off[cfir_check_find("privileged") - cfir_checks] = true;
	fs = hunt_fixture("inspect-privileged.json", &sel);
	CHECK(found(fs, "privileged") == NULL && found(fs, "engine-socket") != NULL);
	cJSON_Delete(fs);
	for (i = 0; i < cfir_nchecks; i++)
		sel.off[i] = strcmp(cfir_checks[i].id, "host-pid") != 0;
	fs = hunt_fixture("inspect-privileged.json", &sel);
	CHECK(cJSON_GetArraySize(fs) == 1 && found(fs, "host-pid") != NULL);
	cJSON_Delete(fs);
	CHECK(cfir_nchecks <= sizeof(sel.off) / sizeof(sel.off[0]));
	CHECK(cfir_severity_parse("high") == CFIR_SEV_HIGH && cfir_severity_parse("severe") == -1);
}

/* Every type where another is expected: no finding is invented, nothing crashes. */
static void
malformed(void)
{
	static const char *const docs[] = {
		"{}", "[]", "null", "{\"HostConfig\":[],\"Config\":7,\"Mounts\":{}}",
		"{\"HostConfig\":{\"CapAdd\":[1,null,{}],\"SecurityOpt\":\"seccomp=unconfined\",\"PidsLimit\":\"x\"}}",
		"{\"Mounts\":[{\"Type\":\"bind\",\"Source\":null,\"Destination\":7}],\"Config\":{\"Env\":[\"=\",\"\",5]}}",
	};
	size_t i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		cJSON *in = cJSON_Parse(docs[i]), *fs = cJSON_CreateArray();

		cfir_hunt_config(in, NULL, fs);
		CHECK(found(fs, "privileged") == NULL && found(fs, "seccomp-unconfined") == NULL);
		cJSON_Delete(fs);
		cJSON_Delete(in);
	}
}

static bool
has_pid(const pid_t *pids, size_t n, pid_t pid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* Ours and a child's namespaces, found in one reading of /proc; a namespace no process is in has none. */
static void
host_namespaces(void)
{
	unsigned long pidns = cfir_proc_inode_at(AT_FDCWD, "/proc/self/ns/pid", "pid");
	unsigned long netns = cfir_proc_inode_at(AT_FDCWD, "/proc/self/ns/net", "net");
	struct cfir_hunt_host *h = NULL;
	struct cfir_err err = { 0 };
	const pid_t *pids = NULL;
	pid_t child = fork();
	size_t n, i;

	if (child == 0) {
		pause();
		_exit(0);
	}
	CHECK(child > 0 && pidns != 0 && netns != 0);
	CHECK(cfir_hunt_host_read("/proc", &h, &err) == 0 && h != NULL);
	if (h != NULL) {
		n = cfir_hunt_host_pidns(h, pidns, &pids);
		CHECK(has_pid(pids, n, getpid()) && has_pid(pids, n, child));
		for (i = 1; i < n; i++)
			CHECK(pids[i - 1] < pids[i]);
		n = cfir_hunt_host_netns(h, netns, &pids);
		CHECK(has_pid(pids, n, getpid()) && has_pid(pids, n, child));
		CHECK(cfir_hunt_host_pidns(h, 1, &pids) == 0 && cfir_hunt_host_netns(h, 1, &pids) == 0);
		/* a PID namespace is the net one's no more than the other way round */
		CHECK(!has_pid(pids, cfir_hunt_host_pidns(h, netns, &pids), getpid()));
	}
	cfir_hunt_host_free(h);
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
}

/* A proc of entries with no namespaces to read: each is in none, nothing fails. */
static void
host_unreadable(void)
{
	const char *dir = unit_tmpdir();
	struct cfir_hunt_host *h = NULL;
	struct cfir_err err = { 0 };
	const pid_t *pids = NULL;
	char path[512];

	snprintf(path, sizeof(path), "%s/12", dir);
	CHECK(mkdir(path, 0700) == 0);
	snprintf(path, sizeof(path), "%s/self", dir);
	CHECK(mkdir(path, 0700) == 0);
	CHECK(cfir_hunt_host_read(dir, &h, &err) == 0 && h != NULL);
	if (h != NULL)
		CHECK(cfir_hunt_host_pidns(h, 0, &pids) == 0 && cfir_hunt_host_netns(h, 0, &pids) == 0);
	cfir_hunt_host_free(h);
	snprintf(path, sizeof(path), "%s/none", dir);
	CHECK(cfir_hunt_host_read(path, &h, &err) < 0 && h == NULL && err.exit == EX_IOERR);
}

/* The host's mount table read once: the last mount on a point wins, names decoded, a bad line matches nothing. */
static void
host_mounts(void)
{
	static const char table[] =
		"22 27 0:21 / /proc rw,relatime - proc proc rw\n"
		"90 27 0:50 / /var/lib/docker/overlay2/a/merged rw - overlay overlay rw,upperdir=/u1\n"
		"91 27 0:51 / /srv/with\\040space rw - tmpfs tmpfs rw\n"
		"not a mount line\n"
		"92 90 0:52 / /var/lib/docker/overlay2/a/merged rw - tmpfs tmpfs rw\n";
	const char *dir = unit_tmpdir(), *line;
	struct cfir_hunt_host *h = NULL;
	struct cfir_err err = { 0 };
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/self", dir);
	CHECK(mkdir(path, 0700) == 0);
	snprintf(path, sizeof(path), "%s/self/mountinfo", dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs(table, f);
	fclose(f);
	CHECK(cfir_hunt_host_read(dir, &h, &err) == 0 && h != NULL);
	line = cfir_hunt_host_mount(h, "/var/lib/docker/overlay2/a/merged");
	CHECK(line != NULL && strncmp(line, "92 90 ", 6) == 0 && strchr(line, '\n') == NULL);
	line = cfir_hunt_host_mount(h, "/srv/with space");
	CHECK(line != NULL && strncmp(line, "91 27 ", 6) == 0);
	CHECK(cfir_hunt_host_mount(h, "/srv/with\\040space") == NULL);
	CHECK(cfir_hunt_host_mount(h, "/var/lib") == NULL && cfir_hunt_host_mount(h, NULL) == NULL);
	CHECK(cfir_hunt_host_mount(NULL, "/proc") == NULL);
	cfir_hunt_host_free(h);
}

/* A table is skipped only when the namespace's counters say it is empty, in words they are known to use. */
static void
sockstat_empty(void)
{
	static const char v4[] =
		"sockets: used 3\n"
		"TCP: inuse 0 orphan 0 tw 2 alloc 7005 mem 0\n"
		"UDP: inuse 0 mem 0\n"
		"UDPLITE: inuse 0\n"
		"RAW: inuse 1\n"
		"FRAG: inuse 0 memory 0\n";
	static const char v6[] = "TCP6: inuse 0\nUDP6: inuse 3\nUDPLITE6: inuse 0\nRAW6: inuse 0\n";
	static const char odd[] = "TCP: inuse 0 orphan\nUDP: inuse x\nRAW: inuse 00\nUDPLITE:  inuse 0\nTCP6:";

	CHECK(!cfir_netsock_sockstat_empty(v4, strlen(v4), "tcp"));	/* TIME_WAIT: it lists them */
	CHECK(cfir_netsock_sockstat_empty(v4, strlen(v4), "udp"));
	CHECK(cfir_netsock_sockstat_empty(v4, strlen(v4), "udplite"));
	CHECK(!cfir_netsock_sockstat_empty(v4, strlen(v4), "raw"));
	CHECK(!cfir_netsock_sockstat_empty(v4, strlen(v4), "tcp6"));	/* not said here */
	CHECK(cfir_netsock_sockstat_empty(v6, strlen(v6), "tcp6"));
	CHECK(!cfir_netsock_sockstat_empty(v6, strlen(v6), "udp6"));
	CHECK(cfir_netsock_sockstat_empty(v6, strlen(v6), "raw6"));
	CHECK(!cfir_netsock_sockstat_empty(v6, strlen(v6) - 12, "raw6"));	/* cut before its line */
	CHECK(!cfir_netsock_sockstat_empty(odd, strlen(odd), "tcp") && !cfir_netsock_sockstat_empty(odd, strlen(odd), "udp"));
	CHECK(!cfir_netsock_sockstat_empty(odd, strlen(odd), "raw") && !cfir_netsock_sockstat_empty(odd, strlen(odd), "udplite"));
	CHECK(!cfir_netsock_sockstat_empty(odd, strlen(odd), "tcp6"));
	CHECK(!cfir_netsock_sockstat_empty("", 0, "tcp") && !cfir_netsock_sockstat_empty(v4, strlen(v4), "a-very-long-name"));
}

UNIT_SUITE(hunt_tests) = {
	{ "hunt: a privileged container with the host's namespaces, / and a socket", privileged },
	{ "hunt: capabilities rated, security options, devices, namespaces", capabilities_and_options },
	{ "hunt: a hardened container has nothing above low", hardened },
	{ "hunt: --only and --skip select checks", selection },
	{ "hunt: malformed inspect replies find nothing and do not crash", malformed },
	{ "hunt: the host's processes read once, by PID and network namespace", host_namespaces },
	{ "hunt: a proc without namespaces to read: no process is in any", host_unreadable },
	{ "hunt: the host's mount table read once, the last mount on a point wins", host_mounts },
	{ "hunt: a socket table the namespace's counters show empty", sockstat_empty },
	UNIT_END,
};
