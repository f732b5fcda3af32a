"""The fixed C half of every assembly harness: guarded buffers, input generators, fault reports, timing.

`harness.py` appends the per-kernel half (argument set-up, the ABI-checking trampoline, comparisons).
Kept as text here, not as a data file, so the package needs nothing beyond its modules.

- Buffers: each array of a test gets its own mapping whose last page is PROT_NONE; the array ends
  as close to that guard page as its alignment allows, so a read or write past its end faults and
  an over-run of a few bytes lands in poisoned slack the harness checks.
- Faults: SIGSEGV/SIGBUS/SIGILL/SIGFPE and the watchdog's SIGALRM print one `FAULT` line (signal,
  instruction pointer as an offset into the executable for addr2line, faulting address, the test
  being run), then the signal is re-raised, so the process really dies of it.
- Timing: pinned to the CPU it starts on; per function a batch size calibrated to >= 50 us, a
  warm-up, then REPEATS repeats of reference and candidate interleaved (drift hits both alike),
  each repeat the fastest of SUBBATCHES batches (a preempted batch is not the code's variation).
"""

RUNTIME_C = r"""
#define _GNU_SOURCE
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define PAGE 4096u
#define SLACK 64u
#define REPEATS 21
#define SUBBATCHES 3
#define BATCH_NS 50000.0
#define RANDOM_TESTS 100

extern char __executable_start;
static char current_case[512] = "start-up";

/* ---- deterministic random numbers (splitmix64, fixed seed) ---- */
static uint64_t rng_state = 0x5EEDF00DCAFEF00Dull;
static uint64_t rnd(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static size_t rnd_below(size_t bound) { return bound ? (size_t)(rnd() % bound) : 0; }

/* Edge lengths first (empty, one element, around every vector width and unroll), then random. */
static const size_t EDGE_LENGTHS[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 23, 31, 32, 33, 47, 48, 49,
                                      63, 64, 65, 95, 127, 128, 129, 255, 256, 257, 511, 1000};
#define EDGE_TESTS (sizeof EDGE_LENGTHS / sizeof EDGE_LENGTHS[0])
#define TESTS (EDGE_TESTS + RANDOM_TESTS)
static size_t pick_length(size_t t, size_t lo, size_t hi) {
    if (t < EDGE_TESTS) {
        size_t v = EDGE_LENGTHS[t];
        return v < lo ? lo : v > hi ? hi : v;
    }
    return lo + rnd_below(hi - lo + 1);
}

/* ---- input generators: fill(count elements of elem bytes) ---- */
static void fill_bits(void *p, size_t count, size_t elem) {
    unsigned char *b = p;
    for (size_t i = 0; i < count; i++) {
        uint64_t v = rnd();
        switch (rnd() & 31) { /* extremes now and then: 0, all ones, sign bit, max positive */
        case 0: v = 0; break;
        case 1: v = ~0ull; break;
        case 2: v = 1ull << (8 * elem - 1); break;
        case 3: v = (1ull << (8 * elem - 1)) - 1; break;
        }
        memcpy(b + i * elem, &v, elem);
    }
}
static void fill_small(void *p, size_t count, size_t elem) { /* few distinct values: matches are common */
    unsigned char *b = p;
    for (size_t i = 0; i < count; i++) {
        uint64_t v = rnd() % 4;
        memcpy(b + i * elem, &v, elem);
    }
}
static void fill_real(void *p, size_t count, size_t elem) { /* uniform in [-2, 2) */
    for (size_t i = 0; i < count; i++) {
        double v = ((double)(rnd() >> 11) / 9007199254740992.0) * 4.0 - 2.0;
        if (elem == 4) ((float *)p)[i] = (float)v; else ((double *)p)[i] = v;
    }
}
static void fill_text(void *p, size_t count, size_t elem) { /* bytes over a two-letter alphabet */
    (void)elem;
    for (size_t i = 0; i < count; i++) ((unsigned char *)p)[i] = "ab"[rnd() & 1];
}
static void fill_ascii(void *p, size_t count, size_t elem) { /* letters, punctuation, edges, high bytes */
    static const char edges[] = "@AZ[`az{";
    (void)elem;
    for (size_t i = 0; i < count; i++) {
        uint64_t r = rnd();
        ((unsigned char *)p)[i] = (r & 7) == 0 ? (unsigned char)edges[(r >> 3) % 8] : (unsigned char)(r >> 8);
    }
}
static void fill_nonzero(void *p, size_t count, size_t elem) {
    unsigned char *b = p;
    for (size_t i = 0; i < count; i++) {
        uint64_t v = rnd() | (1ull << (rnd() % (8 * elem)));
        memcpy(b + i * elem, &v, elem);
    }
}
static void fill_cstring(void *p, size_t count, size_t elem) { /* nonzero elements, zero terminator */
    fill_nonzero(p, count - 1, elem);
    memset((unsigned char *)p + (count - 1) * elem, 0, elem);
}
static void fill_line(void *p, size_t count, size_t elem) { /* a C string with an occasional '\n' */
    unsigned char *b = p;
    fill_cstring(p, count, 1);
    (void)elem;
    for (size_t i = 0; i + 1 < count; i++)
        if (rnd() % 97 == 0) b[i] = '\n';
}

/* ---- guarded placement: the array ends at (or within alignment of) a PROT_NONE page ---- */
/* The slack around an array is filled with a pattern drawn per mapping: an over-run that copies,
   swaps or case-converts a neighbouring buffer's slack still changes the bytes it lands on. */
typedef struct { unsigned char *map; size_t span; unsigned char *start; size_t bytes; uint64_t key; } placed_t;
static unsigned char poison(const placed_t *slot, const unsigned char *q) {
    return (unsigned char)(slot->key >> (8 * ((size_t)(q - slot->map) & 7)));
}

static unsigned char *place(placed_t *slot, size_t bytes, size_t align, int flush) {
    size_t span = ((bytes + 2 * SLACK + PAGE - 1) / PAGE) * PAGE;
    unsigned char *map = mmap(NULL, span + PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED || mprotect(map + span, PAGE, PROT_NONE)) {
        perror("harness: mmap");
        exit(4);
    }
    slot->key = rnd();
    slot->map = map;
    for (size_t i = 0; i < span; i += 8) memcpy(map + i, &slot->key, 8); /* = poison() at every byte */
    uintptr_t end = (uintptr_t)(map + span) - (flush ? 0 : rnd_below(SLACK));
    slot->span = span;
    slot->start = (unsigned char *)((end - bytes) & ~(uintptr_t)(align - 1));
    slot->bytes = bytes;
    return slot->start;
}
static void release(placed_t *slot) { munmap(slot->map, slot->span + PAGE); }

/* The first byte written outside [start, start + bytes), or -1: SLACK bytes before, up to the guard after. */
static long stray_write(const placed_t *slot, long *where, unsigned *was) {
    const unsigned char *lo = slot->start - SLACK, *end = slot->start + slot->bytes;
    for (const unsigned char *q = lo; q < slot->map + slot->span; q++) {
        if (q == slot->start) q = end;
        if (q >= slot->map + slot->span) break;
        if (*q != poison(slot, q)) { *where = (long)(q - slot->start); *was = poison(slot, q); return *q; }
    }
    return -1;
}
static int offset16(const void *p) { return (int)((uintptr_t)p & 15u); }
static void describe_array(const char *name, const char *ctype, size_t count, const placed_t *slot) {
    size_t used = strlen(current_case);
    int at_guard = slot->start + slot->bytes == slot->map + slot->span;
    snprintf(current_case + used, sizeof current_case - used, "; %s: %zu x %s at 16-byte offset %d%s", name, count,
             ctype, offset16(slot->start), at_guard ? ", ending at a guard page" : "");
}

/* ---- faults and the watchdog: one FAULT line, then die of the signal ---- */
static void put(const char *s) { ssize_t r = write(2, s, strlen(s)); (void)r; }
static void put_hex(uint64_t v) {
    char buf[19] = "0x";
    for (int i = 0; i < 16; i++) buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
    buf[18] = 0;
    put(buf);
}
static void on_signal(int sig, siginfo_t *info, void *context) {
    uint64_t rip = (uint64_t)((ucontext_t *)context)->uc_mcontext.gregs[REG_RIP];
    if (sig == SIGALRM) put("FAULT watchdog: still running after the time limit");
    else { put("FAULT SIG"); put(sigabbrev_np(sig)); put(" ("); put(sigdescr_np(sig)); put(")"); }
    put(" rip="); put_hex(rip);
    put(" offset="); put_hex(rip - (uint64_t)(uintptr_t)&__executable_start);
    if (sig != SIGALRM) { put(" addr="); put_hex((uint64_t)(uintptr_t)info->si_addr); }
    put(" during "); put(current_case); put("\n");
    raise(sig); /* the handler was reset (SA_RESETHAND): the process dies of this signal */
}
static void install_handlers(void) {
    static unsigned char alt[1 << 16];
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND | SA_NODEFER;
    int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGALRM};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);
}

static int pin_to_current_cpu(void) {
    int cpu = sched_getcpu();
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0 ? cpu : -1;
}

/* ---- timing ---- */
static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}
static void bench_call(int candidate);
static double batch_ns(int candidate, long calls) {
    double t0 = now_ns();
    for (long i = 0; i < calls; i++) bench_call(candidate);
    return (now_ns() - t0) / (double)calls;
}
static long calibrate(int candidate) {
    long calls = 1;
    while (batch_ns(candidate, calls) * (double)calls < BATCH_NS && calls < (1L << 22)) calls *= 2;
    return calls;
}
static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
/* One repeat: the fastest of SUBBATCHES short batches, so a preemption inside one batch (the
   machine is shared) is not mistaken for the code's own variation. */
static double repeat_ns(int candidate, long calls) {
    double best = batch_ns(candidate, calls);
    for (int s = 1; s < SUBBATCHES; s++) {
        double t = batch_ns(candidate, calls);
        if (t < best) best = t;
    }
    return best;
}
static void time_both(void) {
    double ref[REPEATS], cand[REPEATS];
    long ref_calls = calibrate(0), cand_calls = calibrate(1);
    for (int w = 0; w < 2; w++) { batch_ns(0, ref_calls); batch_ns(1, cand_calls); }
    for (int r = 0; r < REPEATS; r++) {
        ref[r] = repeat_ns(0, ref_calls);
        cand[r] = repeat_ns(1, cand_calls);
    }
    qsort(ref, REPEATS, sizeof ref[0], by_value);
    qsort(cand, REPEATS, sizeof cand[0], by_value);
    printf("TIMING repeats=%d ref_median_ns=%.3f ref_min_ns=%.3f ref_max_ns=%.3f ref_calls=%ld "
           "cand_median_ns=%.3f cand_min_ns=%.3f cand_max_ns=%.3f cand_calls=%ld\n",
           REPEATS, ref[REPEATS / 2], ref[0], ref[REPEATS - 1], ref_calls,
           cand[REPEATS / 2], cand[0], cand[REPEATS - 1], cand_calls);
}

/* ---- reporting helpers ---- */
static void show_text(const char *name, const unsigned char *s, size_t count) {
    printf("  %s = \"", name);
    for (size_t i = 0; i < count && i < 64; i++) {
        if (s[i] >= 32 && s[i] < 127 && s[i] != '"' && s[i] != '\\') putchar(s[i]);
        else printf("\\x%02x", s[i]);
    }
    printf(count > 64 ? "\"... (%zu bytes)\n" : "\" (%zu bytes)\n", count);
}
"""
