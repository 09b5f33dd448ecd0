// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the trace.dat source (analyzer/source_tracecmd.c) on genuine
 * trace.dat files written by tests/sim/gentrace.py, and of the error paths
 * of the live source (analyzer/source_live.c) on a host without tracefs.
 *
 * Fixtures: $RC_FIXTURES/src_*.dat (made by tests/run-analyzer-tests.sh from
 * tests/fixtures/src_*.txt). If RC_FIXTURES is not set, they are generated
 * here from tests/fixtures/ (run from the top of the repository). Traces
 * that need a special formats directory (no root events, foreign events)
 * and the v7 copy (trace-cmd convert) are always made here, in a temporary
 * directory. Tools: python3, tests/sim/gentrace.py ($RC_GENTRACE),
 * trace-cmd.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <signal.h>
#include <trace-cmd.h>
#include <tracefs.h>

#include "source-local.h"
#include "source.h"
#include "source_merge.h"
#include "source_spool.h"
#include "rawpages.h"
#include "unit.h"

static char tmpdir[] = "/tmp/rc-test-source.XXXXXX";
static const char *fixtures;
static const char *gentrace;
static const char *simformats;
static const char *realdata;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int tracefs_mounted(void)
{
	return sh("grep -q ' tracefs ' /proc/mounts") == 0;
}

/*
 * trace-cmd convert to another version (v7: zstd-compressed). As root it
 * mounts tracefs if none is mounted (tracefs_tracing_dir()): then it runs
 * in a private mount namespace, so that the host's mounts never change.
 * Where no namespace can be made, root cannot mount either (a container
 * without CAP_SYS_ADMIN); tests/run-checks.sh fails if the mounts change.
 */
static int convert(const char *in, const char *out, int version)
{
	return sh("cmd='trace-cmd convert --file-version %d --compression %s -i %s -o %s'; "
		  "if [ \"$(id -u)\" = 0 ] && unshare -m --propagation private true 2>/dev/null; "
		  "then unshare -m --propagation private $cmd; else $cmd; fi >/dev/null 2>&1",
		  version, version >= 7 ? "zstd" : "none", in, out);
}

