// The Raspberry Pi Pico under rp2040js: the firmware image (a UF2, as a user drags it onto the
// board) in the emulated flash, booted the way the bootrom boots it, UART0 as a Transport.
//
// What the harness does itself, from the RP2040 datasheet (the bootrom is not available here):
// - boot (2.8.1): copy the first 256 bytes of flash to 0x20041f00, check their CRC-32 (boot2.ts),
//   enter boot2 in Thumb state with lr = 0 and sp at the top of SRAM5; with a bad CRC (blank or
//   damaged flash) the chip goes to USB boot instead, as the real one does;
// - the ROM functions the firmware calls (2.8.3), reached through the ROM table of pico-rom.ts:
//   flash erase/program on the emulated flash with the documented alignment rules (4 KB erase,
//   256-byte program, programming only clears bits as on NOR flash) and only while XIP is off,
//   and reset_usb_boot, which halts the chip and, with `bootselDrive`, shows the BOOTSEL drive;
// - while XIP is off, fetching an instruction from flash is a fault (the real chip would run
//   garbage), which proves the flash routines run from RAM;
// - a watchdog reset (WATCHDOG_CTRL.TRIGGER, or reset()) restarts the chip with its flash kept.
// rp2040js raises no HardFault: a read or write of unmapped memory, an unknown instruction,
// UDF/BKPT outside the ROM stubs are faults here. A fault halts the CPU and puts
// "FEWMUL-FAULT\n" on the UART, the firmware's own fault line, so hosts see what QEMU boards
// show (host/boards/trap-detect.ts); `faults` and onFault() say what happened.
//
// UART0 RX is a line (pico-uart.ts): the bytes the host writes arrive one every 10 bit periods of
// emulated time at the baud the firmware programmed, whether the firmware reads or not, into the
// PL011's 32-byte FIFO as the datasheet describes it (a byte that finds it full is lost and flagged
// as an overrun; trigger level and receive-timeout interrupts). While the core sleeps in WFI the
// harness skips emulated time to the next byte, so waiting for the wire costs no host time.
// Emulated cycles follow rp2040js's per-instruction counts (bench/README.md says what they leave out).
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { RP2040, type Logger } from "rp2040js";
import { boot2Valid, BOOT2_SIZE } from "../boards/boot2.ts";
import { fromUf2, RP2040_FAMILY } from "../boards/uf2.ts";
import { Listeners, PendingOps } from "../transports/plumbing.ts";
import { canceledError, type ResettableTransport } from "../transports/transport.ts";
import { romFunctionOfBkpt, romImage } from "./pico-rom.ts";
import { LineRx, Pl011Rx } from "./pico-uart.ts";

export const PICO_FLASH_BASE = 0x10000000;
const BOOT2_LOAD = 0x20041f00;
const STACK_TOP = 0x20042000;
const SECTOR = 4096;
const PAGE = 256;
const WATCHDOG_BASE = 0x40058000;
/** Where the firmware keeps its receive counters (boards/firmware/rx_ring.h, pico.ld). */
const RX_STATS = 0x20040000;
const RX_STATS_MAGIC = 0x53585246; // "FRXS"
/** Instructions per slice between turns of the event loop. */
const SLICE = 200_000;
/** UART FR reads in one slice that, with nothing received, mean the firmware idles. */
const IDLE_POLLS = 2000;
const FAULT_LINE = new TextEncoder().encode("FEWMUL-FAULT\n");
/** INFO_UF2.TXT of the RP2040's BOOTSEL drive (what `fewmul flash` looks for). */
export const BOOTSEL_INFO = "UF2 Bootloader v3.0\r\nModel: Raspberry Pi RP2\r\nBoard-ID: RPI-RP2\r\n";

export interface PicoEmulatorOptions {
  /** UF2 image written into flash before the first boot, as the BOOTSEL drive would. */
  uf2?: Uint8Array;
  /** Flash size in bytes (the manifest's `flash`). */
  flashBytes: number;
  /** File holding the whole flash: loaded before the UF2 (checkpoints survive), saved after
   * every erase/program and on close. */
  flashFile?: string;
  /** After reset_usb_boot, a directory that behaves like the BOOTSEL drive: INFO_UF2.TXT
   * appears, a .uf2 copied into it is flashed, then the directory goes away and the chip boots. */
  bootselDrive?: string;
}

