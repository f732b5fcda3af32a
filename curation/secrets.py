"""PII and secrets: detect with maintained detectors, replace by a placeholder of the kind, log each.

- keys, tokens, passwords, public IP addresses: detect-secrets' plugins, with its default false-
  positive filters (templated values, UUIDs, sequential strings...);
- e-mail addresses: scancode-toolkit's `cluecode` e-mail finder (it skips junk and example domains);
- author and copyright-holder names in a file's header, when configured: `cluecode`'s copyright
  detector.

A detector reports a value and a line; the span replaced is the detector's own full match on that
line (detect-secrets' GitHub token regex, for one, captures only the `ghp` prefix as the value).
A private key is replaced from its BEGIN line to its END line. The log never holds the secret.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from curation.records import CodeFile, Redaction

STAGE = "secrets"
EMAIL, IP_ADDRESS, AUTHOR, PRIVATE_KEY = "EMAIL", "IP_ADDRESS", "AUTHOR", "PRIVATE_KEY"
# detect-secrets secret type -> placeholder kind; an unlisted type is a generic SECRET.
_KINDS = {
    "AWS Access Key": "AWS_ACCESS_KEY", "Secret Keyword": "PASSWORD", "Basic Auth Credentials": "PASSWORD",
    "Private Key": PRIVATE_KEY, "Public IP (ipv4)": IP_ADDRESS, "JSON Web Token": "TOKEN",
    "GitHub Token": "TOKEN", "GitLab Token": "TOKEN", "Slack Token": "TOKEN", "Stripe Access Key": "TOKEN",
    "OpenAI Token": "TOKEN", "PyPI Token": "TOKEN", "NPM tokens": "TOKEN", "Discord Bot Token": "TOKEN",
    "Telegram Bot Token": "TOKEN", "Twilio API Key": "TOKEN", "SendGrid API Key": "TOKEN",
    "Azure Storage Account access key": "KEY", "Artifactory Credentials": "TOKEN", "Mailchimp Access Key": "KEY",
}
# Hardware code is full of hex constants (32'hDEADBEEF, register maps): the hex-entropy plugin flags
# them by the hundred, so it is off; base64-entropy keeps detect-secrets' default limit of 4.5 bits.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "AWSKeyDetector", "ArtifactoryDetector", "AzureStorageKeyDetector", "BasicAuthDetector", "CloudantDetector",
    "DiscordBotTokenDetector", "GitHubTokenDetector", "GitLabTokenDetector", "IPPublicDetector",
    "IbmCloudIamDetector", "IbmCosHmacDetector", "JwtTokenDetector", "KeywordDetector", "MailchimpDetector",
    "NpmDetector", "OpenAIDetector", "PrivateKeyDetector", "PypiTokenDetector", "SendGridDetector", "SlackDetector",
    "SoftlayerDetector", "SquareOAuthDetector", "StripeDetector", "TelegramBotTokenDetector", "TwilioKeyDetector",
    "Base64HighEntropyString",
)
_IP_PLUGIN = "IPPublicDetector"
_LETTERLESS_FILTER = "detect_secrets.filters.heuristic.is_not_alphanumeric_string"
_PRIVATE_KEY_END = re.compile(r"-----END [A-Z ]*PRIVATE KEY[A-Z ]*-----")


@dataclass(frozen=True)
class SecretsConfig:
    """`redact_authors`: also replace author and copyright-holder names found in the first
    `header_lines` lines (off by default: names in license headers are public attribution)."""

    plugins: tuple[str, ...] = DEFAULT_PLUGINS
    base64_limit: float = 4.5
    emails: bool = True
    redact_authors: bool = False
    header_lines: int = 40

    def detect_secrets_passes(self) -> list[dict]:
        """detect-secrets settings, one scan each: its default filters drop every secret without a
        letter (`is_not_alphanumeric_string`), which silences IPPublicDetector, so that plugin runs
        in a second pass with that one filter off."""
        from detect_secrets.settings import get_settings

        plugins = [{"name": n, **({"limit": self.base64_limit} if n == "Base64HighEntropyString" else {})}
                   for n in self.plugins if n != _IP_PLUGIN]
        passes = [{"plugins_used": plugins}] if plugins else []
        if _IP_PLUGIN in self.plugins:
            filters = [{"path": p} for p in get_settings().filters if p != _LETTERLESS_FILTER]
            passes.append({"plugins_used": [{"name": _IP_PLUGIN}], "filters_used": filters})
        return passes


@dataclass(frozen=True)
class Finding:
    line: int  # 1-based
    kind: str
    detector: str
    value: str
    full_match: str = ""


def placeholder(kind: str) -> str:
    return f"<{kind}>"


def _plugin_spans(plugin_types: dict[str, object], finding_type: str, line: str, value: str) -> list[str]:
    """The detector's full regex matches on `line` that contain `value` (just `value` when none)."""
    plugin = plugin_types.get(finding_type)
    spans = []
    for pattern in getattr(plugin, "denylist", ()) or ():
        spans += [m.group(0) for m in pattern.finditer(line) if value in m.group(0)]
    return sorted(set(spans), key=len, reverse=True) or [value]


