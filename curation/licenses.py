"""License filtering: detect each repository's license with scancode-toolkit, classify, apply a policy.

Detection (no license text is written here; scancode's license index does the matching):
- a Debian `copyright` file goes through scancode's Debian copyright parser, whose declared license is
  the `Files: *` paragraph's (the package's own code, not the debian/ packaging);
- a distribution's metadata (License-Expression as an SPDX id line, License, classifiers), a Stack
  dataset's licenses column, and LICENSE/COPYING files go through scancode's license detection;
- a file's own `SPDX-License-Identifier` header, when present, overrides its repository's license.

Classification comes from scancode's license database: each license key has a category
(Permissive, Public Domain, Copyleft Limited, Copyleft, ...). An expression's class is the most
restrictive of an AND, the least restrictive of an OR (the licensee may choose), and for `X WITH
exception` the less restrictive of X and the exception (a linking exception turns GPL into weak
copyleft). Anything else (proprietary, unstated, no detection) is `unknown`.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from curation.records import CodeFile, LicenseEvidence, LicenseVerdict, Repository

log = logging.getLogger(__name__)

STAGE = "licenses"
PERMISSIVE, WEAK_COPYLEFT, COPYLEFT, UNKNOWN = "permissive", "weak_copyleft", "copyleft", "unknown"
_RANK = {PERMISSIVE: 0, WEAK_COPYLEFT: 1, COPYLEFT: 2, UNKNOWN: 3}
_CATEGORY_CLASS = {
    "Permissive": PERMISSIVE, "Public Domain": PERMISSIVE, "Copyleft Limited": WEAK_COPYLEFT, "Copyleft": COPYLEFT,
}
_SPDX_HEADER = re.compile(r"SPDX-License-Identifier:\s*([^\n]*?)\s*(\*/|-->|$)", re.MULTILINE)
# Where a repository's license is stated, most authoritative first.
_EVIDENCE_ORDER = ("declared", "metadata", "debian-copyright", "license-file")


@dataclass(frozen=True)
class LicensePolicy:
    """Which license classes pass. The default keeps permissive code only (what The Stack keeps):
    copyleft and weak copyleft obligations follow the code into whatever is trained on it, and
    `unknown` means nobody granted anything."""

    allow: frozenset[str] = field(default_factory=lambda: frozenset({PERMISSIVE}))
    file_headers: bool = True

    def __post_init__(self) -> None:
        unknown = set(self.allow) - set(_RANK)
        if unknown:
            raise ValueError(f"license policy: unknown classes {sorted(unknown)}; use {sorted(_RANK)}")


@dataclass(frozen=True)
class Detection:
    expression: str  # scancode keys, e.g. "gpl-2.0-plus WITH gcc-exception-3.1"
    spdx: str
    source: str  # which evidence: "<kind> <path>"


@cache
def _scancode() -> tuple[object, dict, object]:
    """scancode's license index, database and licensing (built once per process: ~10-40 s)."""
    from licensedcode.cache import get_index, get_licenses_db, get_licensing

    return get_index(), get_licenses_db(), get_licensing()


def _detect_text(text: str) -> tuple[str, str]:
    from licensedcode.detection import detect_licenses

    index, _, _ = _scancode()
    keys, spdx = [], []
    for detection in detect_licenses(index=index, query_string=text):
        if detection.license_expression and detection.license_expression not in keys:
            keys.append(detection.license_expression)
            spdx.append(detection.license_expression_spdx)
    return _and(keys), _and(spdx)


def _and(parts: Sequence[str]) -> str:
    return " AND ".join(f"({p})" if " OR " in p and len(parts) > 1 else p for p in parts)


def _detect_debian(text: str) -> tuple[str, str]:
    from packagedcode.debian_copyright import StandaloneDebianCopyrightFileHandler

    with tempfile.TemporaryDirectory(prefix="forge-license-") as directory:
        path = Path(directory) / "copyright"
        path.write_text(text)
        for package in StandaloneDebianCopyrightFileHandler.parse(str(path)):
            if package.declared_license_expression:
                return package.declared_license_expression, package.declared_license_expression_spdx or ""
    return _detect_text(text)


