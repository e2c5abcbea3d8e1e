/* module_port.h on top of wasm2c output (wabt 1.0.32 naming): the generated
 * module.c/module.h come from `wasm2c -n fewmul`, so every symbol is
 * Z_fewmul..., whatever the .wasm file was called. The env.flash_* imports are
 * wasm2c_env.c. */
#include "wasm_rt_baremetal.h"

#include "module.h"
#include "module_port.h"
#include "wasm2c_env.h"

static Z_fewmul_instance_t instance;
static volatile int instantiated; /* volatile: read after a longjmp */

/* AssemblyScript's exportStart (asconfig "exportStart": "_initialize") must run
 * before any other export. Weak, so modules without it link too. */
void Z_fewmulZ__initialize(Z_fewmul_instance_t *) __attribute__((weak));

/* [addr, addr + len) inside linear memory, or NULL */
static uint8_t *memory_range(uint32_t addr, uint32_t len) {
  wasm_rt_memory_t *m = Z_fewmulZ_memory(&instance);
  if (addr > m->size || len > m->size - addr) return 0;
  return m->data + addr;
}


/* Each entry point sets the trap landing site in its own frame (setjmp must
 * stay live while the Wasm code runs), so a trap returns its code from here. */

int port_start(int32_t *boot_result) {
  static volatile int types_registered;
  int trap = wasm_rt_impl_try();
  if (trap) return trap;
  if (!types_registered) {
    Z_fewmul_init_module();
    types_registered = 1;
  }
  if (instantiated) Z_fewmul_free(&instance);
  instantiated = 0;
  wasm2c_env_bind(&instance);
  Z_fewmul_instantiate(&instance, &wasm2c_env);
  instantiated = 1;
  if (Z_fewmulZ__initialize) Z_fewmulZ__initialize(&instance);
  *boot_result = (int32_t)Z_fewmulZ_boot(&instance);
  return 0;
}

int port_rx(uint8_t **rx, uint32_t *cap) {
  int trap = wasm_rt_impl_try();
  if (trap) return trap;
  uint32_t n = Z_fewmulZ_io_rx_cap(&instance);
  uint8_t *p = memory_range(Z_fewmulZ_io_rx_ptr(&instance), n);
  if (!p || !n) return PORT_TRAP_ABI;
  *rx = p;
  *cap = n;
  return 0;
}

int port_feed(uint32_t n, const uint8_t **tx, uint32_t *tx_len) {
  int trap = wasm_rt_impl_try();
  if (trap) return trap;
  uint32_t len = Z_fewmulZ_io_feed(&instance, n);
  const uint8_t *p = memory_range(Z_fewmulZ_io_tx_ptr(&instance), len);
  if (!p) return PORT_TRAP_ABI;
  *tx = p;
  *tx_len = len;
  return 0;
}

/* Weak: modules built before REBOOT existed do not export io_reboot. */
u32 Z_fewmulZ_io_reboot(Z_fewmul_instance_t *) __attribute__((weak));

int port_reboot_request(uint32_t *mode) {
  int trap = wasm_rt_impl_try();
  if (trap) return trap;
  *mode = Z_fewmulZ_io_reboot ? Z_fewmulZ_io_reboot(&instance) : 0;
  return 0;
}
