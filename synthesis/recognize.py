"""Curated files and literature snippets to drafts: which code can become a verifiable task, and how.

- Verilog: the file's top module, with the file itself as the oracle of a differential testbench;
  the requirement is the source's own description (a caption, the header comment).
- C: every exported function with a supported prototype (fixed-width integers, arrays with a length)
  becomes an assembly task (gcc translates the file: C -> assembly migration; the file is the C
  reference model) and a firmware task (the file is the solution; the model's host run, the expected
  transcript).
- Anything else is dropped with its reason: there is no oracle to verify a task against.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from synthesis.cfunction import find_functions, from_prototype
from synthesis.drafts import Draft, DraftError, as_params
from synthesis.drafts.cfunction import CFunctionDraft, c_requirement
from synthesis.drafts.verilog import VerilogDraft, verilog_requirement
from synthesis.sources import SourceDocument
from synthesis.verilog_source import header_comment, parse_modules, top_module

Drop = tuple[str, str]  # (domain or "", reason)
_BLOCK_COMMENT = re.compile(r"/\*(.*?)\*/\s*$", re.DOTALL)
_LINE_COMMENTS = re.compile(r"((?:^[ \t]*//[^\n]*\n)+)\s*$", re.MULTILINE)


def _describe(document: SourceDocument, own: str, name: str, kind: str) -> str:
    """The requirement text: the source's own words, then what to write."""
    where = "a published listing" if document.origin == "literature" else "an industrial code base"
    description = " ".join((document.context or own or f"A {kind} taken from {where}.").split())
    return f"{description.rstrip('.')}. Implement `{name}` so that it behaves exactly like the reference {kind}."


def comment_before(source: str, position: int) -> str:
    """The comment block right above `position` (a function's documentation), as one line."""
    before = source[:position].rstrip()
    found = _BLOCK_COMMENT.search(before) or _LINE_COMMENTS.search(before + "\n")
    if not found:
        return ""
    text = re.sub(r"^[ \t]*(//+|\*+)", "", found.group(1), flags=re.MULTILINE)
    return " ".join(text.split())


def verilog_drafts(document: SourceDocument) -> list[Draft]:
    module = top_module(parse_modules(document.content))
    reset, reset_low = module.reset
    text = _describe(document, header_comment(document.content), module.name, "module")
    requirement = verilog_requirement(text, module.name, module.ports, module.clock, reset, reset_low)
    return [
        VerilogDraft(
            domain="verilog", family=module.name, params=as_params({"source": document.id}), origin=document.origin,
            source_id=document.id, requirement=requirement, top=module.name, ports=module.ports,
            oracle=document.content, seed_code=document.content, clock=module.clock, reset=reset, reset_low=reset_low,
        )
    ]  # fmt: skip


def c_drafts(document: SourceDocument, domains: Sequence[str]) -> tuple[list[Draft], list[Drop]]:
    if re.search(r"\bint\s+main\s*\(", document.content):
        return [], [("", "a program with main(), not a library function")]
    drafts: list[Draft] = []
    drops: list[Drop] = []
    found = find_functions(document.content)
    for returns, name, params in found:
        if re.search(rf"\bstatic\b[^;{{}}]*\b{re.escape(name)}\s*\(", document.content):
            continue  # a file-local helper, not part of the interface
        try:
            function = from_prototype(returns, name, params)
        except DraftError as err:
            drops.append(("", str(err)))
            continue
        own = comment_before(document.content, document.content.find(f"{name}("))
        for target in (d for d in ("asm", "embedded") if d in domains):
            text = _describe(document, own, name, "C function")
            try:
                drafts.append(CFunctionDraft(
                    domain=target, family=name, params=as_params({"source": document.id, "function": name}),
                    origin=document.origin, source_id=document.id, requirement=c_requirement(text, function, target),
                    function=function, model=document.content,
                ))  # fmt: skip
            except DraftError as err:
                drops.append((target, str(err)))
    if not found:
        drops.append(("", "no function definition with a supported prototype"))
    return drafts, drops


def source_drafts(document: SourceDocument, domains: Sequence[str]) -> tuple[list[Draft], list[Drop]]:
    """Drafts for the landed `domains` this document can feed, and (domain, reason) for what it cannot."""
    language = document.normalized_language
    try:
        if language == "verilog" and "verilog" in domains:
            return verilog_drafts(document), []
        if language == "c" and ({"asm", "embedded"} & set(domains)):
            return c_drafts(document, domains)
    except DraftError as err:
        return [], [("verilog" if language == "verilog" else "", str(err))]
    if language == "asm":
        return [], [("asm", "assembly without a C reference model: nothing to verify it against")]
    return [], [("", f"no synthesis path for {language} sources into {', '.join(domains)}")]
