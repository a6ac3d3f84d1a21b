/* hunt.c - what makes a container dangerous, and what says it is compromised
 *
 * The configuration checks read the engine's inspect reply and nothing
 * else: they are pure, fuzzed, and work on stopped containers. The live
 * checks read the host's /proc and the overlay upper directory of a
 * running container; nothing runs inside it.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/hunt.h"
#include "common/netsock.h"
#include "common/out.h"
#include "common/overlay.h"
#include "common/proc.h"
#include "common/target.h"
#include "common/util.h"

const struct cfir_check cfir_checks[] = {
	/* configuration */
	{ "privileged", CFIR_SEV_CRITICAL, false, "privileged mode: every capability, every device, no confinement",
	  "drop --privileged; add only the capabilities it needs with --cap-add" },
	{ "engine-socket", CFIR_SEV_CRITICAL, false, "a container engine's socket is mounted: root on the host",
	  "remove the -v/--mount of the engine socket" },
	{ "cap-all", CFIR_SEV_CRITICAL, false, "every capability added", "replace --cap-add ALL with the capabilities it needs" },
	{ "cap-sys-admin", CFIR_SEV_CRITICAL, false, "CAP_SYS_ADMIN added: mounts, namespaces, most of root",
	  "drop --cap-add SYS_ADMIN" },
	{ "cap-sys-module", CFIR_SEV_CRITICAL, false, "CAP_SYS_MODULE added: kernel modules", "drop --cap-add SYS_MODULE" },
	{ "host-pid", CFIR_SEV_HIGH, false, "the host's PID namespace: every process on the host is visible",
	  "drop --pid host" },
	{ "host-network", CFIR_SEV_HIGH, false, "the host's network namespace", "drop --network host" },
	{ "host-ipc", CFIR_SEV_MEDIUM, false, "the host's IPC namespace", "drop --ipc host" },
	{ "host-uts", CFIR_SEV_LOW, false, "the host's UTS namespace", "drop --uts host" },
	{ "userns-host", CFIR_SEV_MEDIUM, false, "the daemon's user namespace remapping is turned off",
	  "drop --userns host" },
	{ "cap-dac-override", CFIR_SEV_HIGH, false, "CAP_DAC_OVERRIDE added", "drop --cap-add DAC_OVERRIDE" },
	{ "cap-dac-read-search", CFIR_SEV_HIGH, false, "CAP_DAC_READ_SEARCH added: open_by_handle_at escapes",
	  "drop --cap-add DAC_READ_SEARCH" },
	{ "cap-net-admin", CFIR_SEV_HIGH, false, "CAP_NET_ADMIN added", "drop --cap-add NET_ADMIN" },
	{ "cap-net-raw", CFIR_SEV_HIGH, false, "CAP_NET_RAW added", "drop --cap-add NET_RAW" },
	{ "cap-sys-ptrace", CFIR_SEV_HIGH, false, "CAP_SYS_PTRACE added", "drop --cap-add SYS_PTRACE" },
	{ "cap-chown", CFIR_SEV_MEDIUM, false, "CAP_CHOWN added", "drop --cap-add CHOWN" },
	{ "cap-setuid", CFIR_SEV_MEDIUM, false, "CAP_SETUID added", "drop --cap-add SETUID" },
	{ "cap-setgid", CFIR_SEV_MEDIUM, false, "CAP_SETGID added", "drop --cap-add SETGID" },
	{ "cap-other", CFIR_SEV_MEDIUM, false, "another capability added", "drop the --cap-add" },
	{ "cap-net-bind-service", CFIR_SEV_LOW, false, "CAP_NET_BIND_SERVICE added", "drop --cap-add NET_BIND_SERVICE" },
	{ "caps-default", CFIR_SEV_LOW, false, "the engine's default capabilities are kept",
	  "--cap-drop ALL, then --cap-add only what it needs" },
	{ "seccomp-unconfined", CFIR_SEV_HIGH, false, "no seccomp filter", "drop --security-opt seccomp=unconfined" },
	{ "apparmor-unconfined", CFIR_SEV_MEDIUM, false, "AppArmor unconfined",
	  "drop --security-opt apparmor=unconfined" },
	{ "selinux-disabled", CFIR_SEV_MEDIUM, false, "SELinux labelling disabled", "drop --security-opt label=disable" },
	{ "no-new-privileges", CFIR_SEV_LOW, false, "setuid binaries can still raise privileges",
	  "--security-opt no-new-privileges" },
	{ "root-user", CFIR_SEV_MEDIUM, false, "runs as root", "--user UID:GID (or USER in the image)" },
	{ "sensitive-mount-rw", CFIR_SEV_HIGH, false, "a sensitive host path is mounted writable",
	  "remove the mount, or make it :ro" },
	{ "sensitive-mount", CFIR_SEV_MEDIUM, false, "a sensitive host path is mounted read-only", "remove the mount" },
	{ "host-device", CFIR_SEV_HIGH, false, "a host device is passed in", "drop the --device" },
	{ "secret-env", CFIR_SEV_MEDIUM, false, "environment variables named like secrets (values not shown)",
	  "pass secrets as files (docker secrets, a tmpfs) rather than -e" },
	{ "rootfs-writable", CFIR_SEV_LOW, false, "the root filesystem is writable", "--read-only, with --tmpfs where needed" },
	{ "no-memory-limit", CFIR_SEV_LOW, false, "no memory limit", "--memory" },
	{ "no-pids-limit", CFIR_SEV_LOW, false, "no PIDs limit: a fork bomb takes the host", "--pids-limit" },
	{ "no-cpu-limit", CFIR_SEV_LOW, false, "no CPU limit", "--cpus" },
	{ "image-not-pinned", CFIR_SEV_LOW, false, "the image is referenced by tag, not by digest",
	  "run IMAGE@sha256:DIGEST" },
	{ "no-healthcheck", CFIR_SEV_INFO, false, "no health check", "--health-cmd" },
	{ "no-log-rotation", CFIR_SEV_INFO, false, "json-file logs without rotation", "--log-opt max-size=10m" },
	{ "no-restart-policy", CFIR_SEV_INFO, false, "no restart policy", "--restart on-failure:5" },
	/* live */
	{ "reverse-shell", CFIR_SEV_CRITICAL, true, "a shell or interpreter whose stdin or stdout is a socket",
	  "isolate and collect now" },
	{ "rootfs-remounted", CFIR_SEV_CRITICAL, true,
	  "the container's root is not the overlay the engine made: it remounted or pivoted its root",
	  "collect now (cfir diff reads the engine's layer); --cap-drop SYS_ADMIN" },
	{ "netns-left", CFIR_SEV_HIGH, true,
	  "the container's init left the network namespace the engine made",
	  "capture and collect now (cfir reads the engine's namespace); --cap-drop SYS_ADMIN" },
	{ "exe-deleted", CFIR_SEV_HIGH, true, "a process runs an executable that was deleted", "collect it now (cfir ps)" },
	{ "exe-tmp", CFIR_SEV_HIGH, true, "a process runs from /tmp, /var/tmp or /dev/shm",
	  "collect it; --tmpfs /tmp:noexec" },
	{ "foreign-process", CFIR_SEV_HIGH, true, "a process that does not descend from the entrypoint (exec'd or injected)",
	  "find who ran it: the engine's events, the host's audit log" },
	{ "raw-socket", CFIR_SEV_HIGH, true, "a packet or raw socket: sniffing or crafting packets",
	  "--cap-drop NET_RAW" },
	{ "setuid-added", CFIR_SEV_HIGH, true, "a setuid or setgid file in the writable layer",
	  "collect it (cfir diff); --security-opt no-new-privileges" },
	{ "exe-upper", CFIR_SEV_MEDIUM, true, "a process runs an executable from the writable layer, not the image",
	  "collect it (cfir diff); --read-only" },
	{ "anon-exec", CFIR_SEV_MEDIUM, true, "anonymous executable memory in a process that is not a JIT runtime",
	  "collect its memory (cfir memory)" },
	{ "listen-unexposed", CFIR_SEV_MEDIUM, true, "listening on a port the image does not expose",
	  "find the listener (cfir sockets)" },
	{ "egress-external", CFIR_SEV_LOW, true, "a connection out to an address outside the container's networks",
	  "capture it (cfir capture)" },
};
const size_t cfir_nchecks = sizeof(cfir_checks) / sizeof(cfir_checks[0]);

