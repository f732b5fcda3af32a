"""Data integrity and framing: CRCs, streaming checksums, COBS/SLIP byte stuffing, a frame parser.

Pure firmware logic, so the emulator only has to run it; every expected value comes from the
Python models below (the CRC models are the parameter sets of Williams' Rocksoft model as listed in
the reveng catalogue, each checked against its catalogued check value in the tests).
"""

from __future__ import annotations

from dataclasses import dataclass

from backends.embedded.families._common import Probe, c_array, firmware, grid, main_c, render, stimulus
from backends.embedded.firmware import Family, Firmware, Harness


@dataclass(frozen=True)
class CrcModel:
    width: int
    poly: int
    init: int
    reflected: bool
    xorout: int
    check: int  # CRC of b"123456789" (reveng catalogue)

    @property
    def mask(self) -> int:
        return (1 << self.width) - 1

    def compute(self, data: bytes) -> int:
        crc = self.init
        if self.reflected:
            rpoly = int(f"{self.poly:0{self.width}b}"[::-1], 2)
            for byte in data:
                crc ^= byte
                for _ in range(8):
                    crc = (crc >> 1) ^ rpoly if crc & 1 else crc >> 1
        else:
            for byte in data:
                crc ^= byte << (self.width - 8)
                for _ in range(8):
                    crc = ((crc << 1) ^ self.poly if crc >> (self.width - 1) & 1 else crc << 1) & self.mask
        return (crc ^ self.xorout) & self.mask


CRC_MODELS: dict[str, CrcModel] = {
    "CRC-8/SMBUS": CrcModel(8, 0x07, 0x00, False, 0x00, 0xF4),
    "CRC-8/MAXIM-DOW": CrcModel(8, 0x31, 0x00, True, 0x00, 0xA1),
    "CRC-16/IBM-3740": CrcModel(16, 0x1021, 0xFFFF, False, 0x0000, 0x29B1),
    "CRC-16/XMODEM": CrcModel(16, 0x1021, 0x0000, False, 0x0000, 0x31C3),
    "CRC-16/ARC": CrcModel(16, 0x8005, 0x0000, True, 0x0000, 0xBB3D),
    "CRC-16/MODBUS": CrcModel(16, 0x8005, 0xFFFF, True, 0x0000, 0x4B37),
    "CRC-32/ISO-HDLC": CrcModel(32, 0x04C11DB7, 0xFFFFFFFF, True, 0xFFFFFFFF, 0xCBF43926),
    "CRC-32/ISCSI": CrcModel(32, 0x1EDC6F41, 0xFFFFFFFF, True, 0xFFFFFFFF, 0xE3069283),
    "CRC-32/MPEG-2": CrcModel(32, 0x04C11DB7, 0xFFFFFFFF, False, 0x00000000, 0x0376E6E7),
}


def _crc_update(m: CrcModel, method: str) -> str:
    """The golden's per-byte update: bitwise, or through the 256-entry table."""
    if method == "table":
        if m.reflected:
            return "crc = (crc >> 8) ^ table[(crc ^ data[i]) & 0xFFU];"
        return "crc = ((crc << 8) ^ table[((crc >> (WIDTH - 8U)) ^ data[i]) & 0xFFU]) & MASK;"
    if m.reflected:
        return ("crc ^= data[i];\nfor (uint32_t bit = 0U; bit < 8U; bit++) {\n"
                "    crc = (crc & 1U) != 0U ? (crc >> 1) ^ POLY_REFLECTED : crc >> 1;\n}")  # fmt: skip
    return ("crc ^= (uint32_t)data[i] << (WIDTH - 8U);\nfor (uint32_t bit = 0U; bit < 8U; bit++) {\n"
            "    crc = (crc & TOP_BIT) != 0U ? (crc << 1) ^ POLY : crc << 1;\n}\ncrc &= MASK;")  # fmt: skip


