"""Curation quality on labelled samples: recall per step, and secrets/PII detection with planted secrets.

Recall: the demo corpus (the embedded default, 40 files per repository) against
`curation/labels/recall_demo.csv`, every file of it labelled by hand as industrial or not (the
`note` column says why). Files on this machine that the labels do not cover (other package
versions) are counted and left out. Per step: precision and recall after that step (cumulative),
and the precision of the files that step added.

Secrets: `--carriers` real files of the corpus, each given one planted item at a random line (AWS
key, GitHub/Slack token, password assignment, private key block, public IP, e-mail) or one planted
look-alike that is not a secret (hex constants, SHA-256 digests, UUIDs, private IPs, version
strings, example.com addresses). A planted item counts as found when a redaction of its kind covers
its line; precision is over detections on planted lines. Detections elsewhere in the carriers
(real content) are listed separately: they are unlabelled.

    .venv/bin/python bench/curation_quality.py [--carriers 120] [--seed 0]
"""

from __future__ import annotations

import argparse
import csv
import random
import string
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from curation.embedded import DEMO_MAX_FILES, embedded_specs  # noqa: E402
from curation.recall import STEP_CLASSIFIER, STEP_EXPANSION, STEP_RULES, recall  # noqa: E402
from curation.records import CodeFile  # noqa: E402
from curation.secrets import redact  # noqa: E402
from curation.sources import SourceLimits, ingest  # noqa: E402

LABELS = Path(__file__).resolve().parents[1] / "curation" / "labels" / "recall_demo.csv"


def demo_files() -> list[CodeFile]:
    return [f for spec in embedded_specs(demo=True) for item in ingest(spec, SourceLimits(max_files=DEMO_MAX_FILES))
            for f in item.files]


def recall_report(files: list[CodeFile]) -> None:
    labels = {(r["repo"], r["path"]): r["industrial"] == "1" for r in csv.DictReader(LABELS.open())}
    labelled = [f for f in files if (f.repo, f.path) in labels]
    result = recall(labelled)
    step_of = {f.file_id: f.recall_step for f in result.recalled}
    positives = sum(labels[(f.repo, f.path)] for f in labelled)
    print(f"recall: {len(labelled)} labelled files ({positives} industrial); {len(files) - len(labelled)} "
          f"files here not in the labels; classifier threshold {result.threshold}")
    print("| after step | recalled | precision | recall | added by step | precision of added |")
    print("|---|---|---|---|---|---|")
    chosen: set[str] = set()
    for step in (STEP_RULES, STEP_CLASSIFIER, STEP_EXPANSION):
        added = [f for f in labelled if step_of.get(f.file_id) == step]
        chosen |= {f.file_id for f in added}
        hits = sum(labels[(f.repo, f.path)] for f in labelled if f.file_id in chosen)
        added_hits = sum(labels[(f.repo, f.path)] for f in added)
        precision = hits / len(chosen) if chosen else float("nan")
        added_precision = f"{added_hits / len(added):.3f}" if added else "-"
        print(f"| {step} | {len(chosen)} | {precision:.3f} | {hits / positives:.3f} | {len(added)} "
              f"| {added_precision} |")
    missed = Counter(f.repo for f in labelled if labels[(f.repo, f.path)] and f.file_id not in chosen)
    print(f"industrial files missed, by repository: {dict(missed.most_common())}\n")


