/* hunt-config.c - the configuration checks: the engine's inspect reply, and nothing else
 *
 * Pure: no file, no process, no socket is read here, so they are fuzzed
 * and work on stopped containers alike.
 */
#include <stdio.h>
#include <string.h>

#include "common/hunt-private.h"
#include "common/out.h"

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

static void
capabilities(const cJSON *hc, const struct cfir_hunt_sel *sel, cJSON *fs)
{
	const cJSON *add = cJSON_GetObjectItemCaseSensitive(hc, "CapAdd");
	const cJSON *drop = cJSON_GetObjectItemCaseSensitive(hc, "CapDrop");
	const cJSON *c;
	bool drops_all = false;
	char id[64], check[80];

	cJSON_ArrayForEach(c, add) {
		if (!cJSON_IsString(c))
			continue;
		cfir_hunt_cap_id(c->valuestring, id, sizeof(id));
		if (strcmp(id, "all") == 0) {
			cfir_hunt_finding(fs, sel, "cap-all", "HostConfig.CapAdd", cJSON_CreateString(c->valuestring));
			continue;
		}
		cfir_hunt_cap_check(id, check, sizeof(check));
		cfir_hunt_finding(fs, sel, check, "HostConfig.CapAdd", cfir_hunt_bytes(c->valuestring, strlen(c->valuestring)));
	}
	cJSON_ArrayForEach(c, drop) {
		if (cJSON_IsString(c)) {
			cfir_hunt_cap_id(c->valuestring, id, sizeof(id));
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

static void
mounts(const cJSON *top, const struct cfir_hunt_sel *sel, cJSON *fs)
{
	static const char *const keys[3] = { "Source", "Destination", "RW" };
	const cJSON *m;
	char field[48];
	int i = 0;

	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(top, "Mounts")) {
		const char *src = cfir_json_str(m, "Source"), *dst = cfir_json_str(m, "Destination");
		bool rw = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "RW"));
		const char *check;

		/* a volume or a bind alike: where it lands says what it holds */
		if (cfir_hunt_sa_token(dst)) {
			snprintf(field, sizeof(field), "Mounts[%d].Destination", i);
			cfir_hunt_finding(fs, sel, "k8s-sa-token", field, cfir_hunt_bytes(dst, strlen(dst)));
		}
		snprintf(field, sizeof(field), "Mounts[%d]", i++);
		if (!cfir_hunt_str_is(cfir_json_str(m, "Type"), "bind"))
			continue;
		if ((check = cfir_hunt_mount_check(src, dst, rw)) != NULL)
			cfir_hunt_finding(fs, sel, check, field, cfir_hunt_mount_value(keys, src, dst, rw));
	}
}

static void
environment(const cJSON *cfg, const struct cfir_hunt_sel *sel, cJSON *fs)
{
	const cJSON *e;
	cJSON *names = cJSON_CreateArray();

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(cfg, "Env"))
		if (cJSON_IsString(e))
			cfir_hunt_secret_add(names, e->valuestring);
	cfir_hunt_secret_env(fs, sel, "Config.Env", names);
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

	if (image != NULL && !cfir_hunt_image_pinned(image))
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

