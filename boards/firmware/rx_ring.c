/* The receive ring of rx_ring.h. Indices run free (wrapping at 2^32) and are masked on use,
 * so head - tail is the fill level and a full ring needs no spare slot. */
#include "rx_ring.h"

__attribute__((section(".bss.rx_stats"))) volatile struct rx_stats rx_stats;

static uint8_t ring[RX_RING_BYTES];
static volatile uint32_t head, tail;

void rx_ring_init(void) {
  head = tail = 0;
  rx_stats.received = rx_stats.fifo_overruns = rx_stats.ring_overflows = rx_stats.ring_peak = 0;
  rx_stats.magic = RX_STATS_MAGIC;
}

void rx_ring_put(uint8_t c) {
  uint32_t h = head;
  rx_stats.received++;
  if (h - tail >= RX_RING_BYTES) {
    rx_stats.ring_overflows++;
    return;
  }
  ring[h & (RX_RING_BYTES - 1)] = c;
  __asm__ volatile("" ::: "memory"); /* the byte is stored before the pump can see it */
  head = h + 1;
  if (h + 1 - tail > rx_stats.ring_peak) rx_stats.ring_peak = h + 1 - tail;
}

int rx_ring_get(uint8_t *c) {
  uint32_t t = tail;
  if (t == head) return 0;
  *c = ring[t & (RX_RING_BYTES - 1)];
  __asm__ volatile("" ::: "memory");
  tail = t + 1;
  return 1;
}
