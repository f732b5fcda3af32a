"""The planted corpus the curation tests share, and the source readers on it (dir, git, tar, Stack Parquet).

Repositories (real Verilog from the project's own seed families, real license texts from the
machine: an installed distribution's MIT LICENSE, Debian's GPL-3):
- `rtl-core` (MIT): 8 modules, a Makefile and constraints beside them, and `rtl/keys.vh` holding a
  planted AWS key and e-mail address;
- `rtl-core-fork` (MIT): rtl-core with one module edited and one left out: a known fork;
- `rtl-other` (MIT): `near.v`, a near-duplicate of rtl-core's first module (a few tokens edited),
  `copied.v`, a verbatim copy of a seed task's golden reference (cross-source), and 3 modules;
- `rtl-gpl` (GPL-3.0): 3 modules, to be dropped under the default policy;
- `tools` (MIT): ordinary Python and Markdown, for recall to leave out.
"""

from __future__ import annotations

import importlib.metadata as metadata
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from backends.domain import get_domain
from curation.sources import SourceLimits, ingest
from schemas.artifacts import Task

AWS_KEY = "AKIAQX7DVGH2KLMN4PQR"
EMAIL = "jane.roe@acmechips.io"
GPL3 = Path("/usr/share/common-licenses/GPL-3")


@dataclass(frozen=True)
class Planted:
    root: Path
    seed_copy: Task  # the seed whose reference rtl-other/copied.v copies
    near_original: str  # rtl-core's path that rtl-other/near.v near-duplicates


def mit_license_text() -> str:
    dist = metadata.distribution("rich")
    path = next(f for f in dist.files or [] if Path(str(f)).name.startswith("LICENSE"))
    return Path(str(dist.locate_file(path))).read_text()


def _edit_tokens(text: str) -> str:
    """A near-duplicate: a handful of identifiers renamed and a comment added."""
    edited = text.replace("rst", "reset_n", 2).replace("clk", "clock", 2)
    return "// local copy, adapted\n" + edited


def build_corpus(root: Path) -> Planted:
    tasks = {t.family: t for t in get_domain("verilog").seed_tasks(1)}
    families = sorted(tasks)
    assert len(families) >= 15, "the Verilog seed families changed; pick other planted modules"
    core, fork, other, gpl, tools = (root / n for n in ("rtl-core", "rtl-core-fork", "rtl-other", "rtl-gpl", "tools"))
    for repo in (core, fork, other, gpl, tools):
        (repo / "rtl").mkdir(parents=True)
    for repo in (core, fork, other, tools):
        (repo / "LICENSE").write_text(mit_license_text())
    shutil.copy(GPL3, gpl / "COPYING")
    for family in families[:8]:
        (core / "rtl" / f"{family}.v").write_text(tasks[family].reference)
    (core / "rtl" / "Makefile").write_text("SRC := $(wildcard *.v)\nlint:\n\tverilator --lint-only $(SRC)\n")
    (core / "rtl" / "top.xdc").write_text("create_clock -period 10.000 -name clk [get_ports clk]\n")
    (core / "rtl" / "keys.vh").write_text(
        f"// Maintainer: {EMAIL}\nmodule keys;\n  localparam AWS = \"{AWS_KEY}\";\nendmodule\n")
    for path in sorted((core / "rtl").iterdir()):
        if path.name != sorted((core / "rtl").iterdir())[0].name:
            shutil.copy(path, fork / "rtl" / path.name)
    edited = fork / "rtl" / f"{families[1]}.v"
    edited.write_text(edited.read_text() + "\n// fork: tweaked\n")
    (other / "rtl" / "near.v").write_text(_edit_tokens(tasks[families[0]].reference))
    (other / "rtl" / "copied.v").write_text(tasks[families[14]].reference)
    for family in families[8:11]:
        (other / "rtl" / f"{family}.v").write_text(tasks[family].reference)
    for family in families[11:14]:
        (gpl / "rtl" / f"{family}.v").write_text(tasks[family].reference)
    rich_dir = Path(str(metadata.distribution("rich").locate_file("rich")))
    for path in sorted(rich_dir.glob("*.py"))[:20]:
        shutil.copy(path, tools / path.name)
    (tools / "README.md").write_text("# tools\nSmall helpers for the terminal.\n")
    return Planted(root, tasks[families[14]], f"rtl/{families[0]}.v")


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Planted:
    return build_corpus(tmp_path_factory.mktemp("planted"))


def test_directory_source_reads_files_and_license(planted: Planted) -> None:
    (item,) = ingest(f"dir:{planted.root / 'rtl-core'}", SourceLimits())
    paths = {f.path for f in item.files}
    assert "rtl/keys.vh" in paths and "rtl/Makefile" in paths and "LICENSE" in paths
    assert item.repository.repo == "dir:rtl-core"
    assert [e.kind for e in item.repository.license_evidence] == ["license-file"]
    assert next(f for f in item.files if f.path == "rtl/keys.vh").language == "verilog"


def test_git_source_reads_tracked_files_only(planted: Planted, tmp_path: Path) -> None:
    repo = tmp_path / "gitrepo"
    shutil.copytree(planted.root / "rtl-gpl", repo)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "rtl", "COPYING"], check=True)
    (repo / "untracked.v").write_text("module untracked; endmodule\n")
    (item,) = ingest(f"git:{repo}", SourceLimits())
    paths = {f.path for f in item.files}
    assert "untracked.v" not in paths and "COPYING" in paths and len(paths) == 4


def test_tarball_source_strips_top_directory(planted: Planted, tmp_path: Path) -> None:
    archive = tmp_path / "rtl-other-1.0.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(planted.root / "rtl-other", arcname="rtl-other-1.0")
    (item,) = ingest(f"tar:{archive}", SourceLimits(max_files=3))
    assert item.repository.repo == "tar:rtl-other-1.0"
    assert len(item.files) == 3 and all(not f.path.startswith("rtl-other-1.0/") for f in item.files)
    assert item.repository.license_evidence and item.repository.license_evidence[0].path == "LICENSE"


def test_stack_parquet_source_groups_by_repository(tmp_path: Path) -> None:
    table = pa.table({
        "max_stars_repo_name": ["acme/rtl", "acme/rtl", "beta/fw"],
        "max_stars_repo_path": ["a.v", "b.sv", "main.c"],
        "content": ["module a; endmodule\n", "module b; endmodule\n", "int main(void) { return 0; }\n"],
        "max_stars_repo_licenses": [["MIT"], ["MIT"], ["GPL-2.0-only"]],
    })
    pq.write_table(table, tmp_path / "stack.parquet")
    items = {i.repository.repo: i for i in ingest(f"parquet:{tmp_path / 'stack.parquet'}", SourceLimits())}
    assert set(items) == {"stack:acme/rtl", "stack:beta/fw"}
    assert len(items["stack:acme/rtl"].files) == 2
    assert items["stack:beta/fw"].repository.license_evidence[0].text == "GPL-2.0-only"
