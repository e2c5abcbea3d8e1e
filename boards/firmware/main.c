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

/* The chunk also ends after a frame's closing delimiter (a 0x00 after frame bytes: COBS puts no
 * 0x00 inside a frame), so each frame's reply leaves before the module starts on the next one.
 * A TRAIN frame right behind the last chunk of its batch then does not hold back that chunk's
 * acknowledgement for a whole step, and the host streams the next batch while the step computes
 * (docs/protocol.md §3, "Batch upload"). */
#ifndef RX_END_AT_FRAME
#define RX_END_AT_FRAME 1 /* 0: the MPS2 boards, whose QEMU UART holds the host back anyway */
#endif
static uint32_t receive(uint8_t *buf, uint32_t cap) {
  static uint8_t prev; /* the byte before buf[0], from the previous chunk */
  uint32_t n = 0;
  buf[n++] = uart_getc();
  while (n < cap) {
    if (RX_END_AT_FRAME && buf[n - 1] == 0 && (n >= 2 ? buf[n - 2] : prev) != 0) break;
    uint32_t polls = RX_IDLE_POLLS;
    while (polls && !uart_try_getc(&buf[n])) polls--;
    if (!polls) break;
    n++;
  }
  prev = buf[n - 1];
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
