/* hunt.c - what makes a container dangerous, and what says it is compromised
 *
 * The table of checks and the driver. The configuration checks
 * (hunt-config.c) read the engine's inspect reply and nothing else: they
 * are pure, fuzzed, and work on stopped containers. The live checks read
 * the host's /proc (hunt-proc.c), the overlay upper directory
 * (hunt-upper.c) and the sockets (hunt-net.c) of a running container;
 * nothing runs inside it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hunt-private.h"
#include "common/out.h"
#include "common/proc.h"
#include "common/target.h"
#include "common/util.h"

const struct cfir_check cfir_checks[] = {
	/* configuration */
	{ "privileged", CFIR_SEV_CRITICAL, false, "privileged mode: every capability, every device, no confinement",
	  "drop --privileged; add only the capabilities it needs with --cap-add" },
	{ "engine-socket", CFIR_SEV_CRITICAL, false, "a container engine's socket is mounted: root on the host",
	  "remove the -v/--mount of the engine socket" },
	{ "cap-all", CFIR_SEV_CRITICAL, false, "every capability added",
	  "replace --cap-add ALL with the capabilities it needs" },
	{ "cap-sys-admin", CFIR_SEV_CRITICAL, false, "CAP_SYS_ADMIN added: mounts, namespaces, most of root",
	  "drop --cap-add SYS_ADMIN" },
	{ "cap-sys-module", CFIR_SEV_CRITICAL, false, "CAP_SYS_MODULE added: kernel modules",
	  "drop --cap-add SYS_MODULE" },
	{ "host-pid", CFIR_SEV_HIGH, false, "the host's PID namespace: every process on the host is visible",
	  "drop --pid host" },
	{ "host-network", CFIR_SEV_HIGH, false, "the host's network namespace",
	  "drop --network host" },
	{ "host-ipc", CFIR_SEV_MEDIUM, false, "the host's IPC namespace",
	  "drop --ipc host" },
	{ "host-uts", CFIR_SEV_LOW, false, "the host's UTS namespace",
	  "drop --uts host" },
	{ "userns-host", CFIR_SEV_MEDIUM, false, "the daemon's user namespace remapping is turned off",
	  "drop --userns host" },
	{ "cap-dac-override", CFIR_SEV_HIGH, false, "CAP_DAC_OVERRIDE added",
	  "drop --cap-add DAC_OVERRIDE" },
	{ "cap-dac-read-search", CFIR_SEV_HIGH, false, "CAP_DAC_READ_SEARCH added: open_by_handle_at escapes",
	  "drop --cap-add DAC_READ_SEARCH" },
	{ "cap-net-admin", CFIR_SEV_HIGH, false, "CAP_NET_ADMIN added",
	  "drop --cap-add NET_ADMIN" },
	{ "cap-net-raw", CFIR_SEV_HIGH, false, "CAP_NET_RAW added",
	  "drop --cap-add NET_RAW" },
	{ "cap-sys-ptrace", CFIR_SEV_HIGH, false, "CAP_SYS_PTRACE added",
	  "drop --cap-add SYS_PTRACE" },
	{ "cap-chown", CFIR_SEV_MEDIUM, false, "CAP_CHOWN added",
	  "drop --cap-add CHOWN" },
	{ "cap-setuid", CFIR_SEV_MEDIUM, false, "CAP_SETUID added",
	  "drop --cap-add SETUID" },
	{ "cap-setgid", CFIR_SEV_MEDIUM, false, "CAP_SETGID added",
	  "drop --cap-add SETGID" },
	{ "cap-other", CFIR_SEV_MEDIUM, false, "another capability added",
	  "drop the --cap-add" },
	{ "cap-net-bind-service", CFIR_SEV_LOW, false, "CAP_NET_BIND_SERVICE added",
	  "drop --cap-add NET_BIND_SERVICE" },
	{ "caps-default", CFIR_SEV_LOW, false, "the engine's default capabilities are kept",
	  "--cap-drop ALL, then --cap-add only what it needs" },
	{ "seccomp-unconfined", CFIR_SEV_HIGH, false, "no seccomp filter",
	  "drop --security-opt seccomp=unconfined" },
	{ "apparmor-unconfined", CFIR_SEV_MEDIUM, false, "AppArmor unconfined",
	  "drop --security-opt apparmor=unconfined" },
	{ "selinux-disabled", CFIR_SEV_MEDIUM, false, "SELinux labelling disabled",
	  "drop --security-opt label=disable" },
	{ "no-new-privileges", CFIR_SEV_LOW, false, "setuid binaries can still raise privileges",
	  "--security-opt no-new-privileges" },
	{ "root-user", CFIR_SEV_MEDIUM, false, "runs as root",
	  "--user UID:GID (or USER in the image)" },
	{ "sensitive-mount-rw", CFIR_SEV_HIGH, false, "a sensitive host path is mounted writable",
	  "remove the mount, or make it :ro" },
	{ "sensitive-mount", CFIR_SEV_MEDIUM, false, "a sensitive host path is mounted read-only",
	  "remove the mount" },
	{ "host-device", CFIR_SEV_HIGH, false, "a host device is passed in",
	  "drop the --device" },
	{ "secret-env", CFIR_SEV_MEDIUM, false, "environment variables named like secrets (values not shown)",
	  "pass secrets as files (docker secrets, a tmpfs) rather than -e" },
	{ "rootfs-writable", CFIR_SEV_LOW, false, "the root filesystem is writable",
	  "--read-only, with --tmpfs where needed" },
	{ "no-memory-limit", CFIR_SEV_LOW, false, "no memory limit",
	  "--memory" },
	{ "no-pids-limit", CFIR_SEV_LOW, false, "no PIDs limit: a fork bomb takes the host",
	  "--pids-limit" },
	{ "no-cpu-limit", CFIR_SEV_LOW, false, "no CPU limit",
	  "--cpus" },
	{ "image-not-pinned", CFIR_SEV_LOW, false, "the image is referenced by tag, not by digest",
	  "run IMAGE@sha256:DIGEST" },
	{ "no-healthcheck", CFIR_SEV_INFO, false, "no health check",
	  "--health-cmd" },
	{ "no-log-rotation", CFIR_SEV_INFO, false, "json-file logs without rotation",
	  "--log-opt max-size=10m" },
	{ "no-restart-policy", CFIR_SEV_INFO, false, "no restart policy",
	  "--restart on-failure:5" },
	{ "k8s-sa-token", CFIR_SEV_INFO, false, "Kubernetes service-account token mounted",
	  "automountServiceAccountToken: false" },
	/* live */
	{ "reverse-shell", CFIR_SEV_CRITICAL, true, "a shell or interpreter whose stdin or stdout is a socket",
	  "isolate and collect now" },
	{ "rootfs-remounted", CFIR_SEV_CRITICAL, true, "the container's root is not the overlay the engine made: "
	  "it remounted or pivoted its root",
	  "collect now (cfir diff reads the engine's layer); --cap-drop SYS_ADMIN" },
	{ "netns-left", CFIR_SEV_HIGH, true, "the container's init left the network namespace the engine made",
	  "capture and collect now (cfir reads the engine's namespace); --cap-drop SYS_ADMIN" },
	{ "exe-deleted", CFIR_SEV_HIGH, true, "a process runs an executable that was deleted",
	  "collect it now (cfir ps)" },
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
	{ "exe-added", CFIR_SEV_MEDIUM, true, "an executable (ELF or script) added or changed in the writable layer "
	  "of a container that does not run (a stopped engine's, a dead host's)",
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

const struct cfir_check *
cfir_check_find(const char *id)
{
	const struct cfir_check *c;

	for (c = cfir_checks; c < cfir_checks + cfir_nchecks; c++)
		if (strcmp(c->id, id) == 0)
			return c;
	return NULL;
}

/* ID's place in cfir_checks, which a selection is indexed by; -1 for none. */
static int
check_index(const char *id)
{
	const struct cfir_check *c = cfir_check_find(id);

	return c == NULL ? -1 : (int)(c - cfir_checks);
}

cJSON *
cfir_hunt_finding(cJSON *findings, const struct cfir_hunt_sel *sel, const char *id, const char *field,
		  cJSON *value)
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

cJSON *
cfir_hunt_bytes(const char *s, size_t n)
{
	cJSON *tmp = cJSON_CreateObject(), *v;

	cfir_json_add_bytes(tmp, "v", s, n);
	v = cJSON_DetachItemFromObject(tmp, "v");
	cJSON_Delete(tmp);
	return v;
}

double
cfir_hunt_num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

bool
cfir_hunt_any_on(const struct cfir_hunt_sel *sel, const char *const *ids)
{
	for (; *ids; ids++) {
		int i = check_index(*ids);

		if (i >= 0 && (sel == NULL || !sel->off[i]))
			return true;
	}
	return false;
}

static int
live(struct cfir_hunt_host *host, const struct cfir_target *t, const char *proc,
     const struct cfir_hunt_sel *sel, cJSON *fs, cJSON *notes, struct cfir_err *err)
{
	static const char *const upper_checks[] = { "setuid-added", "exe-upper", "exe-added", "rootfs-remounted", NULL };
	static const char *const sock_checks[] = { "raw-socket", "listen-unexposed", "egress-external", "netns-left", NULL };
	struct cfir_proc_list members = { 0 };
	struct cfir_hunt_live lv = { .sel = sel, .fs = fs };

	if (t->pid <= 0)
		return 0;
	/* a shared PID namespace (the host's, another container's) counts for nothing: the cgroup decides */
	if ((host != NULL ? cfir_proc_members_among(t, proc, cfir_hunt_host_pidns, host, &members, err)
			  : cfir_proc_members(t, proc, &members, err)) < 0)
		return -1;
	if (cfir_hunt_procs(t, proc, &members, &lv) < 0) {
		cfir_proc_list_free(&members);
		return cfir_err_set(err, EX_OSERR, ENOMEM, "hunt");
	}
	if (members.pidns_shared)
		cJSON_AddItemToArray(notes, cJSON_CreateString(
			"the container shares a PID namespace: its processes are those of its cgroup; "
			"foreign-process is not checked"));
	else
		cfir_hunt_foreign(t, &lv);
	if (cfir_hunt_any_on(sel, upper_checks))
		cfir_hunt_upper(host, t, proc, &lv, notes);
	if (cfir_hunt_any_on(sel, sock_checks))
		cfir_hunt_sockets(host, t, proc, &members, sel, fs, notes);
	free(lv.ps);
	cfir_proc_list_free(&members);
	return 0;
}

int
cfir_hunt_live(const struct cfir_target *t, const char *proc,
	       const struct cfir_hunt_sel *sel, cJSON *fs, cJSON *notes,
	       struct cfir_err *err)
{
	return live(NULL, t, proc, sel, fs, notes, err);
}

int
cfir_hunt_container_on(struct cfir_hunt_host *host, const struct cfir_target *t, const char *proc,
		       const struct cfir_hunt_sel *sel, cJSON *fs, cJSON *notes)
{
	static const char *const upper_only[] = { "setuid-added", "exe-added", NULL };
	struct cfir_err lerr = { 0 };
	const cJSON *f;
	int worst = -1;

	/* the engine's inspect, else the runtime's OCI spec: the same check IDs */
	if (t->inspect != NULL)
		cfir_hunt_config(t->inspect, sel, fs);
	else if (t->oci != NULL)
		cfir_hunt_oci(t->oci, sel, fs);
	else
		cJSON_AddItemToArray(notes, cJSON_CreateString(
			"configuration checks not run: neither an engine's inspect nor an OCI spec describes it"));
	/* nothing runs of a container read from disk: its writable layer is still there */
	if (t->pid <= 0 && t->layers != NULL && cfir_hunt_any_on(sel, upper_only)) {
		struct cfir_hunt_live lv = { .sel = sel, .fs = fs, .offline = true };

		cfir_hunt_upper(host, t, proc, &lv, notes);
	}
	if (t->pid > 0 && (t->running || t->paused) && live(host, t, proc, sel, fs, notes, &lerr) < 0) {
		char note[sizeof(lerr.msg) + 32];

		snprintf(note, sizeof(note), "live checks not run: %s", lerr.msg);
		cJSON_AddItemToArray(notes, cJSON_CreateString(note));
	}
	cJSON_ArrayForEach(f, fs) {
		int s = cfir_severity_parse(cfir_json_str(f, "severity"));

		if (s > worst)
			worst = s;
	}
	return worst;
}

