// SPDX-License-Identifier: GPL-2.0
/*
 * heapcount.so: LD_PRELOAD shim for make bench that measures the peak
 * heap of a process, in total and for the allocations made directly by
 * the main executable (the analyzer's own, as opposed to libtracecmd's,
 * libtraceevent's or libc's). At exit it writes
 *   <peak heap bytes> <peak own heap bytes>
 * to the file named by $HEAPCOUNT_OUT. Single-threaded programs only.
 *
 * Sizes are malloc_usable_size(); the owner of a block is decided by the
 * return address of the malloc/calloc/realloc call. Own blocks are kept
 * in an open-addressing table (mmap, not malloc) so that free() knows them.
 */
#include <dlfcn.h>
#include <link.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

struct slot {
	uintptr_t p;
	size_t size;
};

static uintptr_t exe_lo, exe_hi;
static int inited;
static size_t cur, peak, own_cur, own_peak;
static struct slot *tab;
static size_t cap, used;

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			exe_lo = info->dlpi_addr + ph->p_vaddr;
			exe_hi = exe_lo + ph->p_memsz;
		}
	}
	return 1;	/* the first object is the main program */
}

static void init(void)
{
	inited = 1;
	dl_iterate_phdr(phdr_cb, NULL);
}

static size_t hash(uintptr_t p)
{
	return (size_t)((p >> 4) * 0x9e3779b97f4a7c15ull) & (cap - 1);
}

static void tab_put(uintptr_t p, size_t size);

static void tab_grow(void)
{
	struct slot *old = tab;
	size_t ocap = cap;

	cap = cap ? 2 * cap : 1 << 16;
	tab = mmap(NULL, cap * sizeof(*tab), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (tab == MAP_FAILED)
		abort();
	used = 0;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].p)
			tab_put(old[i].p, old[i].size);
	if (old)
		munmap(old, ocap * sizeof(*old));
}

static void tab_put(uintptr_t p, size_t size)
{
	size_t i;

	if (2 * (used + 1) > cap)
		tab_grow();
	for (i = hash(p); tab[i].p; i = (i + 1) & (cap - 1))
		;
	tab[i].p = p;
	tab[i].size = size;
	used++;
}

/* Remove p if it is an own block; returns its size, 0 if not own. */
static size_t tab_take(uintptr_t p)
{
	size_t i, j, size;

	if (!cap)
		return 0;
	for (i = hash(p); tab[i].p != p; i = (i + 1) & (cap - 1))
		if (!tab[i].p)
			return 0;
	size = tab[i].size;
	tab[i].p = 0;
	used--;
	/* backward-shift deletion keeps the probe chains intact */
	for (j = (i + 1) & (cap - 1); tab[j].p; j = (j + 1) & (cap - 1)) {
		size_t h = hash(tab[j].p);

		if ((j > i && (h <= i || h > j)) || (j < i && h <= i && h > j)) {
			tab[i] = tab[j];
			tab[j].p = 0;
			i = j;
		}
	}
	return size;
}

static void account(void *p, uintptr_t caller)
{
	size_t n;

	if (!p)
		return;
	if (!inited)
		init();
	n = malloc_usable_size(p);
	cur += n;
	if (cur > peak)
		peak = cur;
	if (caller >= exe_lo && caller < exe_hi) {
		tab_put((uintptr_t)p, n);
		own_cur += n;
		if (own_cur > own_peak)
			own_peak = own_cur;
	}
}

static void unaccount(void *p)
{
	if (!p)
		return;
	size_t n = malloc_usable_size(p);

	cur = n < cur ? cur - n : 0;
	own_cur -= tab_take((uintptr_t)p);
}

void *malloc(size_t n)
{
	void *p = __libc_malloc(n);

	account(p, (uintptr_t)__builtin_return_address(0));
	return p;
}

void *calloc(size_t a, size_t b)
{
	void *p = __libc_calloc(a, b);

	account(p, (uintptr_t)__builtin_return_address(0));
	return p;
}

void *realloc(void *old, size_t n)
{
	void *p;

	unaccount(old);
	p = __libc_realloc(old, n);
	if (p)
		account(p, (uintptr_t)__builtin_return_address(0));
	else if (old && n)
		account(old, (uintptr_t)__builtin_return_address(0));
	return p;
}

void *memalign(size_t align, size_t n)
{
	void *p = __libc_memalign(align, n);

	account(p, (uintptr_t)__builtin_return_address(0));
	return p;
}

void *aligned_alloc(size_t align, size_t n)
{
	void *p = __libc_memalign(align, n);

	account(p, (uintptr_t)__builtin_return_address(0));
	return p;
}

int posix_memalign(void **out, size_t align, size_t n)
{
	void *p = __libc_memalign(align, n);

	if (!p)
		return 12;	/* ENOMEM */
	account(p, (uintptr_t)__builtin_return_address(0));
	*out = p;
	return 0;
}

void free(void *p)
{
	unaccount(p);
	__libc_free(p);
}

__attribute__((destructor)) static void report(void)
{
	const char *path = getenv("HEAPCOUNT_OUT");
	FILE *f;

	if (!path)
		return;
	f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "%zu %zu\n", peak, own_peak);
	fclose(f);
}
