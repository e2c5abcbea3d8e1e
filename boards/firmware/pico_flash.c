/* Checkpoint storage in the Pico's own flash: the last BOARD_CHECKPOINT_BYTES of the
 * BOARD_FLASH_BYTES QSPI flash (pico.ld keeps the image below it), so checkpoints survive
 * resets, power cycles and re-flashing a smaller image.
 *
 * Reads go through XIP. A write is done sector by sector (4 KB, the erase unit): the
 * sector is read into a buffer in the USB DPRAM (4 KB that is general-purpose RAM while
 * USB is unused, datasheet 2.6.2), the new bytes are merged in, and, only if the sector
 * changes, it is erased and programmed by the bootrom's flash routines. Those run with
 * XIP off, so the code around them executes from RAM (.ramfunc, copied with .data) and
 * calls nothing in flash; the ROM pointers were looked up beforehand (pico_rom.c). */
#include <string.h>

#include "flash.h"
#include "pico_regs.h"
#include "pico_rom.h"

#ifndef BOARD_CHECKPOINT_BYTES
#error "BOARD_CHECKPOINT_BYTES comes from the board manifest (checkpoint_bytes)"
#endif
#ifndef BOARD_FLASH_BYTES
#error "BOARD_FLASH_BYTES comes from the board manifest (flash)"
#endif

#define XIP_BASE 0x10000000u
#define SECTOR 4096u
#define SECTOR_ERASE_CMD 0x20u /* 4 KB sector erase, every W25Q-style flash */
#define CKPT_OFFSET (BOARD_FLASH_BYTES - BOARD_CHECKPOINT_BYTES)
#define SSI_SSIENR REG(XIP_SSI_BASE + 0x08)
#define SSI_BAUDR REG(XIP_SSI_BASE + 0x14)
#define XIP_BAUD_DIV 4u /* as boot2.S */

_Static_assert(CKPT_OFFSET % SECTOR == 0 && BOARD_CHECKPOINT_BYTES % SECTOR == 0,
               "the checkpoint area must be whole flash sectors");

static uint8_t sector_buf[SECTOR] __attribute__((section(".dpram"), aligned(4)));
static int rom_ready; /* 1: found, -1: the ROM lacks a flash routine */

static int in_range(uint32_t offset, uint32_t len) {
  return offset <= BOARD_CHECKPOINT_BYTES && len <= BOARD_CHECKPOINT_BYTES - offset;
}

static const uint8_t *xip(uint32_t flash_offset) {
  return (const uint8_t *)(uintptr_t)(XIP_BASE + flash_offset);
}

/* Erase + program one sector from sector_buf. Runs from RAM with XIP off: no calls into
 * flash, interrupts masked. flash_enter_cmd_xip restores 03h XIP at the ROM's clock
 * divider; the SSI then gets boot2's divider back. */
__attribute__((section(".ramfunc"), noinline)) static void program_sector(uint32_t flash_offset) {
  __asm__ volatile("cpsid i" ::: "memory");
  pico_rom.connect_internal_flash();
  pico_rom.flash_exit_xip();
  pico_rom.flash_range_erase(flash_offset, SECTOR, SECTOR, SECTOR_ERASE_CMD);
  pico_rom.flash_range_program(flash_offset, sector_buf, SECTOR);
  pico_rom.flash_flush_cache();
  pico_rom.flash_enter_cmd_xip();
  SSI_SSIENR = 0;
  SSI_BAUDR = XIP_BAUD_DIV;
  SSI_SSIENR = 1;
  __asm__ volatile("cpsie i" ::: "memory");
}

uint32_t board_flash_size(void) { return BOARD_CHECKPOINT_BYTES; }

int32_t board_flash_read(uint32_t offset, uint8_t *dst, uint32_t len) {
  if (!in_range(offset, len)) return FLASH_E_RANGE;
  memcpy(dst, xip(CKPT_OFFSET + offset), len);
  return 0;
}

int32_t board_flash_write(uint32_t offset, const uint8_t *src, uint32_t len) {
  if (!in_range(offset, len)) return FLASH_E_RANGE;
  if (!rom_ready) {
    pico_unreset(RESET_USBCTRL); /* the DPRAM is only accessible out of reset */
    rom_ready = pico_rom_init() == 0 ? 1 : -1;
  }
  if (rom_ready < 0) return FLASH_E_DEVICE;
  while (len) {
    uint32_t at = CKPT_OFFSET + offset;
    uint32_t sector = at & ~(SECTOR - 1u);
    uint32_t in_sector = at - sector;
    uint32_t n = SECTOR - in_sector < len ? SECTOR - in_sector : len;
    if (memcmp(xip(at), src, n) != 0) { /* unchanged sectors are not worn */
      memcpy(sector_buf, xip(sector), SECTOR);
      memcpy(sector_buf + in_sector, src, n);
      program_sector(sector);
      if (memcmp(xip(at), src, n) != 0) return FLASH_E_DEVICE; /* verify */
    }
    offset += n;
    src += n;
    len -= n;
  }
  return 0;
}
