// The receive side of the emulated Pico's UART0 (host/emulator/pico-uart.ts) against the PL011
// behaviour the RP2040 datasheet (4.2) describes, driven through rp2040js's bus as firmware would
// drive it: FIFO depth, overrun flags, trigger level, receive timeout, the interrupt line, and a
// line that delivers a byte every 10 bit periods whether or not anything reads.
import test from "ava";
import { RP2040 } from "rp2040js";
import { LineRx, Pl011Rx } from "../../host/emulator/pico-uart.ts";

const UART0 = 0x40034000;
const DR = 0x00, RSR = 0x04, FR = 0x18, IBRD = 0x24, FBRD = 0x28, LCR_H = 0x2c, CR = 0x30, IFLS = 0x34, IMSC = 0x38, RIS = 0x3c, MIS = 0x40, ICR = 0x44;
const RXFE = 1 << 4, RXFF = 1 << 6;
const RX = 1 << 4, RT = 1 << 6, OE = 1 << 10;
const UART0_IRQ = 20;

function chip(fifo = true) {
  const mcu = new RP2040();
  const uart = new Pl011Rx(mcu);
  const w = (o: number, v: number) => mcu.writeUint32(UART0 + o, v);
  const r = (o: number) => mcu.readUint32(UART0 + o) >>> 0;
  w(IBRD, 67); w(FBRD, 52); // 115200 at 125 MHz, as pico_uart.c programs it
  w(LCR_H, (3 << 5) | (fifo ? 1 << 4 : 0));
  w(CR, 1 | (1 << 8) | (1 << 9));
  const irq = () => (mcu.core.pendingInterrupts & (1 << UART0_IRQ)) !== 0;
  return { mcu, uart, w, r, irq };
}

test("32-byte FIFO: the 33rd byte is lost, OE in UARTRSR, UARTRIS and on the next UARTDR read; UARTECR clears", (t) => {
  const { uart, r, w } = chip();
  for (let i = 0; i < 33; i++) uart.receive(i, i);
  t.is(uart.overruns, 1);
  t.truthy(r(FR) & RXFF);
  t.is(r(RSR), 1 << 3);
  t.truthy(r(RIS) & OE);
  t.is(r(DR), 0 | (1 << 11), "first byte, flagged: an overrun happened");
  t.is(r(DR), 1, "flag reported once");
  for (let i = 2; i < 32; i++) t.is(r(DR), i);
  t.truthy(r(FR) & RXFE);
  t.is(r(DR) & 0xff, 0, "byte 32 never entered the FIFO");
  w(RSR, 0);
  t.is(r(RSR), 0);
  w(ICR, OE);
  t.falsy(r(RIS) & OE);
});

test("FIFO off (LCR_H.FEN = 0): a 1-byte holding register", (t) => {
  const { uart, r } = chip(false);
  uart.receive(7, 0);
  t.truthy(r(FR) & RXFF);
  uart.receive(8, 1);
  t.is(uart.overruns, 1);
  t.is(r(DR) & 0xff, 7);
});

test("RX interrupt at the UARTIFLS level, cleared by reading below it; the IRQ line follows UARTMIS", (t) => {
  const { uart, r, w, irq } = chip();
  w(IFLS, 0 << 3); // 1/8: 4 bytes
  w(IMSC, RX | RT);
  for (let i = 0; i < 3; i++) uart.receive(i, i);
  t.falsy(r(RIS) & RX);
  t.false(irq());
  uart.receive(3, 3);
  t.truthy(r(MIS) & RX);
  t.true(irq());
  r(DR);
  t.falsy(r(RIS) & RX, "3 left, below the level");
  t.false(irq());
  w(IFLS, 2 << 3); // reset value 1/2: 16 bytes
  for (let i = 0; i < 13; i++) uart.receive(i, 10 + i);
  t.truthy(r(RIS) & RX, "16 bytes at level 1/2");
});

test("receive timeout: 32 bit periods without a byte and the FIFO not empty; cleared by emptying it or UARTICR", (t) => {
  const { mcu, uart, r, w } = chip();
  w(IMSC, RT);
  const bitCycles = mcu.clkSys / uart.baud;
  uart.receive(1, 1000);
  t.is(uart.timeoutAt(), 1000 + 32 * bitCycles);
  uart.poll(1000 + 31 * bitCycles);
  t.falsy(r(RIS) & RT);
  uart.poll(1000 + 32 * bitCycles);
  t.truthy(r(MIS) & RT);
  t.is(uart.timeoutAt(), Infinity, "raised once");
  r(DR);
  t.falsy(r(RIS) & RT, "FIFO empty");
  uart.receive(2, 5000);
  uart.poll(5000 + 32 * bitCycles);
  w(ICR, RT);
  t.falsy(r(RIS) & RT);
  t.is(uart.timeoutAt(), 5000 + 32 * bitCycles, "pending again: the byte is still there");
});

test("the line: a byte every 10 bit periods from the write, whatever the firmware reads; nothing before the receiver is on", (t) => {
  const { mcu, uart, r } = chip();
  const line = new LineRx();
  const perByte = (10 * mcu.clkSys) / 115200;
  t.true(Math.abs(uart.byteCycles - perByte) < perByte * 1e-4, "115200 baud from the divisors");
  line.push(Uint8Array.from({ length: 40 }, (_, i) => i));
  t.is(line.nextAt(uart, 0), uart.byteCycles);
  line.deliver(uart, 0);
  t.is(uart.received, 0);
  line.deliver(uart, 5 * uart.byteCycles);
  t.is(uart.received, 5);
  line.deliver(uart, 40 * uart.byteCycles);
  t.is(uart.received, 32, "the FIFO filled up");
  t.is(uart.overruns, 8, "and the line did not wait");
  t.is(line.pending, 0);
  t.is(r(DR) & 0xff, 0);

  const off = chip();
  off.w(CR, 0);
  const held = new LineRx();
  held.push(Uint8Array.of(1, 2));
  t.is(held.nextAt(off.uart, 0), Infinity, "UART disabled: the harness holds the bytes");
});
