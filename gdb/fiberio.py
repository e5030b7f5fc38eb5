# fiberio's fibers in gdb, in a live process or a core file.
#
#   gdb -p PID -x gdb/fiberio.py            (or: source gdb/fiberio.py)
#   (gdb) fiberio fibers                    every fiber of every worker
#   (gdb) fiberio bt ID                     the backtrace of parked fiber ID
#
#   gdb -batch PROGRAM CORE -x gdb/fiberio.py -ex "fiberio fibers" -ex "fiberio bt 7"
#
# How it finds them (src/sched/debugger.rs): the unmangled static
# FIBERIO_DEBUG_WORKERS heads a list of the live workers (each worker's
# `debug_next` names the next); each worker's `fibers` slab holds its
# started fibers, a `corosensei::Coroutine` and the fiber's `Task` each.
# The program must have full debug info (a debug build, or `debug = true`
# in its release profile; `debug = "line-tables-only"` is not enough: the
# script reads fields by name).
#
# The backtrace of a suspended fiber (corosensei's src/arch/x86_64.rs,
# `switch_yield`): the coroutine's `stack_ptr` points at its saved
# context, three words pushed by the fiber as it suspended:
#
#     stack_ptr + 16   saved RBP
#     stack_ptr +  8   saved RBX
#     stack_ptr +  0   saved RIP (the resume point, inside the fiber's
#                      `Yielder::suspend`)
#
# and the fiber resumes with RSP = stack_ptr + 24. `fiberio bt` installs a
# gdb unwinder that, for one `backtrace`, gives the selected thread's
# innermost frame the fiber's registers as its caller's: frame #0 is
# where the thread is, frames #1 and up are the fiber's stack. It reads
# memory only, so it works on a core file as on a live process. x86-64
# only.

import gdb
import gdb.unwinder

WORKERS = "fiberio::sched::debugger::FIBERIO_DEBUG_WORKERS"
PHASE_MASK = 0x1F
PARKED = 1


def _global(name):
    sym = gdb.lookup_global_symbol(name) or gdb.lookup_static_symbol(name)
    if sym is None:
        raise gdb.GdbError(
            "fiberio: no symbol %s: not a fiberio program, or no debug info" % name
        )
    return sym.value()


def _is_some(option):
    """Whether a Rust `Option` value is `Some` (by gdb's Rust printer)."""
    text = option.format_string(max_depth=1, repeat_threshold=1, max_elements=1)
    head = text.split("(", 1)[0]
    return head.endswith("::Some") or head == "Some"


def _vec(vec):
    """The elements of a Rust `Vec` value, as gdb values."""
    elem = vec.type.template_argument(0)
    ptr = vec["buf"]["inner"]["ptr"]["pointer"]["pointer"].cast(elem.pointer())
    return [ptr[i] for i in range(int(vec["len"]))]


def _str_at(data, length):
    if length == 0:
        return ""
    mem = gdb.selected_inferior().read_memory(int(data), int(length))
    return bytes(mem).decode("utf-8", "replace")


def _fat(ptr):
    """(data address, length) of a Rust fat pointer to `str`."""
    fields = [f.name for f in ptr.type.fields()]
    if "data_ptr" in fields:
        return int(ptr["data_ptr"]), int(ptr["length"])
    raise gdb.GdbError("fiberio: unknown layout of a &str: %s" % fields)


def _location(task):
    loc = task["location"].dereference()
    data, length = _fat(loc["filename"]["pointer"])
    return "%s:%d:%d" % (_str_at(data, length), int(loc["line"]), int(loc["col"]))


def _name(task):
    name = task["guard"]["name"]
    if not _is_some(name):
        return None
    data, length = _fat(name["Some"]["__0"]["ptr"]["pointer"])
    # An Arc<str> points at its ArcInner: two counters, then the text.
    return _str_at(data + 2 * gdb.lookup_type("usize").sizeof, length)


def _short(value):
    text = value.format_string()
    return text.replace("fiberio::fiber::wait_on::", "").replace("core::option::Option<std::time::Instant>::", "")


