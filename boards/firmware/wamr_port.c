/* module_port.h over WAMR's embedding API (wasm_export.h), for boards whose manifest says
 * "runtime": "wamr" (ESP-IDF, Zephyr, or any platform WAMR supports). main.c, flash.c and the
 * board's uart.c are used as they are; README.md, "Running on a WAMR board", lists the WAMR
 * options the module needs (interpreter, no libc, no WASI: it imports only env.flash_*).
 * Written against the wasm_export.h of WAMR 2.4.5 (checked with its classic and fast
 * interpreters); it uses the 2.x memory-instance API, so WAMR 1.x needs changes.
 *
 * - The runtime is initialised once, in pool mode: the loaded module, the instance and the
 *   interpreter stack come from wamr_pool (linear memory does not: see WAMR_POOL_BYTES).
 * - env.flash_* are registered before the module is loaded, with signatures whose "*~" makes
 *   WAMR check [ptr, ptr + len) against linear memory and pass a native pointer: a bad
 *   pointer is an "out of bounds memory access" exception (trap 1), as with wasm2c.
 * - The module is loaded once from a writable RAM copy (the loader rewrites its buffer and
 *   keeps referring to it); port_start re-creates only the instance: fresh linear memory,
 *   data segments and globals, start function, boot(). That is a device reset after a trap.
 * - The instance's linear memory is capped at BOARD_RAM (memory.grow fails beyond) and gets
 *   no app heap: the module manages its own memory, and WAMR's heap, which would sit inside
 *   linear memory, would be overwritten by the model's arena.
 * - A WAMR exception becomes the trap code wasm2c boards report (boards/firmware/README.md,
 *   "Traps"), so the host's trap detection works the same on both runtimes.
 *
 * The module's bytes: build/fewmul.wasm linked into the firmware, either as the symbols
 * _binary_fewmul_wasm_start/_end (ESP-IDF EMBED_FILES, `ld -r -b binary`), or, with
 * -DFEWMUL_WASM_INC='"fewmul.wasm.inc"', as a file of comma-separated bytes (Zephyr's
 * generate_inc_file_for_target, `xxd -i < build/fewmul.wasm`). */
#include <string.h>

#include "wasm_export.h"

#include "flash.h"
#include "module_port.h"

#ifndef BOARD_RAM
#error "BOARD_RAM comes from the board manifest (ram): the module's linear memory cap in bytes"
#endif

#define WASM_PAGE 65536u

/* Interpreter stack (Wasm frames and operands) of the one execution environment. */
#ifndef WAMR_STACK_BYTES
#define WAMR_STACK_BYTES (16u * 1024u)
#endif

/* The pool: the module's RAM copy, the loaded module (the fast interpreter's pre-compiled
 * code makes it about twice the classic one), the instance and the interpreter stack.
 * Measured high-water mark with WAMR 2.4.5: 45,920 B classic, 101,112 B fast (x86-64; a
 * 32-bit MCU needs a little less). Linear memory is NOT in the pool: WAMR 2.x takes it from
 * the platform's os_mmap (ESP-IDF: heap_caps_malloc, Zephyr: the libc malloc arena), and a
 * memory.grow copies it into a new block, so that heap must hold the old and the new size
 * at once (README.md, "Running on a WAMR board"). */
#ifndef WAMR_POOL_BYTES
#define WAMR_POOL_BYTES (128u * 1024u)
#endif

/* Where the pool goes, e.g. EXT_RAM_BSS_ATTR on an ESP32-S3 with PSRAM. */
#ifndef WAMR_POOL_ATTR
#define WAMR_POOL_ATTR
#endif

#ifdef FEWMUL_WASM_INC
static const uint8_t fewmul_wasm[] = {
#include FEWMUL_WASM_INC
};
#define WASM_START fewmul_wasm
#define WASM_BYTES ((uint32_t)sizeof fewmul_wasm)
#else
extern const uint8_t _binary_fewmul_wasm_start[], _binary_fewmul_wasm_end[];
#define WASM_START _binary_fewmul_wasm_start
#define WASM_BYTES ((uint32_t)(_binary_fewmul_wasm_end - _binary_fewmul_wasm_start))
#endif

