"""File name -> language, the one map every stage shares (recall rules, refinement front ends).

The language says how a file is written, not what it is for: a `.py` file is Python whether it
holds a Triton kernel or a web server; recall decides the domain.
"""

from __future__ import annotations

from pathlib import PurePosixPath

_BY_SUFFIX: dict[str, str] = {
    ".v": "verilog", ".vh": "verilog", ".sv": "systemverilog", ".svh": "systemverilog",
    ".vhd": "vhdl", ".vhdl": "vhdl",
    ".c": "c", ".h": "c",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp", ".hxx": "cpp",
    ".cu": "cuda", ".cuh": "cuda",
    ".py": "python", ".pyi": "python",
    ".s": "assembly", ".asm": "assembly",
    ".ld": "linker_script", ".lds": "linker_script",
    ".sdc": "tcl", ".xdc": "tcl", ".tcl": "tcl", ".ys": "yosys_script",
    ".sh": "shell", ".bash": "shell", ".mk": "make", ".cmake": "cmake",
    ".md": "markdown", ".rst": "rst", ".txt": "text", ".json": "json", ".yaml": "yaml", ".yml": "yaml",
    ".toml": "toml", ".xml": "xml", ".html": "html", ".css": "css", ".js": "javascript",
}
_BY_NAME: dict[str, str] = {"Makefile": "make", "makefile": "make", "GNUmakefile": "make", "CMakeLists.txt": "cmake"}


def language_of(path: str) -> str:
    """The language by file name; `.S` (preprocessed assembly) keeps its case; `other` when unknown."""
    name = PurePosixPath(path).name
    if name in _BY_NAME:
        return _BY_NAME[name]
    suffix = PurePosixPath(name).suffix
    if suffix == ".S":
        return "assembly"
    return _BY_SUFFIX.get(suffix.lower(), "other")
