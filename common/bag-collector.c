/* bag-collector.c - custody/collector.json: the tool, the host, the user and the clock that took the evidence */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sys/timex.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "common/bag.h"
#include "common/bag-internal.h"
#include "common/cleanup.h"
#include "common/out.h"
#include "common/util.h"

cJSON *
cfir_bag_argv_json(const struct cfir_bag_meta *meta)
{
	cJSON *a = cJSON_CreateArray();
	int i;

	for (i = 0; meta != NULL && i < meta->argc; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(meta->argv[i]));
	return a;
}

const char *
cfir_bag_user_name(void)
{
	struct passwd *pw = getpwuid(getuid());

	return pw ? pw->pw_name : "?";
}

int
cfir_bag_collector_write(struct cfir_bag *b, struct cfir_err *err)
{
	cleanup_cjson cJSON *c = cJSON_CreateObject();
	cleanup_free char *text = NULL, *exe = realpath("/proc/self/exe", NULL);
	char now[CFIR_TIME_LEN], off[8];
	struct timespec mono, boot;
	struct timex tx = { 0 };
	struct utsname u;
	struct tm tm;
	time_t t = time(NULL);
	cJSON *o;
	int state;
	size_t len;

	cfir_util_now_rfc3339(now);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	state = adjtimex(&tx);
	localtime_r(&t, &tm);
	strftime(off, sizeof(off), "%z", &tm);
	uname(&u);

	cfir_json_add_str(c, "tool", "cfir");
	cfir_json_add_str(c, "version", CFIR_VERSION);
	o = cJSON_AddObjectToObject(c, "binary");
	cfir_json_add_str(o, "path", exe);
	cfir_json_add_str(o, "sha256", b->binsha);
	o = cJSON_AddObjectToObject(c, "host");
	cfir_json_add_str(o, "name", u.nodename);
	cfir_json_add_str(o, "kernel", u.release);
	cfir_json_add_str(o, "machine", u.machine);
	o = cJSON_AddObjectToObject(c, "user");
	cfir_json_add_str(o, "name", cfir_bag_user_name());
	cfir_json_add_num(o, "uid", getuid());
	cfir_json_add_num(o, "euid", geteuid());
	cfir_json_add_num(o, "gid", getgid());
	if (getenv("SUDO_USER") != NULL)
		cfir_json_add_str(o, "sudo_user", getenv("SUDO_USER"));
	cJSON_AddItemToObject(c, "argv", cfir_bag_argv_json(b->meta));
	o = cJSON_AddObjectToObject(c, "clock");
	cfir_json_add_str(o, "source", "CLOCK_REALTIME");
	cfir_json_add_str(o, "realtime", now);
	cfir_json_add_str(o, "utc_offset", off);
	cfir_json_add_str(o, "timezone", tm.tm_zone);
	cfir_json_add_num(o, "monotonic_ns", (double)mono.tv_sec * 1e9 + (double)mono.tv_nsec);
	cfir_json_add_num(o, "boottime_ns", (double)boot.tv_sec * 1e9 + (double)boot.tv_nsec);
	cJSON_AddBoolToObject(o, "synchronized", state >= 0 && state != TIME_ERROR);
	if (state >= 0)
		cfir_json_add_num(o, "max_error_us", (double)tx.maxerror);

	text = cfir_json_line(c, &len);
	if (text == NULL)
		return cfir_err_set(err, EX_OSERR, ENOMEM, "collector.json");
	return cfir_bag_write_atomic(b, "custody/collector.json", text, len, err);
}