WAMR_POOL_ATTR static uint8_t wamr_pool[WAMR_POOL_BYTES] __attribute__((aligned(8)));

static wasm_module_t module;
static wasm_module_inst_t instance;
static wasm_exec_env_t exec_env;
static wasm_function_inst_t fn_boot, fn_rx_ptr, fn_rx_cap, fn_feed, fn_tx_ptr, fn_reboot;

/* ---- env.flash_* (docs/device-abi.md): WAMR has range-checked dst/src already ---- */

static int32_t env_flash_size(wasm_exec_env_t env) {
  (void)env;
  return (int32_t)board_flash_size();
}

static int32_t env_flash_read(wasm_exec_env_t env, uint32_t offset, uint8_t *dst, uint32_t len) {
  (void)env;
  return board_flash_read(offset, dst, len);
}

static int32_t env_flash_write(wasm_exec_env_t env, uint32_t offset, const uint8_t *src, uint32_t len) {
  (void)env;
  return board_flash_write(offset, src, len);
}

/* Not const: WAMR sorts the array in place and keeps it. */
static NativeSymbol env_natives[] = {
  {"flash_size", (void *)env_flash_size, "()i", 0},
  {"flash_read", (void *)env_flash_read, "(i*~)i", 0},
  {"flash_write", (void *)env_flash_write, "(i*~)i", 0},
};

/* ---- WAMR exceptions as the firmware's trap codes ---- */

static const struct {
  const char *message; /* WAMR's exception text (after "Exception: ") contains this */
  int code;
} TRAPS[] = {
  {"out of bounds memory access", 1},
  {"out of bounds table access", 1},
  {"integer overflow", 2},
  {"integer divide by zero", 3},
  {"invalid conversion to integer", 4},
  {"unreachable", 5},
  {"indirect call type mismatch", 6},
  {"undefined element", 6},
  {"uninitialized element", 6},
  {"invalid function index", 6},
  {"stack overflow", 8}, /* wasm operand / native / auxiliary stack */
  {"allocate memory failed", PORT_TRAP_NO_RAM},
};

static int trap_code(const char *exception) {
  if (!exception) return PORT_TRAP_RUNTIME;
  for (unsigned i = 0; i < sizeof TRAPS / sizeof TRAPS[0]; i++) {
    if (strstr(exception, TRAPS[i].message)) return TRAPS[i].code;
  }
  return PORT_TRAP_RUNTIME;
}

/* Calls an export; on a WAMR exception returns its trap code (the instance is then unusable
 * until port_start re-creates it). argv[0] receives the i32 result. */
static int call(wasm_function_inst_t fn, uint32_t argc, uint32_t *argv) {
  if (wasm_runtime_call_wasm(exec_env, fn, argc, argv)) return 0;
  int code = trap_code(wasm_runtime_get_exception(instance));
  wasm_runtime_clear_exception(instance);
  return code;
}

/* [addr, addr + len) inside linear memory as a native pointer, or NULL. */
static uint8_t *memory_range(uint32_t addr, uint32_t len) {
  wasm_memory_inst_t memory = wasm_runtime_get_default_memory(instance);
  if (!memory) return 0;
  uint64_t size = wasm_memory_get_cur_page_count(memory) * wasm_memory_get_bytes_per_page(memory);
  if (addr > size || len > size - addr) return 0;
  return (uint8_t *)wasm_memory_get_base_address(memory) + addr;
}

/* Runtime and module, once per power-up: 0, or PORT_TRAP_NO_RAM if WAMR refuses them. */
static int load_once(void) {
  static int runtime_ready;
  if (!runtime_ready) {
    RuntimeInitArgs init;
    memset(&init, 0, sizeof init);
    init.mem_alloc_type = Alloc_With_Pool;
    init.mem_alloc_option.pool.heap_buf = wamr_pool;
    init.mem_alloc_option.pool.heap_size = sizeof wamr_pool;
    init.native_module_name = "env";
    init.native_symbols = env_natives;
    init.n_native_symbols = sizeof env_natives / sizeof env_natives[0];
    if (!wasm_runtime_full_init(&init)) return PORT_TRAP_NO_RAM;
    runtime_ready = 1;
  }
  if (!module) {
    uint8_t *copy = wasm_runtime_malloc(WASM_BYTES);
    if (!copy) return PORT_TRAP_NO_RAM;
    memcpy(copy, WASM_START, WASM_BYTES);
    char error[128];
    module = wasm_runtime_load(copy, WASM_BYTES, error, sizeof error);
    if (!module) {
      wasm_runtime_free(copy); /* a module WAMR refuses (e.g. a feature the build lacks) */
      return PORT_TRAP_NO_RAM;
    }
  }
  return 0;
}

