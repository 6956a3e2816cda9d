"""The fast engine: the reference engine's dynamics as compiled steps (numba).

It plays a `Plan` exactly like `alignsim.engines.simpy_engine.play` and fills the same
`LedgerBook`; tests/test_engine_equality.py holds the two to the same ledger, lead by lead.
Read simpy_engine.py first: this package follows it method by method.

- `steps`, `nurture`: a lead's life, one compiled function per LeadFlow method (life,
  to_sales, hand_off, work, attempt, qualify, nurture, touch). The formulas they apply are
  alignsim.engines.rules', the ones the simpy engine calls.
- `floor`: the sales floor (SalesFloor): the queue, free reps, the dispatch's hours.
- `marketing`: marketing's week (Marketing): the threshold and noise in force, its scoring.
- `events`, `heap`: simpy's event queue, made fast; `loop`: the event loop.
- `state`, `inputs`: what the steps read and change, as named tuples of arrays.
- `windows`: a stream drawn in windows of arrivals, played in slots resolved leads give back.

How it works. Each lead's life is a small state machine: `State.pc[lead]` says where the
lead's process continues when its next event comes (a step code), and the process's local
variables live in per-lead arrays, indexed by the lead's slot (its row when the stream is
played at once). The only state leads share is the sales floor (reps, the
queue) and marketing's weekly counts, which are read by completed weeks only.

Adding a step: write the LeadFlow method in simpy_engine.py, then one compiled function in
`steps.py` (or a module of its own) with the same name, a step code in `state.py` for where
the lead continues, and a line in `steps.process` that calls it. A formula it needs goes into
alignsim.engines.rules, called by both.

For the processor rather than the model: every step and helper that takes the named tuples
is compiled with `inline="always"`, so that numba inlines it into the loop (one function
again, as compiled): as separate calls, each copied the tuples' hundreds of words and the
engine ran 5 to 80 times slower. Every compiled function that allocates nothing is compiled
with `_nrt=False`, the option numba's own string helpers use: without it each call
increfs and decrefs its array arguments, with atomic instructions (about a tenth of the
engine's time). The event's lead is unsigned, so that numba indexes the per-lead arrays
without the wraparound of a negative index. A lead that starts to wait has the numbers its next
step reads prefetched (`alignsim.compiled.prefetch`). The loop (`loop.run`) releases the GIL
(numba's `nogil`), so threads of one process play on every core: the workshop page serves
its sessions as threads of one server.

Hand-written because no library plays this model: the event loop is the engine. Compilation
happens at the first call to `play`, never at import, and is cached on disk under a hash of
every source file it compiles (alignsim.engines.compile_cache): an edit anywhere in them
recompiles.
"""

from __future__ import annotations

from alignsim.engines import compile_cache  # noqa: F401  (keys the cache before compiling)
from alignsim.engines.fast.inputs import book, leads, params
from alignsim.engines.fast.loop import run
from alignsim.engines.fast.state import new_state
from alignsim.engines.plan import Plan
from alignsim.ledger import LedgerBook


def play(plan: Plan) -> LedgerBook:
    """Play one policy over one lead stream with the fast engine (compiled at first use)."""
    ledger = LedgerBook(plan.stream)
    ld, p = leads(plan), params(plan)
    run(ld, p, book(ledger), new_state(ld, p))
    return ledger


__all__ = ["play"]
