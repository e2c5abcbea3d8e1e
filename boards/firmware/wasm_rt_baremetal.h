/* Configuration of wasm2c's runtime for a bare-metal 32-bit MCU. Included first
 * by the glue and the runtime, and force-included (-include) into the wasm2c
 * output so wasm-rt.h sees these settings. Written against wabt 1.0.32. */
#ifndef WASM_RT_BAREMETAL_H
#define WASM_RT_BAREMETAL_H

#include <setjmp.h>
#include <stdint.h>

/* No MMU, no signals: every load/store is range-checked in the generated code
 * (MEMCHECK -> RANGE_CHECK), and calls are counted instead of guard-paged. */
#define WASM_RT_MEMCHECK_SIGNAL_HANDLER 0
#define WASM_RT_USE_STACK_DEPTH_COUNT 1

/* Call-depth limit against the real stack: every Wasm function prologue does
 *   if (++wasm_rt_call_stack_depth > WASM_RT_MAX_CALL_STACK_DEPTH) trap(EXHAUSTION);
 * Instead of a guessed fixed depth, the "limit" is 0 (trap) once the stack
 * pointer is below __wasm_stack_guard = stack bottom + margin (mps2.ld). The
 * margin is computed at build time from -fstack-usage: the largest frame of the
 * generated code plus the firmware code a Wasm function can call (imports, memset,
 * longjmp). So deep recursion traps instead of overwriting memory below the stack. */
extern char __wasm_stack_guard[];
__attribute__((always_inline)) static inline uint32_t wasm_rt_stack_depth_limit(void) {
  uint32_t sp;
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  return sp > (uint32_t)(uintptr_t)__wasm_stack_guard ? UINT32_MAX : 0u;
}
#define WASM_RT_MAX_CALL_STACK_DEPTH wasm_rt_stack_depth_limit()

/* The one linear memory (every wasm_rt_memory_t's data points here; a module has one) and its
 * size in bytes, kept equal to that memory's size by allocate/grow. The inlined accessors of
 * host/boards/wasm2c-hot.ts address them directly: a store derived from this array's address
 * cannot change the size (a distinct object), so gcc keeps both in registers across a loop's
 * stores instead of reloading data and size from the memory struct after each one. */
#define FEWMUL_LINEAR_GLOBALS 1
extern uint8_t fewmul_linear_memory[] __attribute__((aligned(8)));
extern uint32_t fewmul_linear_size;

/* Trap recovery: same contract as wabt's wasm-rt-impl.h, without its OS bits.
 * 0 on the direct call, the trap code when a trap longjmps back here. */
extern jmp_buf wasm_rt_jmp_buf;
extern uint32_t wasm_rt_saved_call_stack_depth;
#define wasm_rt_impl_try()                                        \
  (wasm_rt_saved_call_stack_depth = wasm_rt_call_stack_depth,     \
   wasm_rt_set_unwind_target(&wasm_rt_jmp_buf), setjmp(wasm_rt_jmp_buf))

/* Loads and stores: wasm2c copies every access with wasm_rt_memcpy (__builtin_memcpy), since
 * Wasm addresses need not be aligned. Armv7-M does unaligned LDR/STR, so gcc turns that into
 * one instruction; Armv6-M (Cortex-M0/M0+) faults on unaligned words, so gcc calls memcpy for
 * every 2/4/8-byte access of unknown alignment (4x the instructions of a training step on the
 * Pico). Here an aligned address takes the single instruction and only a misaligned one copies
 * bytes. Same bytes either way: the choice changes speed, not results. */
#if defined(__ARM_ARCH_6M__) && !defined(FEWMUL_WASM_RT_NO_ALIGNED_ACCESS)
#include <stddef.h>
#include <string.h>
#include "wasm-rt.h" /* first, so its wasm_rt_memcpy is the one replaced below */
__attribute__((noinline)) static void *fewmul_misaligned_copy(void *dst, const void *src, size_t n) {
  unsigned char *d = (unsigned char *)dst;
  const unsigned char *s = (const unsigned char *)src;
  for (size_t i = 0; i < n; i++) d[i] = s[i];
  return dst;
}
__attribute__((always_inline)) static inline void *fewmul_access_copy(void *dst, const void *src, size_t n) {
  uintptr_t both = (uintptr_t)dst | (uintptr_t)src;
  if (n == 1) return __builtin_memcpy(dst, src, 1);
  if (n == 4 && !(both & 3u)) return __builtin_memcpy(__builtin_assume_aligned(dst, 4), __builtin_assume_aligned(src, 4), 4);
  if (n == 2 && !(both & 1u)) return __builtin_memcpy(__builtin_assume_aligned(dst, 2), __builtin_assume_aligned(src, 2), 2);
  if (n == 8 && !(both & 3u)) return __builtin_memcpy(__builtin_assume_aligned(dst, 4), __builtin_assume_aligned(src, 4), 8);
  return fewmul_misaligned_copy(dst, src, n); /* rare: out of line, byte by byte */
}
#undef wasm_rt_memcpy
#define wasm_rt_memcpy fewmul_access_copy
#endif

#endif
