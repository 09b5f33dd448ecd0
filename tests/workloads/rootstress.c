// SPDX-License-Identifier: GPL-2.0
/*
 * rootstress: drive the KVM TDP MMU root lifecycle through the KVM API.
 *
 * Several VMs run at once, each with several vCPUs executing a tiny
 * real-mode guest that touches memory in two data regions and exits to
 * userspace with an OUT. While the vCPUs run, the main thread, driven by a
 * seeded PRNG, deletes / re-adds / moves the data memslot (each one is a
 * fast zap on x86), toggles dirty logging, fetches the dirty log, injects
 * SMIs (the SMM handler is a bare RSM; SMM runs on as_id 1 roots) and
 * destroys whole VMs (vCPUs first, then the VM) and creates new ones.
 *
 * usage: rootstress [-s SEED] [-r ROUNDS] [-m VMS] [-c VCPUS] [-q] [-S]
 * exit:  0 all ioctls behaved, 1 a KVM call failed, 2 usage error.
 *
 * Built static (make -C tests/workloads) so it runs from the initramfs.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MAX_VMS 8
#define MAX_VCPUS 8

#define LOW_SIZE 0x40000UL	/* slot 0: code at 0x1000, SMM at 0x30000 */
#define CODE_GPA 0x1000UL
#define SMM_ENTRY 0x38000UL	/* default SMBASE 0x30000 + 0x8000 */
#define DATA_SIZE 0x10000UL	/* slot 1, moves between A and B */
#define DATA_GPA_A 0x50000UL
#define DATA_GPA_B 0x70000UL

/* Real-mode guest: ds=0x5000, es=0x7000, then forever: touch one page in
 * each region, step to the next page, OUT 0x10 (exit to userspace). */
static const uint8_t guest_code[] = {
	0xb8, 0x00, 0x50,	/* mov ax, 0x5000 */
	0x8e, 0xd8,		/* mov ds, ax */
	0xb8, 0x00, 0x70,	/* mov ax, 0x7000 */
	0x8e, 0xc0,		/* mov es, ax */
	0x31, 0xdb,		/* xor bx, bx */
	/* loop (offset 12): */
	0xff, 0x07,		/* inc word [bx] */
	0x26, 0xff, 0x07,	/* inc word es:[bx] */
	0x81, 0xc3, 0x00, 0x10,	/* add bx, 0x1000 */
	0xe6, 0x10,		/* out 0x10, al */
	0xeb, 0xf3,		/* jmp loop (12 - 25) */
};
static const uint8_t smm_code[] = { 0x0f, 0xaa };	/* rsm */

static int kvm_fd;
static int quiet;
static int have_smm;
static int no_smi;
static int unmap_data;	/* -U: MADV_DONTNEED the data slot while live */
static long run_size;

struct vcpu {
	int fd;
	struct kvm_run *run;
	pthread_t thr;
	uint64_t seed;
	struct vm *vm;
	long runs, smis, resets;
};

struct vm {
	int fd;
	int id;
	int nvcpus;
	uint8_t *low, *data;
	int data_present;
	uint64_t data_gpa;
	uint32_t data_flags;
	atomic_int stop;
	struct vcpu vcpu[MAX_VCPUS];
};

static atomic_int failed;
static atomic_long total_runs, total_smis, total_resets;

static int vcpu_reset(struct vcpu *v)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		goto fail;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		goto fail;
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 2;
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		goto fail;
	return 0;
fail:
	perror("rootstress: vCPU reset");
	atomic_store(&failed, 1);
	return -1;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "rootstress: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", strerror(errno));
	va_end(ap);
	exit(1);
}

static uint64_t rnd(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static void set_slot(struct vm *vm, uint32_t slot, uint32_t flags,
		     uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)hva,
	};

	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		die("vm%d: KVM_SET_USER_MEMORY_REGION slot %u gpa %#llx size %#llx",
		    vm->id, slot, (unsigned long long)gpa, (unsigned long long)size);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;

	while (!atomic_load(&v->vm->stop)) {
		if (have_smm && rnd(&v->seed) % 64 == 0) {
			if (ioctl(v->fd, KVM_SMI, 0) < 0) {
				perror("rootstress: KVM_SMI");
				atomic_store(&failed, 1);
				break;
			}
			v->smis++;
		}
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fprintf(stderr, "rootstress: vm%d: KVM_RUN: %s (after %ld runs, %ld SMIs, last exit %u)\n",
				v->vm->id, strerror(errno), v->runs, v->smis, v->run->exit_reason);
			atomic_store(&failed, 1);
			break;
		}
		v->runs++;
		switch (v->run->exit_reason) {
		case KVM_EXIT_IO:
		case KVM_EXIT_MMIO:	/* data slot absent or moved away */
		case KVM_EXIT_HLT:
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_SHUTDOWN:
			/*
			 * Seen once in ~10 runs under QEMU TCG with thousands
			 * of SMIs: the real-mode guest triple-faults.  That is
			 * the guest, not the root lifecycle under test: count
			 * it, restart the guest code, go on.
			 */
			v->resets++;
			if (vcpu_reset(v))
				return NULL;
			break;
		default:
			fprintf(stderr, "rootstress: vm%d: unexpected exit %u\n",
				v->vm->id, v->run->exit_reason);
			atomic_store(&failed, 1);
			return NULL;
		}
	}
	return NULL;
}

