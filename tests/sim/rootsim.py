#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""rootsim: a model of the KVM TDP MMU root lifecycle, with ground truth.

Tasks (vCPUs, iterators, the fast zap, the async worker, VM teardown) are
Python generators; every `yield` is a point where the scheduler may switch
task. Between two yields a task executes one atomic step at the kernel's
granularity: one refcount atomic (get/put), the unlink+free after a last
put, an invalidate-all under mmu_lock held for write, one zap begin/end
(tdp_mmu_zap_root may yield in between), one work item dequeue. mmu_lock is
an rwlock: a step that needs it waits until it is compatible; a task keeps
it across yields only where the kernel does.

Designs (docs/designs.md has the era ranges and the code they follow):
  gifted        v6.6+ (0df9dab891ff), 6.1.y after its August 2023 backport, 6.12:
                alloc count 2, invalidate-all gifts the MMU's reference,
                kvm_tdp_mmu_zap_invalidated_roots() zaps + puts.
  hybrid        v6.4/v6.5 (edbdb43fc96b): alloc count 2, invalidate-all
                hands the MMU's reference to the async worker (no get),
                zap_invalidated_roots = flush_workqueue(), invalidate-all at
                teardown.
  async-worker  v5.18..v6.3 (6.1.y before its August 2023 backport of
                edbdb43fc96b, 6.2.y, 6.3.0/6.3.1): alloc count 1,
                invalidate-all gets a gift and queues the worker, last put
                of a valid root = defunct (count reset to 1, worker queued),
                zap_invalidated_roots = flush_workqueue().
  v3            the v3 posting, faithfully: put_root as async-worker, but
                invalidate-all gets a reference on *every* root (invalid
                ones included) and the fast zap's own loop zaps and puts
                every invalid root with a nonzero count (no reference taken).
  v3-defunct    the review's scenario: v3 with an invalidate-all that skips
                already-invalid roots, so every defunct root the loop meets
                is put without a gift.
Workqueue: an unbound workqueue (several kworkers may run work items of
different roots at once); flush_workqueue() waits only for the items queued
(or running) when the flush began; destroy_workqueue() drains everything.
VM teardown follows each era: kvm_tdp_mmu_zap_all() (iterator references,
ctx zap_all), the vCPUs' last puts (done by the destroying task), then
kvm_mmu_uninit_tdp_mmu(): drain the workqueue (async-worker, v3*),
invalidate-all + drain (hybrid), invalidate-all + zap of invalidated roots
(gifted).
Injected bugs (BUGS): see the table below.

