/* RP2040 register addresses the firmware uses (datasheet 2.2 address map) and the
 * atomic set/clear aliases every APB/AHB peripheral has (2.1.2: +0x2000 set, +0x3000 clear). */
#ifndef FEWMUL_PICO_REGS_H
#define FEWMUL_PICO_REGS_H

#include <stdint.h>

#define XOSC_HZ 12000000u  /* the Pico's crystal */
#define SYS_HZ 125000000u  /* clk_sys and clk_peri after board_init() */

#define CLOCKS_BASE   0x40008000u
#define RESETS_BASE   0x4000c000u
#define IO_BANK0_BASE 0x40014000u
#define PADS_BANK0_BASE 0x4001c000u
#define XOSC_BASE     0x40024000u
#define PLL_SYS_BASE  0x40028000u
#define UART0_BASE    0x40034000u
#define XIP_SSI_BASE  0x18000000u
#define PPB_BASE      0xe0000000u

#define REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))
#define REG_SET(addr) REG((addr) + 0x2000u)
#define REG_CLR(addr) REG((addr) + 0x3000u)

/* RESETS.RESET bits (datasheet 2.14.3) */
#define RESET_IO_BANK0 (1u << 5)
#define RESET_PADS_BANK0 (1u << 8)
#define RESET_PLL_SYS (1u << 12)
#define RESET_UART0 (1u << 22)
#define RESET_USBCTRL (1u << 24)

/* Puts blocks into reset and takes them out again, waiting for RESET_DONE. */
static inline void pico_unreset(uint32_t bits) {
  REG_SET(RESETS_BASE + 0x0) = bits;
  REG_CLR(RESETS_BASE + 0x0) = bits;
  while ((REG(RESETS_BASE + 0x8) & bits) != bits) {
  }
}

#endif