static void vm_create(struct vm *vm, int id, int nvcpus, uint64_t seed)
{
	memset(vm, 0, sizeof(*vm));
	vm->id = id;
	vm->nvcpus = nvcpus;
	vm->fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		die("KVM_CREATE_VM");
	/* Needed by VMX for real mode; harmless on SVM. */
	if (ioctl(vm->fd, KVM_SET_TSS_ADDR, 0xfffbd000UL) < 0)
		die("KVM_SET_TSS_ADDR");
	vm->low = mmap(NULL, LOW_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	vm->data = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm->low == MAP_FAILED || vm->data == MAP_FAILED)
		die("mmap");
	memcpy(vm->low + CODE_GPA, guest_code, sizeof(guest_code));
	memcpy(vm->low + SMM_ENTRY, smm_code, sizeof(smm_code));
	set_slot(vm, 0, 0, 0, LOW_SIZE, vm->low);
	/* SMM address space (as_id 1): the same low memory, so that SMM entry
	 * can write the state save area at SMBASE + 0xfe00 and run the RSM. */
	if (have_smm)
		set_slot(vm, 1U << 16, 0, 0, LOW_SIZE, vm->low);
	vm->data_gpa = DATA_GPA_A;
	set_slot(vm, 1, 0, vm->data_gpa, DATA_SIZE, vm->data);
	vm->data_present = 1;

	for (int i = 0; i < nvcpus; i++) {
		struct vcpu *v = &vm->vcpu[i];
		struct kvm_sregs sregs;
		struct kvm_regs regs;

		v->vm = vm;
		v->seed = seed ^ ((uint64_t)(id + 1) << 32) ^ (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ULL;
		if (!v->seed)
			v->seed = 1;
		v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, i);
		if (v->fd < 0)
			die("vm%d: KVM_CREATE_VCPU %d", id, i);
		v->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED)
			die("mmap kvm_run");
		if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
			die("KVM_GET_SREGS");
		sregs.cs.base = 0;
		sregs.cs.selector = 0;
		if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
			die("KVM_SET_SREGS");
		memset(&regs, 0, sizeof(regs));
		regs.rip = CODE_GPA;
		regs.rflags = 2;
		if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
			die("KVM_SET_REGS");
	}
	for (int i = 0; i < nvcpus; i++)
		if (pthread_create(&vm->vcpu[i].thr, NULL, vcpu_thread, &vm->vcpu[i]))
			die("pthread_create");
}

/* SIGUSR1 only interrupts KVM_RUN (EINTR): see vm_destroy(). */
static void kick(int sig)
{
	(void)sig;
}

static void vm_destroy(struct vm *vm)
{
	atomic_store(&vm->stop, 1);
	/*
	 * Kick every vCPU out of KVM_RUN, as the KVM selftests do: without
	 * it, a run under QEMU's software CPU was seen to wait here for
	 * minutes while vCPU threads spun in KVM_RUN.
	 */
	for (int i = 0; i < vm->nvcpus; i++) {
		vm->vcpu[i].run->immediate_exit = 1;
		pthread_kill(vm->vcpu[i].thr, SIGUSR1);
	}
	for (int i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = &vm->vcpu[i];

		pthread_join(v->thr, NULL);
		atomic_fetch_add(&total_runs, v->runs);
		atomic_fetch_add(&total_smis, v->smis);
		atomic_fetch_add(&total_resets, v->resets);
		munmap(v->run, run_size);
		close(v->fd);
	}
	close(vm->fd);	/* last reference: kvm_destroy_vm() runs here */
	munmap(vm->low, LOW_SIZE);
	munmap(vm->data, DATA_SIZE);
}

static void usage(void)
{
	fprintf(stderr, "usage: rootstress [-s SEED] [-r ROUNDS] [-m VMS 1..%d] [-c VCPUS 1..%d] [-q] [-S] [-U]\n"
		"  -S  no SMIs (SMM entry is on by default when KVM_CAP_X86_SMM)\n"
		"  -U  in the sleep step, drop the data slot's pages (MADV_DONTNEED):\n"
		"      mmu-notifier unmaps of a live memslot (kvm_unmap_gfn_range)\n",
		MAX_VMS, MAX_VCPUS);
	exit(2);
}

