/* hunt-config.c - the configuration checks: the engine's inspect reply, and nothing else
 *
 * Pure: no file, no process, no socket is read here, so they are fuzzed
 * and work on stopped containers alike.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/hunt-private.h"
#include "common/out.h"
#include "common/path.h"

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
		if (cfir_hunt_str_is(cfir_json_str(hc, ns[i].key), "host")) {
			snprintf(field, sizeof(field), "HostConfig.%s", ns[i].key);
			cfir_hunt_finding(fs, sel, ns[i].id, field, cJSON_CreateString("host"));
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
			cfir_hunt_finding(fs, sel, "cap-all", "HostConfig.CapAdd", cJSON_CreateString(c->valuestring));
			continue;
		}
		for (i = 0; i < sizeof(rated) / sizeof(rated[0]) && strcmp(rated[i], id) != 0; i++)
			;
		snprintf(check, sizeof(check), "cap-%s", i < sizeof(rated) / sizeof(rated[0]) ? id : "other");
		cfir_hunt_finding(fs, sel, check, "HostConfig.CapAdd", cfir_hunt_bytes(c->valuestring, strlen(c->valuestring)));
	}
	cJSON_ArrayForEach(c, drop) {
		if (cJSON_IsString(c)) {
			cap_id(c->valuestring, id, sizeof(id));
			drops_all |= strcmp(id, "all") == 0;
		}
	}
	if (!drops_all)
		cfir_hunt_finding(fs, sel, "caps-default", "HostConfig.CapDrop",
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
		cfir_hunt_finding(fs, sel, "seccomp-unconfined", "HostConfig.SecurityOpt", cJSON_CreateString("seccomp=unconfined"));
	if (apparmor || cfir_hunt_str_is(cfir_json_str(top, "AppArmorProfile"), "unconfined"))
		cfir_hunt_finding(fs, sel, "apparmor-unconfined", apparmor ? "HostConfig.SecurityOpt" : "AppArmorProfile",
			cJSON_CreateString(apparmor ? "apparmor=unconfined" : "unconfined"));
	if (selinux)
		cfir_hunt_finding(fs, sel, "selinux-disabled", "HostConfig.SecurityOpt", cJSON_CreateString("label=disable"));
	if (!nnp)
		cfir_hunt_finding(fs, sel, "no-new-privileges", "HostConfig.SecurityOpt",
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
	base = cfir_path_base(path);
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
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (strcmp(norm, paths[i].path) == 0 || (paths[i].below && cfir_path_inside(norm, paths[i].path)))
			return true;
	return false;
}

static void
mounts(const cJSON *top, const struct cfir_hunt_sel *sel, cJSON *fs)
{
	const cJSON *m;
	char field[32];
	int i = 0;

	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(top, "Mounts")) {
		const char *src = cfir_json_str(m, "Source"), *dst = cfir_json_str(m, "Destination");
		bool rw = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "RW"));
		cJSON *v;

		snprintf(field, sizeof(field), "Mounts[%d]", i++);
		if (!cfir_hunt_str_is(cfir_json_str(m, "Type"), "bind"))
			continue;
		if (engine_socket(src) || engine_socket(dst)) {
			v = cJSON_CreateObject();
			cfir_json_add_bytes(v, "Source", src ? src : "", src ? strlen(src) : 0);
			cfir_json_add_bytes(v, "Destination", dst ? dst : "", dst ? strlen(dst) : 0);
			cJSON_AddBoolToObject(v, "RW", rw);
			cfir_hunt_finding(fs, sel, "engine-socket", field, v);
		} else if (sensitive_path(src)) {
			v = cJSON_CreateObject();
			cfir_json_add_bytes(v, "Source", src, strlen(src));
			cfir_json_add_bytes(v, "Destination", dst ? dst : "", dst ? strlen(dst) : 0);
			cJSON_AddBoolToObject(v, "RW", rw);
			cfir_hunt_finding(fs, sel, rw ? "sensitive-mount-rw" : "sensitive-mount", field, v);
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
			cJSON_AddItemToArray(names, cfir_hunt_bytes(e->valuestring, n));
	}
	if (cJSON_GetArraySize(names) > 0)
		cfir_hunt_finding(fs, sel, "secret-env", "Config.Env", names);
	else
		cJSON_Delete(names);
}

static void
limits(const cJSON *hc, const struct cfir_hunt_sel *sel, cJSON *fs)
{
	const cJSON *pids = cJSON_GetObjectItemCaseSensitive(hc, "PidsLimit");

	if (cfir_hunt_num(hc, "Memory") <= 0)
		cfir_hunt_finding(fs, sel, "no-memory-limit", "HostConfig.Memory", cJSON_CreateNumber(cfir_hunt_num(hc, "Memory")));
	if (!cJSON_IsNumber(pids) || pids->valuedouble <= 0)
		cfir_hunt_finding(fs, sel, "no-pids-limit", "HostConfig.PidsLimit",
			cJSON_IsNumber(pids) ? cJSON_CreateNumber(pids->valuedouble) : cJSON_CreateNull());
	if (cfir_hunt_num(hc, "NanoCpus") <= 0 && cfir_hunt_num(hc, "CpuQuota") <= 0)
		cfir_hunt_finding(fs, sel, "no-cpu-limit", "HostConfig.NanoCpus", cJSON_CreateNumber(cfir_hunt_num(hc, "NanoCpus")));
}

static void
operations(const cJSON *cfg, const cJSON *hc, const struct cfir_hunt_sel *sel, cJSON *fs)
{
	const cJSON *hcheck = cJSON_GetObjectItemCaseSensitive(cfg, "Healthcheck");
	const cJSON *test = cJSON_GetObjectItemCaseSensitive(hcheck, "Test");
	const cJSON *log = cJSON_GetObjectItemCaseSensitive(hc, "LogConfig");
	const cJSON *lc = cJSON_GetObjectItemCaseSensitive(log, "Config");
	const char *restart = cfir_json_str(cJSON_GetObjectItemCaseSensitive(hc, "RestartPolicy"), "Name");
	const char *image = cfir_json_str(cfg, "Image");

	/* by digest, or by image ID: both name the content */
	if (image != NULL && strstr(image, "@sha256:") == NULL && strncmp(image, "sha256:", 7) != 0)
		cfir_hunt_finding(fs, sel, "image-not-pinned", "Config.Image", cfir_hunt_bytes(image, strlen(image)));
	if (!cJSON_IsArray(test) || cJSON_GetArraySize(test) == 0 ||
	    (cJSON_IsString(test->child) && strcmp(test->child->valuestring, "NONE") == 0))
		cfir_hunt_finding(fs, sel, "no-healthcheck", "Config.Healthcheck", cJSON_Duplicate(hcheck, true));
	if ((cfir_json_str(log, "Type") == NULL || cfir_hunt_str_is(cfir_json_str(log, "Type"), "json-file")) && cfir_json_str(lc, "max-size") == NULL)
		cfir_hunt_finding(fs, sel, "no-log-rotation", "HostConfig.LogConfig", cJSON_Duplicate(log, true));
	if (restart == NULL || *restart == '\0' || strcmp(restart, "no") == 0)
		cfir_hunt_finding(fs, sel, "no-restart-policy", "HostConfig.RestartPolicy.Name",
			cJSON_CreateString(restart ? restart : ""));
}

