// SPDX-License-Identifier: GPL-2.0
/*
 * genbench: write long benchmark trace.dat files (version 6) fast, streaming.
 *
 *   genbench --template-text            print the event text of the template
 *   genbench TEMPLATE.dat OUT.dat KIND N [M]
 *
 * The headers (formats, kallsyms, task names, options) are copied from
 * TEMPLATE.dat, a small trace that tests/sim/gentrace.py writes from the
 * text that --template-text prints; the event layouts and ids are read
 * from it through libtracecmd. Only the per-CPU ring-buffer pages are
 * written here, in the encoding gentrace.py documents, so a generated file
 * has exactly the structure of the project's own generator's files. Memory
 * is one page per CPU whatever N is; the pages go to one temporary file
 * per CPU next to OUT and are concatenated at the end.
 *
 * Kinds (all clean gifted-design lives; events spread over 4 CPUs):
 *   load N         about N events: VMs one after the other, each with 3-8
 *                  generations of one root (vCPU load, 5-40 mmu-notifier
 *                  get/put pairs, fast zap, vCPU put, free), then teardown.
 *                  Live roots stay bounded whatever N is.
 *   roots N V      N live roots at once spread over V VMs: all allocated,
 *                  8 N events of get/put traffic on random roots, then each
 *                  VM fast-zaps, puts and frees its roots and is torn down.
 *   lost N M       N live roots over 8 VMs, traffic with M lost-event
 *                  marks at random places (verdict: inconclusive).
 *   fastzap N      one VM, N fast zaps (load's generations in one VM).
 * Exit 0 written, 2 usage, 1 error.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event-parse.h>
#include <trace-cmd.h>

#define PAGE_SIZE 4096
#define PAGE_HDR 16
#define TS_BITS 27
#define TS_MASK ((1u << TS_BITS) - 1)
#define TYPE_TIME_EXTEND 30
#define RB_MISSED_EVENTS (1u << 31)
#define RB_MISSED_STORED (1u << 30)
#define NCPUS 4
#define NPIDS 64		/* task groups of 3: main, vcpu0, vcpu1 */
#define PID0 1000

/* gentrace.py's kallsyms: KALLSYMS_BASE + index * KALLSYMS_STEP */
#define KSYM(i) (0xffffffff81100000ull + (unsigned long long)(i) * 0x400)
#define SYM_ALLOC_ROOT (KSYM(3) + 0x6a)		/* kvm_tdp_mmu_alloc_root */
#define SYM_FREE_ROOT (KSYM(5) + 0x3c)		/* mmu_free_root_page */
#define SYM_ZAP_LEAFS KSYM(7)			/* kvm_tdp_mmu_zap_leafs */
#define SYM_ZAP_INVALIDATED KSYM(10)		/* kvm_tdp_mmu_zap_invalidated_roots */

enum { OWN_VCPU, OWN_ITER, OWN_MMU, OWN_ZAP };
enum { E_ALLOC, E_GET, E_PUT, E_INVALIDATE, E_ZAP_START, E_ZAP_END, E_FREE,
       E_FAST_ZAP, E_FAST_ZAP_DONE, E_TEARDOWN, E__N };

static const char *const ev_names[E__N] = {
	"kvm_tdp_mmu_root_alloc", "kvm_tdp_mmu_root_get", "kvm_tdp_mmu_root_put",
	"kvm_tdp_mmu_root_invalidate", "kvm_tdp_mmu_root_zap_start",
	"kvm_tdp_mmu_root_zap_end", "kvm_tdp_mmu_root_free",
	"kvm_mmu_zap_all_fast", "kvm_mmu_zap_all_fast_done", "kvm_tdp_mmu_teardown",
};

enum { V_KVM, V_ROOT, V_ROLE, V_COUNT, V_AS_ID, V_LEVEL, V_CALLER, V_OLD,
       V_OWNER, V_REASON, V_CTX, V_SHARED, V_TYPE, V_PID, V__N };

