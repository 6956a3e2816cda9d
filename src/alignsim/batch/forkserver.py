"""What the forkserver of a local process pool loads before it forks the first worker.

`alignsim.batch.executors.process_pool` names this module in `set_forkserver_preload` and
starts the forkserver at once, so it works while the caller prepares the batch. Importing it:

- ties the forkserver's life to the process that started the pool (alignsim.batch.orphans);
- imports what every chunk needs (alignsim.batch.runs: the stream, the engines, the metrics);
- loads the fast engine's compiled code (alignsim.warm.warm; the windowed passes of runs of
  millions of leads excepted), compiling it if this machine has none: a worker is a fork of
  this process, so it starts with all of that in memory and plays its first chunk at once;
  start-up is paid once per pool, not once per worker.

Only the forkserver imports this module: anywhere else the import would tie the importing
process to its parent's life and play a warm-up run.
"""

from __future__ import annotations

import contextlib

from alignsim.batch import runs  # noqa: F401  (imported here once, for every worker)
from alignsim.batch.orphans import exit_with_parent
from alignsim.warm import warm

exit_with_parent()
# If warming fails, the workers load or compile the engine themselves, and a chunk that fails
# for the same reason reports it to the parent as any failed chunk does.
with contextlib.suppress(Exception):
    warm(windows=False)
