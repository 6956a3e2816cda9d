"""Writing an output file whole or not at all.

Every file alignsim writes (ledgers, reports, checkpoints, fitted scenarios, exports) goes
through a temporary file in the same folder and a rename, so a crash, an interrupt or a full
disk never leaves half a file; a write the operating system refuses becomes one sentence naming
the file and the reason. Kept apart from the ledger so that commands which only read scenarios
load no pandas.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["WriteError", "write_atomically"]


class WriteError(OSError):
    """An output could not be written (a full disk, no permission, a read-only file system).

    Its text is one sentence naming the file and the reason: "cannot write out/runs.parquet
    (No space left on device)". The temporary file is already removed.
    """

    def __init__(self, path: Path, error: BaseException) -> None:
        reason = getattr(error, "strerror", None)
        number = getattr(error, "errno", None)
        if not reason and number:
            reason = os.strerror(number)
        super().__init__(number or 0, reason or str(error) or type(error).__name__, str(path))
        self.path = path

    def __str__(self) -> str:
        return f"cannot write {self.path} ({self.strerror})"


def write_atomically(path: Path, write: object) -> Path:
    """Write through a temporary file in the same folder, then rename: never a half-written file.

    Raises WriteError naming `path` when the operating system refuses (ENOSPC, EACCES, ...).
    """
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        os.close(fd)
        write(tmp)  # type: ignore[operator]
        os.replace(tmp, path)
    except OSError as error:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise WriteError(path, error) from error
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise
    return path
