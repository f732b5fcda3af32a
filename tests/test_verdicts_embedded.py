"""Hostile firmware that tries to get PASS without solving the task (issue 15, embedded), through
`Domain.run` as pool workers call it, next to honest controls that must still PASS.

Mechanisms, each with the techniques that got PASS on the code before this issue (82e8a76; each was
run there, docs/verdicts-embedded.md lists the old outcomes):

1. The verdict on a shared channel. The harness and the candidate share USART1 and the sentinel
   lines: print the expected console (the stored task's, as every diff shows it) and exit, through
   the runtime's own functions or straight to the USART; leave an exit line and hang; boot the chip
   into the candidate's own vector table; rewrite the harness's bytes on their way out through an
   MPU trap; answer from a table of the stored task's expected values.
2. Weak tests. A SysTick counter the ISR never drives (bumped by the API calls, or polled from the
   hardware counter); RCC evidence appended to QEMU's unimp log from the guest (semihosting: a file
   append, a host shell).

And the obvious attacks on what this issue added: the runtime's own interrupt count taken by name,
and the run's key read where the emulator writes it (the runtime has cleared it by then).
"""

from __future__ import annotations

import json

import pytest

from backends.domain import get_domain
from backends.embedded.emulation import EMULATOR_ENV
from backends.embedded.firmware import Harness
from schemas.artifacts import ExecutionRequest, ExecutionResult, Task
from schemas.outcome import Outcome

PICK = {
    "crc": {"model": "CRC-32/ISO-HDLC", "method": "table"},
    "uart_polled_tx": {"usart": "USART2", "baud": "115200", "framing": "8N1"},
    "systick_timebase": {"tick_hz": "1000", "source": "cpu", "priority": "15"},
}
RAW_CONSOLE = """
#include "stm32f407.h"
static void raw_puts(const char *s) {  /* USART1, written directly: no runtime symbol */
    while (*s != '\\0') {
        while ((USART1->SR & USART_SR_TXE) == 0U) {
        }
        USART1->DR = (uint8_t)*s++;
    }
}
static void raw_stop(void) {  /* end the emulator as the runtime does */
    STOP
    for (;;) {
    }
}
"""
# How the runtime ends QEMU (-no-reboot makes a system reset request its exit). Before this issue
# it was a semihosting SYS_EXIT, which is what the exploits used there (docs/verdicts-embedded.md).
STOP = "SCB->AIRCR = (0x5FAUL << 16) | (1UL << 2);"
SEMIHOST = """
static uint32_t semihost(uint32_t op, const void *arg) {
    register uint32_t r0 __asm("r0") = op;
    register const void *r1 __asm("r1") = arg;
    __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}
"""
NL = "\n"
# What QEMU logs for the USART2 clock enable (RCC->APB1ENR |= RCC_APB1ENR_USART2EN).
FORGED_RCC = "RCC: unimplemented device write (size 4, offset 0x040, value 0x00020000)"


def raw_console() -> str:
    return RAW_CONSOLE.replace("STOP", STOP)


def c_string(text: str) -> str:
    return json.dumps(text)  # a C string literal for ASCII text: the same escapes


def expected_console(task: Task) -> str:
    """The stored task's console: what every TEST_FAILURE diff of it shows a policy."""
    return Harness.from_json(task.harness).console


def hooked(task: Task, function: str, hook: str, prelude: str = "") -> str:
    """The golden with `hook` run first thing in `function`."""
    head = f"{function} {{"
    assert head in task.reference, head
    return prelude + task.reference.replace(head, f"{head}\n    {hook}", 1)


# --- mechanism 1: the verdict on a shared channel ---------------------------------------------------


def print_and_exit_via_runtime(task: Task) -> str:
    """The issue's example: print the expected console with the runtime's console and firmware_exit(0)."""
    prelude = f'#include "runtime.h"\nstatic const char forged[] = {c_string(expected_console(task))};\n'
    return hooked(task, "uint32_t crc_compute(const uint8_t *data, uint32_t len)",
                  "console_puts(forged);\n    firmware_exit(0);", prelude)  # fmt: skip


def print_and_reset_raw(exit_line: str) -> object:
    def build(task: Task) -> str:
        forged = c_string(expected_console(task) + exit_line)
        prelude = f"{raw_console()}static const char forged[] = {forged};\n"
        return hooked(task, "uint32_t crc_compute(const uint8_t *data, uint32_t len)",
                      "raw_puts(forged);\n    raw_stop();", prelude)  # fmt: skip

    return build


