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

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv, struct cfir_global *g);
	const char *summary;
};

/* sorted by name */
static const struct cmd cmds[] = {
	{ "capture", cmd_capture, "the container's traffic from its host-side interfaces into pcaps" },
	{ "collect", cmd_collect, "the whole response: every step, in order of volatility, one sealed bag" },
	{ "copy", cmd_copy, "paths of a container (like docker cp) into a bag, hashed and indexed" },
	{ "diff", cmd_diff, "what changed in the writable layer: typed, hashed, collected, timeline" },
	{ "export", cmd_export, "the container's filesystem into a bag, byte for byte, hashed and indexed" },
	{ "hunt", cmd_hunt, "find the dangerous and the compromised containers on this host" },
	{ "inspect", cmd_inspect, "engine metadata, image, changes and logs into a bag" },
	{ "isolate", cmd_isolate, "cut a container off every network, recorded so --undo restores it" },
	{ "keygen", cmd_keygen, "a minisign-compatible key pair to sign sealed bags" },
	{ "memory", cmd_memory, "readable memory of chosen processes, with an index of regions" },
	{ "pause", cmd_pause, "freeze a container through the Engine API" },
	{ "ps", cmd_ps, "the process tree from /proc, every executable recovered" },
	{ "seal", cmd_seal, "the bag's final state, signed; it takes no more evidence" },
	{ "sockets", cmd_sockets, "tcp, udp, raw, unix and packet sockets of the container's netns" },
	{ "unpause", cmd_unpause, "thaw a container through the Engine API" },
	{ "verify", cmd_verify, "check every hash, the custody chain and the bag's shape" },
};

static const char usage[] =
	"usage: cfir [-hqv] [-H host] [--format text|json] [--version] command [args]\n";

static void
help(void)
{
	size_t i;

	fputs(usage, stdout);
	fputs("\ncommands:\n", stdout);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		printf("   %-10s %s\n", cmds[i].name, cmds[i].summary);
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
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "host", required_argument, NULL, 'H' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cfir_global g = { 0 };
	const char *format = NULL;
	struct cfir_err err = { 0 };
	size_t i;
	int c, r;

	g.argc = argc;
	g.argv = argv;
	g.out.fp = stdout;
	while ((c = getopt_long(argc, argv, "+H:hqv", longopts, NULL)) != -1) {
		switch (c) {
		case 'F':
			format = optarg;
			break;
		case 'H':
			g.host = optarg;
			break;
		case 'h':
			help();
			return 0;
		case 'q':
			g.out.quiet = true;
			break;
		case 'v':
			g.out.verbose++;
			break;
		case 'V':
			printf("cfir %s\n", CFIR_VERSION);
			return 0;
		default:
			fputs(usage, stderr);
			return EX_USAGE;
		}
	}
	if (format == NULL)
		g.out.format = isatty(STDOUT_FILENO) ? CFIR_FORMAT_TEXT : CFIR_FORMAT_JSON;
	else if (strcmp(format, "text") == 0)
		g.out.format = CFIR_FORMAT_TEXT;
	else if (strcmp(format, "json") == 0)
		g.out.format = CFIR_FORMAT_JSON;
	else {
		cfir_err_print("--format takes text or json, not '%s'", format);
		return EX_USAGE;
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return EX_USAGE;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[optind], cmds[i].name) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		cfir_err_print("'%s' is not a cfir command; see 'cfir -h'", argv[optind]);
		return EX_USAGE;
	}
	signals();
	argc -= optind;
	argv += optind;
	optind = 0;	/* a fresh getopt for the subcommand */
	r = cmds[i].fn(argc, argv, &g);
	if (cfir_out_finish(&g.out, &err) < 0 && r == 0)
		r = cfir_err_report(&err);
	return r;
}
