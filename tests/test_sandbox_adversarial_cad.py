"""Hostile CadQuery candidates against the CAD backend's worker: the warm harness server (`warm.py`,
`server.py`) and the one-shot fallback (`execute.py`, `runner.py`).

Each test is one mechanism a candidate can use, run through `Domain.run` as a pool worker runs it, in
every isolation mode (bubblewrap, unshare, and, as root, none: these are the worker's guarantees,
not the namespaces'). A canary outside every workspace (root's, 0600) must never appear in a result
or an export, and neither it nor its directory may change; an honest candidate after each attack
must still pass.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from backends import isolation
from backends.cad import execute, warm
from backends.cad.domain import task_from_part
from backends.cad.execute import WARM_ENV
from backends.cad.exports import EXPORT_DIR
from backends.cad.families._common import HEADER, part
from backends.cad.interpreter import SandboxPython
from backends.domain import get_domain
from schemas.artifacts import ExecutionRequest, ExecutionResult, Task
from schemas.outcome import Outcome

BOX_BODY = 'result = cq.Workplane("XY").box(80, 60, 10)\n'
BOX = HEADER + BOX_BODY
SHIFTED = BOX.replace(")\n", ").translate((4, 0, 0))\n")
# `none` runs candidates without namespaces: only with a uid of their own (root) may one `kill -1`.
MODES = [m for m in (isolation.Mode.BWRAP, isolation.Mode.UNSHARE) if isolation.works(m)]
MODES += [isolation.Mode.NONE] if os.geteuid() == 0 else []
# A daemon: double fork, own session, so out of reach of the candidate's process group; `{body}` loops.
DAEMON = """
import json, os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        end = time.time() + 90
        while time.time() < end:
            try:
{body}
            except OSError:
                pass
            time.sleep(0.0005)
    os._exit(0)