Ground truth is the model's physical state, never the analyzer's logic:
the real refcount, which code path really holds each reference, whether a
root was really freed, zapped, gifted. For each root life, the first event
at which something is really wrong decides its expected rule (`rule`);
`also` lists other rule IDs that are equally true at that same event or are
direct consequences (accepted, but counted separately from exact matches).
"""

import random

DESIGNS = ["gifted", "hybrid", "async-worker", "v3", "v3-defunct"]
ASYNC = ("hybrid", "async-worker", "v3", "v3-defunct")     # designs with a workqueue
COUNT2 = ("gifted", "hybrid")                             # alloc count 2, no defunct roots

# bug -> (design it applies to, one line)
BUGS = {
    "none": (None, "no injected bug"),
    "iter-double-put": ("gifted", "iterator early exit puts its root twice"),
    "missing-gifted-put": ("gifted", "zap_invalidated_roots zaps but never puts the gift"),
    "fastzap-early-return": ("gifted", "fast zap returns before zapping the last invalidated root"),
    "put-before-zap": ("gifted", "gifted put before tdp_mmu_zap_root() ends"),
    "get-at-zero": ("gifted", "kvm_tdp_mmu_get_root() succeeds at refcount 0 (refcount_inc)"),
    "queue-twice": ("async-worker", "invalidate-all re-invalidates a root whose work is still queued"),
    "free-valid": ("async-worker", "put_root frees a valid root at its last put instead of reviving it"),
    "fastzap-gift-put": (("async-worker", "hybrid"),
                         "the fast zap puts the worker's gift of each root it invalidated"),
    "zap-valid": (COUNT2, "a walker of valid roots zaps the first one as if it were invalidated"),
    "iter-leak": (("gifted", "async-worker"),
                  "an iterator's early exit leaves without putting its root (a leaked reference)"),
    "vcpu-leak": (None, "kvm_mmu_free_roots() skips mmu_free_root_page() once: a vCPU reference never put"),
}


def bug_applies(bug, design):
    d = BUGS[bug][0]
    return d is None or d == design or (isinstance(d, tuple) and design in d)

KERNEL = {"gifted": "6.12.117", "hybrid": "6.5.0", "async-worker": "6.1.0", "v3": "5.17.0", "v3-defunct": "5.17.0"}

OWNER = {"vcpu": 0, "iter": 1, "mmu": 2, "zap": 3}
OWNER_NAME = {v: k for k, v in OWNER.items()}
REASON = {"fast_zap": 0, "teardown": 1, "last_put": 2}
CTX = {"fast_zap": 0, "zap_all": 1, "worker": 2}
ENUM_FIELDS = {"owner": OWNER_NAME, "reason": {v: k for k, v in REASON.items()},
               "ctx": {v: k for k, v in CTX.items()}}

# Call sites (symbols of gentrace's kallsyms table).
C_ALLOC_GET = {d: "kvm_tdp_mmu_get_vcpu_root_hpa+0x6b" for d in DESIGNS}
C_ALLOC_GET["gifted"] = "kvm_tdp_mmu_alloc_root+0x8e"
C_VCPU_PUT = "mmu_free_root_page+0x3d"
C_ZAP_PUT = "kvm_tdp_mmu_zap_invalidated_roots+0x10b"
C_ZAP_ITER = "kvm_tdp_mmu_zap_invalidated_roots+0x3c"
C_WORKER_PUT = "tdp_mmu_zap_root_work+0x61"
C_INVAL_GET = "kvm_tdp_mmu_invalidate_all_roots+0x55"
C_ZAPALL = "kvm_tdp_mmu_zap_all"
ITER_FNS = {
    # name: (function, only_valid, mmu_lock mode)
    "zap_leafs": ("kvm_tdp_mmu_zap_leafs", False, "w"),
    "split": ("kvm_tdp_mmu_try_split_huge_pages", True, "r"),
    "wrprot": ("kvm_tdp_mmu_wrprot_slot", True, "r"),
}

KVM_BASE = 0xffff888004100000
ROOT_BASE = 0x1234000


class ModelError(Exception):
    pass


class Root:
    def __init__(self, life, kvm, addr, count):
        self.life = life
        self.kvm = kvm
        self.addr = addr
        self.count = count
        self.invalid = False
        self.linked = True
        self.freed = False
        self.scheduled = False        # gifted: tdp_mmu_scheduled_root_to_zap
        self.work_pending = False     # async: work item queued, not yet run
        self.holders = {}             # (owner, task pid or None) -> n
        self.held_at = {}             # the same key -> event indices of its gets not put
        self.foreign_puts = []        # (ref taken, refs that looked as loaded) per vCPU
                                      # put by another task (VM destruction)
        self.gifts = {}               # zapper kind -> pending gifts
        self.consumed = {}            # zapper kind -> gifts consumed
        self.consumers = set()        # pids that consumed a gift of this root
        self.zapping = set()          # zapper kinds between zap_start and zap_end
        self.zapped = set()           # zapper kinds that finished a zap since invalidation
        self.inval_event = None       # event index of valid->invalid
        self.inval_by_fastzap = None  # pid of the fast zap whose invalidate-all did it
        self.defunct_put = None       # (pid, comm, caller) of the put that made it defunct
        self.iter_leak_at = None      # event index of the iterator get never put back (iter-leak)
        self.gift_at = None           # event index of the latest gift: invalidate-all's
                                      # zap get (async, v3), its invalidate (gifted,
                                      # hybrid: the MMU's reference), a last_put invalidate
        self.got_zero = set()         # pids whose get "succeeded" at 0 (bug)
        self.truth = None             # (rule, frozenset(also), event index, extra)
        self.alloc_at = None          # event index of the alloc / the free
        self.free_at = None
        self.broken = False           # physical state no longer meaningful
        # Address reuse while a task still points at a freed life (a stale
        # work item or zapper, always after a violation of that life): its
        # later events carry the same (kvm, root) as the new life, and no
        # trace can tell the two apart. Lives of one such group share an
        # `alias` id (None: the address' events are unambiguous).
        self.alias = None

    def hold(self, key, d, at=None):
        """at: the event that took the reference (a put gives back the
        latest of that key)."""
        if d > 0:
            self.held_at.setdefault(key, []).append(at)
        elif self.held_at.get(key):
            self.held_at[key].pop()
        n = self.holders.get(key, 0) + d
        if n:
            self.holders[key] = n
        else:
            self.holders.pop(key, None)

    def gift(self, frm, zapper, at=None):
        """The reference held as frm becomes zapper's gift (at: its event)."""
        self.hold(frm, -1)
        self.hold(("zap", zapper), 1, at)
        self.gifts[zapper] = self.gifts.get(zapper, 0) + 1

    def outstanding(self):
        """Event indices of the references never put back (known ones)."""
        return sorted(a for k, v in self.held_at.items() if self.holders.get(k, 0) > 0
                      for a in v if a is not None)

    def holds(self, owner, pid=None):
        if owner == "iter":
            return self.holders.get((owner, pid), 0) > 0
        return any(k[0] == owner and n > 0 for k, n in self.holders.items())


class Task:
    def __init__(self, sim, kind, pid, comm, cpu):
        self.sim, self.kind, self.pid, self.comm, self.cpu = sim, kind, pid, comm, cpu
        self.gen = None
        self.req = None       # pending request: None, ("lock", mode), ("wait", fn)
        self.done = False
        self.lock = None      # "r" / "w" held
        self.fresh = True     # no visible step since the last scheduling point
        self.held_root = None # vCPU: root kept loaded until the VM is destroyed
        self.idle = False     # kworker: waiting for a work item