def detect(evidence: Sequence[LicenseEvidence]) -> Detection | None:
    """The repository's license from its most authoritative evidence (all license files together
    when those are all there is); None when nothing is detected."""
    for kind in _EVIDENCE_ORDER:
        items = [e for e in evidence if e.kind == kind]
        found = [(e, *(_detect_debian(e.text) if kind == "debian-copyright" else _detect_text(e.text))) for e in items]
        found = [(e, key, spdx) for e, key, spdx in found if key]
        if found:
            keys = list(dict.fromkeys(key for _, key, _ in found))
            spdx = list(dict.fromkeys(s for _, _, s in found))
            return Detection(_and(keys), _and(spdx), "; ".join(f"{e.kind} {e.path}" for e, _, _ in found))
    return None


def classify(expression: str) -> str:
    """permissive / weak_copyleft / copyleft / unknown for a scancode license expression."""
    if not expression:
        return UNKNOWN
    _, database, licensing = _scancode()

    def symbol_class(key: str) -> str:
        license_ = database.get(key)
        return _CATEGORY_CLASS.get(license_.category, UNKNOWN) if license_ else UNKNOWN

    def walk(node: object) -> str:
        name = type(node).__name__
        if name == "AND":
            return max((walk(a) for a in node.args), key=_RANK.__getitem__)
        if name == "OR":
            return min((walk(a) for a in node.args), key=_RANK.__getitem__)
        if name == "LicenseWithExceptionSymbol":
            return min(symbol_class(node.license_symbol.key), symbol_class(node.exception_symbol.key),
                       key=_RANK.__getitem__)
        return symbol_class(node.key)

    return walk(licensing.parse(expression))


def file_header_license(content: str) -> tuple[str, str] | None:
    """(scancode expression, SPDX) of a file's own SPDX-License-Identifier header, if any."""
    found = _SPDX_HEADER.search(content[:4096])
    if not found or not found.group(1):
        return None
    key, spdx = _detect_text(f"SPDX-License-Identifier: {found.group(1)}")
    return (key, spdx) if key else None


@dataclass
class LicenseResult:
    verdicts: list[LicenseVerdict]
    kept: list[CodeFile]
    dropped: dict[str, str]  # file_id -> reason
    counts: dict[str, int]


def _verdict(repository: Repository, policy: LicensePolicy) -> LicenseVerdict:
    detection = detect(repository.license_evidence)
    spdx = detection.spdx if detection else ""
    license_class = classify(detection.expression) if detection else UNKNOWN
    allowed = license_class in policy.allow
    if detection is None:
        reason = f"no license detected in {len(repository.license_evidence)} evidence item(s)"
    else:
        verdict = 'allowed' if allowed else 'not allowed'
        reason = f"{spdx} is {license_class}: {verdict} by policy {sorted(policy.allow)}"
    return LicenseVerdict(
        stage=STAGE, parent_ids=[repository.repo], repo=repository.repo, license_spdx=spdx,
        license_class=license_class, detector="scancode-toolkit", evidence=[detection.source] if detection else [],
        allowed=allowed, reason=reason,
    )


def filter_licenses(
    files: Sequence[CodeFile], repositories: Sequence[Repository], policy: LicensePolicy | None = None
) -> LicenseResult:
    """Detect and classify each repository's license; keep the files the policy allows."""
    policy = policy or LicensePolicy()
    by_repo = {r.repo: r for r in repositories}
    wanted = sorted({f.repo for f in files})
    missing = [r for r in wanted if r not in by_repo]
    if missing:
        raise ValueError(f"license stage: no repository record for {missing[:5]} (run the sources stage first)")
    verdicts = {repo: _verdict(by_repo[repo], policy) for repo in wanted}
    kept, dropped = [], {}
    for file in files:
        verdict = verdicts[file.repo]
        spdx, license_class, allowed, reason = (verdict.license_spdx, verdict.license_class, verdict.allowed,
                                                f"repository license: {verdict.reason}")
        header = file_header_license(file.content) if policy.file_headers else None
        if header:
            spdx, license_class = header[1], classify(header[0])
            allowed = license_class in policy.allow
            reason = f"file header SPDX-License-Identifier {spdx} is {license_class}"
        if allowed:
            kept.append(file.model_copy(update={"license_spdx": spdx, "license_class": license_class,
                                                "stage": STAGE, "parent_ids": [file.file_id]}))
        else:
            dropped[file.file_id] = reason
    counts = {"files in": len(files), "kept": len(kept), "dropped": len(dropped), "repositories": len(verdicts),
              **{f"repositories {c}": sum(v.license_class == c for v in verdicts.values()) for c in _RANK}}
    return LicenseResult(list(verdicts.values()), kept, dropped, counts)
