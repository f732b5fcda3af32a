"""Inputs: every kind of source becomes repositories of text files with their license evidence.

A source is named by a spec `<kind>:<where>`:
- `debian:<package>`: an installed Debian package (its files from dpkg's list, its license from
  `/usr/share/doc/<package>/copyright`);
- `pypi:<distribution>`: an installed Python distribution (its RECORD; license from its metadata
  and license files);
- `dir:<path>`, `git:<path>` (tracked files, via `git ls-files`), `tar:<path>` (any tarball
  tarfile opens): one repository each, license from LICENSE/COPYING files at the top;
- `parquet:<path>`: a dataset laid out like The Stack (repository name, path, content, licenses
  columns), one repository per repository name.

Binary files (a NUL byte, or not UTF-8) and files over the size limit are skipped and counted.
"""

from __future__ import annotations

import importlib.metadata as metadata
import logging
import re
import subprocess
import tarfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.dataset as ds

from curation.languages import language_of
from curation.records import CodeFile, LicenseEvidence, Repository
from schemas.record import content_id

log = logging.getLogger(__name__)

STAGE = "sources"
DPKG_INFO = Path("/var/lib/dpkg/info")
_LICENSE_NAME = re.compile(r"^(LICEN[CS]E|COPYING|COPYRIGHT|NOTICE|UNLICENSE)([._-].*)?$", re.IGNORECASE)
# Installed paths that are packaging, not the repository's code.
_DEBIAN_SKIP = ("/usr/share/doc/", "/usr/share/man/", "/usr/share/locale/", "/usr/share/lintian/", "/usr/share/info/")
_STACK_COLUMNS = {
    "repo": ("repository_name", "max_stars_repo_name", "repo_name", "repo"),
    "path": ("path", "max_stars_repo_path", "file_path"),
    "content": ("content", "text"),
    "licenses": ("licenses", "max_stars_repo_licenses", "license"),
}


class SourceError(ValueError):
    """A source spec that cannot be read: names the spec and what to fix."""


@dataclass(frozen=True)
class SourceLimits:
    """What ingestion keeps. `max_files` caps each repository to a deterministic sample (by a hash
    of the path, so the same files come back on every run); None keeps all."""

    max_file_bytes: int = 256 * 1024
    max_files: int | None = None


@dataclass
class Ingested:
    repository: Repository
    files: list[CodeFile]


def decode_text(data: bytes) -> str | None:
    """The text of a file, or None for binary data (a NUL byte, or not UTF-8)."""
    if b"\x00" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _sample(paths: list[str], limit: int | None) -> list[str]:
    if limit is None or len(paths) <= limit:
        return sorted(paths)
    return sorted(sorted(paths, key=lambda p: content_id(p))[:limit])


def _collect(
    repo: str, origin: str, entries: Iterable[tuple[str, bytes | None]], limits: SourceLimits
) -> tuple[list[CodeFile], Counter[str]]:
    """CodeFiles from (relative path, bytes) pairs; bytes None means over the size limit."""
    files, skipped = [], Counter[str]()
    for path, data in entries:
        if data is None:
            skipped["too large"] += 1
            continue
        text = decode_text(data)
        if text is None:
            skipped["binary"] += 1
            continue
        if not text.strip():
            skipped["empty"] += 1
            continue
        files.append(
            CodeFile(
                stage=STAGE, file_id=CodeFile.make_id(repo, path), repo=repo, origin=origin, path=path,
                content=text, language=language_of(path),
            )
        )
    return files, skipped


def _read_disk(root: Path, relative: Iterable[str], limits: SourceLimits) -> Iterator[tuple[str, bytes | None]]:
    for rel in relative:
        path = root / rel
        if not path.is_file() or path.is_symlink():
            continue
        yield rel, path.read_bytes() if path.stat().st_size <= limits.max_file_bytes else None


def _license_files(root: Path, names: Iterable[str]) -> list[LicenseEvidence]:
    """License texts among `names` (paths relative to `root`) at the top two levels."""
    found = []
    for rel in sorted(names):
        if rel.count("/") <= 1 and _LICENSE_NAME.match(Path(rel).name) and (root / rel).is_file():
            text = decode_text((root / rel).read_bytes()[:200_000])
            if text:
                found.append(LicenseEvidence(kind="license-file", path=rel, text=text))
    return found


