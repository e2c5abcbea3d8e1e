/* Bench firmware (bench/mcu.ts): instead of the byte pump, call the module's direct
 * exports (spec_ptr, required_bytes, init, batch_inputs_ptr, batch_labels_ptr, train,
 * evaluate, last_loss; docs/device-abi.md) on one fixed batch and report SysTick counts
 * over the UART. Under `qemu-system-arm -icount shift=0` every guest instruction
 * advances virtual time by 1 ns, and SysTick (processor clock, 25 MHz) ticks every
 * 40 ns: counts are proportional to executed instructions, independent of host load.
 * A calibration loop of known length measures that factor on the spot.
 *
 * Built by buildFirmware(..., { variant: "bench", defines }) with:
 *   BENCH_SPEC     the 48 spec bytes, comma-separated
 *   BENCH_IMPORTS  1 if the module imports env.flash_* (wasm2c's instantiate then takes
 *                  an env instance), 0 for the float32 module (no imports)
 *   BENCH_STEPS    train() calls, BENCH_EVALS evaluate() calls, on the whole batch
 *   BENCH_SEED_LO, BENCH_SEED_HI
 * and bench_batch.h (generated into the build directory): bench_inputs[], bench_labels[].
 *
 * Waits for one byte from the host, then prints "key=value" lines and "BENCH-END".
 * A trap prints "FEWMUL-TRAP <code>" as the byte pump does. */
#include "wasm_rt_baremetal.h"

#include <string.h>

#include "bench_batch.h"
#include "module.h"
#include "uart.h"
#if BENCH_IMPORTS
#endif

#ifndef BOARD_BAUD
#define BOARD_BAUD 115200
#endif
#ifndef BENCH_STEPS
#define BENCH_STEPS 2
#endif
#ifndef BENCH_EVALS
#define BENCH_EVALS 2
#endif
#ifndef BENCH_SEED_LO
#define BENCH_SEED_LO 1
#endif
#ifndef BENCH_SEED_HI
#define BENCH_SEED_HI 0
#endif
#ifndef BENCH_CALIBRATION_LOOPS
#define BENCH_CALIBRATION_LOOPS 5000000u
#endif

static const uint8_t spec[48] = {BENCH_SPEC};

/* ---- SysTick: 24-bit down-counter on the processor clock, wraps counted ---- */
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SYST_RELOAD 0x00FFFFFFu

static volatile uint32_t systick_wraps;

void SysTick_Handler(void) { systick_wraps++; }

static void ticks_start(void) {
  SYST_RVR = SYST_RELOAD;
  SYST_CVR = 0;           /* any write clears the counter */
  SYST_CSR = 1u | 2u | 4u; /* enable, interrupt on wrap, processor clock */
  /* the cleared counter reloads on the first tick without counting a wrap: wait for it */
  while (SYST_CVR == 0) {
  }
}

static uint64_t ticks(void) {
  uint32_t w, v;
  do {
    w = systick_wraps;
    v = SYST_CVR;
  } while (w != systick_wraps);
  return (uint64_t)w * (SYST_RELOAD + 1u) + (SYST_RELOAD - v);
}

/* ---- output ---- */
static void put_u64(uint64_t v) {
  char d[21];
  int n = 0;
  do d[n++] = (char)('0' + (int)(v % 10u)); while ((v /= 10u) != 0);
  while (n) uart_write((const uint8_t *)&d[--n], 1);
}

static void put_i32(int32_t v) {
  if (v < 0) {
    uart_puts("-");
    put_u64((uint64_t)(-(int64_t)v));
  } else {
    put_u64((uint64_t)v);
  }
}

static void kv(const char *key, uint64_t v) {
  uart_puts(key);
  uart_puts("=");
  put_u64(v);
  uart_puts("\n");
}

static void kv_i32(const char *key, int32_t v) {
  uart_puts(key);
  uart_puts("=");
  put_i32(v);
  uart_puts("\n");
}

/* ---- the module ---- */
static Z_fewmul_instance_t instance;

void Z_fewmulZ__initialize(Z_fewmul_instance_t *) __attribute__((weak));

#if BENCH_IMPORTS /* the integer module imports env.flash_* (wasm2c_env.c) */
#include "wasm2c_env.h"
#define INSTANTIATE() (wasm2c_env_bind(&instance), Z_fewmul_instantiate(&instance, &wasm2c_env))
#else
#define INSTANTIATE() Z_fewmul_instantiate(&instance)
#endif

/* ---- stack high-water mark: paint below the current frame, scan afterwards ---- */
extern uint32_t __stack_limit[], __stack_top[];
#define STACK_PAINT 0xC5AC5AC5u

__attribute__((noinline)) static void stack_paint(void) {
  uint32_t sp;
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  for (uint32_t *p = __stack_limit; (uint32_t)(uintptr_t)p < sp - 64u; p++) *p = STACK_PAINT;
}

