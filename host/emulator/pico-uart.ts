// The receive side of the RP2040's UART0 (an Arm PL011, RP2040 datasheet 4.2) as the wire and the
// chip see it, on top of rp2040js's UART (which keeps TX, the divisors and the control registers).
//
// rp2040js 1.4 stores a received byte into a 32-entry FIFO and drops it silently when the FIFO is
// full; it has no overrun flag, no FIFO trigger level (UARTIFLS), no receive timeout and raises
// the RX interrupt on every byte, and the harness fed it only when the FIFO had room. Here the
// line is a line: `LineRx` delivers each byte 10 bit periods (8N1) after the previous one at the
// baud the firmware programmed, whether or not the firmware reads, and `Pl011Rx` receives it as the
// datasheet describes:
// - FIFO of 32 entries with UARTLCR_H.FEN set, a 1-byte holding register without;
// - a byte that arrives with the FIFO full is lost: UARTRSR.OE and UARTRIS.OERIS are set (cleared by
//   writing UARTECR / UARTICR), and the next byte read from UARTDR carries OE (bit 11);
// - RXRIS when the FIFO fill reaches the UARTIFLS.RXIFLSEL level (1/8, 1/4, 1/2, 3/4, 7/8 of 32),
//   cleared by reading below it or by UARTICR;
// - RTRIS when the FIFO is not empty and nothing arrived for 32 bit periods, cleared by emptying the
//   FIFO or by UARTICR;
// - UART0_IRQ (20) is the OR of UARTMIS = UARTRIS & UARTIMSC.
// TXRIS stays set (rp2040js sends a written byte at once: its TX FIFO is always empty).
import type { RP2040 } from "rp2040js";

const DR = 0x00, RSR = 0x04, FR = 0x18, LCR_H = 0x2c, CR = 0x30, IFLS = 0x34, IMSC = 0x38, RIS = 0x3c, MIS = 0x40, ICR = 0x44;
const FR_RXFE = 1 << 4, FR_RXFF = 1 << 6, FR_TXFE = 1 << 7;
const INT_RX = 1 << 4, INT_TX = 1 << 5, INT_RT = 1 << 6, INT_OE = 1 << 10;
const LCR_H_FEN = 1 << 4;
const CR_UARTEN = 1 << 0, CR_RXE = 1 << 9;
const DR_OE = 1 << 11;
const UART0_IRQ = 20;
const FIFO_DEPTH = 32;

interface RpUart {
  readUint32(offset: number): number;
  writeUint32(offset: number, value: number): void;
  rawWriteValue: number;
  baudRate: number;
  onByte?: (b: number) => void;
}

export class Pl011Rx {
  /** Bytes lost to a full FIFO since boot (what the chip's OE flag reports, counted exactly). */
  overruns = 0;
  /** Bytes the line delivered into the FIFO. */
  received = 0;
  /** UARTFR reads since the counter was last cleared (the harness's idle detection). */
  flagReads = 0;
  private readonly fifo: number[] = [];
  private ifls = 0x12; // reset value: both levels 1/2
  private imsc = 0;
  private ris = INT_TX;
  private rsrOverrun = false;
  private drOverrun = false;
  /** Cycle of the last byte into the FIFO, for the receive timeout. */
  private lastRxCycle = 0;
  private irq = false;
  private readonly uart: RpUart;

  constructor(private readonly mcu: RP2040) {
    this.uart = mcu.uart[0] as unknown as RpUart;
    const read = this.uart.readUint32.bind(this.uart);
    const write = this.uart.writeUint32.bind(this.uart);
    this.uart.readUint32 = (offset) => this.read(offset, read);
    this.uart.writeUint32 = (offset, value) => this.write(offset, value, write);
  }

  /** UARTEN and RXE set and a divisor programmed: the receiver samples the line. */
  get listening(): boolean {
    const cr = this.uart.readUint32(CR);
    return (cr & (CR_UARTEN | CR_RXE)) === (CR_UARTEN | CR_RXE) && this.uart.baudRate > 0 && Number.isFinite(this.uart.baudRate);
  }

  get baud(): number { return this.uart.baudRate; }
  /** Cycles of one 8N1 character (10 bit periods) at the programmed baud. */
  get byteCycles(): number { return (10 * this.mcu.clkSys) / this.baud; }
  get empty(): boolean { return this.fifo.length === 0; }