def _repository(repo: str, origin: str, location: str, files: list[CodeFile], skipped: Counter[str],
                evidence: list[LicenseEvidence]) -> Ingested:
    record = Repository(stage=STAGE, repo=repo, origin=origin, location=location, files=len(files),
                        skipped=dict(skipped), license_evidence=evidence)
    return Ingested(record, files)


def debian_package(package: str, limits: SourceLimits) -> Ingested:
    """An installed Debian package as a repository rooted at `/`."""
    lists = sorted(DPKG_INFO.glob(f"{package}.list")) or sorted(DPKG_INFO.glob(f"{package}:*.list"))
    if not lists:
        raise SourceError(f"debian:{package}: not installed (no {DPKG_INFO}/{package}.list); apt-get install it")
    installed = [line.strip() for line in lists[0].read_text().splitlines() if line.strip()]
    paths = [p.lstrip("/") for p in installed if not p.startswith(_DEBIAN_SKIP) and Path(p).is_file()]
    repo = f"debian:{package}"
    files, skipped = _collect(repo, "debian", _read_disk(Path("/"), _sample(paths, limits.max_files), limits), limits)
    copyright_file = Path("/usr/share/doc") / package / "copyright"
    evidence = []
    if copyright_file.is_file():
        evidence.append(LicenseEvidence(kind="debian-copyright", path=str(copyright_file),
                                        text=copyright_file.read_text(errors="replace")))
    return _repository(repo, "debian", f"/usr/share/doc/{package}", files, skipped, evidence)


def _distribution_metadata(dist: metadata.Distribution) -> list[LicenseEvidence]:
    fields = dist.metadata
    lines = []
    if fields.get("License-Expression"):
        lines.append(f"SPDX-License-Identifier: {fields['License-Expression']}")
    if fields.get("License") and len(fields["License"]) < 2000:
        lines.append(f"License: {fields['License']}")
    lines += [c for c in fields.get_all("Classifier") or [] if c.startswith("License ::")]
    return [LicenseEvidence(kind="metadata", path="METADATA", text="\n".join(lines))] if lines else []


def python_distribution(name: str, limits: SourceLimits) -> Ingested:
    """An installed Python distribution as a repository rooted at its site-packages directory."""
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError as err:
        raise SourceError(f"pypi:{name}: not installed in this interpreter; pip install it") from err
    root = Path(str(dist.locate_file("")))
    listed = [str(f) for f in dist.files or []]
    code = [p for p in listed if not p.endswith((".pyc", "RECORD", "INSTALLER", "WHEEL", "REQUESTED"))
            and ".dist-info/" not in p and not p.startswith("..")]
    repo = f"pypi:{dist.metadata['Name'].lower()}"
    files, skipped = _collect(repo, "pypi", _read_disk(root, _sample(code, limits.max_files), limits), limits)
    info = [p for p in listed if ".dist-info/" in p]
    licenses = [p for p in info if _LICENSE_NAME.match(Path(p).name) or "/licenses/" in p]
    evidence = _distribution_metadata(dist) + [
        LicenseEvidence(kind="license-file", path=p, text=(root / p).read_text(errors="replace"))
        for p in sorted(licenses)[:20] if (root / p).is_file()
    ]
    return _repository(repo, "pypi", str(root), files, skipped, evidence)


def _tree(root: Path, git: bool) -> list[str]:
    if git:
        listing = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], capture_output=True, check=True)
        return [p for p in listing.stdout.decode().split("\0") if p]
    return [str(p.relative_to(root)) for p in root.rglob("*") if ".git" not in p.relative_to(root).parts]


def directory(path: str, limits: SourceLimits, git: bool = False, name: str | None = None) -> Ingested:
    """A local directory (or a git work tree's tracked files) as one repository."""
    root = Path(path).resolve()
    if not root.is_dir():
        raise SourceError(f"{'git' if git else 'dir'}:{path}: not a directory")
    kind = "git" if git else "dir"
    repo = f"{kind}:{name or root.name}"
    names = _tree(root, git)
    files, skipped = _collect(repo, kind, _read_disk(root, _sample(names, limits.max_files), limits), limits)
    return _repository(repo, kind, str(root), files, skipped, _license_files(root, names))


