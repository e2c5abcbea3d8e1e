/* The module as main.c sees it: the byte-pump exports of docs/device-abi.md,
 * each call guarded so a Wasm trap comes back as a code instead of a crash.
 * wasm2c_glue.c implements this for wasm2c; a WAMR-hosted board implements the
 * same three functions and reuses main.c, flash.c and uart.c unchanged. */
#ifndef FEWMUL_MODULE_PORT_H
#define FEWMUL_MODULE_PORT_H

#include <stdint.h>

/* Every function returns 0 or a trap code (> 0). The codes are wabt's
 * wasm_rt_trap_t values, the firmware adds PORT_TRAP_* for its own failures;
 * boards/firmware/README.md lists them. */
#define PORT_TRAP_NO_RAM 16 /* module's initial memory is larger than the board's RAM */
#define PORT_TRAP_ABI 17    /* rx/tx window outside linear memory */
#define PORT_TRAP_RUNTIME 18 /* a runtime error with no Wasm trap code (WAMR exception) */

/* (Re)create the instance from scratch (fresh linear memory, data segments,
 * _initialize if exported) and call boot(): *boot_result is its return value. */
int port_start(int32_t *boot_result);

/* The rx window: where up to *cap received bytes go before port_feed. */
int port_rx(uint8_t **rx, uint32_t *cap);

/* io_feed(n); on success the reply is tx[0 .. tx_len) (tx_len may be 0). */
int port_feed(uint32_t n, const uint8_t **tx, uint32_t *tx_len);

/* io_reboot(): the reboot the host asked for (protocol REBOOT), 0 = none or a module
 * without the export. Read after the reply is sent. */
int port_reboot_request(uint32_t *mode);

#endif