static int convert_v7(const char *in, const char *out)
{
	return convert(in, out, 7);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK_MSG(f != NULL, "cannot write %s", path);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

/* Path of a trace: fixture .dat, or one made in tmpdir. */
static const char *fixture(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.dat", fixtures, name);
	return buf;
}

struct got {
	struct rc_event ev[64];
	int n;
	int stop_after;
	uint64_t hash;		/* of every event, for streams longer than ev[] */
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h;
}

static int sink(const struct rc_event *ev, void *arg)
{
	struct got *g = arg;

	if (g->n < 64)
		g->ev[g->n] = *ev;
	g->n++;
	g->hash = mix(g->hash, ev->type);
	g->hash = mix(g->hash, ev->seq);
	g->hash = mix(g->hash, ev->ts);
	g->hash = mix(g->hash, (uint64_t)ev->cpu);
	g->hash = mix(g->hash, (uint64_t)ev->pid);
	g->hash = mix(g->hash, ev->kvm);
	g->hash = mix(g->hash, ev->root);
	g->hash = mix(g->hash, ev->caller);
	g->hash = mix(g->hash, ev->old);
	g->hash = mix(g->hash, ev->owner);
	g->hash = mix(g->hash, (uint64_t)ev->lost);
	return g->stop_after && g->n >= g->stop_after;
}

static struct rc_source *open_ok(const char *path, const char *inst)
{
	char err[512] = "";
	struct rc_source *src = rc_source_open_file(path, inst, err, sizeof(err));

	CHECK_MSG(src != NULL, "open %s: %s", path, err);
	return src;
}

static int run_all(struct rc_source *src, struct got *g)
{
	char err[512] = "";
	int r;

	memset(g, 0, sizeof(*g));
	r = rc_source_run(src, sink, g, err, sizeof(err));
	CHECK_MSG(r == 0, "run: %s", err);
	return r;
}

#define KVM 0xffff8880041c0000ull
#define SYM(i) (0xffffffff81100000ull + 0x400ull * (i))	/* gentrace kallsyms */

/* src_fields: expected events, in timestamp order. */
static void check_fields(const char *path, const char *what)
{
	struct rc_source *src = open_ok(path, NULL);
	const struct rc_trace_info *info;
	const struct rc_event *e;
	char buf[128];
	struct got g;

	if (!src)
		return;
	info = rc_source_info(src);
	CHECK_MSG(strcmp(info->kernel, "6.1.192") == 0, "%s: kernel '%s'", what, info->kernel);
	CHECK_MSG(info->ncpus == 3, "%s: ncpus %d", what, info->ncpus);
	CHECK_MSG(strcmp(info->clock, "global") == 0, "%s: clock '%s'", what, info->clock);
	CHECK(info->clock_reliable == 1);
	CHECK(info->missing_events == 0);
	run_all(src, &g);
	CHECK_MSG(g.n == 12, "%s: %d events", what, g.n);
	if (g.n != 12)
		goto out;
	for (int i = 0; i < 12; i++) {
		CHECK_MSG(g.ev[i].seq == (uint64_t)i, "%s: seq", what);
		CHECK_MSG(g.ev[i].ts == 1000ull * (uint64_t)(i + 1), "%s: event %d ts %llu",
			  what, i, (unsigned long long)g.ev[i].ts);
		CHECK(g.ev[i].type != RC_EV_LOST);
	}
	CHECK(info->events_read == 12);
	CHECK(info->records_read == 12);
	CHECK(info->lost_events == 0 && info->lost_unknown == 0);

	e = &g.ev[0];	/* 1000: alloc on CPU 0 */
	CHECK(e->type == RC_EV_ROOT_ALLOC && e->cpu == 0 && e->pid == 1234);
	CHECK(e->kvm == KVM && e->root == 0x1234000 && e->role == 0x10c04);
	CHECK(e->count == 2 && e->as_id == 1 && e->level == 5);
	e = &g.ev[1];	/* 2000: put on CPU 1 */
	CHECK(e->type == RC_EV_ROOT_PUT && e->cpu == 1 && e->pid == 2001);
	CHECK(e->kvm == KVM && e->root == 0x1234000);
	CHECK(e->caller == SYM(5) + 0x20);
	CHECK(e->old == 4294967295u && e->owner == RC_OWN_ZAP);
	CHECK_MSG(strcmp(rc_source_sym(src, e->caller, buf, sizeof(buf)),
			 "mmu_free_root_page+0x20") == 0, "sym '%s'", buf);
	e = &g.ev[2];	/* 3000: get on CPU 0 */
	CHECK(e->type == RC_EV_ROOT_GET && e->cpu == 0 && e->pid == 1234);
	CHECK(e->caller == SYM(3) + 0x3c && e->old == 2 && e->owner == RC_OWN_VCPU);
	CHECK_MSG(strcmp(rc_source_sym(src, e->caller, buf, sizeof(buf)),
			 "kvm_tdp_mmu_alloc_root+0x3c") == 0, "sym '%s'", buf);
	e = &g.ev[3];	/* 4000: failed get on CPU 1, another root */
	CHECK(e->type == RC_EV_ROOT_GET && e->cpu == 1 && e->root == 0x5678000);
	CHECK(e->old == 0 && e->owner == RC_OWN_ITER && e->caller == SYM(2));
	CHECK_MSG(strcmp(rc_source_sym(src, e->caller, buf, sizeof(buf)),
			 "tdp_mmu_next_root+0x0") == 0, "sym '%s'", buf);
	e = &g.ev[4];	/* 5000: the existing fast-zap tracepoint */
	CHECK(e->type == RC_EV_FAST_ZAP_START && e->cpu == 0 && e->pid == 1234);
	CHECK(e->kvm == 0 && e->root == 0);
	e = &g.ev[5];	/* 6000 */
	CHECK(e->type == RC_EV_ROOT_INVALIDATE && e->kvm == KVM && e->root == 0x1234000);
	CHECK(e->count == 3 && e->reason == RC_RSN_TEARDOWN);
	e = &g.ev[6];	/* 7000: put with an address outside kallsyms */
	CHECK(e->type == RC_EV_ROOT_PUT && e->cpu == 1 && e->pid == 2002);
	CHECK(e->caller == 0xffffffff9000abcdull && e->old == 1 && e->owner == RC_OWN_MMU);
	CHECK_MSG(strcmp(rc_source_sym(src, e->caller, buf, sizeof(buf)),
			 "0xffffffff9000abcd") == 0, "sym '%s'", buf);
	e = &g.ev[7];	/* 8000 */
	CHECK(e->type == RC_EV_ROOT_ZAP_START && e->root == 0x1234000);
	CHECK(e->ctx == RC_CTX_ZAP_ALL && e->shared == 1);
	e = &g.ev[8];	/* 9000 */
	CHECK(e->type == RC_EV_ROOT_ZAP_END && e->ctx == RC_CTX_WORKER && e->shared == 0);
	e = &g.ev[9];	/* 10000 */
	CHECK(e->type == RC_EV_ROOT_FREE && e->kvm == KVM && e->root == 0x1234000);
	CHECK(e->cpu == 1);
	e = &g.ev[10];	/* 11000 */
	CHECK(e->type == RC_EV_TEARDOWN && e->kvm == 0xffff888004aa0000ull && e->cpu == 1);
	e = &g.ev[11];	/* 12000 */
	CHECK(e->type == RC_EV_FAST_ZAP_DONE && e->kvm == KVM && e->cpu == 0);

	/* task names from the trace's saved cmdlines */
	CHECK(strcmp(rc_source_comm(src, 1234), "qemu-kvm") == 0);
	CHECK(strcmp(rc_source_comm(src, 2001), "kvm-vcpu-0") == 0);
	CHECK(strcmp(rc_source_comm(src, 2002), "kvm-vcpu-1") == 0);
	CHECK(strcmp(rc_source_comm(src, 3333), "<...>") == 0);
	CHECK(strcmp(rc_source_comm(src, -1), "<...>") == 0);
	CHECK(strcmp(rc_source_sym(src, 0, buf, sizeof(buf)), "0x0") == 0);
	/* below the first symbol; inside one; a buffer too small truncates */
	CHECK(strcmp(rc_source_sym(src, 0xffffffff81000000ull, buf, sizeof(buf)),
		     "0xffffffff81000000") == 0);
	CHECK(strcmp(rc_source_sym(src, SYM(7) + 0x3ff, buf, sizeof(buf)),
		     "kvm_tdp_mmu_zap_leafs+0x3ff") == 0);
	CHECK(strcmp(rc_source_sym(src, SYM(7), buf, 8), "kvm_tdp") == 0);
	CHECK(rc_source_cmd_status(src) == -1);
	/* a source runs once */
	{
		char err[256] = "";

		CHECK(rc_source_run(src, sink, &g, err, sizeof(err)) == -1 && err[0]);
	}
out:
	rc_source_close(src);
}

static void test_fields(void)
{
	char p[512], p7[512];

	check_fields(fixture("src_fields", p, sizeof(p)), "v6");

	/* the same trace as version 7 with zstd-compressed sections */
	snprintf(p7, sizeof(p7), "%s/src_fields.v7.dat", tmpdir);
	CHECK(convert_v7(p, p7) == 0);
	{
		FILE *f = fopen(p7, "rb");
		char hdr[12] = "";

		CHECK(f && fread(hdr, 1, sizeof(hdr), f) == sizeof(hdr) && hdr[10] == '7');
		if (f)
			fclose(f);
	}
	check_fields(p7, "v7");
}

static void test_lost(void)
{
	struct rc_source *src;
	const struct rc_trace_info *info;
	char p[512];
	struct got g;

	src = open_ok(fixture("src_lost", p, sizeof(p)), NULL);
	if (!src)
		return;
	info = rc_source_info(src);
	CHECK(strcmp(info->clock, "local") == 0 && info->clock_reliable == 0);
	CHECK(strcmp(info->kernel, "6.12.117") == 0 && info->ncpus == 2);
	run_all(src, &g);
	CHECK_MSG(g.n == 8, "%d events", g.n);
	if (g.n == 8) {
		static const enum rc_ev_type want[8] = {
			RC_EV_ROOT_ALLOC, RC_EV_ROOT_GET, RC_EV_LOST, RC_EV_ROOT_PUT,
			RC_EV_LOST, RC_EV_ROOT_FREE, RC_EV_LOST, RC_EV_TEARDOWN,
		};

		for (int i = 0; i < 8; i++) {
			CHECK_MSG(g.ev[i].type == want[i], "event %d: %s", i,
				  rc_ev_name(g.ev[i].type));
			CHECK(g.ev[i].seq == (uint64_t)i);
		}
		/* each LOST precedes the record it was found on, same CPU, same ts */
		CHECK(g.ev[2].cpu == 1 && g.ev[2].lost == 17 && g.ev[2].ts == 400);
		CHECK(g.ev[2].pid == -1);
		CHECK(g.ev[4].cpu == 0 && g.ev[4].lost == -1 && g.ev[4].ts == 600);
		CHECK(g.ev[6].cpu == 1 && g.ev[6].lost == 3 && g.ev[6].ts == 800);
		CHECK(g.ev[3].cpu == 1 && g.ev[3].old == 3 && g.ev[3].pid == 11);
	}
	CHECK(info->lost_events == 20);
	CHECK(info->lost_unknown == 1);
	CHECK(info->events_read == 5);
	CHECK(info->records_read == 5);
	CHECK(strcmp(rc_source_comm(src, 10), "vcpu-a") == 0);
	rc_source_close(src);
}

/* The sink can stop the stream. */
static void test_stop(void)
{
	char p[512], err[256] = "";
	struct rc_source *src = open_ok(fixture("src_fields", p, sizeof(p)), NULL);
	struct got g;

	if (!src)
		return;
	memset(&g, 0, sizeof(g));
	g.stop_after = 3;
	CHECK(rc_source_run(src, sink, &g, err, sizeof(err)) == 0);
	CHECK_MSG(g.n == 3, "%d events after stop", g.n);
	CHECK(rc_source_info(src)->events_read == 3);
	rc_source_close(src);
}

/* Formats directory: the sim formats (all, or only the fast-zap event), plus
 * an unrelated sched event. Returns 0 on success. */
static int make_formats(const char *dir, int root_events, const char *drop)
{
	char path[1024];
	int r;

	if (root_events)
		r = sh("cp -r %s %s", simformats, dir);
	else
		r = sh("mkdir -p %s/kvmmmu && cp -r %s/kvmmmu/kvm_mmu_zap_all_fast %s/kvmmmu/",
		       dir, simformats, dir);
	if (r)
		return r;
	if (drop && sh("rm -r %s/kvmmmu/%s", dir, drop))
		return -1;
	snprintf(path, sizeof(path), "%s/sched/sched_switch", dir);
	if (sh("mkdir -p %s", path))
		return -1;
	strcat(path, "/format");
	write_file(path,
		   "name: sched_switch\nID: 316\nformat:\n"
		   "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
		   "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
		   "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
		   "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
		   "\tfield:int prev_pid;\toffset:8;\tsize:4;\tsigned:1;\n\n"
		   "print fmt: \"prev_pid=%d\", REC->prev_pid\n");
	return 0;
}

static int gen(const char *formats, const char *name, const char *text, char *out, size_t len)
{
	char txt[1024];

	snprintf(txt, sizeof(txt), "%s/%s.txt", tmpdir, name);
	snprintf(out, len, "%s/%s.dat", tmpdir, name);
	write_file(txt, text);
	return sh("python3 %s --formats %s -o %s %s", gentrace, formats, out, txt);
}

/* Two CPUs, CPU 1's clock 5 us late (test_shift_clocks, test_spool). */
static const char shift_text[] =
	"#! kernel=6.12.117 clock=global ncpus=2 skew=1:5000\n"
	"1000 0 10 a kvm_tdp_mmu_root_alloc kvm=0x1 root=0x1000 count=2\n"
	"2000 1 20 b kvm_tdp_mmu_root_get kvm=0x1 root=0x1000 old=2 owner=iter\n"
	"3000 0 10 a kvm_tdp_mmu_root_put kvm=0x1 root=0x1000 old=3 owner=vcpu\n"
	"4000 1 20 b kvm_tdp_mmu_root_put kvm=0x1 root=0x1000 old=2 owner=iter\n"
	"5000 0 10 a kvm_tdp_mmu_root_get kvm=0x1 root=0x1000 old=1 owner=vcpu\n";

/*
 * rc_source_shift_clocks(): CPU 1 written 5 us ahead, set back by 5 us,
 * comes out merged in the true order, renumbered; its own order kept;
 * a live source and an already run one refuse.
 */
static void test_shift_clocks(void)
{
	static const uint32_t want_old[] = { 0, 2, 3, 2, 1 };	/* alloc: count */
	uint64_t sub[2] = { 0, 5000 };
	char dat[512], fdir[512];
	struct rc_source *src;
	struct got g;

	snprintf(fdir, sizeof(fdir), "%s", simformats);
	if (gen(fdir, "shift", shift_text, dat, sizeof(dat)))
		return;
	/* as stamped: CPU 1's records come late */
	src = open_ok(dat, NULL);
	if (!src)
		return;
	run_all(src, &g);
	CHECK(g.n == 5 && g.ev[1].ts == 3000 && g.ev[2].ts == 5000 && g.ev[2].cpu == 0);
	CHECK(rc_source_shift_clocks(src, sub, 2) == -1);	/* already run */
	rc_source_close(src);
	/* set back: the true order, seq renumbered, CPU 1's own order kept */
	src = open_ok(dat, NULL);
	if (!src)
		return;
	CHECK(rc_source_shift_clocks(src, sub, 2) == 0);
	run_all(src, &g);
	CHECK(g.n == 5);
	for (int i = 0; i < 5 && i < g.n; i++) {
		CHECK_MSG(g.ev[i].seq == (uint64_t)i && g.ev[i].ts == 1000ull * (i + 1) &&
			  (i ? g.ev[i].old == want_old[i] : g.ev[i].count == 2),
			  "event %d: seq %llu ts %llu old %u", i,
			  (unsigned long long)g.ev[i].seq, (unsigned long long)g.ev[i].ts,
			  g.ev[i].old);
	}
	rc_source_close(src);
}

/* Each page of a trace.dat into a spool. */
static void spool_page_fn(int cpu, const unsigned char *page, unsigned int len, void *arg)
{
	rc_spool_page(arg, cpu, page, len, RP_PAGE);
}

/*
 * A file's events, read again from a spool of its pages (as live keeps
 * them), shifted or not: what the file gives.
 */
static void spool_same(const char *dat, const uint64_t *sub, int n)
{
	struct rc_spool *sp = rc_spool_new((uint64_t)64 << 20, false);
	struct rc_source *src, *again;
	struct got want, g, g2;
	char err[512] = "";
	long pages;

	CHECK(sp != NULL);
	if (!sp)
		return;
	src = open_ok(dat, NULL);
	if (!src) {
		rc_spool_free(sp);
		return;
	}
	run_all(src, &want);
	pages = rp_pages(dat, spool_page_fn, sp);
	CHECK_MSG(pages > 0 && rc_spool_whole(sp) && !rc_spool_why(sp)[0], "%s: %ld pages: %s",
		  dat, pages, rc_spool_why(sp));
	CHECK(rc_spool_pages(sp) == (uint64_t)pages && rc_spool_bytes(sp) > (uint64_t)pages * 8);
	/* as read: every event, seq and all */
	again = rc_source_open_spool(sp, src, err, sizeof(err));
	CHECK_MSG(again != NULL, "%s", err);
	if (again) {
		CHECK(rc_source_info(again)->ncpus == rc_source_info(src)->ncpus &&
		      rc_source_info(src)->ncpus > 0 &&
		      !strcmp(rc_source_info(again)->clock, rc_source_info(src)->clock));
		run_all(again, &g);
		CHECK_MSG(g.n == want.n && g.hash == want.hash, "%s: %d events, want %d",
			  dat, g.n, want.n);
		CHECK(rc_source_info(again)->events_read == rc_source_info(src)->events_read);
		rc_source_close(again);
	}
	if (sub) {
		/* shifted: what the file gives with the same shift */
		struct rc_source *f2 = open_ok(dat, NULL);

		memset(&want, 0, sizeof(want));
		if (f2 && !rc_source_shift_clocks(f2, sub, n))
			run_all(f2, &want);
		rc_source_close(f2);
		memset(&g, 0, sizeof(g));
		memset(&g2, 0, sizeof(g2));
		for (int pass = 0; pass < 2; pass++) {
			again = rc_source_open_spool(sp, src, err, sizeof(err));
			if (!again)
				break;
			CHECK(rc_source_shift_clocks(again, sub, n) == 0);
			run_all(again, pass ? &g2 : &g);
			rc_source_close(again);
		}
		CHECK_MSG(g.n == want.n && g.hash == want.hash && g2.hash == g.hash,
			  "%s shifted: %d events, want %d", dat, g.n, want.n);
	}
	rc_source_close(src);
	rc_spool_free(sp);
}

/* Drops counted at the end of the run come out of every pass, at its end. */
static void spool_drops(const char *dat)
{
	struct rc_spool *sp = rc_spool_new((uint64_t)64 << 20, false);
	struct rc_cpu_drops d[2] = { { 0, 0, 0 }, { 0, 0, 3 } };
	struct rc_source *src = open_ok(dat, NULL), *again = NULL;
	char err[512] = "";
	struct got want, g;

	if (!sp || !src)
		goto out;
	run_all(src, &want);
	rp_pages(dat, spool_page_fn, sp);
	rc_spool_drops(sp, d, 2);
	again = rc_source_open_spool(sp, src, err, sizeof(err));
	CHECK_MSG(again != NULL, "%s", err);
	if (!again)
		goto out;
	run_all(again, &g);
	CHECK_MSG(g.n == want.n + 1 && g.n <= 64 && g.ev[g.n - 1].type == RC_EV_LOST &&
		  g.ev[g.n - 1].cpu == 1 && g.ev[g.n - 1].lost == -1 &&
		  rc_source_info(again)->lost_unknown,
		  "%d events, want %d and a LOST", g.n, want.n + 1);
out:
	rc_source_close(again);
	rc_source_close(src);
	rc_spool_free(sp);
}

static void test_spool(void)
{
	uint64_t sub[2] = { 0, 5000 }, sub4[2] = { 30000, 1000000 };
	char dat[512], fdir[512], real[700], err[512], old[600];
	const char *tmp = getenv("TMPDIR");
	unsigned char page[RP_PAGE];
	struct rc_spool *sp;
	FILE *p;

	snprintf(fdir, sizeof(fdir), "%s", simformats);
	if (gen(fdir, "spool", shift_text, dat, sizeof(dat)))
		return;
	spool_same(dat, sub, 2);
	spool_drops(dat);
	/* missed-events marks, counted and not, stored in the pages */
	spool_same(fixture("src_lost", real, sizeof(real)), sub, 2);
	/* real traces (v7): thousands of events on several CPUs */
	snprintf(real, sizeof(real), "%s/6.12-rootstress.dat", realdata);
	if (access(real, R_OK) == 0)
		spool_same(real, sub4, 2);
	snprintf(real, sizeof(real), "%s/6.1-memslot_modification_stress_test.dat", realdata);
	if (access(real, R_OK) == 0)
		spool_same(real, sub4, 2);

	/* the bound (pages and their index): past it nothing more is kept */
	memset(page, 0, sizeof(page));
	sp = rc_spool_new(3 * (100 + 8), false);
	for (int i = 0; i < 5 && sp; i++)
		rc_spool_page(sp, 0, page, 100, RP_PAGE);
	CHECK(sp && !rc_spool_whole(sp) && rc_spool_pages(sp) == 5 &&
	      rc_spool_bytes(sp) == 3 * (100 + 8) && strstr(rc_spool_why(sp), "outgrew"));
	CHECK(sp && !rc_source_open_spool(sp, NULL, err, sizeof(err)) && strstr(err, "outgrew"));
	rc_spool_free(sp);
	/* a page longer than its sub-buffer, or of a CPU out of range */
	sp = rc_spool_new(1 << 20, false);
	if (sp)
		rc_spool_page(sp, 0, page, RP_PAGE + 1, RP_PAGE);
	CHECK(sp && !rc_spool_whole(sp) && strstr(rc_spool_why(sp), "a page of 4097 bytes"));
	rc_spool_free(sp);
	sp = rc_spool_new(1 << 20, false);
	if (sp)
		rc_spool_page(sp, RC_MAX_CPUS, page, 100, RP_PAGE);
	CHECK(sp && !rc_spool_whole(sp) && strstr(rc_spool_why(sp), "a page of CPU 4096"));
	rc_spool_free(sp);
	/* off */
	sp = rc_spool_new(0, true);
	if (sp)
		rc_spool_page(sp, 0, page, 100, RP_PAGE);
	CHECK(sp && !rc_spool_whole(sp) && strstr(rc_spool_why(sp), "KVM_ROOTCHECK_SPOOL_MB=0"));
	rc_spool_free(sp);
	/* its file is in TMPDIR, unlinked at once; one that cannot be made */
	snprintf(old, sizeof(old), "%s", tmp ? tmp : "");
	setenv("TMPDIR", tmpdir, 1);
	sp = rc_spool_new(1 << 20, true);
	if (sp)
		rc_spool_page(sp, 0, page, 100, RP_PAGE);
	snprintf(real, sizeof(real), "ls %s | grep -c kvm-rootcheck-spool", tmpdir);
	p = popen(real, "r");
	CHECK(p && fgets(err, sizeof(err), p) && atoi(err) == 0);
	if (p)
		pclose(p);
	CHECK(sp && rc_spool_whole(sp) && rc_spool_limit(sp) == 1 << 20);
	rc_spool_free(sp);
	/* the default bound: a quarter of the free space at most */
	{
		struct statvfs vfs;
		uint64_t huge = (uint64_t)1 << 62;

		sp = rc_spool_new(huge, true);
		CHECK(sp && statvfs(tmpdir, &vfs) == 0 && rc_spool_limit(sp) > 0 &&
		      rc_spool_limit(sp) < huge &&
		      rc_spool_limit(sp) <= 2 * ((uint64_t)vfs.f_bavail * vfs.f_frsize / 4));
		rc_spool_free(sp);
		sp = rc_spool_new(huge, false);
		CHECK(sp && rc_spool_limit(sp) == huge);
		rc_spool_free(sp);
	}
	setenv("TMPDIR", "/nonexistent/dir", 1);
	sp = rc_spool_new(1 << 20, true);
	CHECK(sp && !rc_spool_whole(sp) && strstr(rc_spool_why(sp), "cannot create the spool in /nonexistent/dir"));
	rc_spool_free(sp);
	if (tmp)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");
}

static void test_foreign_and_missing(void)
{
	char fdir[512], dat[512], err[512];
	struct rc_source *src;
	struct got g;

	/* other events are counted and skipped */
	snprintf(fdir, sizeof(fdir), "%s/formats-all", tmpdir);
	CHECK(make_formats(fdir, 1, NULL) == 0);
	CHECK(gen(fdir, "mixed",
		  "#! kernel=6.12.117 clock=mono ncpus=2\n"
		  "10 0 1 init sched_switch prev_pid=5\n"
		  "20 0 1 init kvm_tdp_mmu_teardown kvm=0x5\n"
		  "30 1 1 init sched_switch prev_pid=6\n"
		  "40 1 - - LOST 2\n"
		  "5000000050 1 7 other sched_switch prev_pid=7\n",
		  dat, sizeof(dat)) == 0);
	src = open_ok(dat, NULL);
	if (src) {
		const struct rc_trace_info *info = rc_source_info(src);

		CHECK(strcmp(info->clock, "mono") == 0 && info->clock_reliable == 1);
		run_all(src, &g);
		CHECK_MSG(g.n == 2, "%d events", g.n);
		CHECK(g.ev[0].type == RC_EV_TEARDOWN && g.ev[0].kvm == 5);
		/* a loss found on a foreign record is still reported */
		CHECK(g.ev[1].type == RC_EV_LOST && g.ev[1].lost == 2 && g.ev[1].cpu == 1);
		CHECK(g.ev[1].ts == 5000000050ull);	/* after a time extend */
		CHECK(info->records_read == 4 && info->events_read == 1);
		CHECK(info->lost_events == 2);
		rc_source_close(src);
	}

	/* a kernel with some of the events: they are counted as missing */
	snprintf(fdir, sizeof(fdir), "%s/formats-noteardown", tmpdir);
	CHECK(make_formats(fdir, 1, "kvm_tdp_mmu_teardown") == 0);
	CHECK(gen(fdir, "partial",
		  "10 0 1 init kvm_tdp_mmu_root_free kvm=0x5 root=0x6000\n",
		  dat, sizeof(dat)) == 0);
	src = open_ok(dat, NULL);
	if (src) {
		CHECK(rc_source_info(src)->missing_events == 1);
		rc_source_close(src);
	}

	/* an unpatched kernel: no root events at all */
	snprintf(fdir, sizeof(fdir), "%s/formats-unpatched", tmpdir);
	CHECK(make_formats(fdir, 0, NULL) == 0);
	CHECK(gen(fdir, "unpatched",
		  "10 0 1 init kvm_mmu_zap_all_fast mmu_valid_gen=1\n"
		  "20 0 1 init sched_switch prev_pid=5\n",
		  dat, sizeof(dat)) == 0);
	err[0] = '\0';
	src = rc_source_open_file(dat, NULL, err, sizeof(err));
	CHECK(src == NULL);
	CHECK_MSG(strstr(err, "trace has no kvmmmu root events (kernel lacks the kvm-rootcheck patches?)"),
		  "err '%s'", err);
	rc_source_close(src);
}

static void expect_err(const char *path, const char *inst, const char *want)
{
	char err[512] = "";
	struct rc_source *src = rc_source_open_file(path, inst, err, sizeof(err));

	CHECK_MSG(src == NULL, "%s opened", path ? path : "(null)");
	CHECK_MSG(strstr(err, want) != NULL, "%s: err '%s', want '%s'",
		  path ? path : "(null)", err, want);
	CHECK_MSG(err[0] && !strchr(err, '\n'), "not one line: '%s'", err);
	rc_source_close(src);
}

static void test_errors(void)
{
	char p[512], bad[512], fx[512];
	unsigned char junk[4096];
	FILE *f;

	snprintf(p, sizeof(p), "%s/does-not-exist.dat", tmpdir);
	expect_err(p, NULL, "No such file or directory");
	expect_err(tmpdir, NULL, "is a directory");
	expect_err("/dev/null", NULL, "not a regular file");
	expect_err(NULL, NULL, "no trace file");

	/* garbage */
	snprintf(bad, sizeof(bad), "%s/garbage.dat", tmpdir);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 131 + 7);
	f = fopen(bad, "wb");
	if (f) {
		fwrite(junk, 1, sizeof(junk), f);
		fclose(f);
	}
	expect_err(bad, NULL, "not a trace-cmd trace.dat file");
	/* empty */
	write_file(bad, "");
	expect_err(bad, NULL, "not a trace-cmd trace.dat file");
	/* a text trace given by mistake */
	write_file(bad, "#! kernel=6.12.117\n1 0 1 a kvm_tdp_mmu_teardown kvm=1\n");
	expect_err(bad, NULL, "not a trace-cmd trace.dat file");
	/* the magic and nothing else */
	write_file(bad, "\027\010Dtracing6");
	expect_err(bad, NULL, "truncated trace.dat file (11 bytes)");
	/* a version libtracecmd does not know */
	{
		static const char v99[] = "\027\010Dtracing99\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

		f = fopen(bad, "wb");
		if (f) {
			fwrite(v99, 1, sizeof(v99), f);
			fclose(f);
		}
	}
	expect_err(bad, NULL, "cannot read trace.dat version 99");

	/* a real trace cut short (an unfinished copy): libtracecmd 1.3.1
	 * (trace-cmd 3.1.6) crashes on these, the source must not */
	fixture("src_fields", fx, sizeof(fx));
	CHECK(sh("head -c -100 %s > %s", fx, bad) == 0);
	expect_err(bad, NULL, "cannot read trace.dat version 6");
	CHECK(sh("head -c 9000 %s > %s", fx, bad) == 0);
	expect_err(bad, NULL, "cannot read trace.dat version 6");

	/* instances: the generator writes none, so only the errors */
	expect_err(fx, "vm1", "no buffer instance 'vm1' (the trace has no instances)");
	expect_err(fx, "", "empty buffer instance name");
}

