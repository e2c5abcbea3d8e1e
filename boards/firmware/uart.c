/* CMSDK APB UART (Arm DDI 0479), UART0 of the MPS2 FPGA images at 0x40004000.
 * Polled: the byte pump has nothing else to do while it waits. The RX side is
 * a single holding register; QEMU back-pressures the host instead of dropping
 * bytes, a real board at high baud would want the RX interrupt + a ring buffer. */
#include "uart.h"

#define UART0_BASE 0x40004000u
#define UART_DATA    (*(volatile uint32_t *)(UART0_BASE + 0x00))
#define UART_STATE   (*(volatile uint32_t *)(UART0_BASE + 0x04))
#define UART_CTRL    (*(volatile uint32_t *)(UART0_BASE + 0x08))
#define UART_BAUDDIV (*(volatile uint32_t *)(UART0_BASE + 0x10))

#define STATE_TX_FULL 1u
#define STATE_RX_FULL 2u
#define CTRL_TX_EN 1u
#define CTRL_RX_EN 2u

#define SYSCLK_HZ 25000000u /* MPS2 FPGA images (and QEMU's model) run at 25 MHz */

void uart_init(uint32_t baud) {
  uint32_t div = SYSCLK_HZ / baud;
  UART_BAUDDIV = div < 16 ? 16 : div; /* the IP requires a divider >= 16 */
  UART_CTRL = CTRL_TX_EN | CTRL_RX_EN;
  /* Reading DATA drops a stale byte on hardware; in QEMU it is also what tells
   * the serial backend we can receive again. Without it, bytes the host sent
   * around a system_reset wait up to ~1 s in QEMU's main loop. */
  (void)UART_DATA;
}

int uart_try_getc(uint8_t *c) {
  if (!(UART_STATE & STATE_RX_FULL)) return 0;
  *c = (uint8_t)UART_DATA;
  return 1;
}

uint8_t uart_getc(void) {
  uint8_t c;
  while (!uart_try_getc(&c)) {
  }
  return c;
}

void uart_write(const uint8_t *p, uint32_t n) {
  while (n--) {
    while (UART_STATE & STATE_TX_FULL) {
    }
    UART_DATA = *p++;
  }
}

void uart_flush(void) {
  while (UART_STATE & STATE_TX_FULL) {
  }
}
