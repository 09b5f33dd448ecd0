// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-rootcheck: replay every KVM TDP MMU root's life from kvmmmu
 * tracepoints and check refcount and reference-ownership invariants.
 *
 * Data flow: source (trace.dat or live tracefs) -> decoded rc_event ->
 * lifecycle model (judged by the rules) -> findings -> report.
 *
 * Command line: options come first (getopt with '+': the first word that
 * is not an option ends them), then FILE... or a command word, `live` or
 * `record`, whose own arguments are never parsed as the analyzer's. Options
 * may also follow a FILE (kvm-rootcheck a.dat --summary).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "engine.h"
#include "event.h"
#include "cli_io.h"
#include "clock_check.h"
#include "report.h"
#include "source.h"
#include "source_spool.h"

#define RC_VERSION "0.1"

/* trace-cmd record defaults (README): per-CPU buffer in KB, output file. */
#define RECORD_BUFFER_KB "20000"
#define RECORD_OUTPUT "trace.dat"

static void usage(FILE *out)
{
	fprintf(out,
"usage: kvm-rootcheck [options] [FILE...]\n"
"       kvm-rootcheck [options] live [-b KB] [--] [COMMAND [ARGS...]]\n"
"       kvm-rootcheck [options] record [-o FILE] [-b KB] [--] COMMAND [ARGS...]\n"
"\n"
"Check the life of every KVM TDP MMU root recorded by the kvmmmu\n"
"tracepoints (trace-cmd record -C global -e kvmmmu ...). FILE defaults\n"
"to trace.dat; several FILEs give one report each. 'live' streams from\n"
"tracefs through a private instance while COMMAND runs (or until Ctrl-C;\n"
"-b: per-CPU ring buffer in KB, default 4096).\n"
"'record' runs trace-cmd record with the events, clock and buffer the\n"
"analyzer needs around COMMAND (-o: the trace, default trace.dat, kept;\n"
"-b: per-CPU buffer in KB, default " RECORD_BUFFER_KB "), then analyzes the trace.\n"
"Everything after 'live' or 'record' (and its -o/-b) is the command's.\n"
"\n"
"  -j, --json           print the report as JSON (docs/json.md)\n"
"  -s, --summary        print only the header and the verdict; with several\n"
"                       FILEs, one line per file\n"
"  -d, --design=D       auto (default), gifted, hybrid or async-worker\n"
"  -r, --root=ADDR      print the full timeline of root ADDR (hex)\n"
"  -B, --instance=NAME  read the events of buffer instance NAME\n"
"      --color=WHEN     auto (default: if stdout is a tty), always, never\n"
"      --list-events    print the tracepoints the analyzer reads, one a line\n"
"                       (SYSTEM:NAME, for trace-cmd record -e) and exit\n"
"  -h, --help           this help\n"
"  -V, --version        print the version\n"
"\n"
"Exit status: 0 clean, 1 violations found, 2 usage or input error,\n"
"3 inconclusive: lost events (some roots could not be verified), no root\n"
"event at all in the trace, or (live) COMMAND exited non-zero or was\n"
"killed while nothing was violated (the verdict line names which).\n"
"With several FILEs the worst wins: 1, then 2, then 3, then 0.\n");
}

struct opts {
	struct rc_model_opts mopts;
	const char *instance;
	unsigned int buffer_kb;	/* live -b, 0: default */
	const char *color;
	bool json;
	bool summary;
	bool table;	/* --summary with several FILEs: one line each */
	bool json_array;	/* --json with several FILEs: an array */
};

static int sink(const struct rc_event *ev, void *arg)
{
	return rc_engine_feed(arg, ev) < 0;	/* out of memory: stop */
}

/* The clock check's sources: the trace.dat again, or the live spool. */
struct file_again {
	const char *path, *instance;
};

static struct rc_source *open_file_again(void *arg, char *err, size_t errlen)
{
	const struct file_again *f = arg;

	return rc_source_open_file(f->path, f->instance, err, errlen);
}

struct spool_again {
	struct rc_spool *sp;
	const struct rc_source *like;
};

static struct rc_source *open_spool_again(void *arg, char *err, size_t errlen)
{
	const struct spool_again *s = arg;

	return rc_source_open_spool(s->sp, s->like, err, errlen);
}

/*
 * KVM_ROOTCHECK_SPOOL_MB: the live spool's bound in MB (0: off); unset,
 * the default, capped by the free space (*dflt).
 */
