/* Reset and vector table for Armv6-M/Armv7-M (Cortex-M0+/M3/M4). No C library startup:
 * copy .data, zero .bss, enable the FPU if we were compiled to use it, board_init()
 * (clocks, where a board has any to set up), main(). */
#include <stdint.h>

#include "uart.h"

extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[];
extern uint32_t __stack_top[];
int main(void);
/* Weak: the MPS2 images run at their fixed clock; pico_clocks.c brings the RP2040 to 125 MHz. */
void board_init(void) __attribute__((weak));

void Reset_Handler(void) __attribute__((noreturn));
void Reset_Handler(void) {
#if defined(__ARM_FP)
  /* -mfloat-abi=hard: FP instructions fault until CP10/CP11 are enabled,
   * and the compiler may use them anywhere after this point. */
  *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20; /* SCB->CPACR */
  __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
  for (uint32_t *s = __data_load, *d = __data_start; d < __data_end;) *d++ = *s++;
  for (uint32_t *d = __bss_start; d < __bss_end;) *d++ = 0;
  /* .noinit (linear memory) and .ckpt (checkpoints) are deliberately left alone */
  if (board_init) board_init();
  main();
  for (;;) {
  }
}

/* Wasm traps are caught in software, so a CPU fault is a firmware bug: say so on
 * the UART (the host prints it) and stop, rather than reset and hide it. */
static void Fault_Handler(void) {
  uart_puts("FEWMUL-FAULT\n");
  for (;;) {
  }
}

/* Weak, so a firmware variant can take it (bench_main.c counts SysTick wraps). */
void SysTick_Handler(void) __attribute__((weak, alias("Fault_Handler")));

/* External interrupts 0-31, weak: a driver defines the one it enables (pico_uart.c: UART0 is
 * the RP2040's IRQ 20); any other is a firmware bug. */
#define IRQ_HANDLERS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) \
  X(13) X(14) X(15) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23) X(24) X(25) X(26) X(27) \
  X(28) X(29) X(30) X(31)
#define IRQ_DECLARE(n) void irq##n##_handler(void) __attribute__((weak, alias("Fault_Handler")));
#define IRQ_VECTOR(n) irq##n##_handler,
IRQ_HANDLERS(IRQ_DECLARE)

typedef void (*vector_t)(void);

__attribute__((section(".vectors"), used)) static const vector_t vectors[16 + 32] = {
    (vector_t)(uintptr_t)__stack_top,
    Reset_Handler,
    Fault_Handler, /* NMI */
    Fault_Handler, /* HardFault */
    Fault_Handler, /* MemManage */
    Fault_Handler, /* BusFault */
    Fault_Handler, /* UsageFault */
    0, 0, 0, 0,
    Fault_Handler, /* SVCall */
    Fault_Handler, /* DebugMonitor */
    0,
    Fault_Handler, /* PendSV */
    SysTick_Handler,
    IRQ_HANDLERS(IRQ_VECTOR)
};
