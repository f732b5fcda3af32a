"""License filtering with scancode-toolkit on the planted repositories: GPL dropped, MIT kept, classes."""

from __future__ import annotations

from pathlib import Path

import pytest

from curation.licenses import LicensePolicy, classify, file_header_license, filter_licenses
from curation.sources import SourceLimits, ingest
from tests.test_curation_planted import Planted, planted  # noqa: F401  (the module fixture)


def test_gpl_repository_dropped_under_default_policy(planted: Planted) -> None:  # noqa: F811
    items = [i for name in ("rtl-core", "rtl-gpl") for i in ingest(f"dir:{planted.root / name}", SourceLimits())]
    files = [f for i in items for f in i.files]
    result = filter_licenses(files, [i.repository for i in items])
    verdicts = {v.repo: v for v in result.verdicts}
    gpl = verdicts["dir:rtl-gpl"]
    assert gpl.license_spdx.startswith("GPL-3.0") and not gpl.allowed
    assert gpl.license_class == "copyleft" and "license-file COPYING" in gpl.evidence
    assert verdicts["dir:rtl-core"].license_spdx == "MIT" and verdicts["dir:rtl-core"].allowed
    gpl_files = {f.file_id for f in files if f.repo == "dir:rtl-gpl"}
    assert set(result.dropped) == gpl_files and all("copyleft" in r for r in result.dropped.values())
    assert {f.repo for f in result.kept} == {"dir:rtl-core"}
    everything = filter_licenses(files, [i.repository for i in items], LicensePolicy(allow=frozenset(
        {"permissive", "weak_copyleft", "copyleft"})))
    assert not everything.dropped


def test_file_header_overrides_repository_license(planted: Planted, tmp_path: Path) -> None:  # noqa: F811
    repo = tmp_path / "mixed"
    repo.mkdir()
    (repo / "COPYING").write_text(Path("/usr/share/common-licenses/GPL-3").read_text())
    (repo / "cc0.v").write_text("// SPDX-License-Identifier: CC0-1.0\nmodule m; endmodule\n")
    (repo / "gpl.v").write_text("module g; endmodule\n")
    (item,) = ingest(f"dir:{repo}", SourceLimits())
    result = filter_licenses(item.files, [item.repository])
    assert [f.path for f in result.kept] == ["cc0.v"] and result.kept[0].license_class == "permissive"
    assert file_header_license("/* SPDX-License-Identifier: MIT */\nint x;\n")[1] == "MIT"


@pytest.mark.parametrize(("expression", "expected"), [
    ("mit", "permissive"), ("gpl-2.0-plus", "copyleft"), ("lgpl-2.1", "weak_copyleft"),
    ("mit AND gpl-2.0", "copyleft"), ("mit OR gpl-2.0", "permissive"),
    ("gpl-3.0-plus WITH gcc-exception-3.1", "weak_copyleft"), ("", "unknown"),
])
def test_license_classes_from_scancode_categories(expression: str, expected: str) -> None:
    assert classify(expression) == expected