static int spool_mb(uint64_t *out, bool *dflt, char *err, size_t errlen)
{
	int r;

	*out = RC_SPOOL_DEFAULT_MB;
	r = rc_env_u64("KVM_ROOTCHECK_SPOOL_MB", 1ULL << 24, "a number from 0 to 16777216",
		       out, err, errlen);
	*dflt = r == 0;
	return r < 0 ? -1 : 0;
}

static int parse_design(const char *s, enum rc_design *d)
{
	if (!strcmp(s, "auto"))
		*d = RC_DESIGN_AUTO;
	else if (!strcmp(s, "gifted"))
		*d = RC_DESIGN_GIFTED;
	else if (!strcmp(s, "async-worker"))
		*d = RC_DESIGN_ASYNC;
	else if (!strcmp(s, "hybrid"))
		*d = RC_DESIGN_HYBRID;
	else
		return -1;
	return 0;
}

/* Severity of an exit status when several inputs are combined. */
static int severity(int rc)
{
	switch (rc) {
	case RC_EXIT_VIOLATIONS: return 3;
	case RC_EXIT_USAGE: return 2;
	case RC_EXIT_INCONCLUSIVE: return 1;
	default: return 0;
	}
}

static void print_error(const struct opts *o, const char *input, const char *err)
{
	fprintf(stderr, "kvm-rootcheck: %s\n", err);
	if (o->table)
		printf("%-12s %d  %s  %s\n", "ERROR", RC_EXIT_USAGE, input, err);
	else if (o->json_array)
		rc_report_json_error(stdout, input, err);
}

/*
 * Analyze one input (path, or live with cmd) and print its report.
 * Returns the exit status of that input.
 */
