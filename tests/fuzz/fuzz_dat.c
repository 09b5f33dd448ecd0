// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target for the trace.dat path: the input is a whole trace.dat file,
 * read exactly as the command line reads it (rc_source_open_file(), the
 * stream into the model, both reports). The file lives in a memfd so that
 * libtracecmd can seek in it as in a real file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine.h"
#include "model.h"
#include "report.h"
#include "source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sink(const struct rc_event *ev, void *arg)
{
	rc_engine_feed(arg, ev);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct rc_model_opts mo = { .design = RC_DESIGN_AUTO };
	struct rc_report rep;
	struct rc_source *src;
	struct rc_engine *m;
	char path[64], err[1024];
	int fd;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (!devnull)
		return 0;
	fd = memfd_create("fuzz.dat", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	src = rc_source_open_file(path, NULL, err, sizeof(err));
	if (!src) {
		close(fd);
		return 0;
	}
	m = rc_engine_new(&mo);
	if (m && rc_source_run(src, sink, m, err, sizeof(err)) == 0) {
		rc_engine_finish(m);
		memset(&rep, 0, sizeof(rep));
		rep.input = "fuzz.dat";
		rep.info = rc_source_info(src);
		rep.src = src;
		rep.model = rc_engine_model(m);
		rep.findings = rc_engine_findings(m);
		rc_report_text(devnull, &rep);
		rc_report_json(devnull, &rep);
		rc_report_exit(&rep);
	}
	rc_engine_free(m);
	rc_source_close(src);
	close(fd);
	return 0;
}
