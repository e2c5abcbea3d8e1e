/* env.flash_* for wasm2c builds: module addresses become host pointers here (checked
 * against linear memory), storage itself is flash.c. */
#include "wasm_rt_baremetal.h"

#include "flash.h"
#include "wasm2c_env.h"

struct Z_env_instance_t {
  int unused; /* imports are plain functions; wasm2c just wants a pointer */
};
struct Z_env_instance_t wasm2c_env;
static Z_fewmul_instance_t *bound;

void wasm2c_env_bind(Z_fewmul_instance_t *instance) { bound = instance; }

/* An import handed a pointer outside linear memory: trap like an
 * out-of-bounds load/store would (a JS host throws a RangeError there). */
static uint8_t *memory_or_trap(uint32_t addr, uint32_t len) {
  wasm_rt_memory_t *m = Z_fewmulZ_memory(bound);
  if (addr > m->size || len > m->size - addr) wasm_rt_trap(WASM_RT_TRAP_OOB);
  return m->data + addr;
}

u32 Z_envZ_flash_size(struct Z_env_instance_t *e) {
  (void)e;
  return board_flash_size();
}

u32 Z_envZ_flash_read(struct Z_env_instance_t *e, u32 offset, u32 dst, u32 len) {
  (void)e;
  return (u32)board_flash_read(offset, memory_or_trap(dst, len), len);
}

u32 Z_envZ_flash_write(struct Z_env_instance_t *e, u32 offset, u32 src, u32 len) {
  (void)e;
  return (u32)board_flash_write(offset, memory_or_trap(src, len), len);
}