static void test_live_errors(void)
{
	char err[512] = "";
	char dir[512];
	struct rc_source *src;

	/* never tracefs_tracing_dir() here: it mounts tracefs if it can */
	unsetenv("KVM_ROOTCHECK_TRACEFS");
	if (!tracefs_mounted()) {
		/* this host: no tracefs at all */
		src = rc_source_open_live(NULL, 0, err, sizeof(err));
		CHECK(src == NULL);
		CHECK_MSG(strstr(err, "tracefs is not mounted"), "err '%s'", err);
		CHECK(!strchr(err, '\n'));
		rc_source_close(src);
	} else {
		/* tracefs is mounted here: check the case in a child that has
		 * its own mount namespace without it (needs root) */
		pid_t pid = fork();
		int st = 0;

		if (pid == 0) {
			int ok;

			if (unshare(CLONE_NEWNS) < 0 ||
			    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
				_exit(77);
			while (umount2("/sys/kernel/tracing", MNT_DETACH) == 0)
				;
			while (umount2("/sys/kernel/debug/tracing", MNT_DETACH) == 0)
				;
			if (tracefs_mounted())
				_exit(77);
			src = rc_source_open_live(NULL, 0, err, sizeof(err));
			ok = !src && strstr(err, "tracefs is not mounted") && !strchr(err, '\n');
			if (!ok)
				fprintf(stderr, "live without tracefs: '%s'\n", err);
			_exit(ok ? 0 : 1);
		}
		CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st));
		if (WEXITSTATUS(st) == 77)
			printf("# no private mount namespace: the no-tracefs case is not run\n");
		else
			CHECK_MSG(WEXITSTATUS(st) == 0, "no-tracefs case failed");
	}

	/* a tracefs-like directory with kvmmmu but no root events */
	snprintf(dir, sizeof(dir), "%s/fake-tracefs", tmpdir);
	CHECK(sh("mkdir -p %s/events/kvmmmu && cp -r %s/kvmmmu/kvm_mmu_zap_all_fast %s/events/kvmmmu/ && "
		 "cp %s/header_page %s/header_event %s/events/ && "
		 "touch %s/events/kvmmmu/enable %s/events/kvmmmu/kvm_mmu_zap_all_fast/enable",
		 dir, simformats, dir, simformats, simformats, dir, dir, dir) == 0);
	setenv("KVM_ROOTCHECK_TRACEFS", dir, 1);
	err[0] = '\0';
	src = rc_source_open_live(NULL, 0, err, sizeof(err));
	CHECK(src == NULL);
	CHECK_MSG(strstr(err, "kernel lacks the kvm-rootcheck patches"), "err '%s'", err);
	rc_source_close(src);

	/* a tracefs-like directory without kvmmmu (kvm not loaded) */
	CHECK(sh("rm -r %s/events/kvmmmu && mkdir -p %s/events/sched/sched_switch && "
		 "touch %s/events/sched/enable", dir, dir, dir) == 0);
	err[0] = '\0';
	src = rc_source_open_live(NULL, 0, err, sizeof(err));
	CHECK(src == NULL);
	CHECK_MSG(strstr(err, "no kvmmmu events"), "err '%s'", err);
	rc_source_close(src);
	unsetenv("KVM_ROOTCHECK_TRACEFS");
	tracefs_set_tracing_dir(NULL);
}