def _detect_secrets(paths: dict[str, Path], config: SecretsConfig) -> dict[str, list[Finding]]:
    from detect_secrets import SecretsCollection
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.settings import transient_settings

    found: dict[str, list[Finding]] = {key: [] for key in paths}
    types = {t: cls() for t, cls in get_mapping_from_secret_type_to_class().items()}
    for settings in config.detect_secrets_passes():
        with transient_settings(settings):
            for key, path in paths.items():
                collection = SecretsCollection()
                collection.scan_file(str(path))
                lines = path.read_text().splitlines()
                for _, secret in collection:
                    if secret.secret_value is None or secret.line_number > len(lines):
                        continue
                    line = lines[secret.line_number - 1]
                    for span in _plugin_spans(types, secret.type, line, secret.secret_value):
                        found[key].append(Finding(secret.line_number, _KINDS.get(secret.type, "SECRET"),
                                                  f"detect-secrets {secret.type}", span))
    return found


def _detect_cluecode(path: Path, config: SecretsConfig) -> list[Finding]:
    from cluecode import copyrights, finder

    found = [Finding(line, EMAIL, "cluecode email", email) for email, line in finder.find_emails(str(path))] \
        if config.emails else []
    if config.redact_authors:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as head:
            head.write("\n".join(path.read_text().splitlines()[: config.header_lines]))
        for detection in copyrights.detect_copyrights(head.name, include_copyrights=False):
            name = getattr(detection, "author", None) or getattr(detection, "holder", None)
            if name:
                found.append(Finding(detection.start_line, AUTHOR, f"cluecode {type(detection).__name__}", name))
        Path(head.name).unlink()
    return found


def redact_text(content: str, findings: Sequence[Finding]) -> tuple[str, list[Finding]]:
    """Replace every finding's span on its line by its placeholder; a private key from BEGIN to END.
    Returns the new text and the findings actually applied (a span no longer on its line is skipped)."""
    lines = content.split("\n")
    applied = []
    # Longest span first; on equal spans a specific kind (TOKEN) before the generic entropy SECRET.
    for finding in sorted(findings, key=lambda f: (f.line, -len(f.value), f.kind == "SECRET")):
        index = finding.line - 1
        if index >= len(lines):
            continue
        if finding.kind == PRIVATE_KEY:
            end = next((j for j in range(index, len(lines)) if _PRIVATE_KEY_END.search(lines[j])), index)
            lines[index : end + 1] = [placeholder(PRIVATE_KEY)] + [""] * (end - index)  # line numbers stay
            applied.append(finding)
        elif finding.value and finding.value in lines[index]:
            lines[index] = lines[index].replace(finding.value, placeholder(finding.kind))
            applied.append(finding)
    return "\n".join(lines), applied


@dataclass
class SecretsResult:
    files: list[CodeFile]
    redactions: list[Redaction]
    counts: dict[str, int] = field(default_factory=dict)


def find_all(files: Sequence[CodeFile], config: SecretsConfig) -> dict[str, list[Finding]]:
    """Findings of every detector, per file id (the files are written to a scratch directory once)."""
    with tempfile.TemporaryDirectory(prefix="forge-secrets-") as directory:
        paths = {}
        for number, file in enumerate(files):
            path = Path(directory) / f"{number}{Path(file.path).suffix[:12]}"
            path.write_text(file.content)
            paths[file.file_id] = path
        found = _detect_secrets(paths, config)
        for file_id, path in paths.items():
            found[file_id] += _detect_cluecode(path, config)
    return found


def redact(files: Sequence[CodeFile], config: SecretsConfig | None = None) -> SecretsResult:
    """Every file with its PII and secrets replaced, and one log row per replaced span."""
    config = config or SecretsConfig()
    found = find_all(files, config)
    out, log_rows, kinds = [], [], Counter[str]()
    for file in files:
        content, applied = redact_text(file.content, found[file.file_id])
        out.append(file.model_copy(update={"content": content, "redactions": len(applied), "stage": STAGE,
                                           "parent_ids": [file.file_id]}))
        for finding in applied:
            kinds[finding.kind] += 1
            log_rows.append(Redaction(stage=STAGE, parent_ids=[file.file_id], file_id=file.file_id, repo=file.repo,
                                      path=file.path, line=finding.line, kind=finding.kind,
                                      detector=finding.detector, placeholder=placeholder(finding.kind)))
    counts = {"files in": len(files), "files redacted": sum(1 for f in out if f.redactions),
              "redactions": len(log_rows), **{f"redacted {k}": n for k, n in sorted(kinds.items())}}
    return SecretsResult(out, log_rows, counts)