class Sim:
    def __init__(self, design, bug, config, chooser, reuse_addr=False):
        if design not in DESIGNS:
            raise ModelError("unknown design %s" % design)
        if not bug_applies(bug, design):
            raise ModelError("bug %s applies to design %s" % (bug, BUGS[bug][0]))
        self.design, self.bug, self.config = design, bug, config
        self.chooser = chooser
        self.reuse_addr = reuse_addr
        self.events = []      # (task, name, fields)
        self.lives = []
        self.roots = {}       # kvm -> ordered list of linked roots (head first)
        self.free_addrs = []
        self.next_addr = ROOT_BASE
        self.readers = 0
        self.writer = None
        self.slots_busy = False
        self.queue = []       # async work items: (seq, root), in queue order
        self.running = {}     # kworker pid -> seq of the item it runs
        self.work_seq = 0     # last queue_work() sequence number
        self.tasks = []
        self.kvm = KVM_BASE
        self.roots[self.kvm] = []
        self.gen_no = 0
        self.vcpu_leaked = False  # vcpu-leak: the one put skipped

    # ------------------------------------------------------------ events
    def emit(self, t, name, **f):
        t.fresh = False
        self.events.append((t, name, f))
        return len(self.events) - 1

    def loaded_refs(self, r):
        """The vCPU references of r that look loaded in the trace: the
        task's latest root load (vCPU get or alloc) in the VM, and no
        vCPU put of its own on r since."""
        out = set()
        for (owner, pid), idxs in r.held_at.items():
            if owner != "vcpu" or not idxs or idxs[-1] is None:
                continue
            a = idxs[-1]
            later = False
            for t, n, f in self.events[a + 1:]:
                if t.pid != pid or f.get("kvm") != r.kvm:
                    continue
                if (n == "kvm_tdp_mmu_root_alloc" or
                        (n == "kvm_tdp_mmu_root_get" and f.get("owner") == OWNER["vcpu"] and f.get("old"))):
                    later = True
                elif n == "kvm_tdp_mmu_root_put" and f.get("owner") == OWNER["vcpu"] and f.get("root") == r.addr:
                    later = True
            if not later:
                out.add(a)
        return out

    def last_event_of(self, r):
        """Index of the latest event on r (its VM and address)."""
        for i in range(len(self.events) - 1, -1, -1):
            f = self.events[i][2]
            if f.get("root") == r.addr and f.get("kvm") == r.kvm:
                return i
        return None

    def violate(self, r, rule, also=(), extra=None):
        if r.truth is None:
            r.truth = (rule, frozenset(a for a in also if a != rule), len(self.events) - 1, extra)

    def ev_root(self, r):
        if r.freed:
            here = [o for o in self.lives if o.kvm == r.kvm and o.addr == r.addr]
            if here[-1] is not r:
                # r and every newer life here, with any group already here
                group = [o for o in here if o.life >= r.life or o.alias is not None]
                gid = min(o.life for o in group)
                for o in group:
                    o.alias = gid
        return dict(kvm=r.kvm, root=r.addr)

    # ------------------------------------------------------------ refcount ops
    def alloc(self, t):
        addr = None
        if self.reuse_addr and self.free_addrs and self.chooser.coin():
            addr = self.free_addrs.pop(0)
        if addr is None:
            addr = self.next_addr
            self.next_addr += 0x1000
        count = 2 if self.design in COUNT2 else 1
        r = Root(len(self.lives), self.kvm, addr, count)
        self.lives.append(r)
        self.roots[r.kvm].insert(0, r)
        r.alloc_at = self.emit(t, "kvm_tdp_mmu_root_alloc", role=0x10c04, count=count, as_id=0, level=4,
                               **self.ev_root(r))
        r.hold(("vcpu", t.pid), 1, r.alloc_at)
        if count == 2:
            r.hold(("mmu", None), 1, r.alloc_at)
        return r

    def get(self, t, r, owner, caller):
        """One refcount_inc_not_zero(). Returns True if t now holds a reference."""
        old = r.count
        bug_zero = self.bug == "get-at-zero" and old == 0 and owner == "iter"
        at = self.emit(t, "kvm_tdp_mmu_root_get", caller=caller, old=old, owner=OWNER[owner], **self.ev_root(r))
        if old == 0 and not bug_zero:
            return False
        r.count = old + 1
        if bug_zero:
            r.got_zero.add(t.pid)      # the caller goes on as if it held a reference
        else:
            self._use_check(t, r)
            if owner == "vcpu" and r.invalid:
                self.violate(r, "ROOT-REVALIDATE")
        r.hold((owner, t.pid if owner in ("iter", "vcpu") else None), 1, at)
        return True

    @staticmethod
    def _bad_put_also(r, old):
        """Rules also true of a put nobody may make: on a freed root, at 0."""
        also = set()
        if r.freed:
            also.add("ROOT-UAF")
        if old == 0:
            also.add("REF-UNDERFLOW")
        return also

    def _use_check(self, t, r):
        """t does something with r: real use-after-free / use of a failed get."""
        if t.pid in r.got_zero:
            also = {"REF-COUNT-MISMATCH", "REF-PUT-UNOWNED", "REF-UNDERFLOW"}
            if r.freed:
                also.add("ROOT-UAF")
            self.violate(r, "REF-GET-ZERO", also)
        elif r.freed:
            self.violate(r, "ROOT-UAF")

    def put(self, t, r, owner, caller, zapper=None, vcpu=None):
        """refcount_dec_and_test() + what put_root does next. Generator:
        the unlink/free (or defunct handling) is the next atomic step.
        vcpu: the vCPU task whose reference another task puts (VM
        destruction unloading each vCPU's MMU)."""
        old = r.count
        put_at = self.emit(t, "kvm_tdp_mmu_root_put", caller=caller, old=old, owner=OWNER[owner],
                           **self.ev_root(r))
        # ---- truth at this put
        if owner == "zap":
            k = zapper
            if r.gifts.get(k, 0) > 0:
                if k not in r.zapped:
                    self.violate(r, "GIFT-PUT-BEFORE-ZAP")
                r.gifts[k] -= 1
                r.consumed[k] = r.consumed.get(k, 0) + 1
                r.consumers.add(t.pid)
                r.hold(("zap", k), -1)
                self._use_check(t, r)
            else:
                also = self._bad_put_also(r, old)
                # the same zapper putting again consumes its gift twice; another
                # zapper (e.g. a second fast zap) was never given one
                extra = None
                if t.pid in r.consumers:
                    rule = "GIFT-DOUBLE-PUT"
                    extra = {"cause": r.gift_at}     # the gift this task already put
                else:
                    rule = "GIFT-UNGIFTED-PUT"
                    if r.consumed.get(k, 0):
                        also.add("GIFT-DOUBLE-PUT")
                if rule == "GIFT-UNGIFTED-PUT" and r.defunct_put:
                    extra = {"defunct_put": r.defunct_put}
                self.violate(r, rule, also, extra)
        else:
            key = (owner, t.pid if owner in ("iter", "vcpu") else None)
            if t.pid in r.got_zero:
                self._use_check(t, r)
                r.got_zero.discard(t.pid)
                r.hold(key, -1)
            elif r.holders.get(key, 0) > 0 or (owner == "vcpu" and r.holds("vcpu")):
                if r.holders.get(key, 0) > 0:
                    r.hold(key, -1)
                else:
                    k2 = ("vcpu", vcpu)
                    if r.holders.get(k2, 0) <= 0:
                        k2 = next(k for k in r.holders if k[0] == "vcpu")
                    took = (r.held_at.get(k2) or [None])[-1]
                    r.hold(k2, -1)
                    # which vCPU another task unloads the trace does not
                    # say: every reference that looks loaded as much
                    r.foreign_puts.append((took, self.loaded_refs(r)))
                self._use_check(t, r)
            else:
                also = self._bad_put_also(r, old)
                if old == 1 and not r.invalid and self.design in COUNT2:
                    also.add("ROOT-FREE-VALID")
                rule = "ROOT-UAF" if r.freed else ("REF-UNDERFLOW" if old == 0 else "REF-PUT-UNOWNED")
                also.add("REF-PUT-UNOWNED")
                self.violate(r, rule, also)
        if old == 0:
            r.broken = True            # refcount_t saturates: nothing more to model
            return
        r.count = old - 1
        if r.count:
            return
        if self.design in COUNT2 or r.invalid or self.bug == "free-valid":
            if not r.invalid and self.design in COUNT2:
                self.violate(r, "ROOT-FREE-VALID")      # KVM_BUG_ON(!invalid) in put_root
            yield from sp(t)
            self.free(t, r)
            if not r.invalid and self.design not in COUNT2:
                # async designs: the put was fine, freeing instead of reviving is not
                # the culprit's cause: the put that dropped the last reference
                self.violate(r, "ROOT-FREE-VALID", {"REF-COUNT-MISMATCH"}, {"cause": put_at})
        else:
            # async-worker / v3: last put of a valid root -> defunct
            yield from sp(t)
            r.invalid = True
            r.count = 1
            r.inval_event = len(self.events)
            r.zapped = set()
            r.defunct_put = (t.pid, t.comm, caller.split("+")[0])
            self.emit(t, "kvm_tdp_mmu_root_invalidate", count=1, reason=REASON["last_put"], **self.ev_root(r))
            r.gifts["worker"] = r.gifts.get("worker", 0) + 1
            r.gift_at = len(self.events) - 1
            r.hold(("zap", "worker"), 1, r.gift_at)
            self.queue_work(r)

    def free(self, t, r):
        if r.linked:
            self.roots[r.kvm].remove(r)
        r.linked = False
        i = self.emit(t, "kvm_tdp_mmu_root_free", **self.ev_root(r))
        if r.free_at is None:
            r.free_at = i
        if r.freed:
            self.violate(r, "ROOT-DOUBLE-FREE", {"ROOT-UAF"})
        r.freed = True
        if r.addr not in self.free_addrs:
            self.free_addrs.append(r.addr)

    def queue_work(self, r):
        """queue_work(): a no-op while the item is pending (not yet running)."""
        if not r.work_pending:
            r.work_pending = True
            self.work_seq += 1
            self.queue.append((self.work_seq, r))

    def flushed(self, upto):
        """flush_workqueue() begun when work_seq was `upto` may return."""
        return not any(q <= upto for q, _ in self.queue) and \
            not any(q <= upto for q in self.running.values())

    def drained(self):
        """destroy_workqueue(): nothing queued, nothing running."""
        return not self.queue and not self.running

    def invalidate(self, t, r, reason, zapper):
        """One root of invalidate-all (mmu_lock held for write)."""
        if self.design in ("gifted", "hybrid"):
            # gifted: the fast zap's own zapper; hybrid (edbdb43fc96b): no
            # get, the worker is gifted the MMU's reference
            r.invalid = True
            if self.design == "gifted":
                r.scheduled = True
            r.inval_event = len(self.events)
            r.zapped = set()
            r.gift_at = self.emit(t, "kvm_tdp_mmu_root_invalidate", count=r.count, reason=REASON[reason],
                                  **self.ev_root(r))
            r.gift(("mmu", None), zapper, r.gift_at)
            if self.design == "hybrid":
                self.queue_work(r)
        elif self.design == "v3" and r.invalid:
            # v3: a reference on every root, already-invalid ones included;
            # no valid -> invalid transition, so no invalidate event
            if not self.get(t, r, "zap", C_INVAL_GET):
                raise ModelError("v3 gift get failed")
            r.gift(("zap", None), zapper, len(self.events) - 1)
            r.gift_at = len(self.events) - 1
        else:
            if r.count == 0:
                raise ModelError("invalidate-all saw a valid root at 0 under mmu_lock write")
            reinval = r.invalid
            got = self.get(t, r, "zap", C_INVAL_GET)
            r.gift(("zap", None), zapper, len(self.events) - 1)
            r.gift_at = len(self.events) - 1
            if not got:
                raise ModelError("gift get failed")
            r.invalid = True
            if not reinval:
                r.inval_event = len(self.events)
                r.zapped = set()
            self.emit(t, "kvm_tdp_mmu_root_invalidate", count=r.count, reason=REASON[reason], **self.ev_root(r))
            if reinval:
                self.violate(r, "ROOT-REVALIDATE", {"GIFT-LEAK", "TEARDOWN-LEAK"})
            if self.design == "async-worker":
                self.queue_work(r)
        if t.kind == "fastzap":
            r.inval_by_fastzap = t.pid

    # ------------------------------------------------------------ zaps
    def zap_start(self, t, r, ctx, kind, shared=1):
        self.emit(t, "kvm_tdp_mmu_root_zap_start", ctx=CTX[ctx], shared=shared, **self.ev_root(r))
        self._use_check(t, r)
        r.zapping.add(kind)

    def zap_end(self, t, r, ctx, kind):
        self.emit(t, "kvm_tdp_mmu_root_zap_end", ctx=CTX[ctx], **self.ev_root(r))
        self._use_check(t, r)
        r.zapping.discard(kind)
        r.zapped.add(kind)

    # ------------------------------------------------------------ locks
    def can(self, t, req):
        if req is None:
            return True
        if req[0] == "lock":
            if req[1] == "r":
                return self.writer is None
            return self.writer is None and self.readers == 0
        if req[0] == "wait":
            if len(req) > 2 and not self.can(t, ("lock", req[2])):
                return False
            return bool(req[1]())
        raise ModelError(req)

    def take(self, t, req):
        if req and req[0] == "wait" and len(req) > 2:
            req = ("lock", req[2])
        if req and req[0] == "lock":
            if req[1] == "r":
                self.readers += 1
            else:
                self.writer = t
            t.lock = req[1]

    def unlock(self, t):
        if t.lock == "r":
            self.readers -= 1
        elif t.lock == "w":
            self.writer = None
        t.lock = None

    # ------------------------------------------------------------ run
    def add(self, kind, pid, comm, cpu, gen_fn, *args):
        t = Task(self, kind, pid, comm, cpu)
        t.gen = gen_fn(t, *args)
        self.tasks.append(t)
        return t

    def advance(self, t):
        try:
            t.req = next(t.gen)
        except StopIteration:
            t.done = True
            t.req = None

    def run(self, max_steps=5000):
        for t in self.tasks:
            self.advance(t)
        steps = 0
        while True:
            live = [t for t in self.tasks if not t.done]
            if not live:
                break
            if all(t.kind == "worker" for t in live) and not self.queue and not self.running:
                break          # idle kworkers of a destroyed VM: nothing left to see
            ready = [t for t in live if self.can(t, t.req)]
            if not ready:
                raise ModelError("deadlock: %s" % [(t.comm, t.req) for t in live])
            t = ready[self.chooser.choose(len(ready))] if len(ready) > 1 else ready[0]
            self.take(t, t.req)
            t.fresh = True
            self.advance(t)
            steps += 1
            if steps > max_steps:
                raise ModelError("no progress after %d steps" % max_steps)
        return self

    def others_done(self, me):
        return all(t.done or t is me or t.kind == "worker" for t in self.tasks)


