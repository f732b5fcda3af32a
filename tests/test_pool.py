"""The Ray worker pool: submission order, and an actor killed mid-request loses and duplicates nothing."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import pytest
import ray

from backends.pool import WorkerPool
from schemas.artifacts import ExecutionRequest, Task
from schemas.outcome import Outcome


@pytest.fixture(scope="module")
def pool() -> Iterator[WorkerPool]:
    with WorkerPool("verilog", size=2) as workers:
        yield workers


def _slow_variant(task: Task, index: int) -> str:
    """A wrong design that spins in simulation first: in flight long enough to be killed, and
    failing its testbench so no synthesis runs (Yosys would unroll the loop)."""
    spin = f"spin_{index}"
    busy = f"integer {spin};\n    initial for ({spin} = 0; {spin} < 3000000; {spin} = {spin} + 1) ;"
    wrong = task.reference.replace("count + 4'd1", "count + 4'd2")
    return wrong.replace("endmodule", f"    {busy}\nendmodule")


def test_results_come_back_in_submission_order(pool: WorkerPool, verilog_tasks: list[Task]) -> None:
    tasks = verilog_tasks[:6]
    requests = [ExecutionRequest.for_code(t, t.reference) for t in tasks]
    requests[2] = ExecutionRequest.for_code(tasks[2], tasks[2].reference.replace(";", "", 1))
    results = pool.map(requests)
    assert [r.request_id for r in results] == [r.request_id for r in requests]
    assert results[2].outcome is Outcome.COMPILATION_ERROR
    assert all(r.outcome is Outcome.PASS for i, r in enumerate(results) if i != 2)


def test_actor_killed_mid_request_is_replaced_and_retried(pool: WorkerPool, counter_task: Task) -> None:
    requests = [ExecutionRequest.for_code(counter_task, _slow_variant(counter_task, i)) for i in range(4)]
    victim = ray.get(pool.actors[0].pid.remote())
    replaced_before = pool.replaced
    threading.Timer(0.5, lambda: os.kill(victim, signal.SIGKILL)).start()
    results = pool.map(requests)
    assert pool.replaced == replaced_before + 1
    assert [r.request_id for r in results] == [r.request_id for r in requests]  # none lost, none duplicated
    assert all(r.outcome is Outcome.TEST_FAILURE for r in results)
    assert sorted(r.attempts for r in results) == [1, 1, 1, 2]


def test_only_the_broken_request_is_retried_and_the_batch_still_returns(
    pool: WorkerPool, verilog_tasks: list[Task], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request the backend cannot run comes back INFRA_ERROR after its own retries, with backoff;
    the others are run once and labelled, and the batch is not failed (it used to raise, and Prefect
    reran every request of it)."""
    from backends import pool as pool_module
    from flows import runtime

    monkeypatch.setattr(pool_module, "RETRY_BACKOFF_S", 0.05)
    broken = verilog_tasks[0].model_copy(update={"environment": {}})  # the backend raises on it: a bug
    requests = [ExecutionRequest.for_code(t, t.reference) for t in verilog_tasks[1:4]]
    requests.insert(1, ExecutionRequest.for_code(broken, broken.reference))
    results = pool.map(requests)
    assert [r.request_id for r in results] == [r.request_id for r in requests]
    assert results[1].outcome is Outcome.INFRA_ERROR and results[1].attempts == pool_module.MAX_ATTEMPTS
    assert "KeyError" in results[1].diagnostic
    assert [(r.outcome, r.attempts) for i, r in enumerate(results) if i != 1] == [(Outcome.PASS, 1)] * 3
    assert all(r.isolation for r in results)
    monkeypatch.setitem(runtime._POOLS, "verilog", pool)
    assert [r.outcome for r in runtime.run_batch(requests)] == [r.outcome for r in results]


def test_a_pool_whose_workers_cannot_isolate_refuses_to_start(
    pool: WorkerPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked at start-up, so no candidate ever runs under an isolation nobody asked for."""
    from backends.pool import ExecutionWorker
    from backends.sandbox import SandboxUnavailable

    bogus = {"env_vars": {"FORGE_SANDBOX": "bogus"}}
    spawn = lambda self: ExecutionWorker.options(runtime_env=bogus).remote(self.domain)  # noqa: E731
    monkeypatch.setattr(WorkerPool, "_spawn", spawn)
    with pytest.raises(SandboxUnavailable, match="FORGE_SANDBOX='bogus'"):
        WorkerPool("verilog", size=1)