static const char *const sev_names[] = { "info", "low", "medium", "high", "critical" };

const char *
cfir_severity_name(enum cfir_severity s)
{
	return (unsigned)s < 5 ? sev_names[s] : "unknown";
}

int
cfir_severity_parse(const char *s)
{
	int i;

	for (i = 0; i < 5; i++)
		if (strcmp(s, sev_names[i]) == 0)
			return i;
	return -1;
}

static int
check_index(const char *id)
{
	size_t i;

	for (i = 0; i < cfir_nchecks; i++)
		if (strcmp(cfir_checks[i].id, id) == 0)
			return (int)i;
	return -1;
}

const struct cfir_check *
cfir_check_find(const char *id)
{
	int i = check_index(id);

	return i < 0 ? NULL : &cfir_checks[i];
}

/* A finding of check ID; VALUE is taken over. */
static cJSON *
finding(cJSON *findings, const struct cfir_hunt_sel *sel, const char *id, const char *field, cJSON *value)
{
	int i = check_index(id);
	cJSON *f, *ev;

	if (i < 0 || (sel != NULL && sel->off[i])) {
		cJSON_Delete(value);
		return NULL;
	}
	f = cJSON_CreateObject();
	cfir_json_add_str(f, "check", cfir_checks[i].id);
	cfir_json_add_str(f, "severity", cfir_severity_name(cfir_checks[i].severity));
	cfir_json_add_str(f, "title", cfir_checks[i].title);
	ev = cJSON_AddObjectToObject(f, "evidence");
	cfir_json_add_str(ev, "field", field);
	cJSON_AddItemToObject(ev, "value", value ? value : cJSON_CreateNull());
	cfir_json_add_str(f, "remedy", cfir_checks[i].remedy);
	cJSON_AddItemToArray(findings, f);
	return f;
}

static cJSON *
bytes_value(const char *s, size_t n)
{
	cJSON *tmp = cJSON_CreateObject(), *v;

	cfir_json_add_bytes(tmp, "v", s, n);
	v = cJSON_DetachItemFromObject(tmp, "v");
	cJSON_Delete(tmp);
	return v;
}

static const char *
jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double
jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static bool
str_is(const char *s, const char *want)
{
	return s != NULL && strcmp(s, want) == 0;
}

/* ---- configuration ------------------------------------------------------ */

static void
namespaces(const cJSON *hc, const struct cfir_hunt_sel *sel, cJSON *fs)
{
	static const struct {
		const char *key, *id;
	} ns[] = {
		{ "PidMode", "host-pid" }, { "NetworkMode", "host-network" }, { "IpcMode", "host-ipc" },
		{ "UTSMode", "host-uts" }, { "UsernsMode", "userns-host" },
	};
	char field[40];
	size_t i;

	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		if (str_is(jstr(hc, ns[i].key), "host")) {
			snprintf(field, sizeof(field), "HostConfig.%s", ns[i].key);
			finding(fs, sel, ns[i].id, field, cJSON_CreateString("host"));
		}
}

/* "CAP_SYS_ADMIN", "sys_admin" -> "sys-admin" */
static void
cap_id(const char *cap, char *out, size_t n)
{
	size_t i = 0;

	if (strncasecmp(cap, "CAP_", 4) == 0)
		cap += 4;
	for (; *cap && i + 1 < n; cap++)
		out[i++] = *cap == '_' ? '-' : (char)tolower((unsigned char)*cap);
	out[i] = '\0';
}

