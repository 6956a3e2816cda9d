"""`alignsim workshop`: serve the workshop page (Streamlit) from this machine.

Runs `streamlit run` on the page's script in a child process: listening on 127.0.0.1 unless
told otherwise, headless (no browser is opened), no usage statistics sent, uploads capped at
1 MB, and no traceback ever shown in the browser (the page reports every expected problem as
a sentence; anything else shows as Streamlit's generic message, details in the console). Its settings reach the page through environment variables. Importing this module does
not import Streamlit, so the rest of the command line stays quick.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from alignsim.cli.common import BadInput, EngineOption, check_engine, load_scenario
from alignsim.workshop import APP, sources

__all__ = ["workshop_command"]


def _free(host: str, port: int) -> None:
    """Bad input unless this machine can listen on host:port now."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise BadInput(f"--host: cannot listen on {host!r} ({error.strerror})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # As the server will: a port left in TIME_WAIT by a stopped server is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            reason = "already in use" if error.errno == 98 else (error.strerror or "refused")
            raise BadInput(
                f"--port: cannot listen on {host}:{port} ({reason}); choose another --port"
            ) from None


def workshop_command(
    scenario: Annotated[
        Path | None,
        typer.Argument(help="Scenario to open first (default: scenarios/default.toml)."),
    ] = None,
    host: Annotated[
        str,
        typer.Option(
            help="Address to listen on. 127.0.0.1 keeps the page on this machine; "
            "0.0.0.0 opens it to the network."
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8501,
    replications: Annotated[
        int, typer.Option(help="Paired replications per answer.", min=2, max=200)
    ] = 30,
    weeks: Annotated[
        int | None,
        typer.Option(
            help="Weeks simulated per replication, scaled to a year (default: 13; at most "
            "the scenario's horizon).",
            min=1,
            max=520,
        ),
    ] = None,
    engine: EngineOption = None,
) -> None:
    """Open the workshop page: move a lever, watch the revenue lost answer."""
    check_engine(engine)
    path = sources.default_scenario() if scenario is None else scenario
    sc = load_scenario(path)
    if all(name == sc.baseline_policy for name in sc.policies):
        raise BadInput(
            f"{path.name}: policies: only the baseline {sc.baseline_policy!r}; "
            "add a policy to compare with it"
        )
    if importlib.util.find_spec("streamlit") is None:
        raise BadInput("the workshop page needs streamlit: pip install 'alignsim[workshop]'")
    _free(host, port)
    env = {
        **os.environ,
        sources.SCENARIO_ENV: str(path.resolve()),
        "ALIGNSIM_WORKSHOP_REPLICATIONS": str(replications),
    }
    if weeks:
        env["ALIGNSIM_WORKSHOP_WEEKS"] = str(weeks)
    if engine:
        env["ALIGNSIM_WORKSHOP_ENGINE"] = engine
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.maxUploadSize",
        "1",
        "--server.fileWatcherType",
        "none",
        "--server.runOnSave",
        "false",
        "--global.developmentMode",
        "false",
        "--client.toolbarMode",
        "viewer",
        "--client.showErrorDetails",
        "none",
    ]
    shown = "localhost" if host == "127.0.0.1" else host
    typer.echo(f"alignsim workshop: http://{shown}:{port} (Ctrl+C stops it)", err=True)
    child = subprocess.Popen(command, env=env)
    try:
        code = child.wait()
    except BaseException:  # Interrupted (Ctrl+C, SIGTERM): the server stops with alignsim
        child.terminate()
        child.wait()
        raise
    if code:
        raise typer.Exit(code)
