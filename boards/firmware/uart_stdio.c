/* uart.h on a POSIX host: the UART is stdin/stdout. With main.c, flash.c and a module port
 * (wamr_port.c) the firmware then runs as a Linux process, and behind
 *   socat PTY,link=/tmp/fewmul-board,rawer EXEC:./firmware
 * the CLI talks to it like to a board on a serial port (`--port /tmp/fewmul-board`): a way to
 * check a port against a real runtime before the board is on the desk. Not used by the QEMU
 * or bare-metal builds. Reads are buffered so that uart_try_getc's polling (main.c) costs a
 * syscall only when the buffer is empty; end of input (the host closed the port) exits. */
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "uart.h"

static uint8_t rx_buf[4096];
static size_t rx_len, rx_at;

static int fill(int timeout_ms) {
  struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
  if (poll(&p, 1, timeout_ms) <= 0) return 0;
  ssize_t n = read(STDIN_FILENO, rx_buf, sizeof rx_buf);
  if (n <= 0) exit(0);
  rx_len = (size_t)n;
  rx_at = 0;
  return 1;
}

void uart_init(uint32_t baud) { (void)baud; /* the pty's rate is the host's choice */ }

uint8_t uart_getc(void) {
  while (rx_at == rx_len) fill(-1);
  return rx_buf[rx_at++];
}

int uart_try_getc(uint8_t *c) {
  if (rx_at == rx_len && !fill(0)) return 0;
  *c = rx_buf[rx_at++];
  return 1;
}

void uart_write(const uint8_t *p, uint32_t n) {
  while (n) {
    ssize_t w = write(STDOUT_FILENO, p, n);
    if (w <= 0) exit(1);
    p += w;
    n -= (uint32_t)w;
  }
}

/* write() returns once the bytes are with the kernel: nothing is left to drain here. */
void uart_flush(void) {}