def print_exit_and_hang(task: Task) -> str:
    """An exit line, then hang: the old verdict took the first "@@exit" even from a run cut off at its limit."""
    prelude = f"{raw_console()}static const char forged[] = {c_string(expected_console(task) + '@@exit 0' + NL)};\n"
    return hooked(task, "uint32_t crc_compute(const uint8_t *data, uint32_t len)",
                  "raw_puts(forged);\n    for (;;) {\n    }", prelude)  # fmt: skip


def own_vector_table(spelling: str) -> object:
    """Boot into the candidate: its `.isr_vector` (C attribute or assembler directive) linked first."""

    def build(task: Task) -> str:
        forged = c_string(expected_console(task) + "@@exit 0\n")
        table = {
            "attribute": "__attribute__((section(\".isr_vector\"), used))\n"
                         "static const void *const boot[2] = {(const void *)0x20000400U, (const void *)takeover};\n",
            "assembler": '__asm__(".section .isr_vector,\\"a\\"\\n.word 0x20000400\\n.word takeover\\n.previous");\n',
        }[spelling]  # fmt: skip
        return (f"{raw_console()}static const char forged[] = {forged};\n"
                "void takeover(void) {\n    raw_puts(forged);\n    raw_stop();\n}\n"
                f"{table}{task.reference}")  # fmt: skip

    return build


MPU_TRAP = """
#define MPU_CTRL (*(volatile uint32_t *)0xE000ED94U)
#define MPU_RNR (*(volatile uint32_t *)0xE000ED98U)
#define MPU_RBAR (*(volatile uint32_t *)0xE000ED9CU)
#define MPU_RASR (*(volatile uint32_t *)0xE000EDA0U)
static const char wanted[] = WANTED;
static uint32_t sent;
static void (*ram_vectors[128])(void) __attribute__((aligned(512)));

/* Emulate the runtime's loads of USART1->SR and stores to DR (`ldr`/`str`, 16-bit or `.w` with a
   12-bit offset): the status always reads ready, and each harness byte is replaced by the next byte
   of `wanted`. `high` holds r4-r11 as the faulting code had them (r0-r3, r12 and lr are in the frame). */
static uint32_t *reg(uint32_t *frame, uint32_t *high, uint32_t n) {
    return n < 4U ? &frame[n] : n == 12U ? &frame[4] : n == 14U ? &frame[5] : &high[n - 4U];
}

void trap_frame(uint32_t *frame, uint32_t *high) {
    const uint16_t *at = (const uint16_t *)frame[6];
    uint32_t wide = at[0] >= 0xE800U;
    uint32_t rt = wide ? at[1] >> 12 : at[0] & 7U;
    uint32_t load = wide ? (at[0] & 0xFFF0U) == 0xF8D0U : (at[0] & 0xF800U) == 0x6800U;
    if (load) {
        *reg(frame, high, rt) = USART_SR_TXE | (1UL << 6);
    } else {
        char c = sent < sizeof wanted - 1U ? wanted[sent] : (char)*reg(frame, high, rt);
        sent++;
        MPU_CTRL = 0U;
        __DSB();
        __ISB();
        USART1->DR = (uint8_t)c;
        MPU_CTRL = 5U;
        __DSB();
        __ISB();
    }
    frame[6] += wide ? 4U : 2U;
}

__attribute__((naked)) void trap_entry(void) {
    __asm volatile("tst lr, #4\\n ite eq\\n mrseq r0, msp\\n mrsne r0, psp\\n"
                   "push {r4-r11, lr}\\n mov r1, sp\\n bl trap_frame\\n pop {r4-r11, pc}\\n");
}

static void install_trap(void) {  /* a RAM vector table with our fault entry, and USART1 made no-access */
    const uint32_t *flash = (const uint32_t *)0x08000000U;
    for (uint32_t i = 0U; i < 98U; i++) {
        ram_vectors[i] = (void (*)(void))flash[i];
    }
    ram_vectors[3] = trap_entry; /* HardFault too: with interrupts masked a MemManage fault escalates */
    ram_vectors[4] = trap_entry;
    SCB->VTOR = (uint32_t)ram_vectors;
    SCB->SHCSR |= SCB_SHCSR_MEMFAULTENA;
    MPU_RNR = 0U;
    MPU_RBAR = 0x40011000U;
    MPU_RASR = (1UL << 28) | (4UL << 1) | 1UL; /* XN, no access, 32 bytes, enabled */
    MPU_CTRL = 5U;                             /* enabled, default map for everything else */
    __DSB();
    __ISB();
}
"""


