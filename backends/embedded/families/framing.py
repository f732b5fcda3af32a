"""Serial framing: COBS and SLIP byte stuffing, encoder or decoder, checked against the Python
models here on payloads full of the bytes each scheme must escape."""

from __future__ import annotations

import random

from backends.embedded.families._common import Probe, c_array, code, firmware, fnv1a, grid, main_c, render, stimulus
from backends.embedded.firmware import Family, Firmware, Harness

SLIP_END, SLIP_ESC, SLIP_ESC_END, SLIP_ESC_ESC = 0xC0, 0xDB, 0xDC, 0xDD


def cobs_encode(data: bytes) -> bytes:
    out, block = bytearray(), bytearray()
    for byte in data:
        if byte == 0:
            out += bytes([len(block) + 1]) + block
            block.clear()
        else:
            block.append(byte)
            if len(block) == 254:
                out += b"\xff" + block
                block.clear()
    return bytes(out + bytes([len(block) + 1]) + block)


def cobs_decode(data: bytes) -> bytes | None:
    out, i = bytearray(), 0
    while i < len(data):
        code = data[i]
        if code == 0 or i + code > len(data):
            return None
        block = data[i + 1 : i + code]
        if 0 in block:
            return None
        out += block
        i += code
        if code < 0xFF and i < len(data):
            out.append(0)
    return bytes(out)


def slip_encode(data: bytes) -> bytes:
    escaped = {SLIP_END: bytes([SLIP_ESC, SLIP_ESC_END]), SLIP_ESC: bytes([SLIP_ESC, SLIP_ESC_ESC])}
    return b"".join(escaped.get(b, bytes([b])) for b in data) + bytes([SLIP_END])


def slip_decode(data: bytes) -> bytes | None:
    out, escape = bytearray(), False
    for byte in data:
        if escape:
            if byte not in (SLIP_ESC_END, SLIP_ESC_ESC):
                return None
            out.append(SLIP_END if byte == SLIP_ESC_END else SLIP_ESC)
            escape = False
        elif byte == SLIP_END:
            return bytes(out)
        elif byte == SLIP_ESC:
            escape = True
        else:
            out.append(byte)
    return None  # no END: an incomplete frame


CODEC_SPECS = {
    "cobs": "Consistent Overhead Byte Stuffing (Cheshire and Baker): the output is a sequence of blocks, "
    "each a code byte n (1..255) followed by n-1 non-zero data bytes; a code below 255 stands for its "
    "data followed by a zero byte, except at the very end of the frame; 255 means 254 data bytes with no "
    "zero after them. The encoder emits no trailing delimiter.",
    "slip": "SLIP (RFC 1055): 0xC0 (END) is sent as 0xDB 0xDC, 0xDB (ESC) as 0xDB 0xDD, every other byte "
    "as itself, and the frame ends with one END byte (no leading END).",
}


def _payloads(rng: random.Random) -> dict[str, bytes]:
    """Fixed edge cases, and random ones: a zero-free run past COBS's 254-byte block, a noisy mix."""
    return {
        "plain": b"hello",
        "zeros": b"\x00\x00a\x00",
        "specials": bytes([0xC0, 0xDB, 0x00, 0xDC, 0xDD, 0xC0]),
        "run": bytes(rng.randrange(1, 256) for _ in range(rng.randrange(260, 341))),
        "noisy": bytes(rng.choice((0, 0xC0, 0xDB, rng.randrange(256))) for _ in range(rng.randrange(60, 121))),
        "empty": b"",
    }


def build_codec(codec: str, direction: str, seed: int = 0) -> Firmware:
    model = {"cobs": (cobs_encode, cobs_decode), "slip": (slip_encode, slip_decode)}[codec]
    encode, decode = model
    payloads = _payloads(stimulus(seed, "byte_stuffing", codec, direction))
    cases = {name: (p if direction == "encode" else encode(p)) for name, p in payloads.items()}
    if direction == "decode":
        cases["bad"] = bytes([0x03, 0x41]) if codec == "cobs" else bytes([0x41, SLIP_ESC, 0x41, SLIP_END])
    transform = encode if direction == "encode" else decode
    what = ("encodes len bytes into out and returns the encoded length" if direction == "encode" else
            "decodes len bytes of one encoded frame into out and returns the decoded length, or -1 when "
            "the input is not a valid frame")  # fmt: skip
    if codec == "slip" and direction == "decode":
        what += " (a frame ends at its END byte; input without END is invalid, as is ESC followed by anything " \
                "but 0xDC or 0xDD)"
    if codec == "cobs" and direction == "decode":
        what += " (a zero byte, or a code running past the end of the input, makes it invalid)"
    spec = f"{CODEC_SPECS[codec]} codec_run(in, len, out) {what}."
    interface = f"""
        /* {codec.upper()} {direction}r; out has room for the worst case. */
        #include <stdint.h>

        int32_t codec_run(const uint8_t *in, uint32_t len, uint8_t *out);
    """
    reference = render(f"{codec}_{direction}")
    steps: list[str | Probe] = []
    globals_ = "static uint8_t out[800];\n" + "".join(c_array("uint8_t", n, d) for n, d in cases.items() if d)
    for name, data in cases.items():
        result = transform(data)
        steps += [f"int32_t n_{name} = codec_run({name if data else 'out'}, {len(data)}U, out);",
                  Probe(f"{name}_len", f"n_{name}", -1 if result is None else len(result), signed=True)]  # fmt: skip
        if result:
            steps.append(Probe(f"{name}_hash", f"hash_bytes(out, (uint32_t)n_{name})", fnv1a(result, width=1)))
    globals_ += code("""
        static uint32_t hash_bytes(const uint8_t *data, uint32_t len) {
            uint32_t h = HASH_INIT;
            for (uint32_t i = 0U; i < len; i++) {
                h = (h ^ data[i]) * 0x01000193UL;
            }
            return h;
        }
    """)
    source, console = main_c(steps, globals_=globals_)
    return firmware("byte_stuffing", {"codec": codec, "direction": direction}, spec, interface, reference,
                    Harness(source, console))  # fmt: skip


CODECS = Family("byte_stuffing", grid(codec=("cobs", "slip"), direction=("encode", "decode")), build_codec)