static void
capabilities(const cJSON *hc, const struct cfir_hunt_sel *sel, cJSON *fs)
{
	static const char *const rated[] = {
		"sys-admin", "sys-module", "dac-override", "dac-read-search", "net-admin", "net-raw",
		"sys-ptrace", "chown", "setuid", "setgid", "net-bind-service",
	};
	const cJSON *add = cJSON_GetObjectItemCaseSensitive(hc, "CapAdd");
	const cJSON *drop = cJSON_GetObjectItemCaseSensitive(hc, "CapDrop");
	const cJSON *c;
	bool drops_all = false;
	char id[64], check[80];
	size_t i;

	cJSON_ArrayForEach(c, add) {
		if (!cJSON_IsString(c))
			continue;
		cap_id(c->valuestring, id, sizeof(id));
		if (strcmp(id, "all") == 0) {
			finding(fs, sel, "cap-all", "HostConfig.CapAdd", cJSON_CreateString(c->valuestring));
			continue;
		}
		for (i = 0; i < sizeof(rated) / sizeof(rated[0]) && strcmp(rated[i], id) != 0; i++)
			;
		snprintf(check, sizeof(check), "cap-%s", i < sizeof(rated) / sizeof(rated[0]) ? id : "other");
		finding(fs, sel, check, "HostConfig.CapAdd", bytes_value(c->valuestring, strlen(c->valuestring)));
	}
	cJSON_ArrayForEach(c, drop) {
		if (cJSON_IsString(c)) {
			cap_id(c->valuestring, id, sizeof(id));
			drops_all |= strcmp(id, "all") == 0;
		}
	}
	if (!drops_all)
		finding(fs, sel, "caps-default", "HostConfig.CapDrop",
			cJSON_IsArray(drop) ? cJSON_Duplicate(drop, true) : cJSON_CreateNull());
}

static void
security_opts(const cJSON *top, const cJSON *hc, const struct cfir_hunt_sel *sel, cJSON *fs)
{
	const cJSON *o;
	bool nnp = false, seccomp = false, apparmor = false, selinux = false;

	cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(hc, "SecurityOpt")) {
		const char *s = cJSON_IsString(o) ? o->valuestring : "";

		/* the engine takes both "key=value" and the older "key:value" */
		if (strcmp(s, "seccomp=unconfined") == 0 || strcmp(s, "seccomp:unconfined") == 0)
			seccomp = true;
		else if (strcmp(s, "apparmor=unconfined") == 0 || strcmp(s, "apparmor:unconfined") == 0)
			apparmor = true;
		else if (strcmp(s, "label=disable") == 0 || strcmp(s, "label:disable") == 0)
			selinux = true;
		else if (strcmp(s, "no-new-privileges") == 0 || strcmp(s, "no-new-privileges=true") == 0 ||
			 strcmp(s, "no-new-privileges:true") == 0)
			nnp = true;
	}
	if (seccomp || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hc, "Privileged")))
		finding(fs, sel, "seccomp-unconfined", "HostConfig.SecurityOpt", cJSON_CreateString("seccomp=unconfined"));
	if (apparmor || str_is(jstr(top, "AppArmorProfile"), "unconfined"))
		finding(fs, sel, "apparmor-unconfined", apparmor ? "HostConfig.SecurityOpt" : "AppArmorProfile",
			cJSON_CreateString(apparmor ? "apparmor=unconfined" : "unconfined"));
	if (selinux)
		finding(fs, sel, "selinux-disabled", "HostConfig.SecurityOpt", cJSON_CreateString("label=disable"));
	if (!nnp)
		finding(fs, sel, "no-new-privileges", "HostConfig.SecurityOpt",
			cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(hc, "SecurityOpt"), true));
}

static bool
is_root_user(const char *u)
{
	size_t n;

	if (u == NULL || *u == '\0')
		return true;
	n = strcspn(u, ":");
	return (n == 4 && strncmp(u, "root", 4) == 0) || (n == 1 && u[0] == '0');
}

/* The engine sockets by name, wherever they are mounted from or to. */
static bool
engine_socket(const char *path)
{
	static const char *const socks[] = {
		"docker.sock", "containerd.sock", "podman.sock", "crio.sock", "cri-dockerd.sock", "dockershim.sock",
	};
	const char *base;
	size_t i;

	if (path == NULL)
		return false;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (i = 0; i < sizeof(socks) / sizeof(socks[0]); i++)
		if (strcmp(base, socks[i]) == 0)
			return true;
	return false;
}

/* Exactly one of these, or (for the ones marked) anything under it. */
static bool
sensitive_path(const char *p)
{
	static const struct {
		const char *path;
		bool below;
	} paths[] = {
		{ "/", false }, { "/etc", false }, { "/root", true }, { "/home", false }, { "/proc", true },
		{ "/sys", true }, { "/var/lib/docker", true }, { "/var/run", false }, { "/run", false },
		{ "/dev", false }, { "/boot", true }, { "/var/lib/containerd", true }, { "/etc/shadow", false },
		{ "/etc/sudoers", false }, { "/etc/ssh", false }, { "/var/lib/kubelet", true },
	};
	char norm[4096];
	size_t i, n;

	if (p == NULL || strlen(p) >= sizeof(norm))
		return false;
	snprintf(norm, sizeof(norm), "%s", p);
	n = strlen(norm);
	while (n > 1 && norm[n - 1] == '/')
		norm[--n] = '\0';
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		size_t l = strlen(paths[i].path);

		if (strcmp(norm, paths[i].path) == 0 ||
		    (paths[i].below && strncmp(norm, paths[i].path, l) == 0 && norm[l] == '/'))
			return true;
	}
	return false;
}

