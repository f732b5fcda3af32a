"""`forge server` (what `make server` runs): the Prefect UI and API on loopback, and a process worker.

It starts `prefect server start --host 127.0.0.1`, waits until the API answers, and starts a
process worker on the local work pool (the worker creates the pool if the server has none by that
name); then it waits, and on Ctrl-C or SIGTERM stops both (each runs in its own process group, so
their children go too). The worker's environment carries what the deployments in `prefect.yaml`
need: `FORGE_HOME` (their pull step changes into it), `FORGE_DATA`, and the results location under
the data root (flows/settings.py), so a deployment run caches and writes exactly where `forge` on
the command line does. With the server up, `PREFECT_API_URL=<printed url> prefect deploy --all`
(or `make deploy`) registers every deployment.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

log = logging.getLogger(__name__)
PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PORT = 4200
DEFAULT_POOL = "forge-local"
HEALTH_TIMEOUT_S = 180.0  # the first start migrates a fresh database; seconds later ones are healthy in ~5 s


class ServerError(RuntimeError):
    """The Prefect server or worker did not come up; the message says which and how it ended."""


def prefect_command() -> list[str]:
    """The `prefect` CLI of this environment (the venv's, next to the interpreter)."""
    beside = Path(sys.executable).with_name("prefect")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "prefect"]


def api_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/api"


def server_env(port: int, data_root: str) -> dict[str, str]:
    """The environment of the server, the worker and the flow runs the worker starts."""
    from flows.settings import RESULTS_DIR

    env = dict(os.environ)
    env.update(
        PREFECT_API_URL=api_url(port),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        FORGE_HOME=str(PROJECT_ROOT),
        FORGE_DATA=str(Path(data_root).resolve()),
    )
    env.setdefault("PREFECT_RESULTS_LOCAL_STORAGE_PATH", str(Path(data_root).resolve() / RESULTS_DIR))
    return env


def wait_for(endpoint: str, process: subprocess.Popen, what: str, timeout_s: float = HEALTH_TIMEOUT_S) -> None:
    """Poll GET `endpoint` until it answers 200; raise if `process` exits first or the time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"prefect {what} exited with status {process.returncode} before {endpoint} answered")
        try:
            if httpx.get(endpoint, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise ServerError(f"{endpoint} did not answer within {timeout_s:.0f} s (prefect {what})")


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([*prefect_command(), *args], env=env, cwd=PROJECT_ROOT, start_new_session=True)


def stop(process: subprocess.Popen, grace_s: float = 15.0) -> None:
    """SIGTERM the process group, SIGKILL what is left after `grace_s`."""
    if process.poll() is not None:
        return
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM ends `serve` as Ctrl-C does, so its `finally` stops the children."""
    raise KeyboardInterrupt


def serve(port: int = DEFAULT_PORT, pool: str = DEFAULT_POOL, data_root: str = "data") -> int:
    """Run server + worker until interrupted or one of them exits; returns the exit status."""
    env = server_env(port, data_root)
    url = env["PREFECT_API_URL"]
    server = _start(["server", "start", "--host", "127.0.0.1", "--port", str(port)], env)
    worker: subprocess.Popen | None = None
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        wait_for(f"{url}/health", server, "server")
        worker = _start(["worker", "start", "--pool", pool, "--type", "process"], env)
        wait_for(f"{url}/work_pools/{pool}", worker, "worker")  # deployments need the pool to exist
        print(
            f"Prefect UI: {url.removesuffix('/api')}  (work pool {pool!r}, data {env['FORGE_DATA']})\n"
            f"register the deployments: PREFECT_API_URL={url} {prefect_command()[0]} deploy --all",
            flush=True,
        )
        while server.poll() is None and worker.poll() is None:
            time.sleep(1.0)
        ended = "server" if server.poll() is not None else "worker"
        log.error("prefect %s exited (status %s); stopping", ended, (server if ended == "server" else worker).poll())
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for process in (worker, server):
            if process is not None:
                stop(process)
