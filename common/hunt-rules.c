/* hunt-rules.c - what the configuration checks judge by, whichever source describes the container
 *
 * The engine's inspect reply (hunt-config.c) and an OCI bundle's
 * config.json (hunt-oci.c) say the same things in other words: one set of
 * rules here, so that one container gives one set of findings from either.
 * Pure, like both callers.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/hunt-private.h"
#include "common/out.h"
#include "common/path.h"

/* "CAP_SYS_ADMIN", "sys_admin" -> "sys-admin" */
void
cfir_hunt_cap_id(const char *cap, char *out, size_t n)
{
	size_t i = 0;

	if (strncasecmp(cap, "CAP_", 4) == 0)
		cap += 4;
	for (; *cap && i + 1 < n; cap++)
		out[i++] = *cap == '_' ? '-' : (char)tolower((unsigned char)*cap);
	out[i] = '\0';
}

static bool
in_list(const char *id, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], id) == 0)
			return true;
	return false;
}

void
cfir_hunt_cap_check(const char *id, char *check, size_t n)
{
	static const char *const rated[] = {
		"sys-admin", "sys-module", "dac-override", "dac-read-search", "net-admin", "net-raw",
		"sys-ptrace", "chown", "setuid", "setgid", "net-bind-service",
	};

	snprintf(check, n, "cap-%s", in_list(id, rated, sizeof(rated) / sizeof(rated[0])) ? id : "other");
}

/* Docker's, which containerd's and Podman's defaults are subsets of. */
static const char *const default_caps[CFIR_HUNT_DEFAULT_CAPS] = {
	"chown", "dac-override", "fsetid", "fowner", "mknod", "net-raw", "setgid", "setuid", "setfcap",
	"setpcap", "net-bind-service", "sys-chroot", "kill", "audit-write",
};

int
cfir_hunt_cap_default(const char *id)
{
	int i;

	for (i = 0; i < CFIR_HUNT_DEFAULT_CAPS; i++)
		if (strcmp(default_caps[i], id) == 0)
			return i;
	return -1;
}

/* By digest, or by image ID: both name the content. */
bool
cfir_hunt_image_pinned(const char *image)
{
	return strstr(image, "@sha256:") != NULL || strncmp(image, "sha256:", 7) == 0;
}

/*
 * The engine sockets by name, wherever they are mounted from or to; and
 * the directories that hold one, mounted from the host.
 */
static bool
engine_socket(const char *path)
{
	static const char *const socks[] = {
		"docker.sock", "containerd.sock", "podman.sock", "crio.sock", "cri-dockerd.sock", "dockershim.sock",
	};

	return path != NULL && in_list(cfir_path_base(path), socks, sizeof(socks) / sizeof(socks[0]));
}

static bool
engine_socket_dir(const char *path)
{
	static const char *const dirs[] = {
		"/run/containerd", "/var/run/containerd", "/run/crio", "/var/run/crio", "/run/podman",
		"/var/run/podman",
	};
	char norm[4096];

	return cfir_hunt_path_norm(path, norm, sizeof(norm)) &&
	       in_list(norm, dirs, sizeof(dirs) / sizeof(dirs[0]));
}

bool
cfir_hunt_path_norm(const char *p, char *norm, size_t size)
{
	size_t n;

	if (p == NULL || strlen(p) >= size)
		return false;
	snprintf(norm, size, "%s", p);
	n = strlen(norm);
	while (n > 1 && norm[n - 1] == '/')
		norm[--n] = '\0';
	return true;
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
		{ "/etc/kubernetes", true },
	};
	char norm[4096];
	size_t i;

	if (!cfir_hunt_path_norm(p, norm, sizeof(norm)))
		return false;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (strcmp(norm, paths[i].path) == 0 || (paths[i].below && cfir_path_inside(norm, paths[i].path)))
			return true;
	return false;
}

const char *
cfir_hunt_mount_check(const char *src, const char *dst, bool rw)
{
	if (engine_socket(src) || engine_socket(dst) || engine_socket_dir(src))
		return "engine-socket";
	if (sensitive_path(src))
		return rw ? "sensitive-mount-rw" : "sensitive-mount";
	return NULL;
}

cJSON *
cfir_hunt_mount_value(const char *const keys[3], const char *src, const char *dst, bool rw)
{
	cJSON *v = cJSON_CreateObject();

	cfir_json_add_bytes(v, keys[0], src ? src : "", src ? strlen(src) : 0);
	cfir_json_add_bytes(v, keys[1], dst ? dst : "", dst ? strlen(dst) : 0);
	cJSON_AddBoolToObject(v, keys[2], rw);
	return v;
}

bool
cfir_hunt_sa_token(const char *dst)
{
	static const char *const dirs[] = {
		"/var/run/secrets/kubernetes.io/serviceaccount", "/run/secrets/kubernetes.io/serviceaccount",
	};
	char norm[4096];

	return cfir_hunt_path_norm(dst, norm, sizeof(norm)) &&
	       in_list(norm, dirs, sizeof(dirs) / sizeof(dirs[0]));
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

void
cfir_hunt_secret_add(cJSON *names, const char *entry)
{
	size_t n = strcspn(entry, "=");

	if (secret_name(entry, n))
		cJSON_AddItemToArray(names, cfir_hunt_bytes(entry, n));
}

void
cfir_hunt_secret_env(cJSON *fs, const struct cfir_hunt_sel *sel, const char *field, cJSON *names)
{
	if (cJSON_GetArraySize(names) > 0)
		cfir_hunt_finding(fs, sel, "secret-env", field, names);
	else
		cJSON_Delete(names);
}
