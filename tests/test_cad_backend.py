"""Each outcome class the CAD domain produces, from real CadQuery/OpenCascade runs in the sandbox."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from backends.cad.domain import task_from_part
from backends.cad.execute import WARM_ENV
from backends.cad.exports import EXPORT_DIR
from backends.cad.families._common import HEADER, part
from backends.domain import get_domain
from backends.sandbox import SANDBOX_ENV, bubblewrap_works
from schemas.artifacts import ExecutionRequest, ExecutionResult, Task
from schemas.outcome import Outcome

BOX_BODY = 'result = cq.Workplane("XY").box(80, 60, 10)\n'
BOX = HEADER + BOX_BODY


@pytest.fixture(autouse=True)
def data_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Exports land under a temporary data root, not the checkout's."""
    root = tmp_path / "data"
    monkeypatch.setenv("FORGE_DATA", str(root))
    return root


@pytest.fixture(scope="module")
def box_task() -> Task:
    """A plain 80 x 60 x 10 box centred on the origin: IoU of a shifted copy is known in closed form."""
    return task_from_part(part("test_box", {"case": "box"}, "An 80 x 60 x 10 mm box centred on the origin.", BOX_BODY))


@pytest.fixture(scope="module")
def plate_task() -> Task:
    return next(t for t in get_domain("cad").seed_tasks(1) if t.family == "plate_hole_grid")


def run_cad(code: str, task: Task, timeout_s: float = 20.0) -> ExecutionResult:
    return get_domain("cad").execute(ExecutionRequest.for_code(task, code, timeout_s))


def test_golden_passes_with_properties_and_exports(plate_task: Task, data_root: Path) -> None:
    result = run_cad(plate_task.reference, plate_task)
    assert result.outcome is Outcome.PASS, result.diagnostic
    metrics = result.metrics
    assert metrics["valid"] == 1.0 and metrics["solids"] == 1.0
    assert metrics["iou"] == pytest.approx(1.0, abs=1e-9)
    assert metrics["hausdorff_mm"] <= metrics["hausdorff_tolerance_mm"]
    assert metrics["bbox_xmax"] - metrics["bbox_xmin"] == pytest.approx(80.0)
    assert metrics["volume"] == pytest.approx(80 * 60 * 6 - 4 * 3.14159265 * 2.75**2 * 6, rel=1e-6)
    for kind in ("step", "stl"):
        stored = list((data_root / EXPORT_DIR).glob(f"{int(metrics[f'{kind}_sha256_52']):013x}*.{kind}"))
        assert len(stored) == 1 and stored[0].stat().st_size == metrics[f"{kind}_bytes"]
    assert stored[0].read_bytes()[80:84] != b"\0\0\0\0"  # binary STL: a triangle count
    assert result.tool_versions["cadquery"] == "2.8.0"
    assert all(metrics[k] > 0 for k in ("script_s", "export_s", "compare_s"))


def test_shifted_part_iou_falls_as_expected(box_task: Task) -> None:
    """Two boxes of length L shifted by d along X overlap in (L - d) / (L + d)."""
    ious = []
    for shift in (2.0, 8.0):
        result = run_cad(BOX.replace(")\n", f").translate(({shift}, 0, 0))\n"), box_task)
        assert result.outcome is Outcome.TEST_FAILURE
        assert result.metrics["iou"] == pytest.approx((80 - shift) / (80 + shift), abs=1e-9)
        assert result.metrics["hausdorff_mm"] == pytest.approx(shift, abs=result.metrics["hausdorff_tolerance_mm"])
        assert f"volumetric IoU {result.metrics['iou']:.4f} < 0.999" in result.diagnostic
        ious.append(result.metrics["iou"])
    assert ious[0] > ious[1]


def test_syntax_error_is_compilation_error_at_its_line(plate_task: Task) -> None:
    broken = plate_task.reference.replace(".hole(", ".hole(=", 1)
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if ".hole(=" in text)
    result = run_cad(broken, plate_task)
    assert result.outcome is Outcome.COMPILATION_ERROR
    assert result.diagnostic.startswith(f"part.py:{line}: SyntaxError: invalid syntax\n"), result.diagnostic
    assert f'File "part.py", line {line}' in result.diagnostic


