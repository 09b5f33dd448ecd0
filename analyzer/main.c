// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-rootcheck: replay every KVM TDP MMU root's life from kvmmmu
 * tracepoints and check refcount and reference-ownership invariants.
 *
 * Data flow: source (trace.dat or live tracefs) -> decoded rc_event ->
 * lifecycle model (judged by the rules) -> findings -> report.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "model.h"
#include "report.h"
#include "source.h"

#define RC_VERSION "0.1"

static void usage(FILE *out)
{
	fprintf(out,
"usage: kvm-rootcheck [options] [FILE]\n"
"       kvm-rootcheck [options] live [-- COMMAND [ARGS...]]\n"
"\n"
"Check the life of every KVM TDP MMU root recorded by the kvmmmu\n"
"tracepoints (trace-cmd record -C global -e kvmmmu ...). FILE defaults\n"
"to trace.dat. 'live' streams from tracefs through a private instance\n"
"while COMMAND runs (or until Ctrl-C).\n"
"\n"
"  -j, --json           print the report as JSON (docs/json.md)\n"
"  -s, --summary        print only the header and the verdict\n"
"  -d, --design=D       auto (default), gifted or async-worker\n"
"  -r, --root=ADDR      print the full timeline of root ADDR (hex)\n"
"  -B, --instance=NAME  read the events of buffer instance NAME\n"
"      --color=WHEN     auto (default: if stdout is a tty), always, never\n"
"  -h, --help           this help\n"
"  -V, --version        print the version\n"
"\n"
"Exit status: 0 clean, 1 violations found, 2 usage or input error,\n"
"3 inconclusive (lost events: some roots could not be verified).\n");
}

static int sink(const struct rc_event *ev, void *arg)
{
	rc_model_feed(arg, ev);
	return 0;
}

static int parse_design(const char *s, enum rc_design *d)
{
	if (!strcmp(s, "auto"))
		*d = RC_DESIGN_AUTO;
	else if (!strcmp(s, "gifted"))
		*d = RC_DESIGN_GIFTED;
	else if (!strcmp(s, "async-worker"))
		*d = RC_DESIGN_ASYNC;
	else
		return -1;
	return 0;
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
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct rc_model_opts mopts = { .design = RC_DESIGN_AUTO };
	struct rc_report rep = { 0 };
	const char *instance = NULL, *path = "trace.dat", *color = "auto";
	bool json = false, live = false;
	char *const *cmd = NULL;
	struct rc_source *src;
	struct rc_model *m;
	char err[512] = "";
	int c, rc;

	opterr = 0;	/* one line of our own on bad options */
	while ((c = getopt_long(argc, argv, "jsd:r:B:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 's':
			rep.summary_only = true;
			break;
		case 'd':
			if (parse_design(optarg, &mopts.design)) {
				fprintf(stderr, "kvm-rootcheck: --design: '%s' is not auto, gifted or async-worker\n",
					optarg);
				return RC_EXIT_USAGE;
			}
			break;
		case 'r': {
			char *end;

			errno = 0;
			mopts.root_filter = strtoull(optarg, &end, 16);
			if (errno || end == optarg || *end) {
				fprintf(stderr, "kvm-rootcheck: --root: '%s' is not a hex address\n",
					optarg);
				return RC_EXIT_USAGE;
			}
			mopts.have_root_filter = true;
			break;
		}
		case 'B':
			instance = optarg;
			break;
		case 'C':
			if (strcmp(optarg, "auto") && strcmp(optarg, "always") &&
			    strcmp(optarg, "never")) {
				fprintf(stderr, "kvm-rootcheck: --color: '%s' is not auto, always or never\n",
					optarg);
				return RC_EXIT_USAGE;
			}
			color = optarg;
			break;
		case 'h':
			usage(stdout);
			return RC_EXIT_CLEAN;
		case 'V':
			printf("kvm-rootcheck %s\n", RC_VERSION);
			return RC_EXIT_CLEAN;
		default:
			fprintf(stderr, "kvm-rootcheck: bad option or missing argument '%s' (see --help)\n",
				argv[optind - 1]);
			return RC_EXIT_USAGE;
		}
	}
	if (optind < argc && !strcmp(argv[optind], "live")) {
		live = true;
		optind++;
		if (optind < argc && !strcmp(argv[optind], "--"))
			optind++;
		if (optind < argc)
			cmd = &argv[optind];
	} else if (optind < argc) {
		path = argv[optind++];
		if (optind < argc) {
			fprintf(stderr, "kvm-rootcheck: unexpected argument '%s'\n",
				argv[optind]);
			return RC_EXIT_USAGE;
		}
	}
	if (live && instance) {
		fprintf(stderr, "kvm-rootcheck: -B applies to trace files, not live\n");
		return RC_EXIT_USAGE;
	}

	src = live ? rc_source_open_live(cmd, err, sizeof(err)) :
		     rc_source_open_file(path, instance, err, sizeof(err));
	if (!src) {
		fprintf(stderr, "kvm-rootcheck: %s\n", err[0] ? err : "cannot open input");
		return RC_EXIT_USAGE;
	}
	m = rc_model_new(&mopts);
	if (!m) {
		fprintf(stderr, "kvm-rootcheck: out of memory\n");
		rc_source_close(src);
		return RC_EXIT_USAGE;
	}
	if (rc_source_run(src, sink, m, err, sizeof(err))) {
		fprintf(stderr, "kvm-rootcheck: %s\n", err[0] ? err : "read error");
		rc_model_free(m);
		rc_source_close(src);
		return RC_EXIT_USAGE;
	}
	rc_model_finish(m);

	rep.input = live ? "live" : path;
	rep.info = rc_source_info(src);
	rep.src = src;
	rep.model = m;
	rep.design_opt = mopts.design;
	rep.have_root = mopts.have_root_filter;
	rep.root = mopts.root_filter;
	rep.color = !strcmp(color, "always") ||
		    (!strcmp(color, "auto") && !json && isatty(STDOUT_FILENO));
	if (json) {
		rc_report_json(stdout, &rep);
	} else {
		if (rep.have_root) {
			rc_report_timeline(stdout, &rep);
			rep.summary_only = true;
			fputc('\n', stdout);
		}
		rc_report_text(stdout, &rep);
	}
	if (live && rc_source_cmd_status(src) > 0)
		fprintf(stderr, "kvm-rootcheck: note: the command exited with status %d\n",
			rc_source_cmd_status(src));
	rc = rc_report_exit(&rep);
	fflush(stdout);
	rc_model_free(m);
	rc_source_close(src);
	return rc;
}
