/* The RP2040 bootrom's public functions (datasheet 2.8.3), looked up by their two-letter
 * codes through the table pointers the ROM keeps at fixed addresses. */
#ifndef FEWMUL_PICO_ROM_H
#define FEWMUL_PICO_ROM_H

#include <stddef.h>
#include <stdint.h>

struct pico_rom {
  void (*connect_internal_flash)(void);
  void (*flash_exit_xip)(void);
  void (*flash_range_erase)(uint32_t offset, size_t count, uint32_t block_size, uint8_t block_cmd);
  void (*flash_range_program)(uint32_t offset, const uint8_t *data, size_t count);
  void (*flash_flush_cache)(void);
  void (*flash_enter_cmd_xip)(void);
  void (*reset_usb_boot)(uint32_t gpio_activity_pin_mask, uint32_t disable_interface_mask);
};

/* Filled by pico_rom_init() (in RAM: the flash code calls it with XIP off). */
extern struct pico_rom pico_rom;

/* Looks every function up; 0 when the ROM has them all, else the missing code. */
uint32_t pico_rom_init(void);

#endif