def test_import_error_is_compilation_error(plate_task: Task) -> None:
    result = run_cad(plate_task.reference.replace("import cadquery as cq", "import cadqury as cq"), plate_task)
    assert result.outcome is Outcome.COMPILATION_ERROR
    assert result.diagnostic.startswith("part.py:1: ModuleNotFoundError: No module named 'cadqury'")


def test_fillet_too_large_is_runtime_error_with_occ_words(box_task: Task) -> None:
    code = HEADER + 'result = (\n    cq.Workplane("XY")\n    .box(80, 60, 10)\n    .edges("|Z")\n    .fillet(40)\n)\n'
    result = run_cad(code, box_task)
    assert result.outcome is Outcome.RUNTIME_ERROR
    assert result.diagnostic.startswith("part.py:")
    assert "StdFail_NotDone" in result.diagnostic and "BRep_API: command not done" in result.diagnostic


def test_no_solid_and_no_result_say_so(box_task: Task) -> None:
    flat = run_cad(HEADER + 'result = cq.Workplane("XY").rect(80, 60)\n', box_task)
    assert flat.outcome is Outcome.TEST_FAILURE
    assert "result holds no solid" in flat.diagnostic
    unnamed = run_cad(BOX.replace("result =", "part ="), box_task)
    assert unnamed.outcome is Outcome.TEST_FAILURE
    assert "assigns no variable `result`" in unnamed.diagnostic


def test_invalid_solid_says_so_in_occ_terms(box_task: Task) -> None:
    """A solid whose shell misses a face: OCC's checker names the defect."""
    code = BOX + "result = cq.Solid.makeSolid(cq.Shell.makeShell(result.val().Faces()[:-1]))\n"
    result = run_cad(code, box_task)
    assert result.outcome is Outcome.TEST_FAILURE
    assert "result solid is not valid" in result.diagnostic and "BRepCheck_NotClosed" in result.diagnostic
    assert result.metrics["valid"] == 0.0


def test_endless_script_is_timeout(box_task: Task) -> None:
    result = run_cad(BOX + "while True:\n    result = result.translate((0, 0, 0))\n", box_task, timeout_s=2)
    assert result.outcome is Outcome.TIMEOUT
    assert "part.py did not finish within 2 s" in result.diagnostic


def test_memory_hog_is_resource_exceeded(box_task: Task) -> None:
    result = run_cad(BOX + "ballast = [result.val().copy() for _ in range(4)] + [bytearray(4 << 30)]\n", box_task)
    assert result.outcome is Outcome.RESOURCE_EXCEEDED
    assert "MemoryError" in result.diagnostic


def test_crash_in_native_code_is_memory_fault(box_task: Task) -> None:
    result = run_cad(BOX + "import ctypes\nctypes.string_at(0)\n", box_task)
    assert result.outcome is Outcome.MEMORY_FAULT
    assert "SIGSEGV" in result.diagnostic


def test_candidate_cannot_read_the_golden_script(box_task: Task) -> None:
    result = run_cad("golden = open('reference.py').read()\nexec(golden)\n", box_task)
    assert result.outcome is Outcome.RUNTIME_ERROR
    assert "FileNotFoundError" in result.diagnostic