void
cfir_hunt_config(const cJSON *in, const struct cfir_hunt_sel *sel, cJSON *fs)
{
	const cJSON *hc = cJSON_GetObjectItemCaseSensitive(in, "HostConfig");
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(in, "Config");
	const cJSON *devs = cJSON_GetObjectItemCaseSensitive(hc, "Devices");
	bool priv = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hc, "Privileged"));
	const char *user = cfir_json_str(cfg, "User");

	if (priv)
		cfir_hunt_finding(fs, sel, "privileged", "HostConfig.Privileged", cJSON_CreateTrue());
	mounts(in, sel, fs);
	namespaces(hc, sel, fs);
	/* privileged already holds every capability: one finding says it */
	if (!priv)
		capabilities(hc, sel, fs);
	security_opts(in, hc, sel, fs);
	if (is_root_user(user))
		cfir_hunt_finding(fs, sel, "root-user", "Config.User", cfir_hunt_bytes(user ? user : "", user ? strlen(user) : 0));
	if (!priv && cJSON_GetArraySize(devs) > 0)
		cfir_hunt_finding(fs, sel, "host-device", "HostConfig.Devices", cJSON_Duplicate(devs, true));
	environment(cfg, sel, fs);
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hc, "ReadonlyRootfs")))
		cfir_hunt_finding(fs, sel, "rootfs-writable", "HostConfig.ReadonlyRootfs", cJSON_CreateFalse());
	limits(hc, sel, fs);
	operations(cfg, hc, sel, fs);
}