static void
mounts(const cJSON *top, const struct cfir_hunt_sel *sel, cJSON *fs)
{
	const cJSON *m;
	char field[32];
	int i = 0;

	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(top, "Mounts")) {
		const char *src = jstr(m, "Source"), *dst = jstr(m, "Destination");
		bool rw = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "RW"));
		cJSON *v;

		snprintf(field, sizeof(field), "Mounts[%d]", i++);
		if (!str_is(jstr(m, "Type"), "bind"))
			continue;
		if (engine_socket(src) || engine_socket(dst)) {
			v = cJSON_CreateObject();
			cfir_json_add_bytes(v, "Source", src ? src : "", src ? strlen(src) : 0);
			cfir_json_add_bytes(v, "Destination", dst ? dst : "", dst ? strlen(dst) : 0);
			cJSON_AddBoolToObject(v, "RW", rw);
			finding(fs, sel, "engine-socket", field, v);
		} else if (sensitive_path(src)) {
			v = cJSON_CreateObject();
			cfir_json_add_bytes(v, "Source", src, strlen(src));
			cfir_json_add_bytes(v, "Destination", dst ? dst : "", dst ? strlen(dst) : 0);
			cJSON_AddBoolToObject(v, "RW", rw);
			finding(fs, sel, rw ? "sensitive-mount-rw" : "sensitive-mount", field, v);
		}
	}
}

/* Names only: the value of a secret never leaves the bag it came in. */
static bool
secret_name(const char *name, size_t n)
{
	static const char *const words[] = {
		"PASSWORD", "PASSWD", "SECRET", "TOKEN", "CREDENTIAL", "PRIVATE_KEY", "APIKEY", "API_KEY",
	};
	char up[256];
	size_t i;

	if (n == 0 || n >= sizeof(up))
		return false;
	for (i = 0; i < n; i++)
		up[i] = (char)toupper((unsigned char)name[i]);
	up[n] = '\0';
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(up, words[i]) != NULL)
			return true;
	return strncmp(up, "AWS_", 4) == 0 || (n > 4 && strcmp(up + n - 4, "_KEY") == 0);
}

static void
environment(const cJSON *cfg, const struct cfir_hunt_sel *sel, cJSON *fs)
{
	const cJSON *e;
	cJSON *names = cJSON_CreateArray();

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(cfg, "Env")) {
		size_t n;

		if (!cJSON_IsString(e))
			continue;
		n = strcspn(e->valuestring, "=");
		if (secret_name(e->valuestring, n))
			cJSON_AddItemToArray(names, bytes_value(e->valuestring, n));
	}
	if (cJSON_GetArraySize(names) > 0)
		finding(fs, sel, "secret-env", "Config.Env", names);
	else
		cJSON_Delete(names);
}

static void
limits(const cJSON *hc, const struct cfir_hunt_sel *sel, cJSON *fs)
{
	const cJSON *pids = cJSON_GetObjectItemCaseSensitive(hc, "PidsLimit");

	if (jnum(hc, "Memory") <= 0)
		finding(fs, sel, "no-memory-limit", "HostConfig.Memory", cJSON_CreateNumber(jnum(hc, "Memory")));
	if (!cJSON_IsNumber(pids) || pids->valuedouble <= 0)
		finding(fs, sel, "no-pids-limit", "HostConfig.PidsLimit",
			cJSON_IsNumber(pids) ? cJSON_CreateNumber(pids->valuedouble) : cJSON_CreateNull());
	if (jnum(hc, "NanoCpus") <= 0 && jnum(hc, "CpuQuota") <= 0)
		finding(fs, sel, "no-cpu-limit", "HostConfig.NanoCpus", cJSON_CreateNumber(jnum(hc, "NanoCpus")));
}

static void
operations(const cJSON *cfg, const cJSON *hc, const struct cfir_hunt_sel *sel, cJSON *fs)
{
	const cJSON *hcheck = cJSON_GetObjectItemCaseSensitive(cfg, "Healthcheck");
	const cJSON *test = cJSON_GetObjectItemCaseSensitive(hcheck, "Test");
	const cJSON *log = cJSON_GetObjectItemCaseSensitive(hc, "LogConfig");
	const cJSON *lc = cJSON_GetObjectItemCaseSensitive(log, "Config");
	const char *restart = jstr(cJSON_GetObjectItemCaseSensitive(hc, "RestartPolicy"), "Name");
	const char *image = jstr(cfg, "Image");

	/* by digest, or by image ID: both name the content */
	if (image != NULL && strstr(image, "@sha256:") == NULL && strncmp(image, "sha256:", 7) != 0)
		finding(fs, sel, "image-not-pinned", "Config.Image", bytes_value(image, strlen(image)));
	if (!cJSON_IsArray(test) || cJSON_GetArraySize(test) == 0 ||
	    (cJSON_IsString(test->child) && strcmp(test->child->valuestring, "NONE") == 0))
		finding(fs, sel, "no-healthcheck", "Config.Healthcheck", cJSON_Duplicate(hcheck, true));
	if ((jstr(log, "Type") == NULL || str_is(jstr(log, "Type"), "json-file")) && jstr(lc, "max-size") == NULL)
		finding(fs, sel, "no-log-rotation", "HostConfig.LogConfig", cJSON_Duplicate(log, true));
	if (restart == NULL || *restart == '\0' || strcmp(restart, "no") == 0)
		finding(fs, sel, "no-restart-policy", "HostConfig.RestartPolicy.Name",
			cJSON_CreateString(restart ? restart : ""));
}