# ---------------------------------------------------------------- tasks

def sp(t):
    """A scheduling point, unless one just happened (no empty steps)."""
    if not t.fresh:
        yield None

def vcpu_task(t, rounds, hold=False):
    """`rounds` loads of a root (reuse or alloc), each followed by its put
    from mmu_free_root_page(); with `hold`, the last root stays loaded and
    is put by the VM's destruction (kvm_mmu_unload() from the destroying
    task, after kvm_tdp_mmu_zap_all())."""
    sim = t.sim
    lockmode = "r" if sim.design == "gifted" else "w"
    for n in range(rounds):
        # load: reuse a valid root (get owner vcpu) or allocate one
        yield ("lock", lockmode)
        root = None
        for r in list(sim.roots[sim.kvm]):
            if r.invalid or not r.linked:
                continue
            if sim.get(t, r, "vcpu", C_ALLOC_GET[sim.design]):
                root = r
                break
            yield from sp(t)
        if root is None:
            root = sim.alloc(t)
        sim.unlock(t)
        if hold and n == rounds - 1:
            t.held_root = root
            return
        # (the guest runs; a fast zap may invalidate the root meanwhile)
        # kvm_mmu_free_roots() -> mmu_free_root_page()
        yield ("lock", lockmode)
        if sim.bug == "vcpu-leak" and not sim.vcpu_leaked:
            sim.vcpu_leaked = True     # the bug: no put; the root outlives its VM
        else:
            yield from sim.put(t, root, "vcpu", C_VCPU_PUT)
        sim.unlock(t)