def _token(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _secret(kind: str, rng: random.Random) -> tuple[list[str], str]:
    """(lines to insert, redaction kind expected)."""
    upper, alnum = string.ascii_uppercase + string.digits, string.ascii_letters + string.digits
    name = rng.choice(["anna.kovacs", "li.wei", "m.okafor", "jp.martin", "sven.larsen"])
    if kind == "aws":
        return [f'aws_access_key_id = "AKIA{_token(rng, upper, 16)}"'], "AWS_ACCESS_KEY"
    if kind == "github":
        return [f'GH_TOKEN = "ghp_{_token(rng, alnum, 36)}"'], "TOKEN"
    if kind == "slack":
        return [f'slack = "xoxb-{rng.randrange(10**11, 10**12)}-{rng.randrange(10**11, 10**12)}-'
                f'{_token(rng, alnum, 24)}"'], "TOKEN"
    if kind == "password":
        return [f'db_password = "{_token(rng, alnum, 10)}!{rng.randrange(100)}"'], "PASSWORD"
    if kind == "private_key":
        body = [_token(rng, alnum + "+/", 64) for _ in range(4)]
        return ["-----BEGIN RSA PRIVATE KEY-----", *body, "-----END RSA PRIVATE KEY-----"], "PRIVATE_KEY"
    if kind == "ip":
        return [f'server = "{rng.randrange(11, 99)}.{rng.randrange(1, 254)}.{rng.randrange(1, 254)}.'
                f'{rng.randrange(1, 254)}"'], "IP_ADDRESS"
    domain = rng.choice(["fpga-labs.io", "siliconworks.de", "rtlcraft.net"])
    return [f"Maintainer: {name}@{domain}"], "EMAIL"


def _decoy(rng: random.Random) -> str:
    hexdigits = "0123456789abcdef"
    return rng.choice([
        f"localparam INIT = 32'h{_token(rng, hexdigits.upper(), 8)};",
        f'sha256 = "{_token(rng, hexdigits, 64)}"',
        f'uuid = "{_token(rng, hexdigits, 8)}-{_token(rng, hexdigits, 4)}-4{_token(rng, hexdigits, 3)}-'
        f'a{_token(rng, hexdigits, 3)}-{_token(rng, hexdigits, 12)}"',
        f'gateway = "192.168.{rng.randrange(256)}.{rng.randrange(1, 255)}"',
        f'version = "{rng.randrange(1, 9)}.{rng.randrange(10)}.{rng.randrange(10)}"',
        "contact = user@example.com",
        'password = ""  # set from the environment',
        f"#define REG_BASE 0x{_token(rng, hexdigits.upper(), 8)}UL",
    ])


def secrets_report(files: list[CodeFile], carriers: int, seed: int) -> None:
    rng = random.Random(seed)
    kinds = ["aws", "github", "slack", "password", "private_key", "ip", "email"]
    chosen = rng.sample([f for f in files if f.content.count("\n") >= 5], min(carriers, len(files)))
    planted, docs = [], []
    for index, file in enumerate(chosen):
        lines = file.content.split("\n")
        at = rng.randrange(len(lines))
        positive = index % 3 != 2  # two thirds secrets, one third look-alikes
        inserted, expected = _secret(kinds[index % len(kinds)], rng) if positive else ([_decoy(rng)], "")
        lines[at:at] = inserted
        planted.append((at + 1, len(inserted), expected))
        docs.append(file.model_copy(update={"content": "\n".join(lines), "file_id": f"planted-{index}"}))
    result = redact(docs)
    by_file: dict[str, list] = {}
    for r in result.redactions:
        by_file.setdefault(r.file_id, []).append(r)
    tp = fn = fp = 0
    found_by_kind, planted_by_kind, elsewhere = Counter(), Counter(), Counter()
    for doc, (line, span, expected) in zip(docs, planted, strict=True):
        on_planted = [r for r in by_file.get(doc.file_id, []) if line <= r.line < line + span]
        elsewhere.update(r.kind for r in by_file.get(doc.file_id, []) if not line <= r.line < line + span)
        if expected:
            planted_by_kind[expected] += 1
            hit = any(r.kind == expected for r in on_planted)
            tp, fn = tp + hit, fn + (not hit)
            found_by_kind[expected] += hit
            fp += sum(r.kind != expected for r in on_planted)
        else:
            fp += len(on_planted)
    print(f"secrets: {len(docs)} carrier files, {sum(planted_by_kind.values())} planted secrets/PII, "
          f"{len(docs) - sum(planted_by_kind.values())} planted look-alikes")
    print(f"precision {tp / max(1, tp + fp):.3f}, recall {tp / max(1, tp + fn):.3f} (tp {tp}, fp {fp}, fn {fn})")
    print("| kind | planted | found |\n|---|---|---|")
    for kind, n in sorted(planted_by_kind.items()):
        print(f"| {kind} | {n} | {found_by_kind[kind]} |")
    print(f"detections in the carriers' own content (unlabelled): {dict(elsewhere)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--carriers", type=int, default=120)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    files = demo_files()
    recall_report(files)
    secrets_report(files, args.carriers, args.seed)


if __name__ == "__main__":
    main()
