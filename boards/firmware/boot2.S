/* Second-stage boot for the RP2040 (datasheet 2.8.1: the bootrom copies the first 256
 * bytes of flash to 0x20041f00, checks their CRC-32 and enters here with lr = 0).
 * The bootrom already talks to the flash in standard SPI; this sets the SSI up for
 * execute-in-place with the universally supported 03h READ command (serial, 24-bit
 * address, one 32-bit word per access), then enters the vector table that follows in
 * flash at 0x10000100. Any W25Q-style flash (the Pico's W25Q16JV) supports 03h; the
 * faster quad modes are flash-specific and not needed to run fewmul.
 * Built, padded to 252 bytes and sealed with its CRC by host/boards/boot2.ts. */
  .syntax unified
  .cpu cortex-m0plus
  .thumb

  .equ SSI_BASE,        0x18000000
  .equ SSI_CTRLR0,      0x00
  .equ SSI_CTRLR1,      0x04
  .equ SSI_SSIENR,      0x08
  .equ SSI_BAUDR,       0x14
  .equ SSI_SPI_CTRLR0,  0xf4
  /* CTRLR0: SPI_FRF = 0 (standard), DFS_32 = 31 (32-bit frames), TMOD = 3 (EEPROM read) */
  .equ CTRLR0_XIP,      (31 << 16) | (3 << 8)
  /* SPI_CTRLR0: XIP_CMD = 0x03, INST_L = 2 (8-bit command), ADDR_L = 6 (24 bits),
   * TRANS_TYPE = 0 (command and address in standard SPI) */
  .equ SPI_CTRLR0_XIP,  (0x03 << 24) | (2 << 8) | (6 << 2)
  /* SCK = clk_sys / 4: 31.25 MHz at 125 MHz, within 03h's limit (50 MHz on the W25Q16JV) */
  .equ XIP_BAUD_DIV,    4
  .equ VECTORS,         0x10000100
  .equ PPB_VTOR,        0xe000ed08

  .section .boot2, "ax"
  .global boot2_entry
  .type boot2_entry, %function
boot2_entry:
  push {lr}
  ldr r3, =SSI_BASE
  movs r1, #0
  str r1, [r3, #SSI_SSIENR]      /* the SSI must be disabled to be reconfigured */
  movs r1, #XIP_BAUD_DIV
  str r1, [r3, #SSI_BAUDR]
  ldr r1, =CTRLR0_XIP
  str r1, [r3, #SSI_CTRLR0]
  movs r1, #0
  str r1, [r3, #SSI_CTRLR1]      /* NDF = 0: one data frame per XIP access */
  ldr r1, =SPI_CTRLR0_XIP
  ldr r2, =SSI_BASE + SSI_SPI_CTRLR0
  str r1, [r2]
  movs r1, #1
  str r1, [r3, #SSI_SSIENR]
  pop {r0}
  cmp r0, #0
  beq enter_flash_image
  bx r0                          /* called as a function: return */
enter_flash_image:               /* from the bootrom: VTOR, stack, reset handler */
  ldr r0, =VECTORS
  ldr r1, =PPB_VTOR
  str r0, [r1]
  ldmia r0, {r0, r1}
  msr msp, r0
  bx r1
  .ltorg