export class PicoEmulator implements ResettableTransport {
  mcu!: RP2040;
  /** Why the CPU stopped, one line each (empty while it runs). */
  readonly faults: string[] = [];
  /** Chip resets so far (watchdog or reset()). */
  resets = 0;
  /** In BOOTSEL mode (after reset_usb_boot): not executing. */
  inBootsel = false;
  /** Why the chip is in BOOTSEL: undefined after reset_usb_boot, else the failed boot check. */
  bootselReason: string | undefined;
  private readonly flash: Uint8Array;
  private readonly listeners = new Listeners();
  private readonly pending = new PendingOps();
  private readonly line = new LineRx();
  private uart!: Pl011Rx;
  private lostBefore = 0;
  private tx: number[] = [];
  private halted = false;
  private closed = false;
  private xipOff = false;
  private scheduled = false;
  private idleMs = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private executed = 0;
  private flashDirty = false;
  private bootselTimer: NodeJS.Timeout | undefined;
  /** Called for every byte the firmware writes to UART0, as it writes it (benches read
   * cycles and instructions at that moment). */
  onTxByte?: (byte: number) => void;
  private readonly faultListeners = new Set<(reason: string) => void>();
  private readonly bootselListeners = new Set<() => void>();

  constructor(private readonly options: PicoEmulatorOptions) {
    this.flash = new Uint8Array(options.flashBytes).fill(0xff);
    if (options.flashFile && existsSync(options.flashFile)) {
      const saved = readFileSync(options.flashFile);
      this.flash.set(saved.subarray(0, this.flash.length));
    }
    if (options.uf2) this.program(options.uf2);
    this.boot();
  }

  /** Emulated CPU cycles since the last boot (rp2040js's count). */
  get cycles(): number { return this.mcu.core.cycles; }
  /** Instructions executed since the last boot. */
  get instructions(): number { return this.executed; }
  /** Bytes the line delivered into a full UART0 RX FIFO and that were lost (all boots). */
  get rxOverruns(): number { return this.lostBefore + (this.uart?.overruns ?? 0); }

  /** The firmware's receive counters (rx_ring.h), read from SRAM as a debug probe would. */
  firmwareRxStats(): { received: number; fifoOverruns: number; ringOverflows: number; ringPeak: number } | undefined {
    const at = (i: number) => this.mcu.readUint32(RX_STATS + 4 * i) >>> 0;
    if (at(0) !== RX_STATS_MAGIC) return undefined;
    return { received: at(1), fifoOverruns: at(2), ringOverflows: at(3), ringPeak: at(4) };
  }

  onFault(cb: (reason: string) => void): () => void {
    this.faultListeners.add(cb);
    return () => { this.faultListeners.delete(cb); };
  }

  onBootsel(cb: () => void): () => void {
    this.bootselListeners.add(cb);
    return () => { this.bootselListeners.delete(cb); };
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(canceledError("write"));
    this.line.push(bytes);
    this.schedule();
    return this.pending.run<void>((resolve) => resolve());
  }

  onData(cb: (chunk: Uint8Array) => void): () => void {
    return this.listeners.add(cb);
  }

  /** Watchdog reset: RAM and peripherals start over, flash is kept, boot2 runs again. */
  async reset(): Promise<void> {
    if (this.closed) throw canceledError("reset");
    const before = this.resets;
    this.mcu.writeUint32(WATCHDOG_BASE, 1 << 31); // WATCHDOG_CTRL.TRIGGER -> onWatchdogTrigger
    if (this.resets === before) throw new Error("the emulated watchdog did not reset the chip");
    await new Promise((r) => setImmediate(r));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.halted = true;
    clearInterval(this.bootselTimer);
    clearTimeout(this.idleTimer);
    this.pending.cancelAll(() => canceledError("write"));
    this.listeners.close();
    this.saveFlash();
  }

  /** Writes a UF2 into flash as the bootrom's USB drive does (blocks of the RP2040 family). */
  program(uf2: Uint8Array): void {
    for (const { address, payload } of fromUf2(uf2, RP2040_FAMILY)) {
      const at = address - PICO_FLASH_BASE;
      if (at < 0 || at + payload.length > this.flash.length) {
        throw new Error(`UF2 block at 0x${address.toString(16)} is outside the ${this.flash.length}-byte flash`);
      }
      this.flash.set(payload, at);
    }
    this.flashDirty = true;
  }

