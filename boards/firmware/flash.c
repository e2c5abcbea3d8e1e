/* Checkpoint "flash" for the QEMU MPS2 boards: a RAM area that outlives a reset.
 *
 * QEMU keeps RAM contents across system_reset; what it rewrites on reset are the
 * ELF segments it loaded with -kernel. The .ckpt section is NOLOAD and linked
 * into PSRAM (mps2.ld), so it is in no loadable segment and startup.c does not
 * zero it either: the module's checkpoint survives system_reset / SYSRESETREQ.
 * It does not survive quitting QEMU (that is power-off). A real board replaces
 * this file with erase/program of its on-chip flash. */
#include <string.h>

#include "flash.h"

#ifndef BOARD_CHECKPOINT_BYTES
#error "BOARD_CHECKPOINT_BYTES comes from the board manifest (checkpoint_bytes)"
#endif

static uint8_t ckpt[BOARD_CHECKPOINT_BYTES] __attribute__((section(".ckpt"), aligned(8)));

/* (offset, len) inside the area, without overflowing offset + len */
static int in_range(uint32_t offset, uint32_t len) {
  return offset <= sizeof ckpt && len <= sizeof ckpt - offset;
}

uint32_t board_flash_size(void) { return sizeof ckpt; }

int32_t board_flash_read(uint32_t offset, uint8_t *dst, uint32_t len) {
  if (!in_range(offset, len)) return FLASH_E_RANGE;
  memcpy(dst, ckpt + offset, len);
  return 0;
}

int32_t board_flash_write(uint32_t offset, const uint8_t *src, uint32_t len) {
  if (!in_range(offset, len)) return FLASH_E_RANGE;
  memcpy(ckpt + offset, src, len);
  return 0;
}
