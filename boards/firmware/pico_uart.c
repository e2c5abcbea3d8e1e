/* RP2040 UART0 (an Arm PL011, datasheet 4.2) on GP0 (TX) and GP1 (RX), 8N1, FIFOs on
 * (32 bytes each way). Polled like the MPS2 driver: the byte pump reads between module
 * calls, and the RX FIFO holds 2.8 ms of bytes at 115200 baud, far longer than the pump
 * takes to hand a chunk to io_feed. Bytes that arrive while a long step computes and the
 * FIFO is full are lost on a real board; the protocol's NAK/retransmission recovers them
 * (docs/protocol.md §2). */
#include "pico_regs.h"
#include "uart.h"

#define UARTDR    REG(UART0_BASE + 0x00)
#define UARTFR    REG(UART0_BASE + 0x18)
#define UARTIBRD  REG(UART0_BASE + 0x24)
#define UARTFBRD  REG(UART0_BASE + 0x28)
#define UARTLCR_H REG(UART0_BASE + 0x2c)
#define UARTCR    REG(UART0_BASE + 0x30)

#define FR_BUSY (1u << 3)
#define FR_RXFE (1u << 4)
#define FR_TXFF (1u << 5)
#define LCR_H_FEN (1u << 4)
#define LCR_H_WLEN_8 (3u << 5)
#define CR_UARTEN (1u << 0)
#define CR_TXE (1u << 8)
#define CR_RXE (1u << 9)

#define GPIO_CTRL(n) REG(IO_BANK0_BASE + 8u * (n) + 4u)
#define GPIO_FUNC_UART 2u

void uart_init(uint32_t baud) {
  pico_unreset(RESET_IO_BANK0 | RESET_PADS_BANK0 | RESET_UART0);
  /* baud divisor = clk_peri / (16 * baud) in 16.6 fixed point, rounded:
   * 125 MHz / 115200 -> 67 + 52/64 (0.0006 % off), 921600 -> 8 + 31/64 (0.02 %) */
  uint32_t div64 = (4u * SYS_HZ + baud / 2u) / baud;
  UARTIBRD = div64 >> 6;
  UARTFBRD = div64 & 63u;
  UARTLCR_H = LCR_H_WLEN_8 | LCR_H_FEN; /* writing LCR_H latches the divisor */
  UARTCR = CR_UARTEN | CR_TXE | CR_RXE;
  GPIO_CTRL(0) = GPIO_FUNC_UART; /* GP0: UART0 TX */
  GPIO_CTRL(1) = GPIO_FUNC_UART; /* GP1: UART0 RX */
}

int uart_try_getc(uint8_t *c) {
  if (UARTFR & FR_RXFE) return 0;
  *c = (uint8_t)UARTDR; /* bits 8-11 are error flags; a damaged byte fails the frame CRC */
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
    while (UARTFR & FR_TXFF) {
    }
    UARTDR = *p++;
  }
}

void uart_puts(const char *s) {
  while (*s) uart_write((const uint8_t *)s++, 1);
}

void uart_flush(void) {
  while (UARTFR & FR_BUSY) {
  }
}
