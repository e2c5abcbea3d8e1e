/* Checkpoint storage the board offers the module (env.flash_* imports).
 * Offsets are bytes from the start of the checkpoint area; the runtime glue
 * has already turned module addresses into host pointers. */
#ifndef FEWMUL_FLASH_H
#define FEWMUL_FLASH_H

#include <stdint.h>

/* Error codes returned to the module (docs/device-abi.md: <0 = error); the
 * Node host (host/module/loader.ts) returns -1 too, so replies stay bit-exact.
 * A dst/src outside linear memory is the module's bug and traps instead. */
#define FLASH_E_RANGE  (-1) /* offset/len outside the checkpoint area */
#define FLASH_E_DEVICE (-2) /* the storage itself failed (real flash only) */

uint32_t board_flash_size(void);
int32_t board_flash_read(uint32_t offset, uint8_t *dst, uint32_t len);
int32_t board_flash_write(uint32_t offset, const uint8_t *src, uint32_t len);

#endif
