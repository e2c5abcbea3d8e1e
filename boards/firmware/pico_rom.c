/* Bootrom function lookup (datasheet 2.8.3): the half-word at 0x14 points to the public
 * function table, the one at 0x18 to rom_table_lookup(table, code), which returns the
 * function for a two-letter code ('R','P' -> 'R' | 'P' << 8), or 0. */
#include "pico_rom.h"

#define ROM_FUNC_TABLE 0x14u
#define ROM_TABLE_LOOKUP 0x18u
#define CODE(a, b) ((uint32_t)(a) | ((uint32_t)(b) << 8))

typedef void *(*rom_table_lookup_fn)(const uint16_t *table, uint32_t code);

struct pico_rom pico_rom;

static void *rom_hword_pointer(uint32_t addr) {
  return (void *)(uintptr_t)*(const volatile uint16_t *)(uintptr_t)addr;
}

uint32_t pico_rom_init(void) {
  rom_table_lookup_fn lookup = (rom_table_lookup_fn)rom_hword_pointer(ROM_TABLE_LOOKUP);
  const uint16_t *table = (const uint16_t *)rom_hword_pointer(ROM_FUNC_TABLE);
  static const uint16_t codes[] = {
      CODE('I', 'F'), CODE('E', 'X'), CODE('R', 'E'), CODE('R', 'P'),
      CODE('F', 'C'), CODE('C', 'X'), CODE('U', 'B'),
  };
  void **slots = (void **)&pico_rom;
  for (unsigned i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    slots[i] = lookup(table, codes[i]);
    if (!slots[i]) return codes[i];
  }
  return 0;
}

/* main.c: the host sent REBOOT 1 (docs/protocol.md) and its reply is out. The ROM's
 * reset_usb_boot restarts the chip as if BOOTSEL had been held: the RPI-RP2 drive appears. */
void board_reboot(uint32_t mode) {
  if (mode != 1 || pico_rom_init() != 0) return;
  pico_rom.reset_usb_boot(0, 0);
}
