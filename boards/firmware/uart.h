/* Polled byte I/O on the board's console UART. Board-specific: uart.c is the
 * CMSDK APB UART of the Arm MPS2 boards; a real board swaps this file only. */
#ifndef FEWMUL_UART_H
#define FEWMUL_UART_H

#include <stdint.h>

void uart_init(uint32_t baud);
/* Block until one byte arrives. */
uint8_t uart_getc(void);
/* 1 and *c set if a byte was waiting, else 0 at once (an interrupt-driven driver, pico_uart.c,
 * waits while a burst is still arriving: until the line has been quiet for a few bytes). */
int uart_try_getc(uint8_t *c);
void uart_write(const uint8_t *p, uint32_t n);
/* The same for a C string (the fault and trap lines), on every driver's uart_write. */
static inline void uart_puts(const char *s) {
  uint32_t n = 0;
  while (s[n]) n++;
  uart_write((const uint8_t *)s, n);
}
/* Block until every byte written has left the UART. */
void uart_flush(void);

#endif
