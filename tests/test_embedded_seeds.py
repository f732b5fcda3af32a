"""Embedded seed families: enough of them, distinct seeds, goldens that pass, faults the harness catches."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pytest

from backends.domain import get_domain
from backends.embedded.emulation import EMULATOR_ENV
from backends.embedded.families import FAMILIES, fresh_harness
from backends.embedded.families.buffers import POP, ring_model
from backends.embedded.families.codecs import CRC_MODELS, checksum
from backends.embedded.families.framing import cobs_decode, cobs_encode, slip_decode, slip_encode
from backends.embedded.faults import FAULT_KINDS, MUTATORS
from backends.embedded.firmware import Harness
from backends.faults import sites
from schemas.artifacts import ExecutionRequest, ExecutionResult, Task
from schemas.outcome import Outcome
from tasks.seed_verification import verify_seeds


@pytest.fixture(autouse=True)
def _qemu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(EMULATOR_ENV, "qemu")


@pytest.fixture(scope="module")
def one_per_family() -> list[Task]:
    return get_domain("embedded").seed_tasks(1)


def _execute(requests: list[ExecutionRequest]) -> list[ExecutionResult]:
    """Two at a time, in two fresh processes (as the Ray pool runs them): each run is a gcc and a QEMU
    process, so two fill the machine's two cores. Not threads: the sandbox reaps bubblewrap zombies
    process-wide, so concurrent runs in one process can lose each other's exit status. Not forked:
    a forked worker inherits "already a subreaper" from the sandbox's cache but not the flag itself,
    so its orphaned bubblewrap processes would pile up as zombies counted against `nobody`."""
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(get_domain("embedded").execute, requests))


def test_families_give_hundreds_of_distinct_tasks() -> None:
    assert len(FAMILIES) >= 15
    tasks = get_domain("embedded").seed_tasks(None)
    assert len(tasks) >= 200
    assert len({t.task_id for t in tasks}) == len(tasks)
    assert len({t.reference for t in tasks}) == len(tasks)
    assert all(t.instruction and '#include "task.h"' in t.reference and "(" in t.interface for t in tasks)


def test_inputs_are_fresh_per_seed_and_reproducible() -> None:
    """Seed 0 rebuilds each stored harness exactly; other seeds feed the candidate other inputs (a
    different console, USART stream or register-write sequence in every family), the same way twice;
    a harness that is not the family's own (edited, synthesised) is left as it is."""
    changed: set[str] = set()
    for task in get_domain("embedded").seed_tasks(None):
        stored = Harness.from_json(task.harness)
        assert fresh_harness(task.family, task.params, stored, 0) == stored
        seeded = [fresh_harness(task.family, task.params, stored, seed) for seed in (11, 11, 12)]
        assert seeded[0] == seeded[1]
        if any((h.console, h.uarts, h.bus) != (stored.console, stored.uarts, stored.bus) for h in seeded if h):
            changed.add(task.family)
        edited = Harness(stored.main_c + "\n", stored.console)
        assert fresh_harness(task.family, task.params, edited, 11) is None
    assert changed == set(FAMILIES)


def test_every_fault_kind_has_sites_somewhere(one_per_family: list[Task]) -> None:
    for kind in FAULT_KINDS:
        assert any(sites(t.reference, MUTATORS[kind]) for t in one_per_family), kind


def test_reference_models_agree_with_published_values() -> None:
    assert all(model.compute(b"123456789") == model.check for model in CRC_MODELS.values())
    assert checksum("adler32", b"Wikipedia") == 0x11E60398  # the RFC 1950 example used everywhere
    assert checksum("fletcher16", b"abcde") == 0xC8F0
    assert cobs_encode(b"\x11\x22\x00\x33") == b"\x03\x11\x22\x02\x33"  # Cheshire & Baker's example
    payload = bytes(range(256)) * 2
    assert cobs_decode(cobs_encode(payload)) == payload and slip_decode(slip_encode(payload)) == payload
    assert ring_model(2, "overwrite", [1, 2, 3, POP, POP, POP]) == ([1, 1, 1, 1, 1, 0], [2, 3])


def test_one_golden_per_family_passes(one_per_family: list[Task]) -> None:
    results = _execute([ExecutionRequest.for_code(t, t.reference) for t in one_per_family])
    failing = {t.family: r.diagnostic[:300] for t, r in zip(one_per_family, results, strict=True)
               if r.outcome is not Outcome.PASS}  # fmt: skip
    assert not failing


def test_peripheral_faults_are_caught(one_per_family: list[Task]) -> None:
    chosen = [t for t in one_per_family if t.family in ("uart_tx_queue", "timer_periodic_irq", "gpio_leds")]
    kept, checks, report = verify_seeds(chosen, _execute)
    assert report.kept == len(chosen), report
    caught = {c.fault_kind for c in checks if c.caught}
    assert {"missing_clock_enable", "wrong_register_bit", "wrong_irq_number", "missing_irq_clear"} <= caught
    assert report.mutation_score >= 0.7, report


@pytest.mark.slow
def test_one_seed_per_family_verifies(one_per_family: list[Task]) -> None:
    kept, checks, report = verify_seeds(one_per_family, _execute)
    assert report.kept == len(one_per_family), report.dropped
    assert report.mutation_score >= 0.8, report


@pytest.mark.slow
def test_every_golden_reference_passes() -> None:
    tasks = get_domain("embedded").seed_tasks(None)
    results = _execute([ExecutionRequest.for_code(t, t.reference) for t in tasks])
    failing = [(t.family, t.params, r.diagnostic[:200]) for t, r in zip(tasks, results, strict=True)
               if r.outcome is not Outcome.PASS]  # fmt: skip
    assert not failing
