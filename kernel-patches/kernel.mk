# kernel-patches/kernel.mk: checks of the kvmmmu kernel series
# (included by the top-level Makefile).
#
#   make patches-check       checkpatch --strict, git am and event-ABI check
#                            of kernel-patches/v6.12 and v6.1 on pristine
#                            Debian trees (cached in build/kernel-patches);
#                            part of make check as check-patches
#   make kernel-cost-check   bloat-o-meter and disabled-path disassembly
#   make kernel-build-check  W=1 build of arch/x86/kvm/ at every patch of
#                            each series, fails on new warnings (minutes;
#                            not part of make check)
# KP_VERSIONS selects the series (default: 6.12 6.1).

KP_VERSIONS ?= 6.12 6.1

.PHONY: patches-check check-patches kernel-build-check

patches-check:
	@kernel-patches/scripts/patches-check.sh $(KP_VERSIONS)

check-patches: patches-check

kernel-build-check:
	@JOBS=2 kernel-patches/scripts/build-check.sh $(KP_VERSIONS)

CHECKS += check-patches

# make kernel-cost-check: bloat-o-meter of arch/x86/kvm/mmu/*.o without and
# with each series, and the disassembly of the put and the root iterator
# with tracing off (minutes; not part of make check).
.PHONY: kernel-cost-check
kernel-cost-check:
	@JOBS=2 kernel-patches/scripts/cost-check.sh $(KP_VERSIONS)