static const char *const val_names[V__N] = {
	"kvm", "root", "role", "count", "as_id", "level", "caller", "old",
	"owner", "reason", "ctx", "shared", "common_type", "common_pid",
};

struct layout {
	int size;			/* record payload bytes */
	int off[V__N], len[V__N];	/* len 0: no such field */
	int id;
};

struct cpu_out {
	FILE *f;
	char path[4096];
	unsigned char page[PAGE_SIZE];
	size_t used;		/* bytes of data in page */
	int open;		/* a page is being filled */
	uint64_t last_ts;
	long long lost, cur_lost;
	unsigned long long bytes;
};

struct gen {
	struct layout lay[E__N];
	struct cpu_out cpu[NCPUS];
	uint64_t ts, rng;
	unsigned long long n;
};

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "genbench: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(1);
}

static uint64_t rnd(struct gen *g)
{
	g->rng ^= g->rng << 13;
	g->rng ^= g->rng >> 7;
	g->rng ^= g->rng << 17;
	return g->rng;
}

static unsigned int rnd_range(struct gen *g, unsigned int lo, unsigned int hi)
{
	return lo + (unsigned int)(rnd(g) % (hi - lo + 1));
}

static void put_le(unsigned char *p, uint64_t v, int len)
{
	for (int i = 0; i < len; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void flush_page(struct cpu_out *c)
{
	uint64_t commit = c->used;
	size_t end = PAGE_HDR + c->used;

	if (!c->open)
		return;
	if (c->cur_lost) {
		commit |= RB_MISSED_EVENTS;
		if (c->cur_lost > 0) {
			commit |= RB_MISSED_STORED;
			put_le(c->page + end, (uint64_t)c->cur_lost, 8);
			end += 8;
		}
	}
	put_le(c->page + 8, commit, 8);
	memset(c->page + end, 0, PAGE_SIZE - end);
	if (fwrite(c->page, PAGE_SIZE, 1, c->f) != 1)
		die("cannot write %s", c->path);
	c->bytes += PAGE_SIZE;
	c->open = 0;
}

/* One record (payload of n bytes, n a multiple of 4, n <= 112) on cpu at ts. */
static void put_record(struct gen *g, int cpu, const unsigned char *payload, int n)
{
	struct cpu_out *c = &g->cpu[cpu];
	unsigned char enc[8 + 4 + 112];
	uint64_t delta;
	size_t len = 0, reserve;

	if (c->open && !c->lost) {
		delta = g->ts - c->last_ts;
		if (delta > TS_MASK) {
			put_le(enc, TYPE_TIME_EXTEND | ((delta & TS_MASK) << 5), 4);
			put_le(enc + 4, delta >> TS_BITS, 4);
			len = 8;
			delta = 0;
		}
		put_le(enc + len, (uint64_t)(n / 4) | (delta << 5), 4);
		memcpy(enc + len + 4, payload, (size_t)n);
		len += 4 + (size_t)n;
		reserve = c->cur_lost > 0 ? 8 : 0;
		if (c->used + len + reserve <= PAGE_SIZE - PAGE_HDR) {
			memcpy(c->page + PAGE_HDR + c->used, enc, len);
			c->used += len;
			c->last_ts = g->ts;
			return;
		}
	}
	flush_page(c);
	put_le(c->page, g->ts, 8);
	put_le(c->page + PAGE_HDR, (uint64_t)(n / 4), 4);
	memcpy(c->page + PAGE_HDR + 4, payload, (size_t)n);
	c->used = 4 + (size_t)n;
	c->open = 1;
	c->last_ts = g->ts;
	c->cur_lost = c->lost;
	c->lost = 0;
}

struct ev {
	uint64_t v[V__N];
};

static void emit(struct gen *g, int cpu, int pid, int type, struct ev *e)
{
	const struct layout *l = &g->lay[type];
	unsigned char buf[112];

	memset(buf, 0, (size_t)l->size);
	e->v[V_TYPE] = (uint64_t)l->id;
	e->v[V_PID] = (uint64_t)pid;
	for (int i = 0; i < V__N; i++)
		if (l->len[i])
			put_le(buf + l->off[i], e->v[i], l->len[i]);
	g->ts += rnd_range(g, 50, 500);
	put_record(g, cpu, buf, l->size);
	g->n++;
}

/* Shorthands for the lifecycle steps. */
static void ev_root(struct gen *g, int cpu, int pid, int type, uint64_t kvm,
		    uint64_t root, uint32_t old, int owner, uint64_t caller)
{
	struct ev e = { { 0 } };

	e.v[V_KVM] = kvm;
	e.v[V_ROOT] = root;
	e.v[V_OLD] = old;
	e.v[V_OWNER] = (uint64_t)owner;
	e.v[V_CALLER] = caller;
	if (type == E_ALLOC) {
		e.v[V_ROLE] = 0x10c04;
		e.v[V_COUNT] = 2;
		e.v[V_LEVEL] = 4;
	} else if (type == E_INVALIDATE) {
		e.v[V_COUNT] = old;
		e.v[V_REASON] = 0;	/* fast_zap */
	} else if (type == E_ZAP_START) {
		e.v[V_SHARED] = 1;	/* ctx fast_zap (0) */
	}
	emit(g, cpu, pid, type, &e);
}

static void ev_vm(struct gen *g, int cpu, int pid, int type, uint64_t kvm)
{
	struct ev e = { { 0 } };

	e.v[V_KVM] = kvm;
	if (type == E_FAST_ZAP)
		e.v[V_KVM] = 0;
	emit(g, cpu, pid, type, &e);
}

static uint64_t vm_kvm(unsigned long vm)
{
	return 0xffff888000000000ull + (uint64_t)vm * 0x100000;
}

static int vm_pid(unsigned long vm)
{
	return PID0 + (int)(vm % NPIDS) * 3;
}

/* The invalidation, zap and put of one root of a fast zap (count 3 -> 2). */
static void zap_one(struct gen *g, int cpu, int pid, uint64_t kvm, uint64_t root)
{
	ev_root(g, cpu, pid, E_GET, kvm, root, 3, OWN_ITER, SYM_ZAP_INVALIDATED + 0x31);
	ev_root(g, cpu, pid, E_ZAP_START, kvm, root, 0, 0, 0);
	ev_root(g, cpu, pid, E_ZAP_END, kvm, root, 0, 0, 0);
	ev_root(g, cpu, pid, E_PUT, kvm, root, 4, OWN_ZAP, SYM_ZAP_INVALIDATED + 0x8e);
	ev_root(g, cpu, pid, E_PUT, kvm, root, 3, OWN_ITER, SYM_ZAP_INVALIDATED + 0xa4);
}

/* vCPU puts (count 2 -> 0) and free. */
static void drop_one(struct gen *g, int cpu, int pid, uint64_t kvm, uint64_t root)
{
	ev_root(g, cpu, pid + 1, E_PUT, kvm, root, 2, OWN_VCPU, SYM_FREE_ROOT);
	ev_root(g, cpu, pid + 2, E_PUT, kvm, root, 1, OWN_VCPU, SYM_FREE_ROOT);
	ev_root(g, cpu, pid + 2, E_FREE, kvm, root, 0, 0, 0);
}

/* A vCPU root load: alloc (count 2) and the vCPU's get (-> 3). */
static void load_one(struct gen *g, int cpu, int pid, uint64_t kvm, uint64_t root)
{
	ev_root(g, cpu, pid + 1, E_ALLOC, kvm, root, 0, 0, 0);
	ev_root(g, cpu, pid + 2, E_GET, kvm, root, 2, OWN_VCPU, SYM_ALLOC_ROOT);
}

static void iter_pair(struct gen *g, int cpu, int pid, uint64_t kvm, uint64_t root)
{
	ev_root(g, cpu, pid, E_GET, kvm, root, 3, OWN_ITER, SYM_ZAP_LEAFS + 0x5a);
	ev_root(g, cpu, pid, E_PUT, kvm, root, 4, OWN_ITER, SYM_ZAP_LEAFS + 0x9c);
}

/* One generation of one root in a VM, with a fast zap (the pattern of every load generation). */
static void generation(struct gen *g, unsigned long vm, uint64_t root, int pairs)
{
	uint64_t kvm = vm_kvm(vm);
	int pid = vm_pid(vm), cpu = (int)rnd_range(g, 0, NCPUS - 1);

	load_one(g, cpu, pid, kvm, root);
	for (int i = 0; i < pairs; i++)
		iter_pair(g, cpu, pid, kvm, root);
	ev_vm(g, cpu, pid, E_FAST_ZAP, kvm);
	ev_root(g, cpu, pid, E_INVALIDATE, kvm, root, 3, 0, 0);
	zap_one(g, cpu, pid, kvm, root);
	ev_vm(g, cpu, pid, E_FAST_ZAP_DONE, kvm);
	drop_one(g, cpu, pid, kvm, root);
}

static void gen_load(struct gen *g, unsigned long long target)
{
	uint64_t page = 0x100000;
	unsigned long vm = 0;

	while (g->n < target) {
		int gens = (int)rnd_range(g, 3, 8);

		vm++;
		for (int i = 0; i < gens; i++)
			generation(g, vm % NPIDS, page += 0x1000, (int)rnd_range(g, 5, 40));
		ev_vm(g, 0, vm_pid(vm % NPIDS), E_TEARDOWN, vm_kvm(vm % NPIDS));
	}
}

static void gen_fastzap(struct gen *g, unsigned long zaps)
{
	uint64_t page = 0x100000;

	for (unsigned long i = 0; i < zaps; i++)
		generation(g, 1, page += 0x1000, (int)rnd_range(g, 1, 4));
	ev_vm(g, 0, vm_pid(1), E_TEARDOWN, vm_kvm(1));
}

static uint64_t root_addr(unsigned long i)
{
	return 0x100000ull + (uint64_t)i * 0x1000;
}

/*
 * nroots live roots over nvms VMs (root i in VM i % nvms), 8 * nroots
 * traffic events, nlost lost-event marks spread over the traffic.
 */
static void gen_roots(struct gen *g, unsigned long nroots, unsigned long nvms,
		      unsigned long nlost)
{
	unsigned long pairs = 4 * nroots, every = nlost ? pairs / nlost : 0, marks = 0;

	for (unsigned long i = 0; i < nroots; i++)
		load_one(g, (int)(i % NCPUS), vm_pid(i % nvms), vm_kvm(i % nvms), root_addr(i));
	for (unsigned long p = 0; p < pairs; p++) {
		unsigned long i = (unsigned long)(rnd(g) % nroots);
		int cpu = (int)rnd_range(g, 0, NCPUS - 1);

		if (every && p % every == every - 1 && marks < nlost && !g->cpu[cpu].lost) {
			g->cpu[cpu].lost = rnd_range(g, 1, 10);
			marks++;
		}
		iter_pair(g, cpu, vm_pid(i % nvms), vm_kvm(i % nvms), root_addr(i));
	}
	for (unsigned long vm = 0; vm < nvms; vm++) {
		uint64_t kvm = vm_kvm(vm);
		int pid = vm_pid(vm), cpu = (int)(vm % NCPUS);

		ev_vm(g, cpu, pid, E_FAST_ZAP, kvm);
		for (unsigned long i = vm; i < nroots; i += nvms)
			ev_root(g, cpu, pid, E_INVALIDATE, kvm, root_addr(i), 3, 0, 0);
		for (unsigned long i = vm; i < nroots; i += nvms)
			zap_one(g, cpu, pid, kvm, root_addr(i));
		ev_vm(g, cpu, pid, E_FAST_ZAP_DONE, kvm);
		for (unsigned long i = vm; i < nroots; i += nvms)
			drop_one(g, cpu, pid, kvm, root_addr(i));
		ev_vm(g, cpu, pid, E_TEARDOWN, kvm);
	}
}

static void template_text(void)
{
	/* Every task the generator uses, so that the template names them. */
	printf("#! kernel=6.12.117 clock=global ncpus=%d\n", NCPUS);
	for (int i = 0; i < NPIDS; i++) {
		int pid = PID0 + i * 3;

		printf("%d 0 %d qemu-main kvm_tdp_mmu_teardown kvm=0x1\n", 1000 + 3 * i, pid);
		printf("%d 0 %d qemu-vcpu0 kvm_tdp_mmu_teardown kvm=0x1\n", 1001 + 3 * i, pid + 1);
		printf("%d 0 %d qemu-vcpu1 kvm_tdp_mmu_teardown kvm=0x1\n", 1002 + 3 * i, pid + 2);
	}
}

static void read_layouts(struct gen *g, const char *tpl)
{
	struct tracecmd_input *h;
	struct tep_handle *tep;

	tracecmd_set_loglevel(TEP_LOG_NONE);
	h = tracecmd_open(tpl, TRACECMD_FL_LOAD_NO_PLUGINS);
	if (!h)
		die("cannot open template %s", tpl);
	tep = tracecmd_get_tep(h);
	for (int t = 0; t < E__N; t++) {
		struct tep_event *e = tep_find_event_by_name(tep, "kvmmmu", ev_names[t]);
		struct layout *l = &g->lay[t];
		int align = 1, end = 0;

		if (!e)
			die("template has no kvmmmu/%s", ev_names[t]);
		l->id = e->id;
		for (struct tep_format_field *f = e->format.common_fields; f; f = f->next)
			if (f->offset + f->size > end)
				end = f->offset + f->size;
		for (struct tep_format_field *f = e->format.fields; f; f = f->next) {
			if (f->offset + f->size > end)
				end = f->offset + f->size;
			if ((f->size == 2 || f->size == 4 || f->size == 8) && f->size > align)
				align = f->size;
		}
		l->size = (end + align - 1) / align * align;
		if (l->size > 112 || l->size % 4)
			die("unexpected record size of %s", ev_names[t]);
		for (int v = 0; v < V__N; v++) {
			struct tep_format_field *f = tep_find_any_field(e, val_names[v]);

			if (f) {
				l->off[v] = f->offset;
				l->len[v] = f->size;
			}
		}
	}
	{
		const char *s = tep_find_function(tep, SYM_ZAP_INVALIDATED);

		if (!s || strcmp(s, "kvm_tdp_mmu_zap_invalidated_roots"))
			die("template kallsyms do not match (%s)", s ? s : "none");
	}
	tracecmd_close(h);
}

/* The template's bytes up to its CPU table (right after "flyrecord"). */
static unsigned char *template_header(const char *tpl, size_t *len, unsigned int *ncpus)
{
	static const char key[] = "\0\0flyrecord";	/* options end, then section */
	unsigned char *buf = malloc(1 << 20), *p = NULL;
	FILE *f = fopen(tpl, "rb");
	size_t n;

	if (!f || !buf)
		die("cannot read %s", tpl);
	n = fread(buf, 1, 1 << 20, f);
	fclose(f);
	for (size_t i = 0; i + sizeof(key) < n; i++)
		if (!memcmp(buf + i, key, sizeof(key)))
			p = buf + i;
	if (!p)
		die("%s: no flyrecord section", tpl);
	*len = (size_t)(p - buf) + sizeof(key);
	/* u32 CPU count, then "options  \0" */
	{
		static const char opt[] = "options  ";
		unsigned char *o = NULL;

		for (size_t i = 4; i + sizeof(opt) < *len; i++)
			if (!memcmp(buf + i, opt, sizeof(opt)))
				o = buf + i;
		if (!o)
			die("%s: no options section", tpl);
		*ncpus = (unsigned int)o[-4] | (unsigned int)o[-3] << 8 |
			 (unsigned int)o[-2] << 16 | (unsigned int)o[-1] << 24;
	}
	if (*ncpus != NCPUS)
		die("%s: template must have 4 CPUs", tpl);
	return buf;
}

static void assemble(struct gen *g, const char *tpl, const char *out)
{
	unsigned int ncpus;
	size_t hlen, off;
	unsigned char *hdr = template_header(tpl, &hlen, &ncpus);
	unsigned char table[16 * NCPUS], *buf;
	char tmp[4200];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	f = fopen(tmp, "wb");
	buf = malloc(1 << 20);
	if (!f || !buf)
		die("cannot write %s", tmp);
	off = (hlen + sizeof(table) + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE;
	for (int c = 0; c < NCPUS; c++) {
		put_le(table + 16 * c, g->cpu[c].bytes ? off : 0, 8);
		put_le(table + 16 * c + 8, g->cpu[c].bytes, 8);
		off += g->cpu[c].bytes;
	}
	fwrite(hdr, 1, hlen, f);
	fwrite(table, 1, sizeof(table), f);
	memset(buf, 0, PAGE_SIZE);
	fwrite(buf, 1, (PAGE_SIZE - (hlen + sizeof(table)) % PAGE_SIZE) % PAGE_SIZE, f);
	for (int c = 0; c < NCPUS; c++) {
		size_t n;

		rewind(g->cpu[c].f);
		while ((n = fread(buf, 1, 1 << 20, g->cpu[c].f)) > 0)
			if (fwrite(buf, 1, n, f) != n)
				die("cannot write %s", tmp);
		fclose(g->cpu[c].f);
		unlink(g->cpu[c].path);
	}
	if (fclose(f) || rename(tmp, out))
		die("cannot write %s", out);
	free(buf);
	free(hdr);
}

int main(int argc, char **argv)
{
	static struct gen g;
	unsigned long long n, m;
	const char *kind;

	if (argc == 2 && !strcmp(argv[1], "--template-text")) {
		template_text();
		return 0;
	}
	if (argc < 5) {
		fprintf(stderr, "usage: genbench --template-text | genbench TEMPLATE.dat OUT.dat "
			"load N | roots N VMS | lost N MARKS | fastzap N\n");
		return 2;
	}
	kind = argv[3];
	n = strtoull(argv[4], NULL, 10);
	m = argc > 5 ? strtoull(argv[5], NULL, 10) : 0;
	read_layouts(&g, argv[1]);
	g.rng = 0x9e3779b97f4a7c15ull;
	g.ts = 1000;
	for (int c = 0; c < NCPUS; c++) {
		snprintf(g.cpu[c].path, sizeof(g.cpu[c].path), "%s.cpu%d", argv[2], c);
		g.cpu[c].f = fopen(g.cpu[c].path, "w+b");
		if (!g.cpu[c].f)
			die("cannot write %s", g.cpu[c].path);
	}
	if (!strcmp(kind, "load"))
		gen_load(&g, n);
	else if (!strcmp(kind, "roots") && m)
		gen_roots(&g, n, m, 0);
	else if (!strcmp(kind, "lost") && m)
		gen_roots(&g, n, 8, m);
	else if (!strcmp(kind, "fastzap"))
		gen_fastzap(&g, n);
	else {
		fprintf(stderr, "genbench: unknown kind '%s' or missing argument\n", kind);
		return 2;
	}
	for (int c = 0; c < NCPUS; c++)
		flush_page(&g.cpu[c]);
	assemble(&g, argv[1], argv[2]);
	printf("%llu\n", g.n);
	return 0;
}