def build_crc(model: str, method: str, seed: int = 0) -> Firmware:
    m = CRC_MODELS[model]
    rng = stimulus(seed, "crc", model, method)
    rpoly = int(f"{m.poly:0{m.width}b}"[::-1], 2)
    how = ("bit by bit" if method == "bitwise" else
           "with a 256-entry lookup table, kept in a function-local static array and built on first use")  # fmt: skip
    spec = f"""
        Implement {model} (task.h): width {m.width}, polynomial 0x{m.poly:X}, initial value
        0x{m.init:X}, input and output {"reflected" if m.reflected else "not reflected"}, final XOR
        0x{m.xorout:X} (its check value, the CRC of the ASCII bytes "123456789", is 0x{m.check:X}).
        crc_compute(data, len) returns the CRC of len bytes, computed {how}.
    """
    interface = f"""
        /* {model}, computed {method}. */
        #include <stdint.h>

        uint32_t crc_compute(const uint8_t *data, uint32_t len);
    """
    table = ""
    if method == "table":
        entry = ("uint32_t crc = byte;\n    for (uint32_t bit = 0U; bit < 8U; bit++) {\n"
                 "        crc = (crc & 1U) != 0U ? (crc >> 1) ^ POLY_REFLECTED : crc >> 1;\n    }"
                 if m.reflected else
                 "uint32_t crc = byte << (WIDTH - 8U);\n    for (uint32_t bit = 0U; bit < 8U; bit++) {\n"
                 "        crc = (crc & TOP_BIT) != 0U ? (crc << 1) ^ POLY : crc << 1;\n    }")  # fmt: skip
        table = f"static uint32_t table_entry(uint32_t byte) {{\n    {entry}\n    return crc & MASK;\n}}\n"
    init_table = """
        static uint32_t table[256];
        static uint32_t ready;
        if (ready == 0U) {
            for (uint32_t b = 0U; b < 256U; b++) {
                table[b] = table_entry(b);
            }
            ready = 1U;
        }
    """ if method == "table" else ""
    reference = render(
        "crc", {"TABLE": table, "INIT_TABLE": init_table, "UPDATE": _crc_update(m, method)}, width=m.width,
        poly=f"{m.poly:08X}", rpoly=f"{rpoly:08X}", mask=f"{m.mask:08X}", init=f"{m.init:08X}",
        xorout=f"{m.xorout:08X}",
    )
    vectors = {"check": b"123456789", "empty": b"", "zero": b"\x00", "ones": b"\xff\xff",
               "random_short": rng.randbytes(rng.randrange(24, 57)),
               "random_long": rng.randbytes(rng.randrange(240, 361))}
    globals_ = "".join(c_array("uint8_t", name, data) for name, data in vectors.items() if data)
    steps: list[str | Probe] = [
        Probe(name, f"crc_compute({name if data else 'check'}, {len(data)}U)", m.compute(data))
        for name, data in vectors.items()
    ]
    steps.append(Probe("check_again", "crc_compute(check, 9U)", m.check))
    source, console = main_c(steps, globals_=globals_)
    return firmware("crc", {"model": model, "method": method}, spec, interface, reference, Harness(source, console))


CHECKSUMS = {
    "fletcher16": "Fletcher-16: two 8-bit sums modulo 255 (sum1 += byte, sum2 += sum1, both starting at 0); "
    "the result is sum2 << 8 | sum1",
    "adler32": "Adler-32 (RFC 1950): a starts at 1, b at 0; a += byte and b += a, both modulo 65521; "
    "the result is b << 16 | a",
    "inet16": "the Internet checksum (RFC 1071): the ones'-complement sum of the data as big-endian 16-bit "
    "words (a final odd byte is the high byte of a word padded with zero), carries folded back in, then "
    "complemented to 16 bits; chunks may have odd lengths, so a word can span two updates",
    "lrc8": "the Modbus ASCII LRC: the sum of all bytes modulo 256, negated in two's complement (8 bits)",
}


