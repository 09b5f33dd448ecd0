#!/usr/bin/env python3
"""Write the event text of a long, clean, gifted-design workload for
benchmarks: VMS VMs, each with a few live roots at a time, vCPU loads and
reloads, mmu-notifier iterators, fast zaps that invalidate, zap and put
the gift, and VM teardown at the end of each VM's life. The number of
roots alive at once stays bounded whatever EVENTS is, so the analyzer's
memory must not grow with it.

usage: genload.py EVENTS [SEED] > load.txt   (format: tests/sim/README.md)
"""
import random
import sys


def main():
    target = int(sys.argv[1])
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    out = sys.stdout
    out.write("#! kernel=6.12.117 clock=global ncpus=4\n")
    ts = 1000
    n = 0
    vm_serial = 0
    next_page = 0x100000

    def ev(cpu, pid, comm, name, fields):
        nonlocal ts, n
        ts += rng.randint(50, 500)
        out.write(f"{ts} {cpu} {pid} {comm} {name} {fields}\n")
        n += 1

    while n < target:
        vm_serial += 1
        kvm = 0xffff888000000000 + (vm_serial % 64) * 0x100000
        main_pid = 1000 + vm_serial % 50000
        vcpus = [main_pid + 1 + i for i in range(2)]
        for _gen in range(rng.randint(3, 8)):
            next_page += 0x1000
            root = next_page
            k = f"kvm=0x{kvm:x} root=0x{root:x}"
            cpu = rng.randrange(4)
            ev(cpu, vcpus[0], "qemu-vcpu0", "kvm_tdp_mmu_root_alloc",
               f"{k} role=0x10c04 count=2 as_id=0 level=4")
            ev(cpu, vcpus[1], "qemu-vcpu1", "kvm_tdp_mmu_root_get",
               f"{k} old=2 owner=vcpu caller=kvm_tdp_mmu_alloc_root+0x6a")
            count = 3
            for _ in range(rng.randint(5, 40)):
                ev(cpu, main_pid, "qemu-main", "kvm_tdp_mmu_root_get",
                   f"{k} old={count} owner=iter caller=kvm_tdp_mmu_zap_leafs+0x5a")
                ev(cpu, main_pid, "qemu-main", "kvm_tdp_mmu_root_put",
                   f"{k} old={count + 1} owner=iter caller=kvm_tdp_mmu_zap_leafs+0x9c")
            ev(cpu, main_pid, "qemu-main", "kvm_mmu_zap_all_fast",
               "mmu_valid_gen=1 mmu_used_pages=0")
            ev(cpu, main_pid, "qemu-main", "kvm_tdp_mmu_root_invalidate",
               f"{k} count={count} reason=fast_zap")
            ev(cpu, main_pid, "qemu-main", "kvm_tdp_mmu_root_get",
               f"{k} old={count} owner=iter caller=kvm_tdp_mmu_zap_invalidated_roots+0x31")
            ev(cpu, main_pid, "qemu-main", "kvm_tdp_mmu_root_zap_start",
               f"{k} ctx=fast_zap shared=1")
            ev(cpu, main_pid, "qemu-main", "kvm_tdp_mmu_root_zap_end",
               f"{k} ctx=fast_zap")
            ev(cpu, main_pid, "qemu-main", "kvm_tdp_mmu_root_put",
               f"{k} old={count + 1} owner=zap caller=kvm_tdp_mmu_zap_invalidated_roots+0x8e")
            ev(cpu, main_pid, "qemu-main", "kvm_tdp_mmu_root_put",
               f"{k} old={count} owner=iter caller=kvm_tdp_mmu_zap_invalidated_roots+0xa4")
            ev(cpu, main_pid, "qemu-main", "kvm_mmu_zap_all_fast_done", f"kvm=0x{kvm:x}")
            ev(cpu, vcpus[0], "qemu-vcpu0", "kvm_tdp_mmu_root_put",
               f"{k} old=2 owner=vcpu caller=mmu_free_root_page+0x3c")
            ev(cpu, vcpus[1], "qemu-vcpu1", "kvm_tdp_mmu_root_put",
               f"{k} old=1 owner=vcpu caller=mmu_free_root_page+0x3c")
            ev(cpu, vcpus[1], "qemu-vcpu1", "kvm_tdp_mmu_root_free", k)
        ev(0, main_pid, "qemu-main", "kvm_tdp_mmu_teardown", f"kvm=0x{kvm:x}")


if __name__ == "__main__":
    main()
