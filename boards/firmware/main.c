/* Byte pump: the firmware's only job besides storage (docs/device-abi.md).
 * UART bytes -> io_rx_ptr, io_feed(n), io_tx_ptr bytes -> UART. The device never
 * speaks first, except for the trap line below, which also answers host bytes. */
#include "module_port.h"
#include "uart.h"

#ifndef BOARD_BAUD
#define BOARD_BAUD 115200
#endif

/* After the first byte of a burst, keep collecting while the next byte shows up
 * within this many polls, so io_feed sees whole frames rather than single bytes.
 * Correctness does not depend on it: the module accepts frames in any split. */
#ifndef RX_IDLE_POLLS
#define RX_IDLE_POLLS 20000
#endif

/* Weak: a board that can reboot into its USB boot loader (pico_rom.c) provides it; the
 * others ignore REBOOT. Called after the reply left the UART. */
void board_reboot(uint32_t mode) __attribute__((weak));

static uint32_t receive(uint8_t *buf, uint32_t cap) {
  uint32_t n = 0;
  buf[n++] = uart_getc();
  while (n < cap) {
    uint32_t polls = RX_IDLE_POLLS;
    while (polls && !uart_try_getc(&buf[n])) polls--;
    if (!polls) break;
    n++;
  }
  return n;
}

/* "FEWMUL-TRAP <code>\n": fixed ASCII so the host can spot it in the byte stream. */
static void report_trap(int code) {
  char line[24] = "FEWMUL-TRAP ";
  char digits[10];
  int i = 12, d = 0;
  unsigned v = (unsigned)code;
  do digits[d++] = (char)('0' + v % 10); while ((v /= 10) && d < 10);
  while (d) line[i++] = digits[--d];
  line[i++] = '\n';
  uart_write((const uint8_t *)line, (uint32_t)i);
}

int main(void) {
  static uint8_t discard[64]; /* somewhere to read into while no instance is usable */
  int32_t boot_result;
  uart_init(BOARD_BAUD);
  int trap = port_start(&boot_result);
  for (;;) {
    uint8_t *rx = discard;
    uint32_t cap = sizeof discard;
    if (!trap) trap = port_rx(&rx, &cap);
    if (trap) rx = discard, cap = sizeof discard;
    uint32_t n = receive(rx, cap);
    if (!trap) {
      const uint8_t *tx;
      uint32_t tx_len;
      trap = port_feed(n, &tx, &tx_len);
      if (!trap) {
        uart_write(tx, tx_len);
        uint32_t reboot = 0;
        trap = port_reboot_request(&reboot);
        if (!trap) {
          if (reboot && board_reboot) {
            uart_flush();
            board_reboot(reboot);
          }
          continue;
        }
      }
    }
    /* A trap leaves the instance half-way through a call: its state cannot be
     * trusted. Tell the host, then start over from the last checkpoint, exactly
     * like a device reset (flash kept, RAM lost). The chunk that hit the trap,
     * or that arrived while no instance was usable, is dropped. */
    report_trap(trap);
    trap = port_start(&boot_result);
  }
}