static int same_event(const struct rc_event *a, const struct rc_event *b)
{
	return a->type == b->type && a->seq == b->seq && a->ts == b->ts &&
	       a->cpu == b->cpu && a->pid == b->pid && a->kvm == b->kvm &&
	       a->root == b->root && a->caller == b->caller && a->old == b->old &&
	       a->count == b->count && a->role == b->role && a->as_id == b->as_id &&
	       a->level == b->level && a->owner == b->owner &&
	       a->reason == b->reason && a->ctx == b->ctx &&
	       a->shared == b->shared && a->lost == b->lost;
}

/*
 * Per-CPU data sections of a v6 trace.dat, from trace-cmd dump (a CPU
 * without data has offset and size 0). Returns the number of CPUs.
 */
static int flyrecord(const char *dat, unsigned long long *off,
		     unsigned long long *size, int max)
{
	char cmd[1024], line[256];
	int n = 0, cpu;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "trace-cmd dump --flyrecord %s 2>/dev/null", dat);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		char *m = strstr(line, "[offset, size of cpu ");

		if (!m || sscanf(m, "[offset, size of cpu %d]", &cpu) != 1 ||
		    cpu != n || n >= max)
			continue;
		off[n] = size[n] = 0;
		sscanf(line, " %llu %llu", &off[n], &size[n]);
		n++;
	}
	pclose(p);
	return n;
}