def rewrite_through_mpu_trap(task: Task) -> str:
    """A USART2 driver at the wrong baud rate whose MPU trap rewrites the harness's console on its way
    out into the expected one, byte for byte (its text is the same for every input seed)."""
    wrong = task.reference.replace("#define BAUD 115200U", "#define BAUD 96000U")
    prelude = '#include "stm32f407.h"\n' + MPU_TRAP.replace("WANTED", c_string(expected_console(task)))
    return hooked(Task.model_validate({**task.model_dump(), "reference": wrong}), "void uart_init(void)",
                  "install_trap();", prelude)  # fmt: skip


def answers_from_the_stored_task(task: Task) -> str:
    """No CRC at all: the stored task's expected values, returned in the order the harness asks."""
    values = [int(line.split("=")[1], 16) for line in expected_console(task).splitlines()]
    table = ", ".join(f"0x{v:08x}UL" for v in values)
    return ('#include "task.h"\n'
            f"static const uint32_t answers[{len(values)}] = {{{table}}};\n"
            "uint32_t crc_compute(const uint8_t *data, uint32_t len) {\n"
            "    static uint32_t call;\n    (void)data;\n    (void)len;\n"
            f"    return answers[call++ % {len(values)}U];\n}}\n")  # fmt: skip


SHARED_CHANNEL = {
    "print-and-exit-via-runtime": ("crc", print_and_exit_via_runtime),
    "print-and-reset-raw": ("crc", print_and_reset_raw("@@exit 0\n")),
    "print-and-reset-raw-new-format": ("crc", print_and_reset_raw(f"@@exit {'0' * 16} 0 {'0' * 16}\n")),
    "print-exit-and-hang": ("crc", print_exit_and_hang),
    "own-vector-table-attribute": ("crc", own_vector_table("attribute")),
    "own-vector-table-assembler": ("crc", own_vector_table("assembler")),
    "rewrite-through-mpu-trap": ("uart_polled_tx", rewrite_through_mpu_trap),
    "answers-from-the-stored-task": ("crc", answers_from_the_stored_task),
}

# --- mechanism 2: weak tests ---------------------------------------------------------------------------

SYSTICK_INIT = """
#include "stm32f407.h"
#include "task.h"

void systick_init(void) {
    SysTick->LOAD = HSI_VALUE / 1000U - 1U;
    SysTick->VAL = 0U;
    NVIC_SetPriority(SysTick_IRQn, 15U);
    SysTick->CTRL = SysTick_CTRL_CLKSOURCE | SysTick_CTRL_TICKINT | SysTick_CTRL_ENABLE;
}

void SysTick_Handler(void) {
}
"""
TICKS_BY_CALLS = SYSTICK_INIT + """
static uint32_t tick_count;

uint32_t ticks(void) {
    return tick_count;
}

void delay_ticks(uint32_t n) {  /* the "delay" is the counter moving by n */
    tick_count += n;
}
"""
TICKS_BY_POLLING = SYSTICK_INIT + """
static uint32_t tick_count;

uint32_t ticks(void) {  /* COUNTFLAG (read-to-clear) says the counter wrapped since the last look */
    if ((SysTick->CTRL & (1UL << 16)) != 0U) {
        tick_count++;
    }
    return tick_count;
}

void delay_ticks(uint32_t n) {
    uint32_t start = ticks();
    while (ticks() - start < n) {
    }
}
"""


def append_to_unimp_log(how: str) -> object:
    """A USART2 driver that never enables the USART2 clock, whose forged RCC write is appended to
    QEMU's log from the guest: a semihosting file append, or a host shell."""

    def build(task: Task) -> str:
        unclocked = task.reference.replace("RCC->APB1ENR |= RCC_APB1ENR_USART2EN;", "")
        if how == "file":
            hook = ('static const uint32_t open_block[3] = {(uint32_t)"qemu.log", 8U, 8U};  /* "a" */\n'
                    f"    static const char line[] = {c_string(FORGED_RCC + NL)};\n"
                    "    uint32_t handle = semihost(0x01U, open_block);\n"
                    "    const uint32_t write_block[3] = {handle, (uint32_t)line, sizeof line - 1U};\n"
                    "    (void)semihost(0x05U, write_block);\n    (void)semihost(0x02U, &handle);")  # fmt: skip
        else:
            # QEMU keeps writing the log at its own offset, over a single appended line: 400 copies outlast it
            command = f"yes '{FORGED_RCC}' | head -n 400 >> qemu.log"
            hook = (f"static const char command[] = {c_string(command)};\n"
                    "    const uint32_t block[2] = {(uint32_t)command, sizeof command - 1U};\n"
                    "    (void)semihost(0x12U, block);")  # fmt: skip
        patched = Task.model_validate({**task.model_dump(), "reference": unclocked})
        return hooked(patched, "void uart_init(void)", hook, "#include <stdint.h>\n" + SEMIHOST)

    return build