static int analyze(const struct opts *o, const char *path, bool live,
		   char *const *cmd)
{
	struct rc_report rep = { 0 };
	const char *input = live ? "live" : path;
	struct rc_source *src;
	struct rc_engine *e;
	const struct rc_model *m;
	char err[8192] = "";
	static char stdin_buf[64];
	uint32_t max_vms, max_roots;
	uint64_t spool_max = 0;
	bool spool_dflt = false;
	struct rc_spool *sp = NULL;	/* live: its pages, for the clock check */
	int rc;

	if (rc_env_cap("KVM_ROOTCHECK_MAX_VMS", &max_vms, err, sizeof(err)) ||
	    rc_env_cap("KVM_ROOTCHECK_MAX_ROOTS", &max_roots, err, sizeof(err)) ||
	    (live && spool_mb(&spool_max, &spool_dflt, err, sizeof(err)))) {
		print_error(o, input, err);
		return RC_EXIT_USAGE;
	}
	if (!live && !strcmp(path, "-")) {
		/* the trace on stdin (a pipe is copied to a temporary file) */
		if (!stdin_buf[0] && !rc_stdin_path(stdin_buf, sizeof(stdin_buf), err, sizeof(err))) {
			print_error(o, input, err);
			return RC_EXIT_USAGE;
		}
		atexit(rc_stdin_cleanup);
		path = stdin_buf;
	}
	src = live ? rc_source_open_live(cmd, o->buffer_kb, err, sizeof(err)) :
		     rc_source_open_file(path, o->instance, err, sizeof(err));
	if (!src) {
		print_error(o, input, err[0] ? err : "cannot open input");
		return RC_EXIT_USAGE;
	}
	{
		struct rc_model_opts mo = o->mopts;

		/* the kernel release: 6.4/6.5 is the hybrid design */
		mo.hint = rc_design_hint(rc_source_info(src)->kernel);
		mo.max_vms = max_vms;
		mo.max_roots = max_roots;
		e = rc_engine_new(&mo);
	}
	if (!e) {
		print_error(o, input, "out of memory");
		rc_source_close(src);
		return RC_EXIT_USAGE;
	}
	m = rc_engine_model(e);
	if (live && !(sp = rc_spool_new(spool_max << 20, spool_dflt))) {
		print_error(o, input, "out of memory");
		rc_engine_free(e);
		rc_source_close(src);
		return RC_EXIT_USAGE;
	}
	rc_source_set_spool(src, sp);
	if (rc_source_run(src, sink, e, err, sizeof(err)) || rc_model_stats(m)->oom) {
		if (rc_model_stats(m)->oom)
			snprintf(err, sizeof(err), "out of memory: the trace was not analysed in full");
		print_error(o, input, err[0] ? err : "read error");
		rc_spool_free(sp);
		rc_engine_free(e);
		rc_source_close(src);
		return RC_EXIT_USAGE;
	}
	rc_engine_finish(e);
	if (o->mopts.have_root_filter) {
		size_t n = 0;

		rc_model_timeline(m, &n);
		if (!n) {
			snprintf(err, sizeof(err), "--root 0x%" PRIx64 ": no event of this root in the trace",
				 o->mopts.root_filter);
			print_error(o, input, err);
			rc_spool_free(sp);
			rc_engine_free(e);
			rc_source_close(src);
			return RC_EXIT_USAGE;
		}
	}

	if (rc_engine_findings(e)->total) {
		struct rc_model_opts mo = o->mopts;
		struct file_again fa = { path, o->instance };
		struct spool_again sa = { sp, src };
		struct rc_clock_input in = { open_file_again, &fa };

		mo.max_vms = max_vms;
		mo.max_roots = max_roots;
		if (live)
			in = (struct rc_clock_input){ open_spool_again, &sa };
		if (!live || rc_spool_whole(sp))
			rc_clock_check(&in, &mo, e, &rep);
		else
			rep.clock_skipped = rc_spool_why(sp);
	}
	rep.input = input;
	rep.info = rc_source_info(src);
	rep.src = src;
	rep.model = m;
	rep.findings = rc_engine_findings(e);
	rep.design_opt = o->mopts.design;
	rep.summary_only = o->summary;
	rep.have_root = o->mopts.have_root_filter;
	rep.root = o->mopts.root_filter;
	if (live && cmd && cmd[0] && (rc_source_cmd_status(src) >= 0 ||
				      rc_source_cmd_signal(src))) {
		rep.cmd.ran = true;
		rep.cmd.name = cmd[0];
		rep.cmd.signal = rc_source_cmd_signal(src);
		rep.cmd.exit_code = rep.cmd.signal ? -1 : rc_source_cmd_status(src);
	}
	rep.color = !strcmp(o->color, "always") ||
		    (!strcmp(o->color, "auto") && !o->json && isatty(STDOUT_FILENO));
	if (o->table) {
		rc_report_line(stdout, &rep);
	} else if (o->json) {
		rc_report_json(stdout, &rep);
	} else {
		if (rep.have_root) {
			rc_report_timeline(stdout, &rep);
			rep.summary_only = true;
			fputc('\n', stdout);
		}
		rc_report_text(stdout, &rep);
	}
	if (rep.cmd.ran && rc_report_cmd_failed(&rep)) {
		char desc[64];

		fprintf(stderr, "kvm-rootcheck: note: %s\n",
			rc_report_cmd_desc(&rep, desc, sizeof(desc)));
	}
	rc = rc_report_exit(&rep);
	if (rc_stdout_finish() < 0) {
		fprintf(stderr, "kvm-rootcheck: cannot write the report to standard output: %s\n",
			strerror(errno));
		rc = RC_EXIT_USAGE;
	}
	rc_spool_free(sp);
	rc_engine_free(e);
	rc_source_close(src);
	return rc;
}

/*
 * `record`: run trace-cmd record with the analyzer's events, the global
 * clock and a buffer of kb KB per CPU around cmd, writing out. Returns 0
 * once the trace is written, RC_EXIT_USAGE (message printed) otherwise.
 * Ctrl-C stops the command (trace-cmd then writes the trace): the
 * analyzer ignores it while trace-cmd runs.
 */
