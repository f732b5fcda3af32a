"""Refinement verified by the real front ends (CPython, gcc, Yosys); PII and secrets redaction."""

from __future__ import annotations

import pytest

from curation import refine as refine_module
from curation.records import CodeFile
from curation.refine import normalize_layout, refine
from curation.secrets import SecretsConfig, redact

AWS_KEY = "AKIAQX7DVGH2KLMN4PQR"
GITHUB_TOKEN = "ghp_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7c"


def _file(path: str, language: str, content: str) -> CodeFile:
    return CodeFile(stage="test", file_id=path, repo="dir:t", origin="dir", path=path, content=content,
                    language=language)


def test_normalize_layout() -> None:
    assert normalize_layout("a  \r\nb\t\r\n\n\n\n\n\tc") == "a\nb\n\n\n\tc\n"


def test_refine_checks_with_each_front_end() -> None:
    files = [
        _file("a.py", "python", "def f():   \n    return 1\n"),
        _file("s.py", "python", "x = '''keep  \nthis'''\n"),  # trailing blanks inside a string are data
        _file("c.c", "c", "int add(int a, int b) {  \r\n  return a + b;\r\n}\r\n"),
        _file("m.v", "verilog", "module m(input a, output y);  \n  assign y = ~a;\nendmodule\n"),
        _file("h.h", "c", "#include \"not_here.h\"  \nint x;\n"),
        _file("Makefile", "make", "all:  \n\techo ok\n"),
        _file("ok.py", "python", "x = 1\n"),
    ]
    result = refine(files)
    checks = {c.path: c for c in result.checks}
    content = {f.path: f.content for f in result.kept}
    assert checks["a.py"].same_ast and content["a.py"] == "def f():\n    return 1\n"
    assert checks["s.py"].same_ast is False and content["s.py"] == files[1].content  # reverted
    assert checks["c.c"].checker == "gcc -S" and checks["c.c"].same_ast and "\r" not in content["c.c"]
    assert checks["m.v"].checker.startswith("yosys") and checks["m.v"].same_ast
    assert checks["h.h"].compiled_before is False and "not_here.h" in checks["h.h"].diagnostic
    assert checks["Makefile"].checker == "" and content["Makefile"] == "all:\n\techo ok\n"
    assert checks["ok.py"].reason == "already normalized" and len(result.kept) == len(files)


def test_a_transformation_that_breaks_compilation_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check is real: a normalizer that loses a brace is caught by gcc, and the file dropped."""
    monkeypatch.setattr(refine_module, "normalize_layout", lambda text: text.replace("}", "", 1))
    result = refine([_file("c.c", "c", "int f(void) { return 1; }\n")])
    (check,) = result.checks
    assert not result.kept and check.compiled_before and check.compiled_after is False and not check.kept
    assert check.reason == "stopped compiling after normalization" and "error" in check.diagnostic


def test_planted_secrets_and_pii_are_redacted_with_a_log() -> None:
    text = "\n".join([
        "// Copyright 2021 Jane Roe <jane.roe@acmechips.io>",
        "module top(input clk);",
        "  localparam MAGIC = 32'hDEADBEEF;",
        "endmodule",
        f'aws_access_key_id = "{AWS_KEY}"',
        f'token = "{GITHUB_TOKEN}"',
        'db_password = "Tr0ub4dor&3xq"',
        'server = "93.184.216.34"',
        'local = "192.168.1.20"',
        "-----BEGIN RSA PRIVATE KEY-----",
        "MIIEpAIBAAKCAQEA1c8XbQ2",
        "-----END RSA PRIVATE KEY-----",
        "",
    ])
    result = redact([_file("x.v", "verilog", text)], SecretsConfig(redact_authors=True))
    (out,) = result.files
    lines = out.content.split("\n")
    assert AWS_KEY not in out.content and GITHUB_TOKEN not in out.content and "jane.roe" not in out.content
    assert lines[0] == "// Copyright 2021 <AUTHOR> <<EMAIL>>"
    assert lines[2] == "  localparam MAGIC = 32'hDEADBEEF;"  # hex constants are not secrets
    assert lines[4:8] == ['aws_access_key_id = "<AWS_ACCESS_KEY>"', 'token = "<TOKEN>"',
                          'db_password = "<PASSWORD>"', 'server = "<IP_ADDRESS>"']
    assert lines[8] == 'local = "192.168.1.20"'  # private addresses are not PII
    assert lines[9:12] == ["<PRIVATE_KEY>", "", ""] and len(lines) == len(text.split("\n"))
    logged = {(r.line, r.kind) for r in result.redactions}
    assert logged == {(1, "EMAIL"), (1, "AUTHOR"), (5, "AWS_ACCESS_KEY"), (6, "TOKEN"), (7, "PASSWORD"),
                      (8, "IP_ADDRESS"), (10, "PRIVATE_KEY")}
    assert out.redactions == len(result.redactions) == 7
    assert not any(AWS_KEY in r.model_dump_json() for r in result.redactions)


def test_authors_are_kept_unless_configured() -> None:
    (out,) = redact([_file("x.c", "c", "/* Author: Bob Smith */\nint x;\n")]).files
    assert "Bob Smith" in out.content and out.redactions == 0