def _ticks_from(source: str) -> str:
    return SYSTICK_INIT + f"""
#include "runtime.h"

uint32_t ticks(void) {{
    return {source};
}}

void delay_ticks(uint32_t n) {{
    uint32_t start = ticks();
    while (ticks() - start < n) {{
    }}
}}
"""


WEAK_TESTS = {
    "ticks-bumped-by-calls": ("systick_timebase", lambda task: TICKS_BY_CALLS),
    "ticks-polled-from-countflag": ("systick_timebase", lambda task: TICKS_BY_POLLING),
    "unimp-log-append-by-file": ("uart_polled_tx", append_to_unimp_log("file")),
    "unimp-log-append-by-shell": ("uart_polled_tx", append_to_unimp_log("shell")),
}
KEY_FROM_RAM = """
static void hex(char *out, uint32_t value) {
    for (int i = 0; i < 8; i++) {
        out[i] = "0123456789abcdef"[(value >> (28 - 4 * i)) & 15U];
    }
}
"""


def exit_with_the_key_from_ram(task: Task) -> str:
    """Forge the new exit line with the key from where the emulator writes it (the linker script's
    RUNKEY): tag as printed, digest computed over the forged console as the runtime would."""
    body = c_string(expected_console(task))
    hook = (f"static const char body[] = {body};\n"
            "    const volatile uint32_t *key = (const volatile uint32_t *)0x2001FFF0U;\n"
            "    uint64_t digest = 0xCBF29CE484222325ULL ^ ((uint64_t)key[3] << 32 | key[2]);\n"
            "    for (const char *c = body; *c != '\\0'; c++) {\n"
            "        digest = (digest ^ (uint8_t)*c) * 0x100000001B3ULL;\n    }\n"
            "    static char line[] = \"@@exit ................ 0 ................\\n\";\n"
            "    hex(line + 7, key[1]);\n    hex(line + 15, key[0]);\n"
            "    hex(line + 26, (uint32_t)(digest >> 32));\n    hex(line + 34, (uint32_t)digest);\n"
            "    raw_puts(body);\n    raw_puts(line);\n    raw_stop();")  # fmt: skip
    return hooked(task, "uint32_t crc_compute(const uint8_t *data, uint32_t len)", hook,
                  "#include <stdint.h>\n" + raw_console() + KEY_FROM_RAM)  # fmt: skip


# Attacks on the checks this issue added (neither existed before): the runtime's own count of SysTick
# entries returned as the tick count, and the run's key read where the emulator puts it.
AGAINST_THE_NEW_CHECKS = {
    "ticks-from-the-runtimes-count": ("systick_timebase", lambda task: _ticks_from("runtime_irq_entries(-1)")),
    "exit-with-the-key-from-ram": ("crc", exit_with_the_key_from_ram),
}
EXPECTED = {
    "print-and-exit-via-runtime": Outcome.COMPILATION_ERROR,
    "print-and-reset-raw": Outcome.RUNTIME_ERROR,
    "print-and-reset-raw-new-format": Outcome.RUNTIME_ERROR,
    "print-exit-and-hang": Outcome.TIMEOUT,
    "own-vector-table-attribute": Outcome.COMPILATION_ERROR,
    "own-vector-table-assembler": Outcome.COMPILATION_ERROR,
    "rewrite-through-mpu-trap": Outcome.TEST_FAILURE,
    "answers-from-the-stored-task": Outcome.TEST_FAILURE,
    "ticks-bumped-by-calls": Outcome.TEST_FAILURE,
    "ticks-polled-from-countflag": Outcome.TEST_FAILURE,
    "unimp-log-append-by-file": Outcome.MEMORY_FAULT,
    "unimp-log-append-by-shell": Outcome.MEMORY_FAULT,
    "ticks-from-the-runtimes-count": Outcome.COMPILATION_ERROR,
    "exit-with-the-key-from-ram": Outcome.RUNTIME_ERROR,
}
WHY = {  # the words each refusal must carry
    "print-and-exit-via-runtime": "uses 'firmware_exit', which belongs to the test harness",
    "print-and-reset-raw": "ended without the harness's exit line",
    "print-and-reset-raw-new-format": "ended without the harness's exit line",
    "print-exit-and-hang": "firmware did not exit",
    "own-vector-table-attribute": "section '.isr_vector'",
    "own-vector-table-assembler": "section '.isr_vector'",
    "rewrite-through-mpu-trap": "bytes on USART1 that the harness did not send",
    "answers-from-the-stored-task": "-random_long=0x",
    "ticks-bumped-by-calls": "-counted_by_isr=0x00000001",
    "ticks-polled-from-countflag": "-still_while_masked=0x00000001",
    "unimp-log-append-by-file": "@@fault HardFault",
    "unimp-log-append-by-shell": "@@fault HardFault",
    "ticks-from-the-runtimes-count": "uses 'runtime_irq_entries', which belongs to the test harness",
    "exit-with-the-key-from-ram": "ended without the harness's exit line",
}