void
cfir_hunt_config(const cJSON *in, const struct cfir_hunt_sel *sel, cJSON *fs)
{
	const cJSON *hc = cJSON_GetObjectItemCaseSensitive(in, "HostConfig");
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(in, "Config");
	const cJSON *devs = cJSON_GetObjectItemCaseSensitive(hc, "Devices");
	bool priv = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hc, "Privileged"));
	const char *user = jstr(cfg, "User");

	if (priv)
		finding(fs, sel, "privileged", "HostConfig.Privileged", cJSON_CreateTrue());
	mounts(in, sel, fs);
	namespaces(hc, sel, fs);
	/* privileged already holds every capability: one finding says it */
	if (!priv)
		capabilities(hc, sel, fs);
	security_opts(in, hc, sel, fs);
	if (is_root_user(user))
		finding(fs, sel, "root-user", "Config.User", bytes_value(user ? user : "", user ? strlen(user) : 0));
	if (!priv && cJSON_GetArraySize(devs) > 0)
		finding(fs, sel, "host-device", "HostConfig.Devices", cJSON_Duplicate(devs, true));
	environment(cfg, sel, fs);
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hc, "ReadonlyRootfs")))
		finding(fs, sel, "rootfs-writable", "HostConfig.ReadonlyRootfs", cJSON_CreateFalse());
	limits(hc, sel, fs);
	operations(cfg, hc, sel, fs);
}

/* ---- live ----------------------------------------------------------------- */


struct proc_seen {
	pid_t pid, ppid;
	char exe[512];		/* as /proc/PID/exe reads, " (deleted)" cut off */
	bool deleted, have_exe;
	char comm[32];
};

static bool
under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

static const char *
base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static bool
in_list(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(name, *list) == 0)
			return true;
	return false;
}

static const char *const shells[] = {
	"sh", "ash", "bash", "dash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "busybox",
	"python", "python2", "python3", "perl", "ruby", "php", "lua", "node", "nc", "ncat", "socat",
	"telnet", NULL,
};
/* Runtimes whose JITs map anonymous executable memory by design. */
static const char *const jits[] = {
	"java", "node", "nodejs", "dotnet", "mono", "pypy", "pypy3", "luajit", "beam.smp", "erl",
	"chrome", "chromium", "firefox", "qemu-system-x86_64", "wasmtime", "deno", "bun", NULL,
};

static bool
shell_like(const struct proc_seen *p)
{
	const char *b = base_name(p->exe);
	char stem[64];
	size_t n = strcspn(b, ".");	/* python3.11 */

	snprintf(stem, sizeof(stem), "%.*s", (int)(n < 63 ? n : 63), b);
	return in_list(b, shells) || in_list(stem, shells) || in_list(p->comm, shells);
}

static cJSON *
proc_value(const struct proc_seen *p, const char *what, const char *v)
{
	cJSON *o = cJSON_CreateObject();

	cfir_json_add_num(o, "pid", p->pid);
	cfir_json_add_bytes(o, "comm", p->comm, strlen(p->comm));
	if (p->have_exe)
		cfir_json_add_bytes(o, "exe", p->exe, strlen(p->exe));
	if (what != NULL)
		cfir_json_add_bytes(o, what, v, strlen(v));
	return o;
}

static bool
fd_is_socket(int dfd, const char *fd)
{
	char link[64];
	ssize_t n = readlinkat(dfd, fd, link, sizeof(link) - 1);

	if (n <= 0)
		return false;
	link[n] = '\0';
	return strncmp(link, "socket:[", 8) == 0;
}

static int
anon_exec(void *ctx, const struct cfir_proc_map *m)
{
	size_t *n = ctx;

	if (strchr(m->perms, 'x') != NULL &&
	    (m->path[0] == '\0' || strncmp(m->path, "/memfd:", 7) == 0 || strcmp(m->path, "[heap]") == 0 ||
	     strcmp(m->path, "[stack]") == 0 || strncmp(m->path, "[anon", 5) == 0))
		(*n)++;
	return 0;
}

/* Every mapping is looked at, however many the process made to hide one. */
static size_t
anon_exec_regions(int dfd)
{
	size_t n = 0;

	cfir_proc_maps_each(dfd, anon_exec, &n, NULL);
	return n;
}

/* One process as the host sees it, through one fd of its /proc directory, checked first. */
static int
look(const struct cfir_proc_list *members, const char *proc, pid_t pid, struct proc_seen *p)
{
	cleanup_free char *stat = NULL, *comm = NULL;
	struct cfir_proc_stat st;
	struct cfir_err err = { 0 };
	size_t len = 0;
	ssize_t n;
	int dfd;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	dfd = cfir_proc_open(members, proc, pid, &err);
	if (dfd < 0)
		return -1;
	if (cfir_util_read_file(dfd, "stat", 4096, &stat, &len, NULL, NULL) == 0 &&
	    cfir_proc_stat_parse(stat, len, &st) == 0)
		p->ppid = st.ppid;
	if (cfir_util_read_file(dfd, "comm", 64, &comm, &len, NULL, NULL) == 0) {
		while (len > 0 && comm[len - 1] == '\n')
			len--;
		snprintf(p->comm, sizeof(p->comm), "%.*s", (int)len, comm);
	}
	n = readlinkat(dfd, "exe", p->exe, sizeof(p->exe) - 1);
	if (n > 0) {
		p->exe[n] = '\0';
		p->have_exe = true;
		if (n > 10 && strcmp(p->exe + n - 10, " (deleted)") == 0) {
			p->deleted = true;
			p->exe[n - 10] = '\0';
		}
	}
	return dfd;
}

struct live {
	const struct cfir_hunt_sel *sel;
	cJSON *fs;
	struct proc_seen *ps;
	size_t n;
	struct proc_seen **byexe;	/* running a file still there, sorted by its path */
	size_t nexe;
};