static int copy_range(int in, unsigned long long off, unsigned long long size, int out)
{
	static char buf[1 << 16];

	while (size) {
		size_t k = size < sizeof(buf) ? (size_t)size : sizeof(buf);

		if (pread(in, buf, k, (off_t)off) != (ssize_t)k ||
		    write(out, buf, k) != (ssize_t)k)
			return -1;
		off += k;
		size -= k;
	}
	return 0;
}

/*
 * Split the per-CPU ring-buffer pages out of a v6 trace.dat into one file
 * per CPU (what trace_pipe_raw delivers). Returns the number of CPUs with
 * data.
 */
static int split_cpus(const char *dat, const char *prefix, int *cpus, int max)
{
	unsigned long long off[16], size[16];
	int n = flyrecord(dat, off, size, 16), k = 0, in, fd;
	char out[700];

	in = open(dat, O_RDONLY);
	for (int i = 0; in >= 0 && i < n && k < max; i++) {
		if (!size[i])
			continue;
		snprintf(out, sizeof(out), "%s%d.raw", prefix, i);
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || copy_range(in, off[i], size[i], fd))
			k = -100;
		if (fd >= 0)
			close(fd);
		cpus[k < 0 ? 0 : k] = i;
		k++;
	}
	if (in >= 0)
		close(in);
	return k;
}

static struct rc_source *open_stream(const char *dat, struct tracecmd_input **h,
				     char *const *argv, char *err, size_t errlen)
{
	char prefix[600], path[700];
	int cpus[8], fds[8], n;

	snprintf(prefix, sizeof(prefix), "%s/stream-cpu", tmpdir);
	n = split_cpus(dat, prefix, cpus, 8);
	CHECK_MSG(n > 0, "split %s: %d", dat, n);
	*h = tracecmd_open(dat, TRACECMD_FL_LOAD_NO_PLUGINS);
	CHECK(*h != NULL);
	if (n <= 0 || !*h)
		return NULL;
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s%d.raw", prefix, cpus[i]);
		fds[i] = open(path, O_RDONLY);
		CHECK(fds[i] >= 0);
	}
	return rc_live_open_fds(tracecmd_get_tep(*h), fds, cpus, n, 4096, argv, err, errlen);
}

static int sink_raise(const struct rc_event *ev, void *arg)
{
	struct got *g = arg;

	sink(ev, arg);
	if (g->n == 2)
		raise(SIGINT);	/* Ctrl-C while streaming without a command */
	return 0;
}

/*
 * The live source's streaming (page reads, kbuffer, CPU merge, lost events,
 * drain, command status, signals) on the raw pages of generated traces:
 * it must hand over exactly what the trace.dat source hands over.
 */
static void test_live_stream(void)
{
	static const char *const names[] = { "src_fields", "src_lost" };
	const char *what;
	char *const cmd_exit3[] = { "sh", "-c", "exit 3", NULL };
	char *const cmd_kill[] = { "sh", "-c", "kill -TERM $$", NULL };
	char *const cmd_none[] = { "/nonexistent/kvm-selftest", NULL };
	struct tracecmd_input *h;
	struct rc_source *src;
	char dat[700], err[512];
	struct got want, g;
	struct sigaction before;
	char many[600];

	/*
	 * many pages per CPU (about 70, more than a drain of the 64 KB
	 * pacing: read on while merging and while the analyzer works
	 * through a release, live_tick()), time extends, losses in the
	 * middle
	 */
	{
		static char text[3000000];
		size_t n = 0;
		unsigned long long ts = 1000;

		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "#! kernel=6.12.117 clock=global ncpus=3\n");
		for (int i = 0; i < 20000; i++) {
			int cpu = (i * 7) % 3;

			ts += (i % 500 == 499) ? 300000000ull : 37ull + (unsigned int)(i % 11);
			if (i % 997 == 500)
				n += (size_t)snprintf(text + n, sizeof(text) - n, "%llu %d - - LOST %d\n",
						      ts, cpu, i % 2 ? 9 : -1);
			n += (size_t)snprintf(text + n, sizeof(text) - n,
					      "%llu %d %d t%d kvm_tdp_mmu_root_%s kvm=0x%x root=0x%x000 old=%d owner=%d caller=tdp_mmu_next_root+0x%x\n",
					      ts, cpu, 100 + cpu, cpu, i % 2 ? "put" : "get", 1 + i % 3,
					      1 + i % 40, i % 5, i % 4, i % 0x3ff);
		}
		CHECK(gen(simformats, "many", text, many, sizeof(many)) == 0);
	}

	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]) + 1; k++) {
		if (k < sizeof(names) / sizeof(names[0]))
			fixture(names[k], dat, sizeof(dat));
		else
			snprintf(dat, sizeof(dat), "%s", many);
		what = k < sizeof(names) / sizeof(names[0]) ? names[k] : "many";
		src = open_ok(dat, NULL);
		if (!src)
			continue;
		run_all(src, &want);
		if (k == 2)
			CHECK_MSG(want.n == 20020, "many: %d events", want.n);
		rc_source_close(src);

		err[0] = '\0';
		src = open_stream(dat, &h, cmd_exit3, err, sizeof(err));
		CHECK_MSG(src != NULL, "%s: %s", what, err);
		if (src) {
			const struct rc_trace_info *info = rc_source_info(src);

			run_all(src, &g);
			CHECK_MSG(g.n == want.n, "%s: live %d events, file %d", what, g.n, want.n);
			CHECK(g.hash == want.hash);
			for (int i = 0; i < g.n && i < want.n && i < 64; i++)
				CHECK_MSG(same_event(&g.ev[i], &want.ev[i]), "%s: event %d (%s vs %s)",
					  what, i, rc_ev_name(g.ev[i].type),
					  rc_ev_name(want.ev[i].type));
			CHECK(rc_source_cmd_status(src) == 3);
			if (k == 1) {
				CHECK(info->lost_events == 20 && info->lost_unknown == 1);
				CHECK(info->events_read == 5 && info->records_read == 5);
			}
			rc_source_close(src);
		}
		if (h)
			tracecmd_close(h);
	}

	/* a command killed by a signal: 128 + signal */
	fixture("src_lost", dat, sizeof(dat));
	src = open_stream(dat, &h, cmd_kill, err, sizeof(err));
	if (src) {
		run_all(src, &g);
		CHECK_MSG(rc_source_cmd_status(src) == 128 + SIGTERM, "status %d",
			  rc_source_cmd_status(src));
		rc_source_close(src);
	}
	if (h)
		tracecmd_close(h);

	/* a command that cannot be run: one-line error from run */
	src = open_stream(dat, &h, cmd_none, err, sizeof(err));
	if (src) {
		err[0] = '\0';
		memset(&g, 0, sizeof(g));
		CHECK(rc_source_run(src, sink, &g, err, sizeof(err)) == -1);
		CHECK_MSG(strstr(err, "cannot run '/nonexistent/kvm-selftest'"), "err '%s'", err);
		rc_source_close(src);
	}
	if (h)
		tracecmd_close(h);

	/* a descriptor that fails (not EAGAIN): an error, not a silent gap */
	{
		struct tracecmd_input *h2 = tracecmd_open(dat, TRACECMD_FL_LOAD_NO_PLUGINS);
		int fds[1] = { open("/dev/null", O_WRONLY) }, cpus[1] = { 0 };

		CHECK(h2 != NULL && fds[0] >= 0);
		if (h2 && fds[0] >= 0) {
			src = rc_live_open_fds(tracecmd_get_tep(h2), fds, cpus, 1, 4096,
					       cmd_exit3, err, sizeof(err));
			CHECK_MSG(src != NULL, "%s", err);
			if (src) {
				err[0] = '\0';
				memset(&g, 0, sizeof(g));
				CHECK(rc_source_run(src, sink, &g, err, sizeof(err)) == -1);
				CHECK_MSG(strstr(err, "reading trace_pipe_raw of CPU 0: Bad file descriptor"),
					  "err '%s'", err);
				CHECK(rc_source_cmd_status(src) == 3);
				rc_source_close(src);
			}
		}
		if (h2)
			tracecmd_close(h2);
	}

	/* no command: stream until SIGINT, then drain; the signal does not
	 * kill the process and the disposition it had (SIG_IGN in a
	 * background job of a shell without job control) is back after close */
	sigaction(SIGINT, NULL, &before);
	src = open_stream(dat, &h, NULL, err, sizeof(err));
	if (src) {
		struct sigaction sa;

		memset(&g, 0, sizeof(g));
		CHECK(rc_source_run(src, sink_raise, &g, err, sizeof(err)) == 0);
		CHECK_MSG(g.n == 8, "%d events", g.n);
		CHECK(rc_source_cmd_status(src) == -1);
		rc_source_close(src);
		CHECK(sigaction(SIGINT, NULL, &sa) == 0 && sa.sa_handler == before.sa_handler);
	}
	if (h)
		tracecmd_close(h);
}