static int record(const char *out, const char *kb, char *const *cmd)
{
	char evarg[RC_EV__COUNT][96];
	const char *argv[16 + 2 * RC_EV__COUNT + 64];
	struct sigaction ign, old_int, old_quit;
	int n = 0, nev = 0, st, pfd[2], e = 0;
	ssize_t r;
	pid_t pid;

	argv[n++] = "trace-cmd";
	argv[n++] = "record";
	argv[n++] = "-C";
	argv[n++] = "global";
	argv[n++] = "-b";
	argv[n++] = kb;
	for (int t = 0; t < RC_EV__COUNT; t++) {
		int ex;

		if (!rc_events[t].tp)
			continue;
		/*
		 * trace-cmd fails on an event the kernel lacks: leave out those
		 * not every kernel has (the handoff event: ABI v2 on 6.12
		 * only), and stop with the reason when a root event is missing.
		 */
		ex = rc_live_event_exists(RC_TP_SYSTEM, rc_events[t].tp);
		if (ex == 0 && !rc_events[t].abi)
			continue;
		if (ex == 0) {
			if (rc_live_event_exists(RC_TP_SYSTEM, NULL) == 0)
				fprintf(stderr, "kvm-rootcheck: record: tracefs has no kvmmmu events (kvm module not loaded, or the kernel lacks the kvm-rootcheck patches)\n");
			else
				fprintf(stderr, "kvm-rootcheck: record: tracefs has no %s:%s: the kernel lacks the kvm-rootcheck patches\n",
					RC_TP_SYSTEM, rc_events[t].tp);
			return RC_EXIT_USAGE;
		}
		snprintf(evarg[nev], sizeof(evarg[nev]), "%s:%s", RC_TP_SYSTEM, rc_events[t].tp);
		argv[n++] = "-e";
		argv[n++] = evarg[nev++];
	}
	argv[n++] = "-o";
	argv[n++] = out;
	argv[n++] = "--";
	for (int i = 0; cmd[i]; i++) {
		if (n + 1 >= (int)(sizeof(argv) / sizeof(argv[0]))) {
			fprintf(stderr, "kvm-rootcheck: record: too many command arguments\n");
			return RC_EXIT_USAGE;
		}
		argv[n++] = cmd[i];
	}
	argv[n] = NULL;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		fprintf(stderr, "kvm-rootcheck: record: pipe: %s\n", strerror(errno));
		return RC_EXIT_USAGE;
	}
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		close(pfd[0]);
		execvp(argv[0], (char *const *)argv);
		e = errno;
		if (write(pfd[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		fprintf(stderr, "kvm-rootcheck: record: fork: %s\n", strerror(errno));
		return RC_EXIT_USAGE;
	}
	do {
		r = read(pfd[0], &e, sizeof(e));
	} while (r < 0 && errno == EINTR);
	close(pfd[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	if (r == (ssize_t)sizeof(e)) {
		fprintf(stderr, "kvm-rootcheck: record: cannot run trace-cmd: %s (install trace-cmd)\n",
			strerror(e));
		return RC_EXIT_USAGE;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		if (WIFSIGNALED(st))
			fprintf(stderr, "kvm-rootcheck: record: trace-cmd record was killed by signal %d; %s not analyzed\n",
				WTERMSIG(st), out);
		else
			fprintf(stderr, "kvm-rootcheck: record: trace-cmd record exited with status %d; %s not analyzed\n",
				WEXITSTATUS(st), out);
		return RC_EXIT_USAGE;
	}
	return 0;
}

/* Parse the arguments of `record` (argv[0] is "record"). */
static int record_main(const struct opts *o, int argc, char **argv)
{
	const char *out = RECORD_OUTPUT, *kb = RECORD_BUFFER_KB;
	char *end;
	long v;
	int c, rc;

	optind = 0;	/* a fresh getopt scan of argv[1..] */
	while ((c = getopt(argc, argv, "+o:b:")) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'b':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > 64 * 1024 * 1024) {
				fprintf(stderr, "kvm-rootcheck: record -b: '%s' is not a buffer size in KB\n",
					optarg);
				return RC_EXIT_USAGE;
			}
			kb = optarg;
			break;
		default:
			fprintf(stderr, "kvm-rootcheck: record: bad option or missing argument '%s' (see --help)\n",
				argv[optind - 1]);
			return RC_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "kvm-rootcheck: record: no command (kvm-rootcheck record [-o FILE] [-b KB] -- COMMAND)\n");
		return RC_EXIT_USAGE;
	}
	if (!*out) {
		fprintf(stderr, "kvm-rootcheck: record -o: empty file name\n");
		return RC_EXIT_USAGE;
	}
	rc = record(out, kb, &argv[optind]);
	if (rc)
		return rc;
	rc = analyze(o, out, false, NULL);
	fprintf(stderr, "kvm-rootcheck: the trace is kept in %s\n", out);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "summary", no_argument, NULL, 's' },
		{ "design", required_argument, NULL, 'd' },
		{ "root", required_argument, NULL, 'r' },
		{ "instance", required_argument, NULL, 'B' },
		{ "color", required_argument, NULL, 'C' },
		{ "list-events", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .mopts = { .design = RC_DESIGN_AUTO }, .color = "auto" };
	const char *cmdword = NULL;
	char **files;
	int nfiles = 0, c, rc = RC_EXIT_CLEAN, cmdat = 0;
	bool dashdash = false;

	files = calloc((size_t)argc + 1, sizeof(*files));
	if (!files) {
		fprintf(stderr, "kvm-rootcheck: out of memory\n");
		return RC_EXIT_USAGE;
	}
	opterr = 0;	/* one line of our own on bad options */
	while (optind < argc) {
		int before = optind;

		c = dashdash ? -1 : getopt_long(argc, argv, "+jsd:r:B:hV", longopts, NULL);
		if (c == -1) {
			if (!dashdash && optind > before && !strcmp(argv[optind - 1], "--"))
				dashdash = true;	/* everything after "--" is a FILE */
			if (optind >= argc)
				break;
			if (!nfiles && !dashdash && (!strcmp(argv[optind], "live") ||
						     !strcmp(argv[optind], "record"))) {
				cmdword = argv[optind];
				cmdat = optind;
				break;
			}
			files[nfiles++] = argv[optind++];
			continue;
		}
		switch (c) {
		case 'j':
			o.json = true;
			break;
		case 's':
			o.summary = true;
			break;
		case 'd':
			if (parse_design(optarg, &o.mopts.design)) {
				fprintf(stderr, "kvm-rootcheck: --design: '%s' is not auto, gifted, hybrid or async-worker\n",
					optarg);
				goto usage;
			}
			break;
		case 'r':
			if (rc_parse_hex_addr(optarg, &o.mopts.root_filter)) {
				fprintf(stderr, "kvm-rootcheck: --root: '%s' is not a hex address (1 to 16 hex digits, optional 0x)\n",
					optarg);
				goto usage;
			}
			o.mopts.have_root_filter = true;
			break;
		case 'B':
			o.instance = optarg;
			break;
		case 'C':
			if (strcmp(optarg, "auto") && strcmp(optarg, "always") &&
			    strcmp(optarg, "never")) {
				fprintf(stderr, "kvm-rootcheck: --color: '%s' is not auto, always or never\n",
					optarg);
				goto usage;
			}
			o.color = optarg;
			break;
		case 'L':
			for (int t = 0; t < RC_EV__COUNT; t++)
				if (rc_events[t].tp)
					printf("%s:%s\n", RC_TP_SYSTEM, rc_events[t].tp);
			free(files);
			return RC_EXIT_CLEAN;
		case 'h':
			usage(stdout);
			free(files);
			return RC_EXIT_CLEAN;
		case 'V':
			printf("kvm-rootcheck %s\n", RC_VERSION);
			free(files);
			return RC_EXIT_CLEAN;
		default:
			fprintf(stderr, "kvm-rootcheck: bad option or missing argument '%s' (see --help)\n",
				argv[optind - 1]);
			goto usage;
		}
	}
	if (cmdword && o.instance) {
		fprintf(stderr, "kvm-rootcheck: -B applies to trace files, not %s\n", cmdword);
		goto usage;
	}

	if (cmdword && !strcmp(cmdword, "record")) {
		rc = record_main(&o, argc - cmdat, argv + cmdat);
	} else if (cmdword) {
		int k = cmdat + 1;

		if (k + 1 < argc && !strcmp(argv[k], "-b")) {
			char *end;
			unsigned long kb;

			errno = 0;
			kb = strtoul(argv[k + 1], &end, 10);
			if (errno || end == argv[k + 1] || *end || !kb || kb > 64ul * 1024 * 1024) {
				fprintf(stderr, "kvm-rootcheck: live -b: '%s' is not a buffer size in KB\n",
					argv[k + 1]);
				free(files);
				return RC_EXIT_USAGE;
			}
			o.buffer_kb = (unsigned int)kb;
			k += 2;
		}
		if (k < argc && !strcmp(argv[k], "--"))
			k++;
		rc = analyze(&o, NULL, true, k < argc ? &argv[k] : NULL);
	} else if (nfiles <= 1) {
		rc = analyze(&o, nfiles ? files[0] : "trace.dat", false, NULL);
	} else {
		o.table = o.summary && !o.json;
		o.json_array = o.json;
		if (o.json)
			fputs("[\n", stdout);
		for (int i = 0; i < nfiles; i++) {
			int r;

			if (i && o.json)
				fputs(",\n", stdout);
			else if (i && !o.table)
				fputc('\n', stdout);
			r = analyze(&o, files[i], false, NULL);
			if (severity(r) > severity(rc))
				rc = r;
		}
		if (o.json)
			fputs("]\n", stdout);
	}
	fflush(stdout);
	free(files);
	return rc;
usage:
	free(files);
	return RC_EXIT_USAGE;
}