static int
by_pid(const void *a, const void *b)
{
	const struct proc_seen *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* LV->ps sorted by PID: the index of PID, or -1. */
static long
seen(const struct live *lv, pid_t pid)
{
	size_t lo = 0, hi = lv->n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (lv->ps[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < lv->n && lv->ps[lo].pid == pid ? (long)lo : -1;
}

/*
 * Up the PPid chain, inside the container, to its init; anything else came
 * from outside. MEMO (0 unknown, 1 yes, 2 no) makes it linear however the
 * container shapes its tree: a chain is walked once, a loop ends.
 */
static bool
descends(const struct live *lv, size_t i, pid_t init, unsigned char *memo)
{
	long j = (long)i;
	unsigned char v = 2;
	size_t hops;

	for (hops = 0; hops <= lv->n; hops++) {
		if (memo[j] != 0) {
			v = memo[j];
			break;
		}
		if (lv->ps[j].pid == init) {
			v = 1;
			break;
		}
		j = seen(lv, lv->ps[j].ppid);
		if (j < 0 || (size_t)j == i)
			break;
	}
	for (j = (long)i, hops = 0; j >= 0 && memo[j] == 0 && hops <= lv->n; hops++) {
		memo[j] = v;
		j = seen(lv, lv->ps[j].ppid);
	}
	return v == 1;
}

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
	const struct proc_seen *x = *(const struct proc_seen *const *)a, *y = *(const struct proc_seen *const *)b;

	return path_cmp(x->exe, y->exe, strlen(y->exe));
}

static int
on_upper(void *ctx, const struct cfir_ovl_entry *e, struct cfir_err *err)
{
	struct live *lv = ctx;
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
		finding(lv->fs, lv->sel, "setuid-added", "upperdir", v);
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
		finding(lv->fs, lv->sel, "exe-upper", "/proc/PID/exe", proc_value(lv->byexe[lo], NULL, NULL));
	return 0;
}

/* An address inside one of the container's networks, or loopback. */
struct net4or6 {
	int af;
	unsigned char a[16];
	int prefix;
};

static bool
addr_in(const struct net4or6 *n, int af, const unsigned char *a)
{
	int full = n->prefix / 8, rest = n->prefix % 8;

	if (n->af != af)
		return false;
	if (memcmp(n->a, a, (size_t)full) != 0)
		return false;
	return rest == 0 || ((n->a[full] ^ a[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

static size_t
container_nets(const cJSON *inspect, struct net4or6 *out, size_t max)
{
	const cJSON *nets = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(inspect, "NetworkSettings"), "Networks");
	const cJSON *n;
	size_t k = 0;

	cJSON_ArrayForEach(n, nets) {
		const char *v4 = jstr(n, "IPAddress"), *v6 = jstr(n, "GlobalIPv6Address");

		if (k < max && v4 && inet_pton(AF_INET, v4, out[k].a) == 1) {
			out[k].af = AF_INET;
			out[k].prefix = (int)jnum(n, "IPPrefixLen");
			if (out[k].prefix >= 0 && out[k].prefix <= 32)
				k++;
		}
		if (k < max && v6 && inet_pton(AF_INET6, v6, out[k].a) == 1) {
			out[k].af = AF_INET6;
			out[k].prefix = (int)jnum(n, "GlobalIPv6PrefixLen");
			if (out[k].prefix >= 0 && out[k].prefix <= 128)
				k++;
		}
	}
	return k;
}

static bool
internal(const char *addr, const struct net4or6 *nets, size_t nn)
{
	unsigned char a[16];
	size_t i;

	if (inet_pton(AF_INET, addr, a) == 1) {
		if (a[0] == 127 || (a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == 0))
			return true;
		for (i = 0; i < nn; i++)
			if (addr_in(&nets[i], AF_INET, a))
				return true;
		return false;
	}
	if (inet_pton(AF_INET6, addr, a) == 1) {
		static const unsigned char lo6[16] = { [15] = 1 }, any6[16] = { 0 };

		if (memcmp(a, lo6, 16) == 0 || memcmp(a, any6, 16) == 0 || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80))
			return true;
		/* IPv4-mapped */
		if (memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
			char v4[INET_ADDRSTRLEN];

			return inet_ntop(AF_INET, a + 12, v4, sizeof(v4)) != NULL && internal(v4, nets, nn);
		}
		for (i = 0; i < nn; i++)
			if (addr_in(&nets[i], AF_INET6, a))
				return true;
	}
	return false;
}

static bool
exposed(const cJSON *inspect, unsigned port, const char *proto)
{
	const cJSON *ports = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(inspect, "Config"), "ExposedPorts");
	char key[32];

	snprintf(key, sizeof(key), "%u/%.3s", port, proto);
	return cJSON_GetObjectItemCaseSensitive(ports, key) != NULL;
}

static bool
held_by_member(const cJSON *s, const struct cfir_proc_list *members)
{
	const cJSON *h;

	cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(s, "holders"))
		if (cfir_proc_list_has(members, (pid_t)jnum(h, "pid")))
			return true;
	return false;
}

#define EGRESS_KEPT 1024

/* The sockets as they stream: raw and listeners judged at once, connections out kept (bounded) to the end. */
struct sock_hunt {
	const struct cfir_target *t;
	const struct cfir_proc_list *members;
	const struct cfir_hunt_sel *sel;
	cJSON *fs;
	bool started, hostns;
	unsigned char listening[65536 / 8];	/* every port something listens on */
	cJSON *egress;		/* established TCP to outside the container's networks */
	size_t negress;
	struct net4or6 nets[16];
	size_t nn;
};

static int
hunt_sock(void *ctx, const cJSON *head, cJSON *s)
{
	struct sock_hunt *h = ctx;
	const char *proto = jstr(s, "proto"), *state = jstr(s, "state"), *remote = jstr(s, "remote");
	unsigned lport = (unsigned)jnum(s, "lport") & 0xffff;

	if (!h->started) {
		h->started = true;
		h->hostns = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(head, "host_netns"));
	}
	/* in the host's namespace only the container's own sockets count */
	if (proto == NULL || state == NULL || (h->hostns && !held_by_member(s, h->members))) {
		cJSON_Delete(s);
		return 0;
	}
	if (strcmp(proto, "packet") == 0 || strncmp(proto, "raw", 3) == 0) {
		finding(h->fs, h->sel, "raw-socket", "sock_diag", s);
		return 0;
	}
	if ((strncmp(proto, "tcp", 3) == 0 && strcmp(state, "LISTEN") == 0) ||
	    (strncmp(proto, "udp", 3) == 0 && strcmp(state, "UNCONN") == 0 && jnum(s, "rport") == 0)) {
		h->listening[lport / 8] |= (unsigned char)(1u << (lport % 8));
		if (!exposed(h->t->inspect, lport, proto)) {
			finding(h->fs, h->sel, "listen-unexposed", "sock_diag", s);
			return 0;
		}
	} else if (strncmp(proto, "tcp", 3) == 0 && str_is(state, "ESTABLISHED") && remote != NULL &&
		   !internal(remote, h->nets, h->nn)) {
		if (h->negress++ < EGRESS_KEPT) {
			cJSON_AddItemToArray(h->egress, s);
			return 0;
		}
	}
	cJSON_Delete(s);
	return 0;
}

static void
sockets(const struct cfir_target *t, const char *proc, const struct cfir_proc_list *members,
	const struct cfir_hunt_sel *sel, cJSON *fs, cJSON *notes)
{
	cleanup_cjson cJSON *head = cJSON_CreateObject();
	struct sock_hunt *h = calloc(1, sizeof(*h));
	struct cfir_err err = { 0 };
	cJSON *s, *next;

	if (h == NULL || head == NULL) {
		free(h);
		return;
	}
	*h = (struct sock_hunt){ .t = t, .members = members, .sel = sel, .fs = fs, .egress = cJSON_CreateArray() };
	h->nn = container_nets(t->inspect, h->nets, 16);
	if (cfir_netsock_each(t, proc, head, hunt_sock, h, &err) < 0)
		cJSON_AddItemToArray(notes, cJSON_CreateString(err.msg));	/* what was read still counts */
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(head, "init_netns_moved"))) {
		cJSON *v = cJSON_CreateObject();

		cfir_json_add_num(v, "pid", t->pid);
		cfir_json_add_num(v, "engine_netns", jnum(head, "netns"));
		finding(fs, sel, "netns-left", "NetworkSettings.SandboxKey", v);
	}
	/* a connection to a port something here listens on came in; the others went out */
	for (s = h->egress ? h->egress->child : NULL; s != NULL; s = next) {
		unsigned lport = (unsigned)jnum(s, "lport") & 0xffff;

		next = s->next;
		if (!(h->listening[lport / 8] & (1u << (lport % 8))))
			finding(fs, sel, "egress-external", "sock_diag", cJSON_DetachItemViaPointer(h->egress, s));
	}
	if (h->negress > EGRESS_KEPT) {
		char note[96];

		snprintf(note, sizeof(note), "%zu connections out: the first %d were judged", h->negress, EGRESS_KEPT);
		cJSON_AddItemToArray(notes, cJSON_CreateString(note));
	}
	cJSON_Delete(h->egress);
	free(h);
}