/* -B NAME: a buffer instance (gentrace's "#@ buffer"), in v6 and (converted) v7 */
static void test_instance(void)
{
	char fdir[512], both[512], both7[512], err[512];
	struct rc_source *src;
	struct got g;

	snprintf(fdir, sizeof(fdir), "%s/formats-inst", tmpdir);
	CHECK(make_formats(fdir, 1, NULL) == 0);
	CHECK(gen(fdir, "inst-both",
		  "#! kernel=6.12.117 clock=global ncpus=2\n"
		  "100 0 5 top-a kvm_tdp_mmu_teardown kvm=0x1\n"
		  "150 1 5 top-a kvm_tdp_mmu_teardown kvm=0x1\n"
		  "#@ buffer vm1\n"
		  "200 1 6 vm1-b kvm_tdp_mmu_root_free kvm=0x2 root=0x3000\n"
		  "250 0 - - LOST 4\n"
		  "300 0 6 vm1-b kvm_tdp_mmu_teardown kvm=0x2\n", both, sizeof(both)) == 0);
	snprintf(both7, sizeof(both7), "%s/inst-both7.dat", tmpdir);
	CHECK(convert_v7(both, both7) == 0);

	/* recorded with -B only: an empty top buffer is an error, not a pass */
	{
		char only[512];
		struct rc_source *s2;

		CHECK(gen(fdir, "inst-only",
			  "#! kernel=6.12.117 clock=global ncpus=2\n"
			  "#@ buffer vm1\n"
			  "200 1 6 vm1-b kvm_tdp_mmu_root_free kvm=0x2 root=0x3000\n"
			  "250 0 - - LOST 4\n"
			  "300 0 6 vm1-b kvm_tdp_mmu_teardown kvm=0x2\n", only, sizeof(only)) == 0);
		s2 = open_ok(only, NULL);
		if (s2) {
			err[0] = '\0';
			memset(&g, 0, sizeof(g));
			CHECK(rc_source_run(s2, sink, &g, err, sizeof(err)) == -1);
			CHECK_MSG(strstr(err, "top buffer of the trace is empty; it has buffer instances: vm1"),
				  "err '%s'", err);
			rc_source_close(s2);
		}
		s2 = open_ok(only, "vm1");
		if (s2) {
			run_all(s2, &g);
			CHECK(g.n == 3);
			rc_source_close(s2);
		}
	}

	for (int v = 0; v < 2; v++) {
		const char *path = v ? both7 : both;

		src = open_ok(path, "vm1");
		if (src) {
			const struct rc_trace_info *info = rc_source_info(src);

			run_all(src, &g);
			CHECK_MSG(g.n == 3, "v%d: %d events in vm1", 6 + v, g.n);
			CHECK(g.ev[0].type == RC_EV_ROOT_FREE && g.ev[0].kvm == 2 &&
			      g.ev[0].root == 0x3000 && g.ev[0].cpu == 1 && g.ev[0].ts == 200);
			CHECK(g.ev[1].type == RC_EV_LOST && g.ev[1].lost == 4 && g.ev[1].cpu == 0);
			CHECK(g.ev[2].type == RC_EV_TEARDOWN && g.ev[2].kvm == 2 && g.ev[2].ts == 300);
			CHECK(strcmp(info->kernel, "6.12.117") == 0 && info->ncpus == 2);
			CHECK(strcmp(info->clock, "global") == 0);
			CHECK(info->lost_events == 4);
			rc_source_close(src);
		}
		/* the top buffer of the same file */
		src = open_ok(path, NULL);
		if (src) {
			run_all(src, &g);
			CHECK_MSG(g.n == 2, "v%d: %d events in top", 6 + v, g.n);
			CHECK(g.ev[0].kvm == 1 && g.ev[1].kvm == 1 && g.ev[1].cpu == 1);
			rc_source_close(src);
		}
		err[0] = '\0';
		src = rc_source_open_file(path, "vm2", err, sizeof(err));
		CHECK(src == NULL);
		CHECK_MSG(strstr(err, "no buffer instance 'vm2' (instances: vm1)"), "err '%s'", err);
		rc_source_close(src);
	}
}

/*
 * Ring-buffer statistics stored by trace-cmd record (CPUSTAT options, from
 * gentrace's "#@ cpustat"): losses without a missed-events mark become
 * RC_EV_LOST at the end.
 */
static void test_cpustats(void)
{
	char out[512];
	struct rc_source *src;
	struct got g;

	CHECK(gen(simformats, "stats",
		  "#! kernel=6.12.117 clock=global ncpus=3\n"
		  /* CPU 0: overruns, but marked in the pages: nothing more */
		  "#@ cpustat cpu=0 overrun=17\n"
		  /* CPU 1: overruns never marked: lost somewhere */
		  "#@ cpustat cpu=1 overrun=5\n"
		  /* CPU 2: commit overruns are never marked */
		  "#@ cpustat cpu=2 commit_overrun=2\n"
		  "100 0 5 a kvm_tdp_mmu_teardown kvm=0x1\n"
		  "150 0 - - LOST 17\n"
		  "200 0 5 a kvm_tdp_mmu_teardown kvm=0x1\n"
		  "300 1 5 a kvm_tdp_mmu_teardown kvm=0x2\n"
		  "400 2 5 a kvm_tdp_mmu_teardown kvm=0x3\n", out, sizeof(out)) == 0);
	src = open_ok(out, NULL);
	if (!src)
		return;
	run_all(src, &g);
	CHECK_MSG(g.n == 7, "%d events", g.n);
	if (g.n == 7) {
		CHECK(g.ev[1].type == RC_EV_LOST && g.ev[1].cpu == 0 && g.ev[1].lost == 17);
		CHECK(g.ev[4].type == RC_EV_TEARDOWN && g.ev[4].ts == 400);
		CHECK(g.ev[5].type == RC_EV_LOST && g.ev[5].cpu == 1 && g.ev[5].lost == -1);
		CHECK(g.ev[5].ts == 400 && g.ev[5].seq == 5);
		CHECK(g.ev[6].type == RC_EV_LOST && g.ev[6].cpu == 2 && g.ev[6].lost == -1);
	}
	CHECK(rc_source_info(src)->lost_events == 17);
	CHECK(rc_source_info(src)->lost_unknown == 1);
	rc_source_close(src);
}

/*
 * A CPU whose events become readable late (its pages arrive through a pipe
 * from the command, 0.3 s after the other CPU's): the reorder buffer must
 * still hand everything over in timestamp order.
 */
static void test_live_late_cpu(void)
{
	char dat[600], prefix[600], path[700], cmd[1024], err[512] = "";
	int cpus[8], p[2], fds[2], n;
	struct tracecmd_input *h;
	struct rc_source *src;
	struct got want, g;

	fixture("src_fields", dat, sizeof(dat));
	src = open_ok(dat, NULL);
	if (!src)
		return;
	run_all(src, &want);
	rc_source_close(src);

	snprintf(prefix, sizeof(prefix), "%s/late-cpu", tmpdir);
	n = split_cpus(dat, prefix, cpus, 8);
	CHECK(n == 2 && cpus[0] == 0 && cpus[1] == 1);
	if (n != 2 || pipe(p) < 0)
		return;
	/* CPU 0: one 4096-byte page (atomic on a pipe), written by the command */
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	snprintf(path, sizeof(path), "%s1.raw", prefix);
	fds[0] = p[0];
	fds[1] = open(path, O_RDONLY);
	snprintf(cmd, sizeof(cmd), "sleep 0.3; cat %s0.raw > /dev/fd/%d", prefix, p[1]);
	{
		char *const argv[] = { "sh", "-c", cmd, NULL };

		h = tracecmd_open(dat, TRACECMD_FL_LOAD_NO_PLUGINS);
		CHECK(h != NULL && fds[1] >= 0);
		src = h ? rc_live_open_fds(tracecmd_get_tep(h), fds, (int[]){ 0, 1 }, 2, 4096,
					   argv, err, sizeof(err)) : NULL;
		CHECK_MSG(src != NULL, "%s", err);
		if (src) {
			run_all(src, &g);
			CHECK(rc_source_cmd_status(src) == 0);
			CHECK_MSG(g.n == want.n && g.hash == want.hash,
				  "late CPU: %d events (file: %d), order %s", g.n, want.n,
				  g.hash == want.hash ? "same" : "differs");
			for (int i = 0; i < g.n && i < want.n && i < 64; i++)
				CHECK_MSG(same_event(&g.ev[i], &want.ev[i]), "late CPU: event %d", i);
			rc_source_close(src);
		}
	}
	close(p[1]);
	if (h)
		tracecmd_close(h);
}

/*
 * Real traces (the .dat files in tests/data, recorded by trace-cmd in a QEMU guest, as
 * soon as they are committed): the live source's page parsing, run on
 * their ring-buffer pages (converted to v6 to split them), must hand over
 * exactly what the trace.dat source hands over.
 */
