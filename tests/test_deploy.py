"""`make server` (= `forge server`) + `prefect deploy --all` on loopback: every flow is deployed and scheduled.

The server runs on a free loopback port with its own PREFECT_HOME (database, profiles) under the
test's temp dir; the fixture stops the launcher, which stops the server and the worker, and checks
the port is closed afterwards.
"""

from __future__ import annotations

import ast
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from flows.server import api_url, prefect_command, stop

ROOT = Path(__file__).resolve().parents[1]
POOL = "forge-local"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _until(
    check: Callable[[], object], timeout_s: float, what: str, launcher: subprocess.Popen | None = None
) -> object:
    """`check()`'s first truthy answer, polling every second; fails if the launcher exits meanwhile."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if launcher is not None and launcher.poll() is not None:
            raise AssertionError(f"forge server exited ({launcher.returncode}) while waiting for {what}")
        try:
            if result := check():
                return result
        except httpx.HTTPError:
            pass
        time.sleep(1.0)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def _deployment_yaml() -> list[dict]:
    return yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], Path]]:
    """(API url, environment for prefect commands, data root) of a running `forge server`."""
    base = tmp_path_factory.mktemp("server")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FORGE_"))}
    env.update(
        PREFECT_HOME=str(base / "prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="5",
    )
    log = (base / "server.log").open("w")
    command = [sys.executable, "-m", "flows.cli", "--data", str(base / "data"), "server", "--port", str(port)]
    launcher = subprocess.Popen(
        [*command, "--pool", POOL], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = api_url(port)
    try:
        workers = f"{url}/work_pools/{POOL}/workers/filter"

        def worker_online() -> bool:
            answer = httpx.post(workers, json={}, timeout=5)
            return answer.status_code == 200 and any(w["status"] == "ONLINE" for w in answer.json())

        _until(worker_online, 300, "a worker online on the pool", launcher)
        yield url, {**env, "PREFECT_API_URL": url}, base / "data"
    finally:
        launcher.send_signal(signal.SIGTERM)  # the launcher stops the server and the worker
        try:
            launcher.wait(60)
        finally:
            stop(launcher)
            log.close()
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open after stopping the server"


def _deployments(url: str) -> dict[str, dict]:
    return {d["name"]: d for d in httpx.post(f"{url}/deployments/filter", json={}, timeout=10).json()}


def _flow_functions(path: Path) -> set[str]:
    """Functions decorated with `@flow` / `@flow(...)` in a module, read from its source: importing
    prefect here would load its settings before a later test's `flows.settings.configure`."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(target, ast.Name) and target.id == "flow":
                    names.add(node.name)
    return names


def test_every_flow_has_a_deployment() -> None:
    entrypoints = {d["entrypoint"] for d in _deployment_yaml()}
    flows = {f"flows/{p.name}:{name}" for p in sorted((ROOT / "flows").glob("*.py")) for name in _flow_functions(p)}
    assert flows and flows == entrypoints


def test_make_server_runs_forge_server() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nserver:", 1)[1].split("\n\n", 1)[0]
    assert "forge server" in recipe


def test_deploy_all_against_loopback_server(server: tuple[str, dict[str, str], Path]) -> None:
    url, env, _ = server
    done = subprocess.run(
        [*prefect_command(), "--no-prompt", "deploy", "--all"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    deployments = _deployments(url)
    assert set(deployments) == {d["name"] for d in _deployment_yaml()}
    for spec in _deployment_yaml():
        deployment = deployments[spec["name"]]
        assert deployment["work_pool_name"] == POOL
        assert deployment["parameters"] == spec["parameters"]
        properties = deployment["parameter_openapi_schema"]["properties"]
        undescribed = [name for name, schema in properties.items() if not schema.get("description")]
        assert not undescribed, f"{spec['name']}: parameters without a description in the flow docstring: {undescribed}"
        steps = deployment["pull_steps"]
        assert steps[0]["prefect.deployments.steps.set_working_directory"]["directory"] == "{{ $FORGE_HOME }}"
    demo = deployments["demo"]
    assert [s["schedule"]["cron"] for s in demo["schedules"]] == ["0 3 * * *"]
    runs = {"flow_runs": {"deployment_id": {"any_": [demo["id"]]}, "state": {"type": {"any_": ["SCHEDULED"]}}}}
    scheduled = _until(
        lambda: httpx.post(f"{url}/flow_runs/filter", json=runs, timeout=10).json(),
        120, "the scheduler to create the demo's nightly runs",
    )
    assert all(run["expected_start_time"].endswith("03:00:00Z") for run in scheduled)


@pytest.mark.slow
def test_deployment_runs_on_the_worker(server: tuple[str, dict[str, str], Path]) -> None:
    """A run of the seed-tasks deployment, picked up by the worker in FORGE_HOME, writes its rows."""
    url, env, data = server
    if "seed-tasks" not in _deployments(url):
        subprocess.run([*prefect_command(), "--no-prompt", "deploy", "--all"], cwd=ROOT, env=env, check=True)
    done = subprocess.run(
        [*prefect_command(), "deployment", "run", "seed_tasks/seed-tasks", "-p", "per_family=1",
         "-p", 'domains=["verilog"]', "--watch", "--watch-timeout", "500"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=560,
    )
    assert done.returncode == 0 and "Completed" in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]
    assert (data / "tasks").is_dir() and (data / "runs").is_dir()