/* The mount namespaces met so far; the init's is checked with the target. */
#define MNT_CHECKED 64

struct mnt_seen {
	unsigned long ino[MNT_CHECKED];
	size_t n;
	bool init_known;
	char *host;		/* the host's mount of the overlay, read once */
};

static unsigned long
mnt_of(int dfd)
{
	return cfir_proc_inode_at(dfd, "ns/mnt", "mnt");
}

/*
 * A process in a mount namespace of its own (not the init's) can pivot or
 * remount its root where the init's looks clean: each such namespace's
 * root is compared with the engine's overlay too.
 */
static void
other_root(const struct cfir_target *t, const char *proc, const struct cfir_hunt_sel *sel, cJSON *fs,
	   int dfd, const struct proc_seen *p, struct mnt_seen *m)
{
	unsigned long ino = mnt_of(dfd);
	cleanup_free char *why = NULL;
	size_t i;

	if (!m->init_known) {
		cleanup_close int ifd = cfir_target_pidfd(t, proc, NULL);

		m->init_known = true;
		if (ifd >= 0 && (m->ino[0] = mnt_of(ifd)) != 0)
			m->n = 1;
	}
	if (ino == 0)
		return;
	for (i = 0; i < m->n; i++)
		if (m->ino[i] == ino)
			return;
	if (m->n == MNT_CHECKED)
		return;	/* bounded: a container cannot make this the long part */
	m->ino[m->n++] = ino;
	why = cfir_target_root_check(t, proc, dfd, &m->host);
	if (why != NULL) {
		cJSON *v = proc_value(p, NULL, NULL);

		cfir_json_add_bytes(v, "check", why, strlen(why));
		finding(fs, sel, "rootfs-remounted", "/proc/PID/mountinfo", v);
	}
}

static bool
any_live_on(const struct cfir_hunt_sel *sel, const char *const *ids)
{
	for (; *ids; ids++) {
		int i = check_index(*ids);

		if (i >= 0 && (sel == NULL || !sel->off[i]))
			return true;
	}
	return false;
}

int
cfir_hunt_live(const struct cfir_target *t, const char *proc,
	       const struct cfir_hunt_sel *sel, cJSON *fs, cJSON *notes,
	       struct cfir_err *err)
{
	static const char *const upper_checks[] = { "setuid-added", "exe-upper", "rootfs-remounted", NULL };
	static const char *const sock_checks[] = { "raw-socket", "listen-unexposed", "egress-external", "netns-left", NULL };
	struct cfir_proc_list members = { 0 };
	struct live lv = { sel, fs, NULL, 0, NULL, 0 };
	struct cfir_target rt;
	struct cfir_ovl_stats ost = { 0 };
	struct cfir_err oerr = { 0 };
	struct mnt_seen mnts = { 0 };
	static const char *const root_checks[] = { "rootfs-remounted", NULL };
	bool roots = any_live_on(sel, root_checks);
	unsigned char *memo;
	size_t i;

