/* Receive ring between a UART's interrupt handler (the only writer of `head`) and the byte
 * pump (the only writer of `tail`): no lock, one producer, one consumer. A UART driver that
 * takes RX by interrupt puts every byte here; uart_getc/uart_try_getc take them out.
 *
 * Size: the protocol lets the host have `window` (64) frames of up to 512 bytes in flight
 * (docs/protocol.md §2, §4), 64 x 517 = 33,088 bytes encoded, and it streams the next batch while
 * a training step computes. That does not fit the Pico's RAM left to the firmware (SRAM0-3 are
 * the module's linear memory, 784-128-10 at batch 32 uses 261,816 of their 262,144 bytes; SRAM4/5
 * are 8 KB for statics and stack), so the ring holds 4096 bytes: 7.9 encoded maximum frames, the
 * wire time of 355 ms at 115200 baud, a whole 784-32-10 batch-16 step (143 ms at 125 MHz) and
 * anything shorter. Bytes that arrive while it is full are dropped and counted; the protocol's
 * selective repeat resends the damaged frames (boards/firmware/README.md). */
#ifndef FEWMUL_RX_RING_H
#define FEWMUL_RX_RING_H

#include <stdint.h>

#ifndef RX_RING_BYTES
#define RX_RING_BYTES 4096u
#endif
#if RX_RING_BYTES & (RX_RING_BYTES - 1)
#error "RX_RING_BYTES must be a power of two"
#endif

/* What was lost, where a debug probe (or the emulator harness) can read it: the linker puts
 * this first in the firmware's RAM (pico.ld: 0x20040000). */
struct rx_stats {
  uint32_t magic;          /* RX_STATS_MAGIC once rx_ring_init ran */
  uint32_t received;       /* bytes taken from the UART */
  uint32_t fifo_overruns;  /* times the UART reported bytes lost to its full FIFO (OE) */
  uint32_t ring_overflows; /* bytes dropped because the ring was full */
  uint32_t ring_peak;      /* most bytes the ring has held at once */
};
#define RX_STATS_MAGIC 0x53585246u /* "FRXS" */
extern volatile struct rx_stats rx_stats;

void rx_ring_init(void);
/* Interrupt handler: one byte off the UART (dropped and counted if the ring is full). */
void rx_ring_put(uint8_t c);
/* Pump: 1 and *c if a byte was waiting. */
int rx_ring_get(uint8_t *c);

#endif
