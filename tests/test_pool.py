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