class RootWalk:
    """The state of one for_each_tdp_mmu_root_yield_safe walk over the
    roots linked when it began: position, the root whose iterator
    reference is held, the get/put call sites, which roots it visits
    (`want`) and where a buggy walk stops early (`stop`)."""

    def __init__(self, sim, get_caller, put_caller, want=None, stop=None):
        self.snapshot = list(sim.roots[sim.kvm])
        self.i = 0
        self.prev = None
        self.get_caller, self.put_caller = get_caller, put_caller
        self.get_at = None            # event index of the get of the root held
        self.want = want or (lambda r: True)
        self.stop = stop or (lambda r: False)


def next_root(t, w):
    """One step of the walk (tdp_mmu_next_root()): a reference on the next
    linked root `w` wants (a root at zero is skipped), then the put of the
    previous one. Returns the new root, or None at the end of the walk."""
    sim = t.sim
    cur = None
    while w.i < len(w.snapshot):
        r = w.snapshot[w.i]
        w.i += 1
        if not r.linked or not w.want(r):
            continue
        if w.stop(r):
            w.i = len(w.snapshot)
            break
        if sim.get(t, r, "iter", w.get_caller):
            cur = r
            w.get_at = len(sim.events) - 1
            break
        yield from sp(t)
    if w.prev is not None:
        yield from sp(t)
        yield from sim.put(t, w.prev, "iter", w.put_caller)
    w.prev = cur
    return cur