class Fiber:
    """One started fiber, as the script sees it."""

    def __init__(self, worker, slot):
        self.worker = worker
        self.slot = slot
        self.task = slot["fiber"]["task"]["ptr"]["pointer"].dereference()["data"]
        self.id = int(self.task["guard"]["id"])
        self.name = _name(self.task)
        word = int(self.task["park"]["word"]["v"]["value"])
        self.parked = word & PHASE_MASK == PARKED
        sp = slot["coro"]["stack_ptr"]
        self.stack_ptr = int(sp["Some"]["__0"]["__0"]["__0"]) if _is_some(sp) else None

    def state(self):
        if self.stack_ptr is None:
            return "running"
        if not self.parked:
            return "runnable"
        wait = self.slot["fiber"]["wait"]["value"]["value"]
        if int(wait) == 0:
            return "parked"
        record = wait.dereference()
        return "parked on %s" % _short(record["on"])


def workers():
    """(index, worker value) of every live worker, from the list head."""
    gdb.execute("set language rust", to_string=True)
    out = []
    ptr = _global(WORKERS)["p"]["value"]
    while int(ptr) != 0:
        worker = ptr.dereference()
        index = int(worker["shared"]["ptr"]["pointer"].dereference()["data"]["index"])
        out.append((index, worker))
        ptr = worker["debug_next"]["p"]["value"]
    return out


def fibers():
    out = []
    for index, worker in workers():
        for slot in _vec(worker["fibers"]["value"]["value"]["slots"]):
            if _is_some(slot):
                out.append(Fiber(index, slot["Some"]["__0"]))
    return out


class _FrameId:
    """A frame id (gdb.unwinder.FrameId from gdb 14 on): stack and code addresses."""

    def __init__(self, sp, pc):
        self.sp = sp
        self.pc = pc


class FiberUnwinder(gdb.unwinder.Unwinder):
    """Gives the innermost frame a suspended fiber's registers as its
    caller's, while `regs` is set (one backtrace)."""

    def __init__(self):
        super().__init__("fiberio")
        self.regs = None

    def __call__(self, pending_frame):
        if self.regs is None:
            return None
        if hasattr(pending_frame, "level") and pending_frame.level() != 0:
            return None
        frame_id = _FrameId(pending_frame.read_register("rsp"), pending_frame.read_register("rip"))
        info = pending_frame.create_unwind_info(frame_id)
        u64 = gdb.lookup_type("unsigned long").pointer()
        for name, value in self.regs.items():
            info.add_saved_register(name, gdb.Value(value).cast(u64))
        return info


_UNWINDER = FiberUnwinder()
gdb.unwinder.register_unwinder(None, _UNWINDER, replace=True)


class FiberioCommand(gdb.Command):
    """fiberio's fibers: `fiberio fibers`, `fiberio bt ID`."""

    def __init__(self):
        super().__init__("fiberio", gdb.COMMAND_STACK, gdb.COMPLETE_NONE, True)


class FibersCommand(gdb.Command):
    """List every fiber of every worker: id, name, worker, state, spawn site."""

    def __init__(self):
        super().__init__("fiberio fibers", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        found = fibers()
        print("fiberio: %d fibers" % len(found))
        for f in found:
            name = ' "%s"' % f.name if f.name else ""
            print("fiber %d%s [%s] on worker %d, spawned at %s" % (f.id, name, f.state(), f.worker, _location(f.task)))


class BacktraceCommand(gdb.Command):
    """Print the backtrace of suspended fiber ID: fiberio bt ID."""

    def __init__(self):
        super().__init__("fiberio bt", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        try:
            want = int(arg)
        except ValueError:
            raise gdb.GdbError("usage: fiberio bt ID (an id from `fiberio fibers`)")
        match = [f for f in fibers() if f.id == want]
        if not match:
            raise gdb.GdbError("fiberio: no fiber %d" % want)
        f = match[0]
        if f.stack_ptr is None:
            raise gdb.GdbError("fiberio: fiber %d is running: its stack is the thread's (`thread apply all bt`)" % want)
        mem = gdb.selected_inferior().read_memory(f.stack_ptr, 24).tobytes()
        words = [int.from_bytes(mem[i : i + 8], "little") for i in (0, 8, 16)]
        print("fiber %d: frame #0 is the thread's own; the fiber's stack starts at #1" % want)
        _UNWINDER.regs = {"rip": words[0], "rbx": words[1], "rbp": words[2], "rsp": f.stack_ptr + 24}
        gdb.invalidate_cached_frames()
        try:
            gdb.execute("backtrace", to_string=False)
        finally:
            _UNWINDER.regs = None
            gdb.invalidate_cached_frames()


FiberioCommand()
FibersCommand()
BacktraceCommand()
