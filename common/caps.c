/* caps.c - Linux capabilities: this process's, probed with capget, and a mask's names */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "common/caps.h"

const char *
cfir_caps_missing(bool setns)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = { 0 };
	bool raw, admin;

	if (syscall(SYS_capget, &h, d) < 0)
		return NULL;	/* let the operations themselves say */
	raw = d[CAP_NET_RAW / 32].effective & (1u << (CAP_NET_RAW % 32));
	admin = d[CAP_SYS_ADMIN / 32].effective & (1u << (CAP_SYS_ADMIN % 32));
	if (!setns)
		admin = true;
	if (!raw && !admin)
		return "CAP_NET_RAW and CAP_SYS_ADMIN";
	if (!raw)
		return "CAP_NET_RAW";
	if (!admin)
		return "CAP_SYS_ADMIN";
	return NULL;
}

cJSON *
cfir_caps_describe(uint64_t mask)
{
	static const char *names[] = {
		"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL",
		"SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE",
		"NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
		"SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
		"SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME",
		"SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL",
		"SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
		"BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
	};
	cJSON *a = cJSON_CreateArray();
	char name[40];
	unsigned i;

	for (i = 0; i < 64; i++) {
		if (!(mask & (1ull << i)))
			continue;
		if (i < sizeof(names) / sizeof(names[0]))
			snprintf(name, sizeof(name), "CAP_%s", names[i]);
		else
			snprintf(name, sizeof(name), "CAP_%u", i);
		cJSON_AddItemToArray(a, cJSON_CreateString(name));
	}
	return a;
}
