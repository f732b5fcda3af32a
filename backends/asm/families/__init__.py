"""Assembly seed task families, by name: each `Family` expands its parameter grid into kernels."""

from backends.asm.families.counting import COUNT_EQUAL, HISTOGRAM, MINMAX, POPCOUNT
from backends.asm.families.elementwise import ASCII_CASE, AXPY, SATURATING
from backends.asm.families.matrix import MATMUL, TRANSPOSE
from backends.asm.families.memory import BSWAP, COPY, FILL
from backends.asm.families.scans import CRC32C, PREFIX
from backends.asm.families.strings import FIND, STRLEN, SUBSTRING
from backends.asm.families.sums import DISTANCE, DOT, SUM
from backends.asm.kernel import Family

FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        SUM, DOT, DISTANCE, POPCOUNT, MINMAX, COUNT_EQUAL, HISTOGRAM,
        COPY, FILL, BSWAP, AXPY, SATURATING, ASCII_CASE,
        STRLEN, FIND, SUBSTRING, MATMUL, TRANSPOSE, PREFIX, CRC32C,
    )
}  # fmt: skip
