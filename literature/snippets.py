"""Code listings in a page's blocks, and which language each is written in.

A block is a listing when it is set in a monospace font (text layer), or, where the font is unknown
(OCR), when it reads as code: a language's keywords, code punctuation, indentation levels, and
lines that are not sentences. Language identification scores each language's distinctive patterns
(each pattern counts once, by weight) and takes the best; specialisations (SystemVerilog over
Verilog, CUDA over C++, Triton and CadQuery over Python, embedded C over C) win when their own
markers are present, since they share the parent's keywords.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from literature.layout import Block

# A language needs this much pattern weight to be named (two strong markers, or one and some syntax).
MIN_LANGUAGE_SCORE = 2.0
# Code punctuation per non-space character above which a block reads as code even without a known
# language; prose has ~0.02 (commas, full stops are not counted), C/Verilog 0.08-0.15.
MIN_SYMBOL_DENSITY = 0.05
# A block whose rows are mostly sentences is prose, whatever its font.
MAX_SENTENCE_SHARE = 0.5
# Two code blocks this close (in line pitches, centre to centre) are one listing with blank lines in
# it: one blank line is 2 pitches, two (PEP 8 between definitions) 3; listings further apart are separate.
MAX_LISTING_GAP = 3.6
_SYMBOLS = set("{}()[];=<>#@$&|*%^~:\\/+-")
_SENTENCE = re.compile(r"^[A-Z][^;{}=<>]*[a-z]{2,}[^;{}]*[.!?:]$")

_M = re.MULTILINE
# language -> [(pattern, weight)]
_PATTERNS: dict[str, list[tuple[re.Pattern[str], float]]] = {
    "verilog": [
        (re.compile(r"\bmodule\s+\w+"), 2.0), (re.compile(r"\bendmodule\b"), 2.0),
        (re.compile(r"\balways\s*@"), 1.5), (re.compile(r"\b(posedge|negedge)\b"), 1.0),
        (re.compile(r"\b(input|output|inout)\s+(wire|reg|logic)?\b"), 0.5), (re.compile(r"\bassign\b"), 0.5),
        (re.compile(r"\d+'[bBhHdDoO][0-9a-fA-FxXzZ_]+"), 1.0), (re.compile(r"\b(reg|wire)\s*\["), 1.0),
        (re.compile(r"\b(begin|end)\b"), 0.3), (re.compile(r"\$(display|finish|time)\b"), 1.0),
    ],
    "vhdl": [
        (re.compile(r"\bentity\s+\w+\s+is\b", re.I), 2.0), (re.compile(r"\barchitecture\s+\w+\s+of\b", re.I), 2.0),
        (re.compile(r"\bstd_(u)?logic(_vector)?\b", re.I), 1.5), (re.compile(r"\blibrary\s+ieee\b", re.I), 1.5),
        (re.compile(r"\bprocess\s*\(", re.I), 1.0), (re.compile(r"\bsignal\s+\w+\s*:", re.I), 1.0),
        (re.compile(r"\bend\s+(process|architecture|entity|if)\b", re.I), 1.0),
        (re.compile(r"\brising_edge\s*\(", re.I), 1.0),
    ],
    "c": [
        (re.compile(r"^\s*#\s*(include|define|ifdef|ifndef|endif)\b", _M), 1.5),
        (re.compile(r"\b(int|void|char|unsigned|float|double|long|static|const)\s+\**\w+\s*[(=;\[,]"), 1.0),
        (re.compile(r"\breturn\b[^;]*;"), 1.0), (re.compile(r";\s*$", _M), 0.5),
        (re.compile(r"\b(for|while|if|switch)\s*\("), 0.5), (re.compile(r"\bstruct\s+\w+"), 0.5),
        (re.compile(r"\w+->\w+"), 0.5), (re.compile(r"\b(printf|malloc|free|memcpy|sizeof)\s*\("), 1.0),
    ],
    "shell": [
        (re.compile(r"^\s*(\$\s+)?(sudo|make|cmake|gcc|g\+\+|cd|export|apt(-get)?|pip|git|docker|verilator|"
                    r"iverilog|yosys|ls|mkdir|\./\S+|obj_dir/\S+)\b", _M), 2.0),
        (re.compile(r"\s--?[a-zA-Z][\w-]*"), 0.5),
    ],
    "python": [
        (re.compile(r"^\s*def\s+\w+\s*\(.*\)\s*(->\s*[^:]+)?:\s*$", _M), 2.0),
        (re.compile(r"^\s*(import\s+\w+|from\s+[\w.]+\s+import\b)", _M), 1.5),
        (re.compile(r"^\s*class\s+\w+(\(.*\))?:\s*$", _M), 1.5), (re.compile(r"\bself\.\w+"), 1.0),
        (re.compile(r"^\s*(if|elif|else|for|while|with|try|except)\b.*:\s*$", _M), 1.0),
        (re.compile(r"\b(None|True|False)\b"), 0.3), (re.compile(r"\bprint\("), 0.5),
    ],
    "asm_arm": [
        (re.compile(r"^\s*(\w+:)?\s*(ldr|str|ldrb|strb|mov|movs|adds?|subs?|cmp|bne|beq|bx|blx?|push|pop|"
                    r"b|mul|lsls?|lsrs?|ands?|orrs?)\s+\S", _M | re.I), 1.0),
        (re.compile(r"\b(r1[0-5]|r[0-9]|sp|lr|pc)\b"), 1.0), (re.compile(r"#0x[0-9a-fA-F]+|#\d+"), 0.5),
        (re.compile(r"^\s*\.(syntax\s+unified|thumb(_func)?|cpu|fpu)\b", _M), 2.0),
    ],
    "asm_x86": [
        (re.compile(r"%(r[a-ds][xip]|e[a-ds][xip]|r\d+[dwb]?|[re]?[sb]p|xmm\d+)\b"), 2.0),
        (re.compile(r"^\s*(\w+:)?\s*(mov[lqbw]?|lea[lq]?|push[lq]?|pop[lq]?|ret[lq]?|call[lq]?|jmp|jne|je|"
                    r"cmp[lq]?|xor[lq]?|add[lq]?|sub[lq]?|syscall)\b", _M), 1.0),
        (re.compile(r"\b(rax|rbx|rcx|rdx|rsi|rdi|rsp|rbp|eax|ebx|ecx|edx)\b"), 1.0),
        (re.compile(r"^\s*\.(globl|text|data|section|intel_syntax)\b", _M), 1.0),
    ],
}
# specialisation -> (parent, markers, weight of each marker)
_SPECIAL: dict[str, tuple[str, re.Pattern[str]]] = {
    "systemverilog": ("verilog", re.compile(r"\b(always_ff|always_comb|logic|typedef\s+enum|interface|"
                                            r"endinterface|unique\s+case|int\s+unsigned|endclass)\b")),
    "cpp": ("c", re.compile(r"\b(std::\w+|namespace\s+\w+|template\s*<|class\s+\w+\s*[:{]|public:|private:|"
                            r"nullptr|new\s+\w+|cout|#include\s*<(iostream|vector|string|memory)>)")),
    "cuda": ("c", re.compile(r"\b(__global__|__device__|__shared__|threadIdx|blockIdx|blockDim|__syncthreads|"
                             r"cudaMalloc|cudaMemcpy)\b|<<<")),
    "embedded_c": ("c", re.compile(r"\b(volatile\s+uint\d+_t|uint32_t\s*\*\s*\)\s*0x|__attribute__\s*\(\(\s*"
                                   r"(interrupt|naked|section)|NVIC_\w+|SysTick|IRQHandler|__(enable|disable)_irq|"
                                   r"__WFI|->(CR|SR|DR|ODR|IDR|MODER)\w*)\b")),
    "triton": ("python", re.compile(r"@triton\.jit|\btl\.(load|store|program_id|arange|constexpr)\b")),
    "cadquery": ("python", re.compile(r"\bcq\.Workplane\b|\bimport cadquery\b|\.extrude\(|\.faces\(\"")),
}


@dataclass(frozen=True)
class Listing:
    """A block judged to be code: its text (indentation rebuilt), language and the reasons."""

    block: int
    code: str
    language: str
    language_score: float
    signals: tuple[str, ...]


def identify_language(code: str) -> tuple[str, float]:
    """(language, score); ("unknown", best score) below MIN_LANGUAGE_SCORE."""
    scores = {lang: sum(w for p, w in pats if p.search(code)) for lang, pats in _PATTERNS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    if scores[best] < MIN_LANGUAGE_SCORE:
        return "unknown", scores[best]
    for special, (parent, markers) in _SPECIAL.items():
        if parent == best and markers.search(code):
            return special, scores[best] + 1.0
    return best, scores[best]


def symbol_density(text: str) -> float:
    chars = [c for c in text if not c.isspace()]
    return sum(c in _SYMBOLS for c in chars) / max(len(chars), 1)


def sentence_share(lines: list[str]) -> float:
    """Share of lines that read as prose sentences (capitalised, words, ending in punctuation)."""
    content = [line.strip() for line in lines if line.strip()]
    prose = [line for line in content if len(line.split()) >= 6 and _SENTENCE.match(line)]
    return len(prose) / max(len(content), 1)


def find_listing(block: Block, index: int) -> Listing | None:
    """The block as a listing, or None when it reads as prose (or as nothing recognisable)."""
    mono = block.mono_share >= 0.8
    code = block.grid_text() if mono or block.mono_share == 0 else block.plain_text()
    lines = code.splitlines()
    if sentence_share(lines) > MAX_SENTENCE_SHARE:
        return None
    language, score = identify_language(code)
    signals = []
    if mono:
        signals.append("monospace")
    if language != "unknown":
        signals.append(f"keywords:{language}")
    if symbol_density(code) >= MIN_SYMBOL_DENSITY:
        signals.append("symbols")
    if len({len(line) - len(line.lstrip()) for line in lines if line.strip()}) >= 2:
        signals.append("indentation")
    is_listing = mono or (language != "unknown" and len(signals) >= 2 and (len(lines) >= 2 or score >= 3))
    if not is_listing:
        return None
    return Listing(index, _dedent(code), language, round(score, 2), tuple(signals))


def _dedent(code: str) -> str:
    lines = code.splitlines()
    margin = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "\n".join(line[margin:].rstrip() for line in lines)


def prose_row(text: str) -> bool:
    """A line of running prose: six or more words, mostly plain words, little code punctuation."""
    words = text.split()
    plain = [w for w in words if w.strip(".,;:()'’\"").replace("-", "").isalpha()]
    return len(words) >= 6 and len(plain) >= 0.75 * len(words) and symbol_density(text) < MIN_SYMBOL_DENSITY


def split_prose(block: Block) -> list[Block]:
    """The block cut where prose rows meet other rows: typeset manuals often set a listing right
    under its introducing sentence, with no paragraph gap to split at."""
    parts: list[Block] = []
    for row in block.rows:
        if parts and prose_row(parts[-1].rows[-1].plain()) == prose_row(row.plain()):
            parts[-1].rows.append(row)
        else:
            parts.append(Block([row]))
    return parts


def find_listings(blocks: list[Block]) -> tuple[list[Listing], list[Block]]:
    """Listings among the blocks (cut at prose/code transitions), after merging code blocks that only
    a blank line (or a line the OCR missed, such as a lone brace) split apart; returns the listings
    and the final blocks (listing indices refer to them)."""
    merged: list[Block] = []
    for block in (part for b in blocks for part in split_prose(b)):
        if merged and _codeish(merged[-1]) and _codeish(block) and _continues(merged[-1], block):
            merged[-1] = Block(merged[-1].rows + block.rows)
        else:
            merged.append(block)
    listings = [listing for i, b in enumerate(merged) if (listing := find_listing(b, i)) is not None]
    return listings, merged


def _codeish(block: Block) -> bool:
    text = block.plain_text()
    if sentence_share(text.splitlines()) > MAX_SENTENCE_SHARE:
        return False
    return block.mono_share >= 0.8 or symbol_density(text) >= MIN_SYMBOL_DENSITY or identify_language(text)[1] > 0


def _continues(upper: Block, lower: Block) -> bool:
    """Same font class (both monospace or neither) and no more than MAX_LISTING_GAP pitches apart."""
    if (upper.mono_share >= 0.8) != (lower.mono_share >= 0.8):
        return False
    pitch = min(upper.line_pitch(), lower.line_pitch())
    return lower.rows[0].y_mid - upper.rows[-1].y_mid <= MAX_LISTING_GAP * pitch