def iter_task(t, which, early_exit):
    """for_each_*tdp_mmu_root_yield_safe over the roots; early_exit: break
    after the first root (error path), putting the root itself."""
    sim = t.sim
    fn, only_valid, mode = ITER_FNS[which]
    yield ("lock", mode)
    w = RootWalk(sim, fn + "+0x5a", fn + "+0x9c",
                 want=lambda r: not (only_valid and r.invalid))
    zap_bug = sim.bug == "zap-valid" and only_valid
    while True:
        cur = yield from next_root(t, w)
        if cur is None:
            break
        if zap_bug and not cur.invalid:
            # the bug: tdp_mmu_zap_root(kvm, root, true) on a valid root
            zap_bug = False
            yield from sp(t)
            prev = sim.last_event_of(cur)
            sim.zap_start(t, cur, "fast_zap", "iter-bug")
            # the cause a report names: the root's event before the zap
            sim.violate(cur, "ROOT-ZAP-VALID", extra={"cause": prev})
            sim.unlock(t)
            yield ("lock", mode)
            sim.zap_end(t, cur, "fast_zap", "iter-bug")
        # work on the root: may drop mmu_lock and reschedule
        sim.unlock(t)
        yield ("lock", mode)
        if early_exit:
            yield from sp(t)
            if sim.bug == "iter-leak":
                cur.iter_leak_at = w.get_at     # the bug: no put on this path
                break
            yield from sim.put(t, cur, "iter", fn + "+0x1f0")
            if sim.bug == "iter-double-put":
                yield from sp(t)
                yield from sim.put(t, cur, "iter", fn + "+0x1f0")
            break
        yield from sp(t)
    sim.unlock(t)


def zap_invalidated_gifted(t, ctx_reason):
    """6.12 kvm_tdp_mmu_zap_invalidated_roots(): iterator refs + gift put."""
    sim = t.sim
    yield ("lock", "r")
    sched = [r for r in sim.roots[sim.kvm] if r.scheduled]
    skip_last = sim.bug == "fastzap-early-return" and t.kind == "fastzap" and sched
    w = RootWalk(sim, C_ZAP_ITER, fn_put_iter(),
                 stop=lambda r: skip_last and r is sched[-1])   # the bug: return before this root
    while True:
        cur = yield from next_root(t, w)
        if cur is None:
            break
        if not cur.scheduled:
            yield from sp(t)
            continue
        cur.scheduled = False
        if sim.bug == "put-before-zap":
            yield from sp(t)
            yield from sim.put(t, cur, "zap", C_ZAP_PUT, zapper="fastzap")
        yield from sp(t)
        sim.zap_start(t, cur, "fast_zap", "fastzap")
        sim.unlock(t)                  # tdp_mmu_zap_root() yields
        yield ("lock", "r")
        sim.zap_end(t, cur, "fast_zap", "fastzap")
        if sim.bug not in ("missing-gifted-put", "put-before-zap"):
            yield from sp(t)
            yield from sim.put(t, cur, "zap", C_ZAP_PUT, zapper="fastzap")
        yield from sp(t)
    sim.unlock(t)


def fn_put_iter():
    return "kvm_tdp_mmu_zap_invalidated_roots+0x7e"


def zap_invalidated_v3(t):
    """v3: walk invalid roots with a nonzero count (no reference taken),
    zap and put 'the gift', assuming it owns one for every invalid root."""
    sim = t.sim
    yield ("lock", "r")
    done = set()
    while True:
        cand = [r for r in sim.roots[sim.kvm] if r.invalid and r.count > 0 and r.life not in done]
        if not cand:
            break
        r = cand[0]
        done.add(r.life)
        sim.zap_start(t, r, "fast_zap", "fastzap")
        sim.unlock(t)
        yield ("lock", "r")
        sim.zap_end(t, r, "fast_zap", "fastzap")
        yield from sp(t)
        yield from sim.put(t, r, "zap", C_ZAP_PUT, zapper="fastzap")
        yield from sp(t)
    sim.unlock(t)


def invalidate_all(t, reason):
    """kvm_tdp_mmu_invalidate_all_roots(). Returns the workqueue sequence
    number at its end (a flush_workqueue() begun then waits for up to it)."""
    sim = t.sim
    zapper = "worker" if sim.design in ("async-worker", "hybrid") else "fastzap"
    for r in list(sim.roots[sim.kvm]):
        if not r.invalid:
            sim.invalidate(t, r, reason, zapper)
        elif sim.design == "v3" and r.linked and r.count > 0:
            sim.invalidate(t, r, reason, zapper)
        elif sim.bug == "queue-twice" and r.work_pending:
            sim.invalidate(t, r, reason, zapper)
    return sim.work_seq


def fastzap_task(t):
    sim = t.sim
    # slots_lock, then mmu_lock for write
    yield ("wait", lambda: not sim.slots_busy, "w")
    sim.slots_busy = True
    fz = {"start": len(sim.events)}
    sim.gen_no += 1
    sim.emit(t, "kvm_mmu_zap_all_fast", mmu_valid_gen=sim.gen_no & 0xff, mmu_used_pages=0)
    # roots already invalid when the fast zap starts are its business too
    fz["owned"] = {r.life for r in sim.roots[sim.kvm] if r.invalid and not r.freed}
    upto = invalidate_all(t, "fast_zap")
    mine = [r for r in sim.roots[sim.kvm] if r.inval_by_fastzap == t.pid and r.inval_event is not None
            and r.inval_event >= fz["start"]]
    fz["owned"] |= {r.life for r in mine}
    sim.unlock(t)
    if sim.bug == "fastzap-gift-put" and mine:
        # the bug: put what invalidate-all handed to the worker
        yield ("lock", "r")
        for r in mine:
            yield from sp(t)
            yield from sim.put(t, r, "zap", C_ZAP_PUT, zapper="fastzap")
        sim.unlock(t)
    if sim.design == "gifted":
        yield from zap_invalidated_gifted(t, "fast_zap")
    elif sim.design in ("v3", "v3-defunct"):
        yield from zap_invalidated_v3(t)
    else:
        # flush_workqueue(): only what was queued when the flush began
        yield ("wait", lambda: sim.flushed(upto))
    yield from sp(t)
    sim.emit(t, "kvm_mmu_zap_all_fast_done", kvm=sim.kvm)
    for r in sim.lives:
        if r.life in fz["owned"] and not r.freed and r.kvm == sim.kvm and "fastzap" not in r.zapped \
                and not r.zapped:
            sim.violate(r, "FASTZAP-INCOMPLETE", extra={"cause": r.gift_at})
    sim.slots_busy = False