	if (t->pid <= 0)
		return 0;
	/* a shared PID namespace (the host's, another container's) counts for nothing: the cgroup decides */
	if (cfir_proc_members(t, proc, &members, err) < 0)
		return -1;
	lv.ps = calloc(members.n ? members.n : 1, sizeof(*lv.ps));
	if (lv.ps == NULL) {
		cfir_proc_list_free(&members);
		return cfir_err_set(err, EX_OSERR, ENOMEM, "hunt");
	}
	for (i = 0; i < members.n; i++) {
		struct proc_seen *p = &lv.ps[lv.n];
		int dfd;

		if (cfir_interrupt_pending())
			break;
		dfd = look(&members, proc, members.e[i].pid, p);
		if (dfd < 0)
			continue;	/* gone meanwhile */
		lv.n++;
		if (roots)
			other_root(t, proc, sel, fs, dfd, p, &mnts);
		if (p->deleted)
			finding(fs, sel, "exe-deleted", "/proc/PID/exe", proc_value(p, NULL, NULL));
		if (p->have_exe && (under(p->exe, "/tmp") || under(p->exe, "/var/tmp") || under(p->exe, "/dev/shm")))
			finding(fs, sel, "exe-tmp", "/proc/PID/exe", proc_value(p, NULL, NULL));
		if (shell_like(p) && (fd_is_socket(dfd, "fd/0") || fd_is_socket(dfd, "fd/1")))
			finding(fs, sel, "reverse-shell", "/proc/PID/fd",
				proc_value(p, "fds", fd_is_socket(dfd, "fd/0") ? "stdin is a socket" : "stdout is a socket"));
		if (!in_list(base_name(p->exe), jits) && !in_list(p->comm, jits)) {
			size_t k = anon_exec_regions(dfd);

			if (k > 0) {
				char nreg[32];

				snprintf(nreg, sizeof(nreg), "%zu", k);
				finding(fs, sel, "anon-exec", "/proc/PID/maps", proc_value(p, "regions", nreg));
			}
		}
		close(dfd);
	}
	if (members.pidns_shared)
		cJSON_AddItemToArray(notes, cJSON_CreateString(
			"the container shares a PID namespace: its processes are those of its cgroup; "
			"foreign-process is not checked"));
	else if ((memo = calloc(lv.n ? lv.n : 1, 1)) != NULL) {
		qsort(lv.ps, lv.n, sizeof(*lv.ps), by_pid);
		for (i = 0; i < lv.n; i++)
			if (!descends(&lv, i, t->pid, memo)) {
				cJSON *v = proc_value(&lv.ps[i], NULL, NULL);

				cfir_json_add_num(v, "ppid", lv.ps[i].ppid);
				finding(fs, sel, "foreign-process", "/proc/PID/stat", v);
			}
		free(memo);
	}
	if (any_live_on(sel, upper_checks)) {
		/* a private copy: the rootfs is read again, the caller's target stays as it is */
		lv.byexe = calloc(lv.n ? lv.n : 1, sizeof(*lv.byexe));
		for (i = 0; lv.byexe != NULL && i < lv.n; i++)
			if (lv.ps[i].have_exe && !lv.ps[i].deleted)
				lv.byexe[lv.nexe++] = &lv.ps[i];
		if (lv.byexe != NULL)
			qsort(lv.byexe, lv.nexe, sizeof(*lv.byexe), by_exe);
		rt = *t;
		memset(&rt.rootfs, 0, sizeof(rt.rootfs));
		rt.rootfs_check = NULL;
		if (cfir_target_rootfs(&rt, proc, &oerr) < 0) {
			cJSON_AddItemToArray(notes, cJSON_CreateString(oerr.msg));
		} else {
			if (rt.rootfs_mismatch) {
				cJSON *v = cJSON_CreateObject();

				cfir_json_add_bytes(v, "check", rt.rootfs_check, strlen(rt.rootfs_check));
				finding(fs, sel, "rootfs-remounted", "/proc/PID/mountinfo", v);
			}
			/* the engine's layer, whatever the container's mount table says */
			if (rt.rootfs.upper == NULL)
				cJSON_AddItemToArray(notes, cJSON_CreateString(
					"no overlay upper directory: setuid-added and exe-upper not checked"));
			else if (cfir_overlay_walk(&rt.rootfs, on_upper, &lv, &ost, &oerr) < 0)
				cJSON_AddItemToArray(notes, cJSON_CreateString(oerr.msg));
		}
		cfir_mountinfo_rootfs_free(&rt.rootfs);
		free(rt.rootfs_check);
		free(lv.byexe);
	}
	if (any_live_on(sel, sock_checks))
		sockets(t, proc, &members, sel, fs, notes);
	free(lv.ps);
	free(mnts.host);
	cfir_proc_list_free(&members);
	return 0;
}

int
cfir_hunt_container(const struct cfir_target *t, const char *proc, const struct cfir_hunt_sel *sel,
		    cJSON *fs, cJSON *notes)
{
	struct cfir_err live = { 0 };
	const cJSON *f;
	int worst = -1;

	cfir_hunt_config(t->inspect, sel, fs);
	if (t->pid > 0 && (t->running || t->paused) && cfir_hunt_live(t, proc, sel, fs, notes, &live) < 0) {
		char note[sizeof(live.msg) + 32];

		snprintf(note, sizeof(note), "live checks not run: %s", live.msg);
		cJSON_AddItemToArray(notes, cJSON_CreateString(note));
	}
	cJSON_ArrayForEach(f, fs) {
		int s = cfir_severity_parse(jstr(f, "severity"));

		if (s > worst)
			worst = s;
	}
	return worst;
}
