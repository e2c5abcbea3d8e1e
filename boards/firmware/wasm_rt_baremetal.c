/* The wasm_rt_* functions wasm2c (wabt 1.0.32) output calls, for a bare-metal
 * MCU: no malloc, no mmap, no signals. The stock wasm-rt-impl.c needs sys/mman.h.
 *
 * - Linear memory is one static buffer of BOARD_RAM bytes (manifest "ram");
 *   memory.grow succeeds up to that size (or the module's declared maximum)
 *   and returns -1 beyond it, as a browser does when allocation fails.
 * - Tables come from static pools. Exceptions are not supported (no
 *   --enable-exceptions), so those functions are absent and a module using
 *   them fails to link rather than misbehaving at run time.
 * One instance at a time: (re)instantiation reuses the same buffers. */
#include "wasm_rt_baremetal.h"

#include <stdarg.h>
#include <string.h>

#include "module_port.h" /* PORT_TRAP_NO_RAM */
#include "wasm-rt.h"

#ifndef BOARD_RAM
#error "BOARD_RAM comes from the board manifest (ram)"
#endif
#define PAGE_SIZE 65536u
#define BOARD_PAGES (BOARD_RAM / PAGE_SIZE)

#ifndef WASM_RT_TABLE_POOL
#define WASM_RT_TABLE_POOL 256 /* elements per table kind; more traps (16) at instantiation */
#endif
#ifndef WASM_RT_FUNC_TYPE_POOL
#define WASM_RT_FUNC_TYPE_POOL 1024 /* bytes of signatures: 2 + params + results each */
#endif

uint32_t wasm_rt_call_stack_depth;
uint32_t wasm_rt_saved_call_stack_depth;
jmp_buf wasm_rt_jmp_buf;
static jmp_buf *unwind_target;

/* .noinit: startup.c does not zero it, wasm_rt_allocate_memory does. */
/* The module's one linear memory and its size in bytes, also as globals (wasm_rt_baremetal.h):
 * the generated code's inlined accessors address them directly. */
uint8_t fewmul_linear_memory[BOARD_PAGES * PAGE_SIZE]
    __attribute__((section(".noinit"), aligned(8)));
uint32_t fewmul_linear_size;

void wasm_rt_init(void) {}
bool wasm_rt_is_initialized(void) { return true; }
void wasm_rt_free(void) {}

void wasm_rt_set_unwind_target(WASM_RT_UNWIND_TARGET *target) { unwind_target = target; }
WASM_RT_UNWIND_TARGET *wasm_rt_get_unwind_target(void) { return unwind_target; }

void wasm_rt_trap(wasm_rt_trap_t code) {
  wasm_rt_call_stack_depth = wasm_rt_saved_call_stack_depth;
  longjmp(wasm_rt_jmp_buf, (int)code);
}

/* Signatures are stored as [params, results, types...] bytes; the index of the
 * first identical entry is the type's id, so equal signatures compare equal
 * in call_indirect. */
static uint8_t func_types[WASM_RT_FUNC_TYPE_POOL];
static uint32_t func_types_used;

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  uint32_t len = 2 + params + results;
  uint8_t sig[2 + 64];
  if (params + results > 64 || func_types_used + len > sizeof func_types)
    wasm_rt_trap((wasm_rt_trap_t)PORT_TRAP_NO_RAM);
  sig[0] = (uint8_t)params;
  sig[1] = (uint8_t)results;
  va_list args;
  va_start(args, results);
  for (uint32_t i = 2; i < len; i++) sig[i] = (uint8_t)va_arg(args, int);
  va_end(args);
  uint32_t id = 0;
  for (uint32_t at = 0; at < func_types_used; id++) {
    uint32_t at_len = 2u + func_types[at] + func_types[at + 1];
    if (at_len == len && memcmp(func_types + at, sig, len) == 0) return id + 1;
    at += at_len;
  }
  memcpy(func_types + func_types_used, sig, len);
  func_types_used += len;
  return id + 1; /* 0 is the null funcref's type */
}

void wasm_rt_allocate_memory(wasm_rt_memory_t *memory, uint32_t initial_pages,
                             uint32_t max_pages) {
  if (initial_pages > BOARD_PAGES) wasm_rt_trap((wasm_rt_trap_t)PORT_TRAP_NO_RAM);
  memset(fewmul_linear_memory, 0, initial_pages * PAGE_SIZE);
  memory->data = fewmul_linear_memory;
  memory->pages = initial_pages;
  memory->max_pages = max_pages < BOARD_PAGES ? max_pages : BOARD_PAGES;
  memory->size = initial_pages * PAGE_SIZE;
  fewmul_linear_size = initial_pages * PAGE_SIZE;
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *memory, uint32_t delta) {
  uint32_t old_pages = memory->pages;
  if (delta > memory->max_pages - old_pages) return UINT32_MAX;
  memset(memory->data + old_pages * PAGE_SIZE, 0, delta * PAGE_SIZE);
  memory->pages = old_pages + delta;
  memory->size = memory->pages * PAGE_SIZE;
  fewmul_linear_size = memory->pages * PAGE_SIZE;
  return old_pages;
}

void wasm_rt_free_memory(wasm_rt_memory_t *memory) { (void)memory; }

#define DEFINE_TABLE_OPS(type)                                                   \
  static wasm_rt_##type##_t type##_pool[WASM_RT_TABLE_POOL];                     \
  void wasm_rt_allocate_##type##_table(wasm_rt_##type##_table_t *table,          \
                                       uint32_t elements, uint32_t max_elements) { \
    if (elements > WASM_RT_TABLE_POOL) wasm_rt_trap((wasm_rt_trap_t)PORT_TRAP_NO_RAM); \
    memset(type##_pool, 0, sizeof type##_pool);                                  \
    table->data = type##_pool;                                                   \
    table->size = elements;                                                      \
    table->max_size = max_elements < WASM_RT_TABLE_POOL ? max_elements          \
                                                        : WASM_RT_TABLE_POOL;   \
  }                                                                              \
  void wasm_rt_free_##type##_table(wasm_rt_##type##_table_t *table) { (void)table; } \
  uint32_t wasm_rt_grow_##type##_table(wasm_rt_##type##_table_t *table,          \
                                       uint32_t delta, wasm_rt_##type##_t init) { \
    uint32_t old = table->size;                                                  \
    if (delta > table->max_size - old) return UINT32_MAX;                        \
    for (uint32_t i = old; i < old + delta; i++) table->data[i] = init;          \
    table->size = old + delta;                                                   \
    return old;                                                                  \
  }

DEFINE_TABLE_OPS(funcref)
DEFINE_TABLE_OPS(externref)
