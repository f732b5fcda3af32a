"""What gcc built, read from the ELF32 bytes themselves: sections, symbols, the bytes at an address.

The checks on a candidate's object and on the linked image (`ownership.py`) work on what the tools
made, not on the source text: a symbol spelled through inline assembly or a section named by an
attribute is in the object all the same. Names are the candidate's to choose (`.section`, `.set`),
so bytes that are not UTF-8 are replaced rather than trusted to decode, and a malformed file raises
`MalformedElf` instead of an arbitrary exception.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

SHT_SYMTAB = 2
SHT_NOBITS = 8
SHN_UNDEF = 0
STB_LOCAL, STB_GLOBAL, STB_WEAK = 0, 1, 2


class MalformedElf(ValueError):
    """The bytes are not a little-endian ELF32 file this reader understands."""


@dataclass(frozen=True)
class Section:
    name: str
    kind: int  # sh_type
    address: int
    offset: int
    size: int
    link: int


@dataclass(frozen=True)
class Symbol:
    name: str
    value: int
    binding: int
    section_index: int

    @property
    def defined(self) -> bool:
        return self.section_index != SHN_UNDEF

    @property
    def external(self) -> bool:
        """Visible to other objects at link time (global or weak)."""
        return self.binding in (STB_GLOBAL, STB_WEAK)


def _name(table: bytes, offset: int) -> str:
    end = table.find(b"\0", offset)
    return table[offset : end if end >= 0 else len(table)].decode(errors="replace")


@dataclass(frozen=True)
class Elf:
    data: bytes
    sections: tuple[Section, ...]
    symbols: tuple[Symbol, ...]

    @classmethod
    def parse(cls, data: bytes) -> Elf:
        if data[:6] != b"\x7fELF\x01\x01":
            raise MalformedElf("not a little-endian ELF32 file")
        try:
            sections = cls._sections(data)
            tables = [table for table in sections if table.kind == SHT_SYMTAB]
            symbols = tuple(s for table in tables for s in cls._symbols(data, sections, table))
        except (struct.error, IndexError) as broken:
            raise MalformedElf(f"truncated ELF: {broken}") from broken
        return cls(data, sections, symbols)

    @staticmethod
    def _sections(data: bytes) -> tuple[Section, ...]:
        (shoff,) = struct.unpack_from("<I", data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x2E)
        raw = [struct.unpack_from("<IIIIIII", data, shoff + i * shentsize) for i in range(shnum)]
        names = raw[shstrndx]
        strings = data[names[4] : names[4] + names[5]]
        return tuple(Section(_name(strings, n), kind, addr, offset, size, link)
                     for n, kind, _flags, addr, offset, size, link in raw)  # fmt: skip

    @staticmethod
    def _symbols(data: bytes, sections: tuple[Section, ...], table: Section) -> list[Symbol]:
        strtab = sections[table.link]
        strings = data[strtab.offset : strtab.offset + strtab.size]
        found = []
        for at in range(table.offset + 16, table.offset + table.size, 16):  # entry 0 is the null symbol
            name, value, _size, info, _other, index = struct.unpack_from("<IIIBBH", data, at)
            found.append(Symbol(_name(strings, name), value, info >> 4, index))
        return found

    def external_symbols(self) -> list[Symbol]:
        return [s for s in self.symbols if s.external]

    def address_of(self, name: str) -> int | None:
        """The value of the defined global symbol `name` (one of a kind in a linked image)."""
        return next((s.value for s in self.symbols if s.name == name and s.external and s.defined), None)

    def read(self, address: int, size: int) -> bytes | None:
        """The file's bytes loaded at `address`, when one section holds all of them."""
        for section in self.sections:
            inside = section.address <= address and address + size <= section.address + section.size
            if inside and section.kind != SHT_NOBITS:
                start = section.offset + address - section.address
                return self.data[start : start + size]
        return None