  /** A fresh chip with this flash, started as the bootrom starts it. */
  private boot(): void {
    const mcu = new RP2040();
    mcu.logger = this.logger();
    mcu.loadBootrom(romImage()); // (resets the core and erases rp2040js's own flash copy)
    mcu.flash.set(this.flash);
    this.mcu = mcu;
    this.executed = 0;
    this.xipOff = false;
    this.inBootsel = false;
    this.halted = false;
    mcu.onBreak = (imm) => this.onBreak(imm);
    // rp2040js acts on USB buffer-control words written to the DPRAM even while the USB
    // controller is disabled; on the chip the DPRAM is plain RAM then (the firmware keeps a
    // flash sector buffer there and never enables USB).
    mcu.usbCtrl.DPRAMUpdated = () => {};
    mcu.uart[0].onByte = (b) => { this.tx.push(b); this.onTxByte?.(b); };
    this.lostBefore += this.uart?.overruns ?? 0;
    this.uart = new Pl011Rx(mcu);
    this.line.restart();
    const watchdog = mcu.peripherals[(WATCHDOG_BASE >>> 14) << 2] as unknown as { onWatchdogTrigger: () => void };
    // may fire inside run(): stop this chip's slice, boot the new one on the next turn
    watchdog.onWatchdogTrigger = () => {
      this.halted = true;
      this.resets++;
      setImmediate(() => { if (!this.closed) { this.syncFlash(); this.boot(); } });
    };

    // the bootrom's flash boot: boot2 to SRAM5, CRC check, enter with lr = 0
    const boot2 = this.flash.subarray(0, BOOT2_SIZE);
    if (!boot2Valid(boot2)) {
      // what the bootrom does with a blank or damaged flash: USB boot, the drive appears
      this.bootselReason = "boot2 CRC check failed: the flash holds no bootable image";
      return this.enterBootsel();
    }
    this.bootselReason = undefined;
    mcu.sram.set(boot2, BOOT2_LOAD - 0x20000000);
    const core = mcu.core;
    core.SP = STACK_TOP;
    core.LR = 0;
    core.PC = BOOT2_LOAD;
    this.schedule();
  }

  /** rp2040js logs what real hardware would fault on: those are faults here. */
  private logger(): Logger {
    const fatal = /invalid memory|undefined address|not implemented|not 32 bit aligned/i;
    const check = (component: string, message: string) => {
      if (fatal.test(message)) this.fault(`${component}: ${message} (pc 0x${this.mcu.core.PC.toString(16)})`);
    };
    return { debug() {}, info() {}, warn: check, error: check };
  }

  private fault(reason: string): void {
    if (this.halted && this.faults.length) return;
    this.halted = true;
    this.faults.push(reason);
    this.tx.push(...FAULT_LINE);
    this.flushTx();
    for (const cb of [...this.faultListeners]) cb(reason);
  }

