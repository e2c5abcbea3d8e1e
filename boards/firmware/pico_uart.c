/* RP2040 UART0 (an Arm PL011, datasheet 4.2) on GP0 (TX) and GP1 (RX), 8N1, FIFOs on
 * (32 bytes each way). RX by interrupt: the line does not wait while a training step computes,
 * and the 32-byte RX FIFO holds only 2.8 ms at 115200 baud, so UART0_IRQ (20) moves every byte
 * into the ring of rx_ring.h as the FIFO reaches 4 bytes (RX interrupt, level 1/8) or the line
 * has been quiet for 32 bit periods with bytes left in it (receive timeout, which also tells the
 * pump a burst is over). The pump sleeps in WFI while it waits. TX is polled: the pump has
 * nothing else to do while a reply leaves.
 * -DUART_RX_POLLED=1 builds the former polled receiver (kept to show, in test/boards/pico.test.ts,
 * the bytes it loses). */
#include "pico_regs.h"
#include "rx_ring.h"
#include "uart.h"

#define UARTDR    REG(UART0_BASE + 0x00)
#define UARTRSR   REG(UART0_BASE + 0x04) /* write: UARTECR, clears the error flags */
#define UARTFR    REG(UART0_BASE + 0x18)
#define UARTIBRD  REG(UART0_BASE + 0x24)
#define UARTFBRD  REG(UART0_BASE + 0x28)
#define UARTLCR_H REG(UART0_BASE + 0x2c)
#define UARTCR    REG(UART0_BASE + 0x30)
#define UARTIFLS  REG(UART0_BASE + 0x34)
#define UARTIMSC  REG(UART0_BASE + 0x38)
#define UARTMIS   REG(UART0_BASE + 0x40)
#define UARTICR   REG(UART0_BASE + 0x44)

#define FR_BUSY (1u << 3)
#define FR_RXFE (1u << 4)
#define FR_TXFF (1u << 5)
#define RSR_OE (1u << 3)
#define LCR_H_FEN (1u << 4)
#define LCR_H_WLEN_8 (3u << 5)
#define CR_UARTEN (1u << 0)
#define CR_TXE (1u << 8)
#define CR_RXE (1u << 9)
#define IFLS_RX_1_8 (0u << 3) /* RX interrupt at 4 bytes */
#define RX_LEVEL 4
#define IFLS_TX_1_2 (2u << 0)
#define INT_RX (1u << 4)
#define INT_RT (1u << 6)
#define INT_OE (1u << 10)

#define GPIO_CTRL(n) REG(IO_BANK0_BASE + 8u * (n) + 4u)
#define GPIO_FUNC_UART 2u

#define UART0_IRQ 20u
#define NVIC_ISER REG(PPB_BASE + 0xe100u)

#ifndef UART_RX_POLLED
#define UART_RX_POLLED 0
#endif

void uart_init(uint32_t baud) {
  pico_unreset(RESET_IO_BANK0 | RESET_PADS_BANK0 | RESET_UART0);
  rx_ring_init();
  /* baud divisor = clk_peri / (16 * baud) in 16.6 fixed point, rounded:
   * 125 MHz / 115200 -> 67 + 52/64 (0.0006 % off), 921600 -> 8 + 31/64 (0.02 %) */
  uint32_t div64 = (4u * SYS_HZ + baud / 2u) / baud;
  UARTIBRD = div64 >> 6;
  UARTFBRD = div64 & 63u;
  UARTLCR_H = LCR_H_WLEN_8 | LCR_H_FEN; /* writing LCR_H latches the divisor */
#if !UART_RX_POLLED
  /* 4 bytes: the handler runs every 350 us at 115200 and has 28 byte times (2.4 ms) to run */
  UARTIFLS = IFLS_RX_1_8 | IFLS_TX_1_2;
  UARTIMSC = INT_RX | INT_RT;
  NVIC_ISER = 1u << UART0_IRQ;
#endif
  UARTCR = CR_UARTEN | CR_TXE | CR_RXE;
  GPIO_CTRL(0) = GPIO_FUNC_UART; /* GP0: UART0 TX */
  GPIO_CTRL(1) = GPIO_FUNC_UART; /* GP1: UART0 RX */
}

#if UART_RX_POLLED

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

#else

/* Set when the line has been quiet for 32 bit periods (receive timeout), cleared by the next
 * bytes: the end of a burst, so the pump can hand a whole burst to the module at once. */
static volatile uint8_t line_quiet = 1;

/* UART0_IRQ. At the trigger level it takes one byte less than the level, so the last byte of a
 * burst always stays in the FIFO until the receive timeout, which drains the rest and marks
 * the end of the burst (otherwise a burst of a multiple of 4 bytes would end unnoticed). */
void irq20_handler(void) {
  if (UARTRSR & RSR_OE) {
    rx_stats.fifo_overruns++;
    UARTRSR = 0;
    UARTICR = INT_OE;
  }
  if (UARTMIS & INT_RT) {
    while (!(UARTFR & FR_RXFE)) rx_ring_put((uint8_t)UARTDR); /* a damaged byte fails the frame CRC */
    UARTICR = INT_RT;
    line_quiet = 1;
  } else {
    for (int i = 0; i < RX_LEVEL - 1; i++) rx_ring_put((uint8_t)UARTDR);
    line_quiet = 0;
  }
}

/* Interrupts off between the check and WFI, so a byte arriving in between still wakes it.
 * Returns 1 with a byte, 0 when there is none and `until_quiet` and the line is quiet. */
static int wait_byte(uint8_t *c, int until_quiet) {
  for (;;) {
    __asm__ volatile("cpsid i" ::: "memory");
    int got = rx_ring_get(c);
    int done = got || (until_quiet && line_quiet);
    if (!done) __asm__ volatile("wfi");
    __asm__ volatile("cpsie i" ::: "memory");
    if (done) return got;
  }
}

/* While a burst is arriving this waits for its next byte (RX_IDLE_POLLS is 1 for this driver:
 * the end of a burst is the receive timeout, not a count of polls). */
int uart_try_getc(uint8_t *c) {
  return wait_byte(c, 1);
}

uint8_t uart_getc(void) {
  uint8_t c;
  wait_byte(&c, 0);
  return c;
}

#endif

void uart_write(const uint8_t *p, uint32_t n) {
  while (n--) {
    while (UARTFR & FR_TXFF) {
    }
    UARTDR = *p++;
  }
}

void uart_flush(void) {
  while (UARTFR & FR_BUSY) {
  }
}
