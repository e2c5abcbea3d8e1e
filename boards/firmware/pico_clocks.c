/* RP2040 clocks (datasheet 2.15 clocks, 2.16 XOSC, 2.18 PLL): the 12 MHz crystal of the
 * Pico drives PLL_SYS to the nominal 125 MHz (VCO 1500 MHz = 12 MHz * 125, post dividers
 * 6 * 2); clk_sys and clk_peri (the UART's clock) run from it, clk_ref from the crystal.
 * Everything is polled; no interrupt is used anywhere in the firmware. */
#include <stdint.h>

#include "pico_regs.h"

#define XOSC_CTRL    REG(XOSC_BASE + 0x00)
#define XOSC_STATUS  REG(XOSC_BASE + 0x04)
#define XOSC_STARTUP REG(XOSC_BASE + 0x0c)
#define XOSC_CTRL_FREQ_1_15MHZ 0xaa0u
#define XOSC_CTRL_ENABLE (0xfabu << 12)
#define XOSC_STATUS_STABLE (1u << 31)
/* STARTUP.DELAY counts 256 crystal cycles: ~1 ms at 12 MHz, as the datasheet suggests */
#define XOSC_STARTUP_DELAY ((XOSC_HZ / 1000u + 255u) / 256u)

#define PLL_CS       REG(PLL_SYS_BASE + 0x00)
#define PLL_PWR      REG(PLL_SYS_BASE + 0x04)
#define PLL_FBDIV    REG(PLL_SYS_BASE + 0x08)
#define PLL_PRIM     REG(PLL_SYS_BASE + 0x0c)
#define PLL_CS_LOCK (1u << 31)
#define PLL_PWR_PD (1u << 0)
#define PLL_PWR_POSTDIVPD (1u << 3)
#define PLL_PWR_VCOPD (1u << 5)
#define PLL_FBDIV_125MHZ 125u   /* 12 MHz * 125 = 1500 MHz VCO (400..1600 MHz allowed) */
#define PLL_POSTDIV1 6u
#define PLL_POSTDIV2 2u         /* 1500 / (6 * 2) = 125 MHz */

#define CLK_REF_CTRL      REG(CLOCKS_BASE + 0x30)
#define CLK_REF_SELECTED  REG(CLOCKS_BASE + 0x38)
#define CLK_SYS_CTRL      REG(CLOCKS_BASE + 0x3c)
#define CLK_SYS_DIV       REG(CLOCKS_BASE + 0x40)
#define CLK_SYS_SELECTED  REG(CLOCKS_BASE + 0x44)
#define CLK_PERI_CTRL     REG(CLOCKS_BASE + 0x48)
#define CLK_SYS_RESUS_CTRL REG(CLOCKS_BASE + 0x78)
#define CLK_REF_SRC_XOSC 2u
#define CLK_SYS_SRC_REF 0u
#define CLK_SYS_SRC_AUX 1u        /* AUXSRC 0 = pll_sys */
#define CLK_PERI_ENABLE (1u << 11) /* AUXSRC 0 = clk_sys */

void board_init(void) {
  CLK_SYS_RESUS_CTRL = 0;

  /* crystal on, wait until it is stable */
  XOSC_STARTUP = XOSC_STARTUP_DELAY;
  /* one write: ENABLE is a 12-bit magic (0xfab on, 0xd1e off), never OR it into the field */
  XOSC_CTRL = XOSC_CTRL_FREQ_1_15MHZ | XOSC_CTRL_ENABLE;
  while (!(XOSC_STATUS & XOSC_STATUS_STABLE)) {
  }

  /* clk_ref <- crystal; clk_sys <- clk_ref (glitchless) while the PLL is reprogrammed */
  CLK_REF_CTRL = CLK_REF_SRC_XOSC;
  while (CLK_REF_SELECTED != (1u << CLK_REF_SRC_XOSC)) {
  }
  CLK_SYS_CTRL = CLK_SYS_SRC_REF;
  while (CLK_SYS_SELECTED != (1u << CLK_SYS_SRC_REF)) {
  }

  /* PLL_SYS: reset, program, power up, wait for lock, then the post dividers */
  pico_unreset(RESET_PLL_SYS);
  PLL_CS = 1; /* REFDIV = 1 */
  PLL_FBDIV = PLL_FBDIV_125MHZ;
  REG_CLR(PLL_SYS_BASE + 0x04) = PLL_PWR_PD | PLL_PWR_VCOPD;
  while (!(PLL_CS & PLL_CS_LOCK)) {
  }
  PLL_PRIM = (PLL_POSTDIV1 << 16) | (PLL_POSTDIV2 << 12);
  REG_CLR(PLL_SYS_BASE + 0x04) = PLL_PWR_POSTDIVPD;

  /* clk_sys <- pll_sys (through the aux mux), divider 1 */
  CLK_SYS_DIV = 1u << 8;
  CLK_SYS_CTRL = CLK_SYS_SRC_AUX; /* AUXSRC = 0: clksrc_pll_sys */
  while (CLK_SYS_SELECTED != (1u << CLK_SYS_SRC_AUX)) {
  }

  /* clk_peri <- clk_sys: the UART's baud clock */
  CLK_PERI_CTRL = CLK_PERI_ENABLE;
}