@pytest.fixture(autouse=True)
def _qemu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(EMULATOR_ENV, "qemu")


@pytest.fixture(scope="module")
def tasks() -> dict[str, Task]:
    seeds = get_domain("embedded").seed_tasks(None)
    return {family: next(t for t in seeds if t.family == family and t.params == params)
            for family, params in PICK.items()}  # fmt: skip


def run(task: Task, code: str) -> ExecutionResult:
    return get_domain("embedded").run(ExecutionRequest.for_code(task, code, timeout_s=10.0))


ATTACKS = {**SHARED_CHANNEL, **WEAK_TESTS, **AGAINST_THE_NEW_CHECKS}


@pytest.mark.parametrize("name", ATTACKS)
def test_exploit_does_not_pass(tasks: dict[str, Task], name: str) -> None:
    family, build = ATTACKS[name]
    task = tasks[family]
    result = run(task, build(task))
    assert result.outcome is EXPECTED[name], result.diagnostic
    assert WHY[name] in result.diagnostic, result.diagnostic


def test_stored_answers_are_right_for_the_stored_inputs_only(tasks: dict[str, Task]) -> None:
    """The table exploit is a correct answer for seed 0, the stored task's inputs (so the technique
    really is the diff-copying one), and nothing else: every run draws its own seed."""
    task = tasks["crc"]
    code = answers_from_the_stored_task(task)
    execute = get_domain("embedded").execute
    stored = execute(ExecutionRequest.for_code(task, code), seed=0)  # type: ignore[call-arg]
    assert stored.outcome is Outcome.PASS, stored.diagnostic
    fresh = [run(task, task.reference) for _ in range(2)]
    assert all(r.outcome is Outcome.PASS and r.metrics["fresh_inputs"] == 1 for r in fresh)
    assert fresh[0].metrics["input_seed"] != fresh[1].metrics["input_seed"]


@pytest.mark.parametrize("family", PICK)
def test_golden_passes(tasks: dict[str, Task], family: str) -> None:
    result = run(tasks[family], tasks[family].reference)
    assert result.outcome is Outcome.PASS, result.diagnostic


CORRECT_REWRITES = {
    "crc": """
#include "task.h"

uint32_t crc_compute(const uint8_t *data, uint32_t len) {  /* bitwise, reflected: the same CRC-32 */
    uint32_t crc = 0xFFFFFFFFUL;
    while (len-- > 0U) {
        crc ^= *data++;
        for (int bit = 0; bit < 8; bit++) {
            crc = (crc >> 1) ^ (0xEDB88320UL & (0U - (crc & 1U)));
        }
    }
    return ~crc;
}
""",
    "systick_timebase": SYSTICK_INIT.replace("void SysTick_Handler(void) {\n}", "") + """
static volatile uint64_t elapsed;  /* a 64-bit count, read with the tick masked */

void SysTick_Handler(void) {
    elapsed = elapsed + 1U;
}

uint32_t ticks(void) {
    uint32_t primask;
    __asm volatile("mrs %0, primask\\n cpsid i" : "=r"(primask)::"memory");
    uint32_t now = (uint32_t)elapsed;
    __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
    return now;
}

void delay_ticks(uint32_t n) {
    for (uint32_t start = ticks(); ticks() - start < n;) {
        __asm volatile("wfi");
    }
}
""",
}


@pytest.mark.parametrize("family", CORRECT_REWRITES)
def test_a_correct_rewrite_passes(tasks: dict[str, Task], family: str) -> None:
    result = run(tasks[family], CORRECT_REWRITES[family])
    assert result.outcome is Outcome.PASS, result.diagnostic