def tarball(path: str, limits: SourceLimits) -> Ingested:
    """A tarball as one repository; a single top directory (`name-1.0/`) is stripped from paths."""
    with tarfile.open(path) as archive:
        members = {m.name: m for m in archive.getmembers() if m.isfile()}
        tops = {name.split("/", 1)[0] for name in members}
        strip = len(tops) == 1 and all("/" in n for n in members)
        rel = {(n.split("/", 1)[1] if strip else n): n for n in members}

        def entries() -> Iterator[tuple[str, bytes | None]]:
            for short in _sample(list(rel), limits.max_files):
                member = members[rel[short]]
                data = archive.extractfile(member)
                yield short, data.read() if data and member.size <= limits.max_file_bytes else None

        name = Path(path).name.split(".tar")[0].removesuffix(".tgz")
        repo = f"tar:{name}"
        files, skipped = _collect(repo, "tar", entries(), limits)
        evidence = []
        for short in sorted(rel):
            if short.count("/") <= 1 and _LICENSE_NAME.match(Path(short).name):
                data = archive.extractfile(members[rel[short]])
                text = decode_text(data.read()) if data else None
                if text:
                    evidence.append(LicenseEvidence(kind="license-file", path=short, text=text))
    return _repository(repo, "tar", str(Path(path).resolve()), files, skipped, evidence)


def _column(names: list[str], role: str, source: str) -> str | None:
    found = next((c for c in _STACK_COLUMNS[role] if c in names), None)
    if found is None and role != "licenses":
        raise SourceError(f"parquet:{source}: no {role} column (looked for {_STACK_COLUMNS[role]}, have {names})")
    return found


def stack_parquet(path: str, limits: SourceLimits) -> list[Ingested]:
    """A Stack-like Parquet dataset: one repository per repository name, license from its column."""
    dataset = ds.dataset(path, format="parquet")
    names = dataset.schema.names
    cols = {role: _column(names, role, path) for role in _STACK_COLUMNS}
    by_repo: dict[str, list[tuple[str, bytes | None]]] = {}
    licenses: dict[str, set[str]] = {}
    wanted = [c for c in cols.values() if c]
    for batch in dataset.to_batches(columns=wanted, batch_size=1024):
        for row in batch.to_pylist():
            name, rel, content = row[cols["repo"]], row[cols["path"]], row[cols["content"]] or ""
            data = content.encode()
            by_repo.setdefault(name, []).append((rel, data if len(data) <= limits.max_file_bytes else None))
            declared = row.get(cols["licenses"]) if cols["licenses"] else None
            if declared:
                licenses.setdefault(name, set()).update([declared] if isinstance(declared, str) else declared)
    result = []
    for name, entries in sorted(by_repo.items()):
        keep = set(_sample([rel for rel, _ in entries], limits.max_files))
        repo = f"stack:{name}"
        files, skipped = _collect(repo, "stack", [e for e in entries if e[0] in keep], limits)
        evidence = [LicenseEvidence(kind="declared", path=cols["licenses"] or "", text=" OR ".join(sorted(ids)))
                    for ids in [licenses.get(name)] if ids]
        result.append(_repository(repo, "stack", str(Path(path).resolve()), files, skipped, evidence))
    return result


def ingest(spec: str, limits: SourceLimits) -> list[Ingested]:
    """The repositories of one source spec (see the module docstring)."""
    kind, sep, where = spec.partition(":")
    if not sep or not where:
        raise SourceError(f"source {spec!r}: expected <kind>:<where>, kind one of debian, pypi, dir, git, tar, parquet")
    readers = {
        "debian": lambda: [debian_package(where, limits)],
        "pypi": lambda: [python_distribution(where, limits)],
        "dir": lambda: [directory(where, limits)],
        "git": lambda: [directory(where, limits, git=True)],
        "tar": lambda: [tarball(where, limits)],
        "parquet": lambda: stack_parquet(where, limits),
    }
    if kind not in readers:
        raise SourceError(f"source {spec!r}: unknown kind {kind!r} (debian, pypi, dir, git, tar, parquet)")
    return readers[kind]()
