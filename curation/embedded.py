"""The embedded default corpus: public code already on a set-up machine, no network needed.

Each installed Debian package and Python distribution is a repository with its own license (the
package's `copyright` file, the distribution's metadata). The lists mix industrial code (Yosys'
Verilog cell libraries, Verilator's examples, Icarus' VPI headers, the ARM linker scripts and newlib
headers, Triton kernels, CadQuery) with ordinary code (a terminal UI, an HTTP client) that recall has
to leave out. Sources not installed here are skipped with a log line, so the same call works on a
machine with fewer toolchains.
"""

from __future__ import annotations

import importlib.metadata as metadata
import logging
from pathlib import Path

from curation.sources import DPKG_INFO

log = logging.getLogger(__name__)

DEBIAN_PACKAGES: tuple[str, ...] = (
    "yosys", "verilator", "iverilog", "binutils-arm-none-eabi", "libnewlib-dev", "gcc-arm-none-eabi",
)
PYTHON_DISTRIBUTIONS: tuple[str, ...] = ("triton", "cadquery", "rich", "httpx", "pydantic", "duckdb")
# `make demo`: the packages whose license files scancode reads quickly, and a small sample of each.
DEMO_DEBIAN: tuple[str, ...] = ("yosys", "verilator", "iverilog", "binutils-arm-none-eabi")
DEMO_PYTHON: tuple[str, ...] = ("triton", "cadquery", "rich", "httpx")
DEMO_MAX_FILES = 40


def _installed_debian(package: str) -> bool:
    return (DPKG_INFO / f"{package}.list").exists() or any(DPKG_INFO.glob(f"{package}:*.list"))


def _installed_python(name: str) -> bool:
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def embedded_specs(demo: bool = True) -> list[str]:
    """Source specs of the installed part of the embedded corpus (the demo's subset when `demo`)."""
    debian, python = (DEMO_DEBIAN, DEMO_PYTHON) if demo else (DEBIAN_PACKAGES, PYTHON_DISTRIBUTIONS)
    specs = [f"debian:{p}" for p in debian if _installed_debian(p)]
    specs += [f"pypi:{d}" for d in python if _installed_python(d)]
    missing = len(debian) + len(python) - len(specs)
    if missing:
        log.info("embedded corpus: %d of its sources are not installed here and are skipped", missing)
    return specs


def directory_specs(root: str | Path) -> list[str]:
    """Specs for a corpus folder such as ../shared/corpus: its Parquet files, tarballs and directories
    (git work trees as `git:`)."""
    root = Path(root)
    specs = []
    for entry in sorted(root.iterdir()):
        if entry.is_file() and entry.suffix == ".parquet":
            specs.append(f"parquet:{entry}")
        elif entry.is_file() and (".tar" in entry.name or entry.suffix == ".tgz"):
            specs.append(f"tar:{entry}")
        elif entry.is_dir() and any(entry.glob("*.parquet")):
            specs.append(f"parquet:{entry}")
        elif entry.is_dir():
            specs.append(f"{'git' if (entry / '.git').exists() else 'dir'}:{entry}")
    return specs