static void test_real_traces(void)
{
	char list[600], line[512], v6[700];
	int n = 0;
	FILE *p;

	snprintf(list, sizeof(list), "ls %s/*.dat %s/v1/*.dat 2>/dev/null", realdata, realdata);
	p = popen(list, "r");
	while (p && fgets(line, sizeof(line), p) && n < 4) {
		struct tracecmd_input *h = NULL;
		struct rc_source *src;
		struct got want, g;
		char err[512] = "";
		struct stat st;

		line[strcspn(line, "\n")] = '\0';
		if (stat(line, &st) < 0 || st.st_size > (4 << 20))
			continue;
		src = open_ok(line, NULL);
		if (!src)
			continue;
		run_all(src, &want);
		rc_source_close(src);
		snprintf(v6, sizeof(v6), "%s/real-v6.dat", tmpdir);
		CHECK_MSG(convert(line, v6, 6) == 0, "convert %s", line);
		src = open_stream(v6, &h, NULL, err, sizeof(err));
		CHECK_MSG(src != NULL, "%s: %s", line, err);
		if (src) {
			struct sigaction sa;

			memset(&sa, 0, sizeof(sa));
			memset(&g, 0, sizeof(g));
			raise(SIGINT);	/* without a command: end after the first drain */
			CHECK(rc_source_run(src, sink, &g, err, sizeof(err)) == 0);
			CHECK_MSG(g.n == want.n && g.hash == want.hash,
				  "%s: live %d events, file %d", line, g.n, want.n);
			rc_source_close(src);
		}
		if (h)
			tracecmd_close(h);
		n++;
	}
	if (p)
		pclose(p);
	/* a run that reads no real trace checks nothing: a failure */
	CHECK_MSG(n > 0, "no real traces under %s (<= 4 MB)", realdata);
}

/*
 * Compressed (v7) traces are read through a new handle every so many pages
 * (analyzer/source_merge.c): whatever the segment size, the events and the
 * completeness counts are those of one handle, on real traces of several
 * CPUs and pages.
 */
static void test_segments(void)
{
	static const char *const names[] = { "6.12-rootstress.dat" };
	static const char *const segs[] = { "9", "40", "" };
	int n = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char in[600], v7[700];
		struct rc_trace_info want_info;
		struct got want, g;
		struct rc_source *src;
		struct stat st;

		snprintf(in, sizeof(in), "%s/%s", realdata, names[i]);
		if (stat(in, &st) < 0)
			continue;
		snprintf(v7, sizeof(v7), "%s/seg-%zu.v7.dat", tmpdir, i);
		CHECK_MSG(convert_v7(in, v7) == 0, "convert %s", in);
		setenv(RC_SEGMENT_ENV, "0", 1);
		src = open_ok(v7, NULL);
		if (!src)
			continue;
		run_all(src, &want);
		want_info = *rc_source_info(src);
		rc_source_close(src);
		CHECK_MSG(want_info.pages_expected > 8 && want_info.cpus_incomplete == 0,
			  "%s: %llu pages", in, want_info.pages_expected);
		for (size_t s = 0; s < sizeof(segs) / sizeof(segs[0]); s++) {
			const struct rc_trace_info *info;

			setenv(RC_SEGMENT_ENV, segs[s], 1);
			src = open_ok(v7, NULL);
			if (!src)
				continue;
			run_all(src, &g);
			info = rc_source_info(src);
			CHECK_MSG(g.n == want.n && g.hash == want.hash,
				  "%s, %s pages a handle: %d events, want %d", in, segs[s], g.n, want.n);
			CHECK_MSG(info->pages_expected == want_info.pages_expected &&
				  info->pages_unread == want_info.pages_unread &&
				  info->pages_damaged == want_info.pages_damaged &&
				  info->cpus_incomplete == want_info.cpus_incomplete &&
				  info->records_read == want_info.records_read,
				  "%s, %s pages a handle: pages %llu/%llu unread, want %llu/%llu",
				  in, segs[s], info->pages_unread, info->pages_expected,
				  want_info.pages_unread, want_info.pages_expected);
			rc_source_close(src);
		}
		n++;
	}
	unsetenv(RC_SEGMENT_ENV);
	CHECK_MSG(n > 0, "no rootstress traces under %s", realdata);
}

/* exported by libtracecmd, declared in its private header only */
extern int tracecmd_cpus(struct tracecmd_input *handle);

struct merge_count {
	uint64_t n, hash;
	const char *touch;	/* changed after the 10th record */
	int walk;		/* rc_merge_opts.walk */
	struct tracecmd_input *h;
	long long shift;	/* added to the handle's time offset ... */
	uint64_t shift_at;	/* ... after this many records (0: before reading) */
};

static int merge_cb(struct tep_record *rec, int cpu, void *arg)
{
	struct merge_count *mc = arg;
	const unsigned char *d = rec->data;

	mc->hash = mix(mix(mc->hash, rec->ts), (uint64_t)cpu);
	mc->hash = mix(mc->hash, (uint64_t)rec->offset);
	mc->hash = mix(mix(mc->hash, (uint64_t)rec->size), (uint64_t)rec->missed_events);
	mc->hash = mix(mc->hash, (uint64_t)rec->cpu);
	for (int i = 0; i < rec->size; i++)
		mc->hash = mix(mc->hash, d[i]);
	if (mc->shift && mc->n + 1 == mc->shift_at)
		tracecmd_add_ts_offset(mc->h, mc->shift);
	if (++mc->n == 10 && mc->touch) {
		const struct timespec t[2] = { { 1, 0 }, { 1, 0 } };	/* another mtime */

		CHECK(utimensat(AT_FDCWD, mc->touch, t, 0) == 0);
	}
	return 0;
}

static int merge_run(const char *data, const char *path, uint64_t seg,
		     struct merge_count *mc, struct rc_merge_out *out, char *err, size_t len)
{
	struct tracecmd_input *h = rc_merge_open(data, NULL);
	struct rc_page_stats pages[64];
	struct rc_merge_opts o;
	struct rc_page_fmt fmt;
	unsigned char head[64] = { 0 };
	FILE *fh = fopen(data, "rb");
	int ret;

	CHECK(fh && fread(head, 1, sizeof(head), fh) > 0);
	if (fh)
		fclose(fh);

	CHECK_MSG(h != NULL, "open %s", data);
	if (!h)
		return -2;
	memset(&o, 0, sizeof(o));
	memset(pages, 0, sizeof(pages));
	memset(out, 0, sizeof(*out));
	mc->h = h;
	/* the page guard tells where a page's reading starts (walking) */
	CHECK(rc_page_fmt_from_dat(head, sizeof(head), &fmt) == 0);
	rc_pageguard_begin(&fmt);
	if (mc->shift && !mc->shift_at)
		tracecmd_add_ts_offset(h, mc->shift);
	o.walk = mc->walk;
	o.path = path;
	o.page_size = fmt.page_size;
	o.seg_pages = seg;
	out->pages = pages;
	ret = rc_merge_read(h, tracecmd_cpus(h) < 64 ? tracecmd_cpus(h) : 64, &o, merge_cb, mc,
			    out, err, len);
	rc_merge_close(h);
	rc_pageguard_begin(NULL);
	return ret;
}

/*
 * tracecmd_read_at() as the library has it, but the calls numbered
 * read_at_fail[0..1] (from 1; 0: none) give NULL: a handle that cannot be
 * placed at a record. The executable's definition is the one every caller
 * binds to.
 */
static unsigned long read_at_calls, read_at_fail[2];

struct tep_record *tracecmd_read_at(struct tracecmd_input *handle, unsigned long long offset,
				    int *pcpu)
{
	static struct tep_record *(*real)(struct tracecmd_input *, unsigned long long, int *);

	if (!real)
		real = (struct tep_record *(*)(struct tracecmd_input *, unsigned long long, int *))
			dlsym(RTLD_NEXT, "tracecmd_read_at");
	read_at_calls++;
	if (read_at_calls == read_at_fail[0] || read_at_calls == read_at_fail[1])
		return NULL;
	return real(handle, offset, pcpu);
}

/*
 * The reopening itself: a new handle that does not hold the same records
 * (another file at the path) is dropped and reading goes on through the
 * first; a file changed while it is read is an error.
 */
