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

/* Trap recovery: same contract as wabt's wasm-rt-impl.h, without its OS bits.
 * 0 on the direct call, the trap code when a trap longjmps back here. */
extern jmp_buf wasm_rt_jmp_buf;
extern uint32_t wasm_rt_saved_call_stack_depth;
#define wasm_rt_impl_try()                                        \
  (wasm_rt_saved_call_stack_depth = wasm_rt_call_stack_depth,     \
   wasm_rt_set_unwind_target(&wasm_rt_jmp_buf), setjmp(wasm_rt_jmp_buf))

#endif