  private get depth(): number { return this.uart.readUint32(LCR_H) & LCR_H_FEN ? FIFO_DEPTH : 1; }
  private get level(): number {
    const sel = (this.ifls >> 3) & 7;
    return [4, 8, 16, 24, 28][Math.min(sel, 4)];
  }
  /** Cycles of 32 bit periods at the current baud (the receive timeout). */
  private timeoutCycles(): number { return (32 * this.mcu.clkSys) / this.baud; }

  /** One byte off the wire, at cycle `now`. */
  receive(byte: number, now: number): void {
    this.lastRxCycle = now;
    if (this.fifo.length >= this.depth) {
      this.overruns++;
      this.rsrOverrun = true;
      this.drOverrun = true;
      this.ris |= INT_OE;
    } else {
      this.fifo.push(byte & 0xff);
      this.received++;
      if (this.fifo.length >= (this.depth === 1 ? 1 : this.level)) this.ris |= INT_RX;
      this.ris &= ~INT_RT;
    }
    this.update();
  }

  /** The cycle at which the receive timeout will fire, or Infinity if it cannot. */
  timeoutAt(): number {
    if (this.fifo.length === 0 || this.ris & INT_RT) return Infinity;
    return this.lastRxCycle + this.timeoutCycles();
  }

  /** Raises the receive timeout if it is due at cycle `now`. */
  poll(now: number): void {
    if (now >= this.timeoutAt()) {
      this.ris |= INT_RT;
      this.update();
    }
  }

  private read(offset: number, base: (o: number) => number): number {
    switch (offset) {
      case DR: {
        const value = this.fifo.shift() ?? 0;
        const oe = this.drOverrun ? DR_OE : 0;
        this.drOverrun = false;
        if (this.fifo.length < this.level) this.ris &= ~INT_RX;
        if (this.fifo.length === 0) this.ris &= ~INT_RT;
        this.update();
        return value | oe;
      }
      case RSR: return this.rsrOverrun ? 1 << 3 : 0;
      case FR:
        this.flagReads++;
        return (this.fifo.length === 0 ? FR_RXFE : 0) | (this.fifo.length >= this.depth ? FR_RXFF : 0) | FR_TXFE;
      case IFLS: return this.ifls;
      case IMSC: return this.imsc;
      case RIS: return this.ris;
      case MIS: return this.ris & this.imsc;
      default: return base(offset);
    }
  }

  private write(offset: number, value: number, base: (o: number, v: number) => void): void {
    switch (offset) {
      case RSR: this.rsrOverrun = false; return; // UARTECR: any write clears the error flags
      case IFLS: this.ifls = value & 0x3f; return;
      case IMSC: this.imsc = value & 0x7ff; this.update(); return;
      case ICR: this.ris &= ~(this.uart.rawWriteValue & 0x7ff & ~INT_TX); this.update(); return;
      default: base(offset, value);
    }
  }

  private update(): void {
    const on = (this.ris & this.imsc) !== 0;
    if (on !== this.irq) {
      this.irq = on;
      this.mcu.setInterrupt(UART0_IRQ, on);
    }
  }
}

/**
 * The host's side of the line: bytes written by the host leave one after the other, a byte every
 * 10 bit periods, from the moment they are written (in emulated cycles), as a UART line does.
 */
export class LineRx {
  private readonly queue: number[] = [];
  private at = 0;
  /** Cycle at which the byte at the head of the queue has been fully received. */
  private due = Infinity;

  get pending(): number { return this.queue.length - this.at; }

  push(bytes: Uint8Array): void {
    for (const b of bytes) this.queue.push(b);
  }

  /** The next cycle at which something happens on the line (Infinity: nothing queued). */
  nextAt(rx: Pl011Rx, now: number): number {
    if (this.pending === 0 || !rx.listening) return Infinity;
    if (this.due === Infinity) this.due = now + rx.byteCycles;
    return this.due;
  }

  /** Delivers every byte due at cycle `now`. */
  deliver(rx: Pl011Rx, now: number): void {
    while (this.pending > 0 && now >= this.nextAt(rx, now)) {
      rx.receive(this.queue[this.at++], this.due);
      this.due = this.pending > 0 ? this.due + rx.byteCycles : Infinity;
    }
    if (this.pending === 0 && this.at > 0) { this.queue.length = 0; this.at = 0; }
  }

  /** A new chip (watchdog reset): bytes already on the wire keep coming once it listens again. */
  restart(): void { this.due = Infinity; }
}