def worker_task(t):
    """One kworker of the VM's unbound workqueue: tdp_mmu_zap_root_work()."""
    sim = t.sim

    def mine():
        # kworkers are interchangeable: of the idle ones, the first takes
        # the next item (a trace with the other one differs only by name)
        return sim.queue and not any(w.kind == "worker" and w.idle and w.pid < t.pid for w in sim.tasks)

    while True:
        t.idle = True
        yield ("wait", lambda: mine() or (not sim.queue and sim.others_done(t)), "r")
        t.idle = False
        if not sim.queue:
            sim.unlock(t)
            return
        seq, r = sim.queue.pop(0)
        r.work_pending = False
        sim.running[t.pid] = seq
        sim.zap_start(t, r, "worker", "worker")
        sim.unlock(t)
        yield ("lock", "r")
        sim.zap_end(t, r, "worker", "worker")
        yield from sp(t)
        yield from sim.put(t, r, "zap", C_WORKER_PUT, zapper="worker")
        sim.unlock(t)
        del sim.running[t.pid]


def zap_all(t):
    """kvm_tdp_mmu_zap_all() (mmu_lock held for write, may yield it):
    every root, invalid ones included, under iterator references."""
    sim = t.sim
    w = RootWalk(sim, C_ZAPALL + "+0x5a", C_ZAPALL + "+0x9c")
    while True:
        cur = yield from next_root(t, w)
        if cur is None:
            break
        yield from sp(t)
        sim.zap_start(t, cur, "zap_all", "zap_all", shared=0)
        sim.unlock(t)                  # tdp_mmu_zap_root() yields
        yield ("lock", "w")
        sim.zap_end(t, cur, "zap_all", "zap_all")
        prev = cur
        yield from sp(t)


def teardown_task(t):
    """kvm_destroy_vm(): mmu notifier release (zap-all), vCPU destruction
    (their last puts), kvm_mmu_uninit_tdp_mmu() as the era has it."""
    sim = t.sim
    yield ("wait", lambda: sim.others_done(t) and not sim.slots_busy, "w")
    yield from zap_all(t)
    for v in sim.tasks:
        if v.kind == "vcpu" and v.held_root is not None:
            yield from sp(t)
            yield from sim.put(t, v.held_root, "vcpu", C_VCPU_PUT, vcpu=v.pid)
    sim.unlock(t)
    if sim.design == "gifted":
        yield ("lock", "w")
        invalidate_all(t, "teardown")
        sim.unlock(t)
        yield from zap_invalidated_gifted(t, "teardown")
    else:
        if sim.design == "hybrid":
            # without mmu_lock: the VM has no users left
            yield from sp(t)
            invalidate_all(t, "teardown")
        # destroy_workqueue() drains the queue
        yield ("wait", lambda: sim.drained())
    yield from sp(t)
    sim.emit(t, "kvm_tdp_mmu_teardown", kvm=sim.kvm)
    for r in sim.lives:
        if r.freed or r.kvm != sim.kvm:
            continue
        gift = any(n > 0 for n in r.gifts.values())
        it = any(k[0] == "iter" and n > 0 for k, n in r.holders.items())
        also = {"TEARDOWN-LEAK"}
        if gift:
            also.add("GIFT-LEAK")
        if it:
            also.add("ITER-LEAK")
        rule = "GIFT-LEAK" if gift else ("ITER-LEAK" if it else "TEARDOWN-LEAK")
        # TEARDOWN-LEAK: any get never put back is the culprit (a vCPU's,
        # the MMU's alloc); the report names one of them
        cause = r.gift_at if gift else (r.iter_leak_at if it else (r.outstanding() or None))
        if isinstance(cause, list):
            # a reference another task put may have been the one left:
            # the trace shows no difference
            cause = sorted(set(cause) | {a for a, looked in r.foreign_puts
                                         if a is not None and looked & set(cause)})
        sim.violate(r, rule, also, {"cause": cause} if cause is not None else None)


# ---------------------------------------------------------------- configs

def build(design, bug, config, chooser, reuse_addr=False):
    """config: dict(vcpus=[rounds...], hold=N (the first N vCPUs keep their
    last root until teardown), iters=[(which, early_exit)...], fastzaps=N,
    kworkers=N (async designs, default 2), ncpus=N)."""
    sim = Sim(design, bug, config, chooser, reuse_addr)
    ncpus = config.get("ncpus", 2)
    cpu = 0
    for i, rounds in enumerate(config.get("vcpus", [])):
        sim.add("vcpu", 3001 + i, "CPU%d/KVM" % i, i % ncpus, vcpu_task, rounds, i < config.get("hold", 0))
    for i, (which, early) in enumerate(config.get("iters", [])):
        if bug == "iter-double-put" and which == "split":
            early = True
        sim.add("iter", 3101 + i, "kvm-iter%d" % i if which != "zap_leafs" else "kswapd%d" % i,
                (1 + i) % ncpus, iter_task, which, early)
    for i in range(config.get("fastzaps", 0)):
        sim.add("fastzap", 3000 if i == 0 else 3200 + i, "qemu-system-x86" if i == 0 else "qemu-slot%d" % i,
                (cpu + i) % ncpus, fastzap_task)
    if design in ASYNC:
        for i in range(config.get("kworkers", 2)):
            sim.add("worker", 91 + i, "kworker/u4:%d" % (2 + i), (1 + i) % ncpus, worker_task)
    sim.add("teardown", 2999, "qemu-destroy", 0, teardown_task)
    return sim


class Replay:
    """Chooser following a fixed prefix, then always 0; records choices."""
    def __init__(self, prefix):
        self.prefix = prefix
        self.trail = []       # (choice, n) for every choice point with n > 1

    def choose(self, n):
        k = len(self.trail)
        c = self.prefix[k] if k < len(self.prefix) else 0
        if c >= n:
            raise ModelError("schedule choice %d out of range %d at point %d" % (c, n, k))
        self.trail.append((c, n))
        return c

    def coin(self):
        return self.choose(2) == 1