static uint32_t stack_peak(void) {
  uint32_t *p = __stack_limit;
  while (p < __stack_top && *p == STACK_PAINT) p++;
  return (uint32_t)((uintptr_t)__stack_top - (uintptr_t)p);
}

/* 2 instructions per iteration (subs + taken bne), plus a few around it */
__attribute__((noinline)) static void spin(uint32_t n) {
  __asm__ volatile(
#if defined(__ARM_ARCH_6M__) /* gcc's inline asm is in divided syntax there: "sub" sets flags */
      "1: sub %0, #1\n\t"
#else
      "1: subs %0, %0, #1\n\t"
#endif
      "bne 1b"
      : "+r"(n)
      :
      : "cc");
}

static void fail(const char *what, int32_t code) {
  uart_puts("BENCH-ERROR ");
  uart_puts(what);
  uart_puts(" ");
  put_i32(code);
  uart_puts("\nBENCH-END\n");
  for (;;) {
  }
}

int main(void) {
  uart_init(BOARD_BAUD);
  (void)uart_getc(); /* the host is listening: go */
  ticks_start();

  /* calibration: instructions per SysTick tick */
  uint64_t c0 = ticks();
  spin(BENCH_CALIBRATION_LOOPS);
  uint64_t c1 = ticks();
  kv("calibration_instructions", 2ull * BENCH_CALIBRATION_LOOPS);
  kv("calibration_ticks", c1 - c0);
#if BENCH_PROBE_DWT
  /* Does the emulator model the DWT cycle counter? (QEMU 7.2: no; README) */
  {
    volatile uint32_t *demcr = (volatile uint32_t *)0xE000EDFCu, *dwt_ctrl = (volatile uint32_t *)0xE0001000u,
                      *cyccnt = (volatile uint32_t *)0xE0001004u;
    *demcr |= 1u << 24; /* TRCENA */
    kv("dwt_ctrl", *dwt_ctrl);
    *cyccnt = 0;
    *dwt_ctrl |= 1u;
    uint32_t a = *cyccnt;
    spin(BENCH_CALIBRATION_LOOPS);
    kv("dwt_cyccnt_delta", *cyccnt - a);
  }
#endif

  int trap = wasm_rt_impl_try();
  if (trap) {
    uart_puts("FEWMUL-TRAP ");
    put_i32(trap);
    uart_puts("\nBENCH-END\n");
    for (;;) {
    }
  }
  Z_fewmul_init_module();
  INSTANTIATE();
  if (Z_fewmulZ__initialize) Z_fewmulZ__initialize(&instance);
  wasm_rt_memory_t *mem = Z_fewmulZ_memory(&instance);

  memcpy(mem->data + Z_fewmulZ_spec_ptr(&instance), spec, sizeof spec);
  int32_t required = (int32_t)Z_fewmulZ_required_bytes(&instance);
  kv_i32("required_bytes", required);
  if (required < 0) fail("required_bytes", required);
  kv("ram", mem->max_pages * 65536ull);

  stack_paint();
  uint64_t t0 = ticks();
  int32_t status = (int32_t)Z_fewmulZ_init(&instance, BENCH_SEED_LO, BENCH_SEED_HI);
  uint64_t t1 = ticks();
  kv_i32("init", status);
  if (status < 0) fail("init", status);
  kv("init_ticks", t1 - t0);
  kv("memory_bytes", mem->size);

  uint32_t batch = sizeof bench_labels;
  memcpy(mem->data + Z_fewmulZ_batch_inputs_ptr(&instance), bench_inputs, sizeof bench_inputs);
  memcpy(mem->data + Z_fewmulZ_batch_labels_ptr(&instance), bench_labels, sizeof bench_labels);
  kv("batch", batch);

  uint64_t train_ticks = 0;
  for (int s = 0; s < BENCH_STEPS; s++) {
    uint64_t a = ticks();
    int32_t r = (int32_t)Z_fewmulZ_train(&instance, batch);
    uint64_t b = ticks();
    train_ticks += b - a;
    kv_i32("train", r);
    kv("loss", Z_fewmulZ_last_loss(&instance));
    if (r < 0) fail("train", r);
  }
  kv("train_steps", BENCH_STEPS);
  kv("train_ticks", train_ticks);

  uint64_t eval_ticks = 0;
  for (int s = 0; s < BENCH_EVALS; s++) {
    uint64_t a = ticks();
    int32_t r = (int32_t)Z_fewmulZ_evaluate(&instance, batch);
    uint64_t b = ticks();
    eval_ticks += b - a;
    kv_i32("evaluate", r);
    if (r < 0) fail("evaluate", r);
  }
  kv("eval_calls", BENCH_EVALS);
  kv("eval_ticks", eval_ticks);
  kv("stack_peak", stack_peak());
  uart_puts("BENCH-END\n");
  for (;;) {
  }
}
