/* main.c - cfir: global options and the command table */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/engine.h"
#include "common/capture.h"
#include "tools/tool.h"

/* sorted by name */
static const struct tool_cmd *const cmds[] = {
	&cmd_capture, &cmd_collect, &cmd_copy, &cmd_diff, &cmd_export, &cmd_hunt, &cmd_inspect,
	&cmd_isolate, &cmd_keygen, &cmd_ls, &cmd_memory, &cmd_pause, &cmd_ps, &cmd_report, &cmd_seal,
	&cmd_sockets, &cmd_timeline, &cmd_unpause, &cmd_verify,
};

static const char usage[] =
	"usage: cfir [-hqv] [-H host] [--format text|json] [--source auto|engine|runtime]\n"
	"            [--engine-timeout seconds] [--root dir [--root-image file]] [--version]\n"
	"            command [args]\n";

static void
help(void)
{
	size_t i;

	fputs(usage, stdout);
	fputs("\ncommands:\n", stdout);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		printf("   %-10s %s\n", cmds[i]->name, cmds[i]->summary);
	fputs("\n'cfir COMMAND -h' shows a command's options; man cfir has the rest.\n", stdout);
}

/* Who asked first, and when: the same request twice is not a second one. */
static pid_t first_from;
static struct timespec first_at;

/*
 * SIGINT, SIGTERM, SIGHUP: the first asks every loop to stop (the bag is
 * left consistent and verifying); a second request ends the process at
 * once. One stop request that arrives twice is not a second request:
 * timeout(1) signals cfir and then its whole group, systemd every process
 * of the unit while the collect -j parent passes its own on to its
 * children. So a repeat from the same sender within a second, or from
 * the parent once stopping, is ignored.
 */
static void
on_signal(int sig, siginfo_t *si, void *uc)
{
	bool sent = si != NULL && si->si_code <= 0;	/* kill(2); the terminal's ^C comes from the kernel */
	pid_t from = sent ? si->si_pid : 0;
	struct timespec now;
	long long ms;

	(void)uc;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (cfir_interrupt_pending()) {
		ms = (long long)(now.tv_sec - first_at.tv_sec) * 1000 + (now.tv_nsec - first_at.tv_nsec) / 1000000;
		if (sent && (from == getppid() || (from == first_from && ms < 1000)))
			return;
		signal(sig, SIG_DFL);
		raise(sig);	/* delivered when this handler returns: the default, the end */
		return;
	}
	first_from = from;
	first_at = now;
	cfir_interrupt_raise(sent);
	cfir_engine_cancel();
	cfir_capture_cancel();
}

static void
signals(void)
{
	struct sigaction sa = { 0 };

	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaddset(&sa.sa_mask, SIGHUP);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int
main(int argc, char **argv)
{
	struct option longopts[TOOL_GLOBAL_LONGOPTS + 2];
	struct cfir_global g = { 0 };
	size_t i;
	int c;

	g.meta.argc = argc;
	g.meta.argv = argv;
	g.out.fp = stdout;
	g.bag = getenv("CFIR_BAG");
	if (g.bag != NULL && *g.bag == '\0')
		g.bag = NULL;
	g.meta.case_id = getenv("CFIR_CASE");
	g.meta.examiner = getenv("CFIR_EXAMINER");
	g.meta.say = tool_say;	/* why a bag makes cfir wait, before it waits */
	memcpy(longopts, tool_global_longopts, sizeof(tool_global_longopts));
	longopts[TOOL_GLOBAL_LONGOPTS] = (struct option){ "version", no_argument, NULL, 'V' };
	longopts[TOOL_GLOBAL_LONGOPTS + 1] = (struct option){ NULL, 0, NULL, 0 };
	while ((c = getopt_long(argc, argv, "+H:hqv", longopts, NULL)) != -1) {
		if (tool_global_option(&g, c, optarg))
			continue;
		switch (c) {
		case 'h':
			help();
			return 0;
		case 'V':
			printf("cfir %s\n", CFIR_VERSION);
			return 0;
		default:
			fputs(usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return EX_USAGE;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[optind], cmds[i]->name) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		cfir_err_print("'%s' is not a cfir command; see 'cfir -h'", argv[optind]);
		return EX_USAGE;
	}
	signals();
	return tool_main(cmds[i], argc - optind, argv + optind, &g);
}