class Random:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.trail = []

    def choose(self, n):
        c = self.rng.randrange(n)
        self.trail.append((c, n))
        return c

    def coin(self):
        return self.choose(2) == 1


def explore(design, bug, config, limit=None):
    """All schedules, depth first. Yields (schedule tuple, sim)."""
    prefix = []
    count = 0
    while True:
        ch = Replay(prefix)
        sim = build(design, bug, config, ch).run()
        sched = tuple(c for c, n in ch.trail)
        yield sched, sim
        count += 1
        if limit and count >= limit:
            return
        trail = ch.trail
        while trail and trail[-1][0] + 1 >= trail[-1][1]:
            trail.pop()
        if not trail:
            return
        prefix = [c for c, n in trail[:-1]] + [trail[-1][0] + 1]


def run_schedule(design, bug, config, sched):
    return build(design, bug, config, Replay(list(sched))).run()


def run_seed(design, bug, config, seed, reuse_addr=False):
    return build(design, bug, config, Random(seed), reuse_addr).run()


# ---------------------------------------------------------------- output

def fmt_val(k, v):
    if k in ENUM_FIELDS:
        return ENUM_FIELDS[k].get(v, str(v))
    if k in ("kvm",):
        return "0x%x" % v
    if k == "root":
        return "0x%x" % v
    if k == "role":
        return "0x%x" % v
    return str(v)


def to_text(sim, trace_id, ncpus=2, ts0=1000000, step=1000, drop=None):
    """drop: index of an event to leave out; a LOST 1 line then marks the
    loss on its CPU, before the next event (which must be on that CPU)."""
    out = ["#! kernel=%s clock=global ncpus=%d" % (KERNEL[sim.design], ncpus),
           "# rootsim %s" % trace_id]
    if drop is not None:
        out.append("# lost: event %d left out, LOST marker before event %d" % (drop, drop + 1))
    for r in sim.lives:
        if r.truth:
            out.append("# truth root=0x%x life=%d rule=%s also=%s at=%d" %
                       (r.addr, r.life, r.truth[0], ",".join(sorted(r.truth[1])) or "-", r.truth[2]))
    ts = ts0
    for i, (t, name, f) in enumerate(sim.events):
        if i == drop:
            out.append("%d %d - - LOST 1" % (ts, t.cpu % ncpus))
            ts += step
            continue
        kv = " ".join("%s=%s" % (k, fmt_val(k, v)) for k, v in f.items())
        out.append("%d %d %d %s %s %s" % (ts, t.cpu % ncpus, t.pid, t.comm, name, kv))
        ts += step
    return "\n".join(out) + "\n"


def truth(sim):
    """[(kvm, root addr, rule, also, extra)] for every root life with a violation."""
    return [(r.kvm, r.addr, r.truth[0], r.truth[1], r.truth[3]) for r in sim.lives if r.truth]


# ---------------------------------------------------------------- several VMs

class _VTask:
    def __init__(self, t, pid_off):
        self.kind, self.pid, self.comm, self.cpu = t.kind, t.pid + pid_off, t.comm, t.cpu


VM_ADDR_STRIDE = 0x10000000


class Merged:
    """Independent VMs (each its own Sim) interleaved into one trace: VM j
    gets kvm + j * 0x40000, pids + 1000 * j and root addresses + j *
    VM_ADDR_STRIDE: a root page belongs to one VM at a time (ROOT-CROSS-VM),
    so VMs alive together have disjoint root addresses."""
    def __init__(self, sims, rng):
        self.design, self.bug = sims[0].design, sims[0].bug
        self.events, self.lives = [], []
        pos = [0] * len(sims)
        remap = [dict() for _ in sims]
        tasks = [dict() for _ in sims]
        while True:
            live = [j for j, s in enumerate(sims) if pos[j] < len(s.events)]
            if not live:
                break
            j = live[rng.randrange(len(live))] if len(live) > 1 else live[0]
            t, name, f = sims[j].events[pos[j]]
            vt = tasks[j].setdefault(id(t), _VTask(t, 1000 * j))
            f = dict(f)
            if "kvm" in f:
                f["kvm"] += j * 0x40000
            if "root" in f:
                f["root"] += j * VM_ADDR_STRIDE
            remap[j][pos[j]] = len(self.events)
            self.events.append((vt, name, f))
            pos[j] += 1
        for j, s in enumerate(sims):
            for r in s.lives:
                c = Root(len(self.lives), r.kvm + j * 0x40000,
                         r.addr + j * VM_ADDR_STRIDE, r.count)
                c.alloc_at = remap[j][r.alloc_at]
                c.free_at = None if r.free_at is None else remap[j][r.free_at]
                c.freed = r.freed
                c.alias = None if r.alias is None else r.alias + len(self.lives) - r.life
                if r.defunct_put:
                    c.defunct_put = (r.defunct_put[0] + 1000 * j,) + tuple(r.defunct_put[1:])
                if r.truth:
                    extra = r.truth[3]
                    if extra and "defunct_put" in extra:
                        extra = {"defunct_put": c.defunct_put}
                    elif extra and isinstance(extra.get("cause"), list):
                        extra = {"cause": [remap[j][x] for x in extra["cause"]]}
                    elif extra and extra.get("cause") is not None:
                        extra = {"cause": remap[j][extra["cause"]]}
                    c.truth = (r.truth[0], r.truth[1], remap[j][r.truth[2]], extra)
                self.lives.append(c)


def run_vms(design, bug, configs, seed, reuse_addr=False):
    sims = [run_seed(design, bug, c, seed * 7919 + j, reuse_addr) for j, c in enumerate(configs)]
    return Merged(sims, random.Random(seed))
