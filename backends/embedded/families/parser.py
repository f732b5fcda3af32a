"""A length-prefixed serial frame parser, fed byte by byte as a UART receive interrupt would feed it.

The stream mixes valid frames with garbage, bad check bytes, invalid lengths and a truncated frame;
the expected frames and error count come from the Python state machine here.
"""

from __future__ import annotations

import random

from backends.embedded.families._common import Probe, c_array, firmware, fnv1a, grid, main_c, render, stimulus
from backends.embedded.firmware import Family, Firmware, Harness


def parse_stream(stream: bytes, sof: int, check: str, max_payload: int) -> tuple[list[bytes], int]:
    """The reference parser: valid payloads in order, and the number of dropped frames."""
    frames, errors, state, length, body = [], 0, "hunt", 0, bytearray()
    for byte in stream:
        if state == "hunt":
            state = "len" if byte == sof else "hunt"
        elif state == "len":
            if 1 <= byte <= max_payload:
                state, length, body = "data", byte, bytearray()
            else:
                state, errors = "hunt", errors + 1
        elif state == "data":
            body.append(byte)
            state = "chk" if len(body) == length else "data"
        else:
            if byte == _check(check, bytes([length]) + bytes(body)):
                frames.append(bytes(body))
            else:
                errors += 1
            state = "hunt"
    return frames, errors


def _check(kind: str, data: bytes) -> int:
    if kind == "xor":
        value = 0
        for byte in data:
            value ^= byte
        return value
    return sum(data) & 0xFF


def _stream(sof: int, check: str, max_payload: int, rng: random.Random) -> bytes:
    """Fixed edge cases (garbage, a start byte inside a payload, bad check, bad lengths, truncation)
    around random frames, some of them corrupted."""

    def frame(payload: bytes, corrupt: bool = False) -> bytes:
        chk = _check(check, bytes([len(payload)]) + payload) ^ (0x5A if corrupt else 0)
        return bytes([sof, len(payload)]) + payload + bytes([chk])

    parts = [b"\x00\x13garbage", frame(b"ping"), frame(bytes([sof, sof, 1])), frame(b"bad", corrupt=True),
             bytes([sof, 0]), bytes([sof, max_payload + 1]), frame(bytes(rng.randbytes(max_payload)))]
    parts += [frame(rng.randbytes(rng.randrange(1, max_payload + 1)), corrupt=rng.random() < 0.2) for _ in range(12)]
    parts += [bytes([sof, 5, 1, 2]), frame(b"after truncation"[:max_payload]), frame(b"x")]
    return b"".join(parts)


def build_parser(sof: int, check: str, max_payload: int, seed: int = 0) -> Firmware:
    check_text = "the XOR of" if check == "xor" else "the sum modulo 256 of"
    spec = f"""
        Write a byte-at-a-time frame parser (task.h), as a UART receive interrupt would call it. A
        frame is: start byte 0x{sof:02X}, a length byte LEN (valid: 1..{max_payload}), LEN payload
        bytes, and a check byte equal to {check_text} LEN and the payload bytes. While waiting for
        a frame every byte other than 0x{sof:02X} is ignored. An invalid LEN drops the frame and the
        parser waits for a start byte again from the next byte on; a wrong check byte drops the
        frame the same way. Inside a frame every byte is data (the start value too). Both kinds of
        drop count as errors. parser_init() resets everything; parser_feed(byte) returns 1 exactly
        when byte completed a valid frame, else 0; parser_payload(out) copies the payload of the
        last valid frame to out and returns its length; parser_errors() returns the error count.
    """
    interface = f"""
        /* Frame parser: 0x{sof:02X} LEN(1..{max_payload}) payload CHK({check}). */
        #include <stdint.h>

        void parser_init(void);
        int parser_feed(uint8_t byte);
        uint32_t parser_payload(uint8_t *out);
        uint32_t parser_errors(void);
    """
    update = "sum ^= byte;" if check == "xor" else "sum = (sum + byte) & 0xFFU;"
    reference = render("frame_parser", {"UPDATE": update}, sof=f"{sof:02X}", max_payload=max_payload)
    stream = _stream(sof, check, max_payload, stimulus(seed, "frame_parser", sof, check, max_payload))
    frames, errors = parse_stream(stream, sof, check, max_payload)
    expected_hash = fnv1a([b for f in frames for b in (len(f), *f)], width=1)
    steps: list[str | Probe] = [
        "parser_init();", "uint32_t frames = 0U;", "uint32_t h = HASH_INIT;",
        "for (uint32_t i = 0U; i < sizeof stream; i++) {",
        "    if (parser_feed(stream[i]) == 1) {",
        "        uint32_t n = parser_payload(buf);",
        "        frames++;",
        "        h = (h ^ n) * 0x01000193UL;",
        "        for (uint32_t k = 0U; k < n; k++) {",
        "            h = (h ^ buf[k]) * 0x01000193UL;",
        "        }",
        "    }",
        "}",
        Probe("frames", "frames", len(frames), signed=True), Probe("errors", "parser_errors()", errors, signed=True),
        Probe("payload_hash", "h", expected_hash),
        Probe("last_len", "parser_payload(buf)", len(frames[-1]), signed=True),
    ]  # fmt: skip
    source, console = main_c(steps, globals_=f"static uint8_t buf[256];\n{c_array('uint8_t', 'stream', stream)}")
    params = {"sof": f"0x{sof:02X}", "check": check, "max_payload": max_payload}
    return firmware("frame_parser", params, spec, interface, reference, Harness(source, console))


PARSER = Family("frame_parser", grid(sof=(0x7E, 0xAA), check=("xor", "sum8"), max_payload=(16, 64)), build_parser)