def test_one_shot_run_gives_the_warm_verdict(box_task: Task, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fallback (a fresh sandbox, CadQuery imported anew) judges exactly as a warm server's job."""
    shifted = BOX.replace(")\n", ").translate((4, 0, 0))\n")
    warm_result = run_cad(shifted, box_task)
    monkeypatch.setenv(WARM_ENV, "0")
    cold = run_cad(shifted, box_task)
    assert (cold.outcome, cold.metrics["iou"]) == (warm_result.outcome, warm_result.metrics["iou"])
    assert cold.metrics["import_s"] > 0 and "import_s" not in warm_result.metrics


def _bubblewrap() -> bool:
    return os.environ.get(SANDBOX_ENV) != "none" and bubblewrap_works()


@pytest.mark.skipif(not _bubblewrap(), reason="without bubblewrap there is no pid namespace to sweep")
def test_no_process_of_a_job_lives_into_the_next(box_task: Task) -> None:
    """A candidate's daemon (own session, so out of reach of its process group) dies with its job."""
    daemon = ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    while True:\n"
              "        open('/tmp/stray', 'w').close()\n        time.sleep(0.01)\n")  # fmt: skip
    assert run_cad(BOX + daemon, box_task).outcome is Outcome.PASS
    probe = ("import os, time\nif os.path.exists('/tmp/stray'):\n    os.unlink('/tmp/stray')\ntime.sleep(0.3)\n"
             "assert not os.path.exists('/tmp/stray'), 'a process of an earlier job is still running'\n")  # fmt: skip
    result = run_cad(BOX + probe, box_task)
    assert result.outcome is Outcome.PASS, result.diagnostic


@pytest.mark.slow  # a one-shot rerun and a new server: two CadQuery imports (half a minute each, loaded)
@pytest.mark.skipif(not _bubblewrap(), reason="pid 2 is the harness only in bubblewrap's pid namespace")
def test_candidate_that_kills_the_server_is_judged_and_the_next_run_is_clean(box_task: Task) -> None:
    killer = run_cad(BOX + "import os, signal\nos.kill(2, signal.SIGKILL)\n", box_task)
    assert killer.outcome is Outcome.RESOURCE_EXCEEDED, killer  # the sandbox's reading of a SIGKILL
    assert killer.diagnostic.startswith("the CAD harness was killed by SIGKILL"), killer.diagnostic
    assert run_cad(BOX, box_task).outcome is Outcome.PASS


def test_surface_grid_covers_every_triangle() -> None:
    """The Hausdorff tolerance rests on this: every point of a triangle lies within `spacing` of a sample,
    needle and near-flat triangles included, and a needle costs samples along its length only."""
    import numpy as np
    from scipy.spatial import cKDTree

    from backends.cad.sampling import surface_samples

    rng = np.random.default_rng(0)
    tris = rng.uniform(-20, 20, size=(200, 3, 3))
    tris[:50, 2] = tris[:50, 0] + rng.uniform(-0.05, 0.05, size=(50, 3))  # needles: two corners together
    tris[50:100, 2] = (tris[50:100, 0] + tris[50:100, 1]) / 2 + 0.01  # near-flat, obtuse
    spacing = 0.5
    u, w = rng.uniform(size=(2, 200, 400))
    u, w = np.where(u + w > 1, 1 - u, u), np.where(u + w > 1, 1 - w, w)  # uniform over each triangle
    points = tris[:, None, 0] + u[..., None] * (tris[:, None, 1] - tris[:, None, 0]) + w[..., None] * (
        tris[:, None, 2] - tris[:, None, 0])  # fmt: skip
    distances, _ = cKDTree(surface_samples(tris, spacing)).query(points.reshape(-1, 3))
    assert distances.max() <= spacing
    needle = np.array([[[0.0, 0.0, 0.0], [40.0, 0.0, 0.0], [40.0, 0.05, 0.0]]])
    assert len(surface_samples(needle, spacing)) <= 3 * (40 / spacing + 2)


def test_thinned_points_still_reach_every_point() -> None:
    """The scouting probes: one per cube, every dropped point within the cube's diagonal of a kept one."""
    import numpy as np
    from scipy.spatial import cKDTree

    from backends.cad.sampling import thinned

    points = np.random.default_rng(1).uniform(-30, 30, size=(20_000, 3)) * [1, 1, 0.01]  # a thin slab
    kept = thinned(points, 2.0)
    assert len(kept) < len(points) / 10 and all(any((kept == p).all(axis=1)) for p in points[:1])
    assert cKDTree(kept).query(points)[0].max() <= 2.0 * 3**0.5
