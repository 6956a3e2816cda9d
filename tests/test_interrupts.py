"""Signals and operating-system errors: never reported as success, never a half-written file.

SIGINT and SIGTERM are sent to real processes of the command once they have installed their
handlers (read from /proc: SIGTERM is caught only by alignsim's own handler). Write errors
(a full disk) are raised by a patched writer in this process, through `alignsim.cli.main`.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from alignsim import cli

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "default.toml"
SCRIPT = Path(sys.executable).with_name("alignsim")
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "alignsim"]
DEADLINE = 120.0
"""Seconds a step may take before the test gives up (a hang, not a measure of speed)."""

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")


def _start(args: list[str | Path], stdout: object = subprocess.PIPE) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("DASK_SCHEDULER_ADDRESS", "COLUMNS")}
    env.pop("ALIGNSIM_DEBUG", None)
    return subprocess.Popen(
        [*COMMAND, *map(str, args)], cwd=ROOT, env=env, stdout=stdout, stderr=subprocess.PIPE
    )


def _catches_sigterm(pid: int) -> bool:
    """True once the process has installed alignsim's handlers (Python alone leaves SIGTERM)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught.split()[1], 16) >> (signal.SIGTERM - 1) & 1)


def _descendants(pid: int) -> set[int]:
    """The process's children, their children, and so on (from /proc)."""
    out: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in out:
                    out.add(child)
                    todo.append(child)
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_until(condition: object, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():  # type: ignore[operator]
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the command never got there"
        time.sleep(0.02)


@pytest.mark.parametrize(("sent", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_batch_says_what_it_kept_and_stops_its_workers(
    tmp_path: Path, sent: signal.Signals, code: int, tiny_file
) -> None:
    scenario = tiny_file(tmp_path)
    out = tmp_path / "out"
    options = ["--runs", "2000", "--chunk-size", "1", "--workers", "2", "--quiet", "--seed", "3"]
    batch = _start(["batch", scenario, *options, "--engine", "simpy", "--out", out, "--json"])
    _wait_until(lambda: list((out / "chunks").glob("chunk-*.parquet")), batch)
    workers = _descendants(batch.pid)
    batch.send_signal(sent)
    assert batch.wait(timeout=DEADLINE) == code
    stdout, stderr = batch.communicate(timeout=DEADLINE)
    saved = sum(pq.read_metadata(p).num_rows for p in (out / "chunks").glob("chunk-*.parquet"))
    assert stdout == b""
    assert stderr.decode().splitlines() == [
        f"interrupted; {saved:,} of 2,000 runs saved in {out}, resume with --resume"
    ]
    assert 1 <= saved < 2000
    assert not (out / "runs.parquet").exists() and not (out / "summary.json").exists()
    assert not list(out.rglob("*.tmp"))
    # The pool's workers end with the batch (the forkserver they came from is not counted: it
    # exits on its own once the batch has gone).
    deadline = time.monotonic() + DEADLINE
    while any(_alive(pid) and "forkserver" not in _cmdline(pid) for pid in workers):
        assert time.monotonic() < deadline, "a worker outlived its batch"
        time.sleep(0.05)


def test_stopping_a_pool_waits_for_its_manager_thread() -> None:
    """`_stop_workers` returns once the pool's manager thread has ended, so Python's exit hook
    finds the thread's wake-up pipe closed and writes nothing (before 3.12 the hook wrote to
    the pipe unlocked while the thread closed it, and CI once printed its traceback after
    "interrupted"). The manager here is a thread that takes 0.3 s to end, as a real one does
    while it reaps terminated workers."""
    import threading
    from concurrent.futures import ProcessPoolExecutor

    from alignsim.cli.batch import _stop_workers

    pool = ProcessPoolExecutor(1)
    manager = threading.Thread(target=time.sleep, args=(0.3,))
    manager.start()
    pool._executor_manager_thread = manager  # type: ignore[attr-defined]
    _stop_workers(pool)
    assert not manager.is_alive()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""


def test_an_interrupted_compare_prints_no_json_and_does_not_claim_success(
    tmp_path: Path,
) -> None:
    target = tmp_path / "x.json"
    with target.open("wb") as sink:
        compare = _start(["compare", DEFAULT, "--replications", "3000", "--json"], stdout=sink)
        _wait_until(lambda: _catches_sigterm(compare.pid), compare)
        compare.send_signal(signal.SIGINT)
        assert compare.wait(timeout=DEADLINE) == 130
        _out, stderr = compare.communicate(timeout=DEADLINE)
    assert target.read_bytes() == b""
    assert stderr.decode().splitlines() == ["interrupted"]


# ------------------------------------------------------------------------------ write errors


def _main(args: list[str | Path], monkeypatch: pytest.MonkeyPatch) -> int | str | None:
    monkeypatch.setattr(sys, "argv", ["alignsim", *map(str, args)])
    monkeypatch.delenv("ALIGNSIM_DEBUG", raising=False)
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    try:
        cli.main()
    except SystemExit as done:
        return done.code
    return 0


def _full_disk(*_args: object, **_kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_during_a_batch_is_one_sentence_and_the_checkpoint_resumes(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tiny_file,
) -> None:
    import alignsim.batch.checkpoint as checkpoint

    scenario = tiny_file(tmp_path)
    out, whole = tmp_path / "out", tmp_path / "whole"
    options = ["--runs", "6", "--chunk-size", "2", "--workers", "1", "--quiet", "--seed", "4"]
    written = 0
    real = checkpoint.pq.write_table

    def fills_up(table: object, path: object, *args: object, **kwargs: object) -> None:
        nonlocal written
        if written == 2:
            _full_disk()
        written += 1
        real(table, path, *args, **kwargs)

    monkeypatch.setattr(checkpoint.pq, "write_table", fills_up)
    code = _main(["batch", scenario, *options, "--out", out], monkeypatch)
    err = capsys.readouterr().err
    chunk = out / "chunks" / "chunk-000002.parquet"
    assert code == 2
    assert err.splitlines() == [f"alignsim: cannot write {chunk} (No space left on device)"]
    assert sorted(p.name for p in (out / "chunks").iterdir()) == [
        "chunk-000000.parquet",
        "chunk-000001.parquet",
    ]
    monkeypatch.setattr(checkpoint.pq, "write_table", real)
    assert _main(["batch", scenario, *options, "--out", out, "--resume"], monkeypatch) == 0
    assert _main(["batch", scenario, *options, "--out", whole], monkeypatch) == 0
    assert (out / "runs.parquet").read_bytes() == (whole / "runs.parquet").read_bytes()


@pytest.mark.parametrize("number", [errno.ENOSPC, errno.EACCES, errno.EROFS])
def test_an_output_that_cannot_be_written_names_the_file_and_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, number: int
) -> None:
    from alignsim.batch.checkpoint import atomic_write
    from alignsim.writing import WriteError, write_atomically

    def refused(_path: object) -> None:
        raise OSError(number, os.strerror(number))

    for writer in (atomic_write, write_atomically):
        target = tmp_path / "summary.json"
        with pytest.raises(WriteError) as caught:
            writer(target, refused)
        assert str(caught.value) == f"cannot write {target} ({os.strerror(number)})"
        assert list(tmp_path.iterdir()) == []  # the temporary file is gone too


def test_a_full_disk_under_a_report_is_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import alignsim.report as report

    monkeypatch.setattr(report.Path, "write_text", _full_disk)
    target = tmp_path / "report.html"
    args = ["report", DEFAULT, "--output", target, "--replications", "2", "--horizon", "1w"]
    code = _main(args, monkeypatch)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.splitlines()[-1].endswith(f"{target} (No space left on device)")
    assert "Traceback" not in err and list(tmp_path.iterdir()) == []


def test_json_outputs_refuse_nan() -> None:
    from alignsim.cli.common import json_text

    assert json.loads(json_text({"a": 1.5})) == {"a": 1.5}
    with pytest.raises(RuntimeError, match="NaN or infinite"):
        json_text({"revenue": float("inf")})
