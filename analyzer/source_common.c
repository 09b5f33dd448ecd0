// SPDX-License-Identifier: GPL-2.0
/*
 * The parts of source.h that do not depend on the kind of source: run and
 * close dispatch, metadata, symbols and task names (both kinds keep a
 * tep_handle with the kallsyms and saved cmdlines of the traced kernel).
 */
#include <stdio.h>

#include "decode.h"

int rc_source_run(struct rc_source *src, rc_sink_fn sink, void *arg,
		  char *err, size_t errlen)
{
	if (!src || !sink) {
		rc_seterr(err, errlen, "internal error: no source or sink");
		return -1;
	}
	if (src->ran) {
		rc_seterr(err, errlen, "internal error: the source was already run");
		return -1;
	}
	src->ran = 1;
	return src->ops->run(src, sink, arg, err, errlen);
}

const struct rc_trace_info *rc_source_info(const struct rc_source *src)
{
	return &src->info;
}

const char *rc_source_sym(const struct rc_source *src, unsigned long long addr,
			  char *buf, size_t len)
{
	const char *name = NULL;
	unsigned long long start;

	if (!buf || !len)
		return buf;
	if (src && src->tep && addr)
		name = tep_find_function(src->tep, addr);
	if (name) {
		start = tep_find_function_address(src->tep, addr);
		if (start <= addr) {
			snprintf(buf, len, "%s+0x%llx", name, addr - start);
			return buf;
		}
	}
	snprintf(buf, len, "0x%llx", addr);
	return buf;
}

const char *rc_source_comm(const struct rc_source *src, int pid)
{
	if (!src || !src->tep || pid < 0)
		return "<...>";
	return tep_data_comm_from_pid(src->tep, pid);
}

int rc_source_cmd_status(const struct rc_source *src)
{
	return src ? src->cmd_status : -1;
}

void rc_source_close(struct rc_source *src)
{
	if (!src)
		return;
	src->ops->close(src);
}