"""


def _daemon(body: str) -> str:
    return DAEMON.format(body="\n".join(" " * 16 + line for line in body.strip().splitlines()))


@pytest.fixture(scope="module", params=MODES, ids=str)
def mode(request: pytest.FixtureRequest) -> Iterator[isolation.Mode]:
    """Module-scoped so the tests of one mode share warm servers (`warm._take` drops another mode's)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(isolation.SANDBOX_ENV, str(request.param))
        yield request.param
    warm.close_all()


@pytest.fixture(autouse=True)
def data_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Exports land under a temporary data root, not the checkout's."""
    root = tmp_path / "data"
    monkeypatch.setenv("FORGE_DATA", str(root))
    return root


@pytest.fixture
def canary(tmp_path_factory: pytest.TempPathFactory, data_root: Path) -> Iterator[Path]:
    """A root-only secret outside any workspace; it, its directory and the exports checked afterwards."""
    directory = tmp_path_factory.mktemp("canary")
    secret = directory / "secret"
    secret.write_text(f"CANARY-{uuid.uuid4().hex}\n")
    secret.chmod(0o600)
    before = (secret.read_text(), secret.stat().st_mtime_ns, directory.stat().st_mtime_ns)
    yield secret
    assert (secret.read_text(), secret.stat().st_mtime_ns, directory.stat().st_mtime_ns) == before
    assert sorted(p.name for p in directory.iterdir()) == ["secret"]
    for stored in (data_root / EXPORT_DIR).glob("*"):
        assert before[0].strip().encode() not in stored.read_bytes()


@pytest.fixture(scope="module")
def box_task() -> Task:
    return task_from_part(part("test_box", {"case": "box"}, "An 80 x 60 x 10 mm box centred on the origin.", BOX_BODY))


def run_cad(code: str, task: Task, timeout_s: float = 20.0) -> ExecutionResult:
    return get_domain("cad").run(ExecutionRequest.for_code(task, code, timeout_s))


def assert_honest_passes(task: Task, mode: isolation.Mode) -> None:
    result = run_cad(BOX, task)
    assert result.outcome is Outcome.PASS, result.diagnostic
    assert result.isolation.startswith(str(mode))


def assert_unread(result: ExecutionResult, canary: Path) -> None:
    secret = canary.read_text().strip()
    assert secret not in result.diagnostic and secret not in json.dumps(result.metrics)


# --- confused deputy: the host follows nothing in a server's workspace, and writes nothing there ---


def test_jobs_directory_swapped_for_a_link_steers_no_host_write(
    mode: isolation.Mode, box_task: Task, canary: Path
) -> None:
    """The host used to create the next job's directory and files (the golden script included) through
    `jobs/`, as root: a link there made it write them into any host directory (the same path made
    inside the sandbox's /tmp, with an entry the server's tidying cannot remove, kept the server
    going), and the next, honest, job came back INFRA_ERROR."""
    swap = f"""import os
target = {str(canary.parent)!r}
try:
    os.makedirs(target + '/lock/x')
    os.chmod(target + '/lock', 0)
except OSError:
    pass
jobs = os.path.dirname(os.getcwd())
os.rename(jobs, jobs + '-old')
os.symlink(target, jobs)
"""
    attacker = run_cad(BOX + swap, box_task)
    assert attacker.outcome is Outcome.SANDBOX_VIOLATION, attacker
    assert_unread(attacker, canary)
    assert_honest_passes(box_task, mode)


@pytest.mark.timeout(300)  # the old worker opened a FIFO in place of stderr and hung
@pytest.mark.parametrize(
    "swap",
    [
        "os.unlink('stdout')\nos.symlink(CANARY, 'stdout')\nprint('x')\nos.kill(os.getpid(), signal.SIGSEGV)\n",
        "os.unlink('stderr')\nos.mkfifo('stderr')\n",
        "os.symlink(CANARY, 'part.step')\n",
    ],
    ids=["stdout-link", "stderr-fifo", "step-link"],
)
def test_job_outputs_swapped_for_links_or_fifos_are_refused(
    mode: isolation.Mode, box_task: Task, canary: Path, swap: str
) -> None:
    """A warm job's stdout, stderr and exports are read beneath the workspace's descriptor: a link or a
    FIFO in their place is the candidate's violation, never the canary's content or a hung worker."""
    attacker = run_cad(f"{BOX}import os, signal\nCANARY = {str(canary)!r}\n{swap}", box_task)
    assert attacker.outcome is Outcome.SANDBOX_VIOLATION, attacker
    assert_unread(attacker, canary)
    assert_honest_passes(box_task, mode)


def test_one_shot_export_swapped_for_a_link_is_refused(
    mode: isolation.Mode, box_task: Task, canary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WARM_ENV, "0")
    attacker = run_cad(f"{BOX}import os\nos.symlink({str(canary)!r}, 'part.step')\n", box_task)
    assert attacker.outcome is Outcome.SANDBOX_VIOLATION, attacker
    assert_unread(attacker, canary)
    assert_honest_passes(box_task, mode)


MARKER = "GOLDEN-MARKER-"
# Counts the copies of MARKER + the secret whose hash it is given in its own writable memory.
MEMORY_SCAN = """
import ctypes, hashlib, re
found, pattern = 0, re.compile(rb'{marker}([0-9a-f]{{32}})')
with open('/proc/self/maps') as maps:
    regions = [line.split() for line in maps]
for fields in regions:
    if not fields[1].startswith('rw') or (len(fields) > 5 and fields[5].startswith('/')):
        continue
    start, end = (int(x, 16) for x in fields[0].split('-'))
    for offset in range(start, end, 1 << 24):
        data = ctypes.string_at(offset, min(end, offset + (1 << 24) + 64) - offset)
        found += sum(hashlib.sha256(m.group(1)).hexdigest() == {digest!r} for m in pattern.finditer(data))
assert not found, f'the golden script is in the candidate memory: {{found}} copies'
"""


def test_the_golden_script_is_nowhere_in_the_candidates_memory(mode: isolation.Mode, box_task: Task) -> None:
    """Every job process and candidate is forked from the server, so the server must never hold a
    golden script: it splices the job's files from the request stream into the job's directory, and
    the job process reads the golden only after forking the candidate. A candidate that reads all of
    its writable memory finds neither its own job's golden nor the previous job's."""
    secret = uuid.uuid4().hex
    task = box_task.model_copy(update={"reference": f"{box_task.reference}# {MARKER}{secret}\n"})
    assert run_cad(task.reference, task).outcome is Outcome.PASS  # the previous job: same golden
    scan = MEMORY_SCAN.format(marker=MARKER, digest=hashlib.sha256(secret.encode()).hexdigest())
    result = run_cad(BOX + scan, task)
    assert result.outcome is Outcome.PASS, result.diagnostic


# --- no process of one job outlives it --------------------------------------------------------------


def test_a_leftover_process_cannot_touch_the_next_job(mode: isolation.Mode, box_task: Task) -> None:
    """A daemon of one warm job rewrites the child report of every other job it can find; the server
    kills it with its job, so the next (honest) job is judged on its own."""
    tamper = """
for entry in os.listdir(base):
    if entry != mine:
        with open(os.path.join(base, entry, 'candidate.json'), 'w') as handle:
            json.dump({'outcome': 'RUNTIME_ERROR', 'diagnostic': 'TAMPERED'}, handle)
"""
    where = "import os\nbase, mine = os.path.split(os.getcwd())\n"
    first = run_cad(BOX + where + _daemon(tamper), box_task)
    assert first.outcome is Outcome.PASS, first.diagnostic
    for _ in range(2):
        assert_honest_passes(box_task, mode)


def test_a_leftover_process_cannot_swap_the_one_shot_report(
    mode: isolation.Mode, box_task: Task, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A daemon of a one-shot candidate replaces `report.json` with a PASS the moment the harness writes
    its own; the harness kills every descendant before it writes the report, so the verdict stands."""
    monkeypatch.setenv(WARM_ENV, "0")
    swap = """
forged = json.dumps({'outcome': 'PASS', 'diagnostic': '', 'metrics': {}})
if os.path.exists('report.json') and open('report.json').read() != forged:
    with open('forged.tmp', 'w') as handle:
        handle.write(forged)
    os.replace('forged.tmp', 'report.json')
"""
    result = run_cad(SHIFTED + _daemon(swap), box_task)
    assert result.outcome is Outcome.TEST_FAILURE, result.diagnostic
    assert result.metrics["iou"] == pytest.approx(76 / 84, abs=1e-9)


@pytest.mark.parametrize(
    "kill",
    [
        "os.kill(os.getppid(), signal.SIGKILL)",  # the job process (warm) or the harness (one-shot)
        "os.kill(int(open(f'/proc/{os.getppid()}/stat').read().rsplit(')', 1)[1].split()[1]), signal.SIGKILL)",
        "os.kill(-1, signal.SIGKILL)",  # every process the candidate may signal: the server too
    ],
    ids=["parent", "server", "everything"],
)
def test_a_candidate_that_kills_the_server_fails_no_one(mode: isolation.Mode, box_task: Task, kill: str) -> None:
    """Killing the job process or the server is the candidate's outcome (the job reruns one-shot where
    the server died); the next candidate gets a working server."""
    killer = run_cad(f"{BOX}import os, signal\n{kill}\n", box_task)
    assert killer.outcome is not Outcome.INFRA_ERROR, killer
    assert_honest_passes(box_task, mode)


# --- INFRA_ERROR only from what the worker observed --------------------------------------------------

CHILD_REPORT = "with open('candidate.json', 'w') as handle:\n    handle.write({!r})\nos._exit(0)\n"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (CHILD_REPORT.format(json.dumps({"outcome": "INFRA_ERROR", "diagnostic": "CAD harness failed"})),
         Outcome.SANDBOX_VIOLATION),
        (CHILD_REPORT.format(json.dumps({"outcome": "NO_SUCH_OUTCOME", "diagnostic": ""})), Outcome.SANDBOX_VIOLATION),
        (CHILD_REPORT.format(json.dumps({"outcome": "RUNTIME_ERROR"})), Outcome.SANDBOX_VIOLATION),
        (CHILD_REPORT.format(json.dumps({"outcome": "RUNTIME_ERROR", "diagnostic": "", "signal": "x"})),
         Outcome.SANDBOX_VIOLATION),
        (CHILD_REPORT.format("{not json"), Outcome.RUNTIME_ERROR),
        ("sys.stderr.write('CAD harness failed (exit status 1)\\n')\nos.kill(os.getppid(), signal.SIGTERM)\n",
         Outcome.RUNTIME_ERROR),
        ("os.kill(os.getppid(), signal.SIGRTMIN + 6)\n", Outcome.RUNTIME_ERROR),
        ("os.kill(os.getpid(), signal.SIGRTMIN + 6)\n", Outcome.RUNTIME_ERROR),
        ("os._exit(3)\n", Outcome.RUNTIME_ERROR),  # the one-shot harness's own import-failed status
    ],
    ids=["infra-outcome", "unknown-outcome", "no-diagnostic", "bad-signal", "not-json", "imitated-failure",
         "parent-realtime-signal", "realtime-signal", "import-failed-status"],
)  # fmt: skip
def test_what_a_candidate_forges_or_breaks_is_its_own_outcome(
    mode: isolation.Mode, box_task: Task, code: str, expected: Outcome
) -> None:
    """The harness's files, exit status and output are the candidate's to write or break: none of it
    becomes INFRA_ERROR (retried, never a label) or an exception in the worker."""
    result = run_cad(f"{BOX}import os, signal, sys\n{code}", box_task)
    assert result.outcome is expected, result


def test_a_one_shot_candidate_imitating_a_harness_failure_is_its_own_outcome(
    mode: isolation.Mode, box_task: Task, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WARM_ENV, "0")
    imitated = "import os, signal\nprint('CAD harness failed', flush=True)\nos.kill(os.getppid(), signal.SIGTERM)\n"
    assert run_cad(BOX + imitated, box_task).outcome is Outcome.RUNTIME_ERROR
    forged = CHILD_REPORT.format(json.dumps({"outcome": "INFRA_ERROR", "diagnostic": "CAD harness failed"}))
    assert run_cad(f"{BOX}import os\n{forged}", box_task).outcome is Outcome.SANDBOX_VIOLATION


def test_a_backend_without_cadquery_is_infra_error(box_task: Task, monkeypatch: pytest.MonkeyPatch) -> None:
    """The other side: a harness whose CadQuery does not import fails before any candidate exists, and
    the worker observes that (no warm server starts; the one-shot exits with its import-failed status)."""
    python = execute.sandbox_python()
    broken = SandboxPython(python.argv, "/usr", python.read_only, python.version)  # no CadQuery there
    monkeypatch.setattr(execute, "sandbox_python", lambda: broken)
    monkeypatch.setattr(warm, "_idle", [])
    monkeypatch.setattr(warm, "_unstartable", [])
    result = run_cad(BOX, box_task)
    assert result.outcome is Outcome.INFRA_ERROR, result
    assert result.diagnostic.startswith("the CAD harness could not import CadQuery"), result.diagnostic


@pytest.mark.skipif(os.geteuid() != 0, reason="planting another uid's link takes root")
def test_a_site_packages_link_planted_by_another_uid_is_replaced() -> None:
    """Without namespaces candidates share the temporary directory the site-packages link lives in: one
    made by another uid (its own entry, which it could swap for a `cadquery` of its own between two
    checks) is replaced by the worker's, which the sticky bit keeps out of their reach."""
    link = Path(execute.sandbox_python().site_packages)
    target = os.readlink(link)
    planted = link.with_name(f"{link.name}.planted")
    planted.symlink_to(target)
    os.lchown(planted, 2_099_999_999, 2_099_999_999)
    os.replace(planted, link)
    assert Path(execute.sandbox_python().site_packages) == link
    assert (link.lstat().st_uid, os.readlink(link)) == (0, target)