def checksum(algo: str, data: bytes) -> int:
    if algo == "fletcher16":
        s1 = s2 = 0
        for b in data:
            s1, s2 = (s1 + b) % 255, (s2 + (s1 + b) % 255) % 255
        return s2 << 8 | s1
    if algo == "adler32":
        a, b = 1, 0
        for byte in data:
            a = (a + byte) % 65521
            b = (b + a) % 65521
        return b << 16 | a
    if algo == "inet16":
        padded = data + b"\x00" * (len(data) % 2)
        total = sum(padded[i] << 8 | padded[i + 1] for i in range(0, len(padded), 2))
        while total >> 16:
            total = (total & 0xFFFF) + (total >> 16)
        return ~total & 0xFFFF
    return -sum(data) & 0xFF


CHECKSUM_C = {
    "fletcher16": ("static uint32_t sum1;\nstatic uint32_t sum2;",
                   "sum1 = 0U;\nsum2 = 0U;",
                   "sum1 = (sum1 + data[i]) % 255U;\nsum2 = (sum2 + sum1) % 255U;",
                   "return (sum2 << 8) | sum1;"),
    "adler32": ("static uint32_t a;\nstatic uint32_t b;",
                "a = 1U;\nb = 0U;",
                "a = (a + data[i]) % 65521U;\nb = (b + a) % 65521U;",
                "return (b << 16) | a;"),
    "inet16": ("static uint32_t sum;\nstatic uint32_t odd;",
               "sum = 0U;\nodd = 0U;",
               "sum += odd != 0U ? data[i] : (uint32_t)data[i] << 8;\nodd ^= 1U;",
               "uint32_t folded = sum;\nwhile ((folded >> 16) != 0U) {\n"
               "    folded = (folded & 0xFFFFU) + (folded >> 16);\n}\nreturn ~folded & 0xFFFFU;"),
    "lrc8": ("static uint32_t sum;", "sum = 0U;", "sum = (sum + data[i]) & 0xFFU;", "return (0x100U - sum) & 0xFFU;"),
}  # fmt: skip


def build_checksum(algo: str, seed: int = 0) -> Firmware:
    state, init, update, final = CHECKSUM_C[algo]
    rng = stimulus(seed, "checksum", algo)
    spec = f"""
        Implement a streaming checksum (task.h): {CHECKSUMS[algo]}. ck_init() starts a new checksum,
        ck_update(data, len) adds len bytes (any number of calls, any chunk lengths), ck_final()
        returns the checksum of everything added since ck_init() without changing the state.
    """
    interface = f"""
        /* Streaming {algo} checksum. */
        #include <stdint.h>

        void ck_init(void);
        void ck_update(const uint8_t *data, uint32_t len);
        uint32_t ck_final(void);
    """
    reference = render("checksum", {"STATE": state, "INIT": init, "UPDATE": update, "FINAL": final})
    data = rng.randbytes(rng.randrange(640, 760)) + b"\xff" * 64  # the 0xFF run stresses the modular sums
    odd = [2 * rng.randrange(60) + 1 for _ in range(5)]
    steps: list[str | Probe] = []
    for label, chunks in (("whole", [len(data)]), ("bytes", [1] * 9), ("odd", odd), ("mixed", [64, 1, 128, 2, 500])):
        steps.append("ck_init();")
        offset = 0
        for size in chunks:
            steps.append(f"ck_update(data + {offset}U, {size}U);")
            offset += size
        steps.append(Probe(label, "ck_final()", checksum(algo, data[:offset])))
    steps += ["ck_init();", Probe("empty", "ck_final()", checksum(algo, b"")),
              "ck_update(data, 1U);", Probe("final_is_pure", "ck_final() == ck_final()", 1)]  # fmt: skip
    source, console = main_c(steps, globals_=c_array("uint8_t", "data", data))
    return firmware("checksum", {"algorithm": algo}, spec, interface, reference, Harness(source, console))


CRC = Family("crc", grid(model=tuple(CRC_MODELS), method=("table", "bitwise")), build_crc)
CHECKSUM = Family("checksum", grid(algo=tuple(CHECKSUMS)), build_checksum)