  private schedule(): void {
    if (this.idleTimer) { clearTimeout(this.idleTimer); this.idleTimer = undefined; }
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => { this.scheduled = false; this.run(); });
  }

  /** The next cycle at which the line or the UART has something to do. */
  private nextEvent(): number {
    return Math.min(this.line.nextAt(this.uart, this.mcu.core.cycles), this.uart.timeoutAt());
  }

  /** One slice of instructions; reschedules itself unless halted or idle. */
  private run(): void {
    if (this.halted || this.closed) return;
    const { core } = this.mcu;
    const uart = this.uart;
    const clock = this.mcu.clock as unknown as { tick(ns: number): void; nanosToNextAlarm: number };
    const nsPerCycle = 1e9 / this.mcu.clkSys;
    uart.flagReads = 0;
    let next = this.nextEvent();
    let idle = false;
    for (let i = 0; i < SLICE && !this.halted; i++) {
      if (core.cycles >= next || (i & 255) === 0) {
        this.line.deliver(uart, core.cycles);
        uart.poll(core.cycles);
        next = this.nextEvent();
      }
      if (core.waiting) {
        // WFI returns when an enabled interrupt is pending, also one raised while PRIMASK was set
        // just before it (the firmware's cpsid/check/wfi); rp2040js only wakes on a new one.
        if (core.pendingInterrupts & core.enabledInterrupts) {
          if (core.checkForInterrupts()) core.waiting = false;
          if (!core.waiting) continue;
        }
        // nothing runs until an interrupt; jump to the next byte, timeout or timer alarm
        next = this.nextEvent(); // (the receiver may have been switched on since the last look)
        const alarm = clock.nanosToNextAlarm / nsPerCycle;
        const skip = Math.min(next - core.cycles, alarm > 0 ? alarm : Infinity);
        if (skip === Infinity) { idle = true; break; }
        const cycles = Math.max(1, Math.ceil(skip));
        core.cycles += cycles;
        clock.tick(cycles * nsPerCycle);
        continue;
      }
      if (this.xipOff && core.PC >= PICO_FLASH_BASE && core.PC < 0x14000000) {
        this.fault(`instruction fetch from flash at 0x${core.PC.toString(16)} while XIP is off`);
        break;
      }
      clock.tick(core.executeInstruction() * nsPerCycle);
      this.executed++;
    }
    this.flushTx();
    if (this.flashDirty) this.saveFlash();
    if (this.halted || idle) return; // idle in WFI with nothing on the line: write() wakes it
    // A firmware polling an empty UART with nothing on the line waits for the host. Sleep until
    // write() brings bytes, but let emulated time go on now and then (backing off up to 100 ms),
    // since the polled pump's "end of burst" poll count must run out to hand a chunk to the module.
    if (uart.flagReads >= IDLE_POLLS && this.line.pending === 0 && uart.empty) {
      this.idleMs = Math.min(100, this.idleMs * 2 || 1);
      this.idleTimer = setTimeout(() => { this.idleTimer = undefined; this.schedule(); }, this.idleMs);
      return;
    }
    this.idleMs = 0;
    this.schedule();
  }

  private flushTx(): void {
    if (this.tx.length === 0) return;
    this.listeners.emit(Uint8Array.from(this.tx));
    this.tx = [];
  }

  /** Services the ROM stubs (pico-rom.ts); any other BKPT/UDF is a fault. */
  private onBreak(imm: number): void {
    const fn = romFunctionOfBkpt(imm);
    const r = this.mcu.core.registers;
    const flashBytes = this.flash.length;
    const bad = (what: string) => this.fault(`${fn}: ${what}`);
    switch (fn) {
      case "connect_internal_flash":
      case "flash_flush_cache":
        return;
      case "flash_exit_xip":
        this.xipOff = true;
        return;
      case "flash_enter_cmd_xip":
        this.xipOff = false;
        return;
      case "flash_range_erase": {
        const [offset, count] = [r[0], r[1]];
        if (!this.xipOff) return bad("called with XIP on (flash_exit_xip first)");
        if (offset % SECTOR || count % SECTOR || offset + count > flashBytes) return bad(`offset 0x${offset.toString(16)} count ${count} not whole 4 KB sectors inside flash`);
        this.mcu.flash.fill(0xff, offset, offset + count);
        this.flashDirty = true;
        return;
      }
      case "flash_range_program": {
        const [offset, data, count] = [r[0], r[1], r[2]];
        if (!this.xipOff) return bad("called with XIP on (flash_exit_xip first)");
        if (offset % PAGE || count % PAGE || offset + count > flashBytes) return bad(`offset 0x${offset.toString(16)} count ${count} not whole 256-byte pages inside flash`);
        if (data >= PICO_FLASH_BASE && data < 0x14000000) return bad("source data in flash while XIP is off");
        for (let i = 0; i < count; i++) this.mcu.flash[offset + i] &= this.mcu.readUint8(data + i); // NOR: bits only clear
        this.flashDirty = true;
        return;
      }
      case "reset_usb_boot":
        this.enterBootsel();
        return;
      default:
        this.fault(`${imm === 0xfe ? "UDF/trap" : "breakpoint"} #${imm} at 0x${((this.mcu.core.PC - 2) >>> 0).toString(16)}`);
    }
  }

  private syncFlash(): void {
    this.flash.set(this.mcu.flash.subarray(0, this.flash.length));
  }

  private saveFlash(): void {
    if (this.mcu) this.syncFlash();
    this.flashDirty = false;
    const file = this.options.flashFile;
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, this.flash);
    renameSync(tmp, file);
  }

  /** reset_usb_boot: the chip stops running the firmware and shows its USB drive. */
  private enterBootsel(): void {
    this.flushTx();
    this.halted = true;
    this.inBootsel = true;
    this.syncFlash();
    for (const cb of [...this.bootselListeners]) cb();
    const drive = this.options.bootselDrive;
    if (!drive) return;
    mkdirSync(drive, { recursive: true });
    writeFileSync(join(drive, "INFO_UF2.TXT"), BOOTSEL_INFO);
    writeFileSync(join(drive, "INDEX.HTM"), "<html><body>Raspberry Pi RP2 (emulated)</body></html>\r\n");
    // the drive accepts one .uf2 file; once it is complete: flash it, unmount, boot
    clearInterval(this.bootselTimer);
    this.bootselTimer = setInterval(() => {
      for (const name of readdirSync(drive)) {
        if (!name.toLowerCase().endsWith(".uf2")) continue;
        let file: Uint8Array;
        try {
          file = readFileSync(join(drive, name));
          fromUf2(file, RP2040_FAMILY); // complete and well-formed, else wait for more bytes
        } catch { continue; }
        clearInterval(this.bootselTimer);
        this.program(file);
        rmSync(drive, { recursive: true, force: true });
        this.resets++;
        this.boot();
        return;
      }
    }, 50);
  }
}