static void drop_instance(void) {
  if (exec_env) wasm_runtime_destroy_exec_env(exec_env);
  if (instance) wasm_runtime_deinstantiate(instance);
  exec_env = 0;
  instance = 0;
}

int port_start(int32_t *boot_result) {
  int trap = load_once();
  if (trap) return trap;
  drop_instance();

  InstantiationArgs args;
  memset(&args, 0, sizeof args);
  args.default_stack_size = WAMR_STACK_BYTES;
  args.host_managed_heap_size = 0;
  args.max_memory_pages = BOARD_RAM / WASM_PAGE;
  char error[128];
  instance = wasm_runtime_instantiate_ex(module, &args, error, sizeof error);
  if (!instance) {
    /* The start function trapping is an instantiation error "Exception: ..."; anything else
     * (linear memory or pool too small) means the board cannot host the module. */
    return strncmp(error, "Exception: ", 11) == 0 ? trap_code(error) : PORT_TRAP_NO_RAM;
  }
  exec_env = wasm_runtime_create_exec_env(instance, WAMR_STACK_BYTES);
  if (!exec_env || !memory_range(0, 1)) return PORT_TRAP_NO_RAM;

  fn_boot = wasm_runtime_lookup_function(instance, "boot");
  fn_rx_ptr = wasm_runtime_lookup_function(instance, "io_rx_ptr");
  fn_rx_cap = wasm_runtime_lookup_function(instance, "io_rx_cap");
  fn_feed = wasm_runtime_lookup_function(instance, "io_feed");
  fn_tx_ptr = wasm_runtime_lookup_function(instance, "io_tx_ptr");
  if (!fn_boot || !fn_rx_ptr || !fn_rx_cap || !fn_feed || !fn_tx_ptr) return PORT_TRAP_ABI;
  fn_reboot = wasm_runtime_lookup_function(instance, "io_reboot"); /* optional: module 0.1.1+ */

  /* AssemblyScript's exportStart, if the module was built with one. */
  wasm_function_inst_t initialize = wasm_runtime_lookup_function(instance, "_initialize");
  uint32_t argv[1] = {0};
  if (initialize && (trap = call(initialize, 0, argv))) return trap;
  if ((trap = call(fn_boot, 0, argv))) return trap;
  *boot_result = (int32_t)argv[0];
  return 0;
}

int port_rx(uint8_t **rx, uint32_t *cap) {
  uint32_t ptr[1] = {0}, len[1] = {0};
  int trap;
  if (!instance) return PORT_TRAP_NO_RAM;
  if ((trap = call(fn_rx_ptr, 0, ptr)) || (trap = call(fn_rx_cap, 0, len))) return trap;
  uint8_t *p = memory_range(ptr[0], len[0]);
  if (!p || !len[0]) return PORT_TRAP_ABI;
  *rx = p;
  *cap = len[0];
  return 0;
}

int port_feed(uint32_t n, const uint8_t **tx, uint32_t *tx_len) {
  uint32_t argv[1] = {n}, ptr[1] = {0};
  int trap;
  if (!instance) return PORT_TRAP_NO_RAM;
  if ((trap = call(fn_feed, 1, argv)) || (trap = call(fn_tx_ptr, 0, ptr))) return trap;
  /* After io_feed: linear memory may have moved (memory.grow in init reallocates it). */
  const uint8_t *p = memory_range(ptr[0], argv[0]);
  if (!p) return PORT_TRAP_ABI;
  *tx = p;
  *tx_len = argv[0];
  return 0;
}

int port_reboot_request(uint32_t *mode) {
  uint32_t argv[1] = {0};
  int trap;
  *mode = 0;
  if (!instance || !fn_reboot) return 0;
  if ((trap = call(fn_reboot, 0, argv))) return trap;
  *mode = argv[0];
  return 0;
}