static void test_merge_reopen(void)
{
	char in[600], a[700], b[700], c[700], err[512];
	struct merge_count want, g;
	struct rc_merge_out out;

	snprintf(in, sizeof(in), "%s/6.12-rootstress.dat", realdata);
	snprintf(a, sizeof(a), "%s/merge-a.v7.dat", tmpdir);
	snprintf(b, sizeof(b), "%s/merge-b.v7.dat", tmpdir);
	snprintf(c, sizeof(c), "%s/merge-c.v7.dat", tmpdir);
	CHECK(convert_v7(in, a) == 0);
	snprintf(in, sizeof(in), "%s/6.1-rootstress.dat", realdata);
	CHECK(convert_v7(in, b) == 0);
	CHECK(sh("cp %s %s", a, c) == 0);

	memset(&want, 0, sizeof(want));
	CHECK(merge_run(a, a, 0, &want, &out, err, sizeof(err)) == 0);
	CHECK(out.handles == 1 && want.n > 1000);

	memset(&g, 0, sizeof(g));
	CHECK_MSG(merge_run(a, a, 40, &g, &out, err, sizeof(err)) == 0, "%s", err);
	CHECK(g.n == want.n && g.hash == want.hash);
	CHECK_MSG(out.handles > 2, "%u handles", out.handles);
	/* the chunk tables of the first opening were copied, not read again */
	CHECK_MSG(out.tables_read == 0 && out.tables_copied >= 2 * (out.handles - 1),
		  "%u handles: %u chunk tables read, %u copied", out.handles, out.tables_read,
		  out.tables_copied);

	/*
	 * A later reopening that cannot place its handle (the one before it
	 * was closed first): reading goes on through the first handle, placed
	 * at the same records; if that cannot be placed either, an error.
	 */
	{
		unsigned long per;

		read_at_calls = 0;
		memset(&g, 0, sizeof(g));
		CHECK(merge_run(a, a, 40, &g, &out, err, sizeof(err)) == 0);
		per = read_at_calls / (out.handles - 1);	/* calls a reopening */
		CHECK_MSG(per > 0 && read_at_calls == per * (out.handles - 1) && out.handles > 3,
			  "%lu calls, %u handles", read_at_calls, out.handles);
		read_at_calls = 0;
		read_at_fail[0] = per + 1;	/* the second reopening's first */
		memset(&g, 0, sizeof(g));
		CHECK_MSG(merge_run(a, a, 40, &g, &out, err, sizeof(err)) == 0, "%s", err);
		CHECK(g.n == want.n && g.hash == want.hash);
		CHECK_MSG(out.handles == 2 && read_at_calls == 2 * per + 1,
			  "%u handles, %lu calls", out.handles, read_at_calls);
		read_at_calls = 0;
		read_at_fail[1] = per + 2;	/* and the first handle's placing */
		memset(&g, 0, sizeof(g));
		err[0] = '\0';
		CHECK(merge_run(a, a, 40, &g, &out, err, sizeof(err)) == -1);
		CHECK_MSG(strstr(err, "cannot read the trace again at the records read so far"),
			  "err '%s'", err);
		CHECK(g.n < want.n && out.handles == 2);
		read_at_fail[0] = read_at_fail[1] = 0;
	}

	/* the path names another file: its records do not match, no reopening */
	memset(&g, 0, sizeof(g));
	CHECK_MSG(merge_run(a, b, 40, &g, &out, err, sizeof(err)) == 0, "%s", err);
	CHECK(g.n == want.n && g.hash == want.hash);
	CHECK_MSG(out.handles == 1, "%u handles", out.handles);
	/* another file: its own tables, read from it */
	CHECK_MSG(out.tables_read >= 2 && out.tables_copied == 0,
		  "%u chunk tables read, %u copied", out.tables_read, out.tables_copied);

	/* changed after the 10th record: the next reopening stops the reading */
	memset(&g, 0, sizeof(g));
	g.touch = c;
	err[0] = '\0';
	CHECK(merge_run(c, c, 40, &g, &out, err, sizeof(err)) == -1);
	CHECK_MSG(strstr(err, "the file changed while it was read"), "err '%s'", err);
	CHECK(g.n < want.n);

	/* the environment's segment size */
	{
		uint64_t pages = 5;

		setenv(RC_SEGMENT_ENV, "12", 1);
		CHECK(rc_merge_env(&pages, err, sizeof(err)) == 0 && pages == 12);
		setenv(RC_SEGMENT_ENV, "", 1);
		CHECK(rc_merge_env(&pages, err, sizeof(err)) == 0 && pages == 12);
		static const char *const badv[] = { "x", "-1", "12k", " 3", "99999999999999999999" };
		for (size_t i = 0; i < sizeof(badv) / sizeof(badv[0]); i++) {
			setenv(RC_SEGMENT_ENV, badv[i], 1);
			err[0] = '\0';
			CHECK_MSG(rc_merge_env(&pages, err, sizeof(err)) == -1 && pages == 12 &&
				  strstr(err, "is not a number of pages"), "'%s': %s", badv[i], err);
		}
		unsetenv(RC_SEGMENT_ENV);
	}
}

/*
 * Page walking (source_merge.c) hands on the very records the library
 * would: same time stamps, offsets, sizes, data and marks, on v6 and v7,
 * through reopened handles, under a time offset; an offset that changes
 * while reading stops the walking.
 */
static void test_merge_walk(void)
{
	char in[600], v7[700], err[512];
	const char *files[2] = { in, v7 };
	struct merge_count want, g;
	struct rc_merge_out out;

	snprintf(in, sizeof(in), "%s/6.12-rootstress.dat", realdata);
	snprintf(v7, sizeof(v7), "%s/walk.v7.dat", tmpdir);
	CHECK(convert_v7(in, v7) == 0);
	/* v6 as is and under a time offset; v7 through reopened handles */
	static const struct { int f; uint64_t seg; long long shift; } cases[] = {
		{ 0, 0, 0 }, { 0, 0, 1000 }, { 1, 40, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *f = files[cases[i].f];

		memset(&want, 0, sizeof(want));
		want.shift = cases[i].shift;
		CHECK(merge_run(f, f, cases[i].seg, &want, &out, err, sizeof(err)) == 0);
		CHECK(out.walked == 0 && want.n > 1000);
		memset(&g, 0, sizeof(g));
		g.walk = 1;
		g.shift = cases[i].shift;
		CHECK(merge_run(f, f, cases[i].seg, &g, &out, err, sizeof(err)) == 0);
		CHECK_MSG(g.n == want.n && g.hash == want.hash, "%s case %zu: %llu records, want %llu",
			  f, i, (unsigned long long)g.n, (unsigned long long)want.n);
		/* most records come from the kbuffer, not the library */
		CHECK_MSG(out.walked > want.n / 2 && !out.walk_stopped, "%s case %zu: %llu of %llu walked",
			  f, i, (unsigned long long)out.walked, (unsigned long long)want.n);
		CHECK(cases[i].seg == 0 || out.handles > 2);
	}
	/* the conversion changes half way: walking stops, every record read */
	memset(&g, 0, sizeof(g));
	g.walk = 1;
	g.shift = 1000;
	g.shift_at = want.n / 2;
	CHECK(merge_run(in, in, 0, &g, &out, err, sizeof(err)) == 0);
	CHECK(out.walk_stopped == 1 && g.n == want.n && out.walked < want.n / 2 + 200);
	/* the environment */
	{
		int walk = 1;

		setenv(RC_WALK_ENV, "0", 1);
		CHECK(rc_merge_walk_env(&walk, err, sizeof(err)) == 0 && walk == 0);
		unsetenv(RC_WALK_ENV);
		CHECK(rc_merge_walk_env(&walk, err, sizeof(err)) == 0 && walk == 0);
		setenv(RC_WALK_ENV, "yes", 1);
		err[0] = '\0';
		CHECK_MSG(rc_merge_walk_env(&walk, err, sizeof(err)) == -1 && walk == 0 &&
			  strstr(err, "is not 0 or 1"), "%s", err);
		unsetenv(RC_WALK_ENV);
	}
}

static int make_fixtures(void)
{
	static const char *const names[] = { "src_fields", "src_lost" };
	static char dir[600];

	snprintf(dir, sizeof(dir), "%s/fixtures", tmpdir);
	if (sh("mkdir -p %s", dir))
		return -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (sh("python3 %s -o %s/%s.dat tests/fixtures/%s.txt", gentrace, dir,
		       names[i], names[i]))
			return -1;
	fixtures = dir;
	return 0;
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_fields),
	UNIT_TEST(test_shift_clocks),
	UNIT_TEST(test_spool),
	UNIT_TEST(test_lost),
	UNIT_TEST(test_stop),
	UNIT_TEST(test_foreign_and_missing),
	UNIT_TEST(test_instance),
	UNIT_TEST(test_cpustats),
	UNIT_TEST(test_errors),
	UNIT_TEST(test_live_errors),
	UNIT_TEST(test_live_stream),
	UNIT_TEST(test_live_late_cpu),
	UNIT_TEST(test_real_traces),
	UNIT_TEST(test_segments),
	UNIT_TEST(test_merge_reopen),
	UNIT_TEST(test_merge_walk),
};

static int setup(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return -1;
	}
	gentrace = getenv("RC_GENTRACE") ? getenv("RC_GENTRACE") : "tests/sim/gentrace.py";
	simformats = getenv("RC_SIM_FORMATS") ? getenv("RC_SIM_FORMATS") : "tests/sim/formats";
	fixtures = getenv("RC_FIXTURES");
	realdata = getenv("RC_REAL_TRACES") ? getenv("RC_REAL_TRACES") : "tests/data";
	if (!fixtures && make_fixtures()) {
		fprintf(stderr, "cannot generate the fixtures (run from the top of the repository)\n");
		return -1;
	}
	return 0;
}

static void teardown(void)
{
	if (strcmp(tmpdir, "/tmp/rc-test-source.XXXXXX"))
		sh("rm -rf %s", tmpdir);
}

int main(int argc, char **argv)
{
	return unit_main("source", argc, argv, tests, sizeof(tests) / sizeof(tests[0]),
			 setup, teardown);
}