static long num(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || v < lo || v > hi)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	static struct vm vms[MAX_VMS];
	uint64_t seed = 1;
	long rounds = 40;
	int nvms = 3, nvcpus = 2, next_id = 0, opt;
	long ops[6] = { 0 };
	static const char *const opname[6] = {
		"delete+readd", "move", "dirty-log-toggle", "get-dirty-log",
		"vm-recreate", "sleep",
	};

	while ((opt = getopt(argc, argv, "s:r:m:c:qSU")) != -1) {
		switch (opt) {
		case 's': seed = (uint64_t)num(optarg, 0, 0x7fffffff); break;
		case 'r': rounds = num(optarg, 1, 1000000); break;
		case 'm': nvms = (int)num(optarg, 1, MAX_VMS); break;
		case 'c': nvcpus = (int)num(optarg, 1, MAX_VCPUS); break;
		case 'q': quiet = 1; break;
		case 'S': no_smi = 1; break;
		case 'U': unmap_data = 1; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (!seed)
		seed = 0x5eed;

	struct sigaction sa = { .sa_handler = kick };	/* no SA_RESTART */

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		die("sigaction");
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		die("open /dev/kvm");
	if (ioctl(kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		die("KVM API version mismatch");
	run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE");
	have_smm = !no_smi && ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_SMM) > 0;

	uint64_t s = seed;
	for (int i = 0; i < nvms; i++)
		vm_create(&vms[i], next_id++, nvcpus, seed);

	for (long r = 0; r < rounds && !atomic_load(&failed); r++) {
		struct vm *vm = &vms[rnd(&s) % nvms];
		int op = (int)(rnd(&s) % 6);
		struct kvm_dirty_log log;
		uint64_t bitmap[DATA_SIZE / 4096 / 64 + 1];

		switch (op) {
		case 0:	/* delete (fast zap), let the vCPUs fault, re-add */
			if (vm->data_present) {
				set_slot(vm, 1, 0, vm->data_gpa, 0, vm->data);
				vm->data_present = 0;
				usleep(500 + rnd(&s) % 2000);
			}
			vm->data_flags = 0;
			set_slot(vm, 1, 0, vm->data_gpa, DATA_SIZE, vm->data);
			vm->data_present = 1;
			break;
		case 1:	/* move between A and B (fast zap) */
			if (!vm->data_present)
				break;
			vm->data_gpa = vm->data_gpa == DATA_GPA_A ? DATA_GPA_B : DATA_GPA_A;
			set_slot(vm, 1, vm->data_flags, vm->data_gpa, DATA_SIZE, vm->data);
			break;
		case 2:	/* dirty logging on/off: write-protect / recover paths */
			if (!vm->data_present)
				break;
			vm->data_flags ^= KVM_MEM_LOG_DIRTY_PAGES;
			set_slot(vm, 1, vm->data_flags, vm->data_gpa, DATA_SIZE, vm->data);
			break;
		case 3:
			if (!vm->data_present || !(vm->data_flags & KVM_MEM_LOG_DIRTY_PAGES))
				break;
			memset(&log, 0, sizeof(log));
			log.slot = 1;
			log.dirty_bitmap = bitmap;
			if (ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log) < 0)
				die("vm%d: KVM_GET_DIRTY_LOG", vm->id);
			break;
		case 4:	/* destroy this VM (vCPUs, then the VM) and make a new one */
			vm_destroy(vm);
			vm_create(vm, next_id++, nvcpus, seed + (uint64_t)r);
			break;
		default:
			/* the guest only counts in these pages: zeroing is harmless */
			if (unmap_data && vm->data_present &&
			    madvise(vm->data, DATA_SIZE, MADV_DONTNEED) < 0)
				die("vm%d: madvise", vm->id);
			usleep(1000 + rnd(&s) % 4000);
			break;
		}
		ops[op]++;
		usleep(200 + rnd(&s) % 1000);
	}
	for (int i = 0; i < nvms; i++)
		vm_destroy(&vms[i]);
	close(kvm_fd);

	if (!quiet) {
		printf("rootstress: seed=%llu rounds=%ld vms=%d (created %d) vcpus/vm=%d smm=%s\n",
		       (unsigned long long)seed, rounds, nvms, next_id, nvcpus,
		       have_smm ? "yes" : "no");
		printf("rootstress: KVM_RUN=%ld SMI=%ld guest-shutdown-resets=%ld",
		       atomic_load(&total_runs), atomic_load(&total_smis),
		       atomic_load(&total_resets));
		for (int i = 0; i < 6; i++)
			printf(" %s=%ld", opname[i], ops[i]);
		printf("\n");
	}
	if (atomic_load(&failed)) {
		fprintf(stderr, "rootstress: FAILED (see above)\n");
		return 1;
	}
	return 0;
}
