// The emulator transport: runs build/fewmul.wasm in this Node process as a device would run
// it (byte pump + flash), with optional UART pacing and a RAM limit. reset() re-instantiates
// the module keeping the flash, like a watchdog reset of a board.
import { closeSync, existsSync, openSync, readSync, writeSync } from "node:fs";
import { instantiate, MemoryFlash, RELEASE_MODULE, type Flash, type ModuleMemory } from "../module/loader.ts";
import { TransportBase } from "./plumbing.ts";
import { canceledError, TransportError, type ResettableTransport } from "./transport.ts";

export interface InProcessOptions {
  /** The device module (default: build/fewmul.wasm of this repository). */
  wasmPath?: string;
  /** Back the flash with this file (created if missing, padded to flashSize); default: RAM only. */
  flashPath?: string;
  /** Flash bytes offered to the device (default 64 KiB). */
  flashSize?: number;
  /** RAM limit: linear memory may not grow past this many 64 KiB pages (default 256 = 16 MiB). */
  maxPages?: number;
  /** Pace both directions like a UART at this baud rate (10 bits per byte); default: no pacing. */
  baud?: number;
}

/** The module's byte-pump exports (docs/device-abi.md). */
export interface DeviceExports {
  boot(): number;
  io_rx_ptr(): number;
  io_rx_cap(): number;
  io_feed(n: number): number;
  io_tx_ptr(): number;
  /** The reboot the host requested (REBOOT); the emulator has nothing to reboot into. */
  io_reboot?(): number;
}

const KNOWN = new Set(["wasmPath", "flashPath", "flashSize", "maxPages", "baud"]);

/** Flash kept in a file, so a checkpoint outlives the process like a board's flash outlives power. */
export class FileFlash implements Flash {
  private readonly cache: MemoryFlash;
  private fd: number | undefined;

  constructor(readonly path: string, readonly size: number) {
    this.cache = new MemoryFlash(size);
    this.fd = openSync(path, existsSync(path) ? "r+" : "w+");
    readSync(this.fd, this.cache.bytes, 0, size, 0);
    writeSync(this.fd, this.cache.bytes, 0, size, 0); // pad a new or short file to the full size
  }

  read(offset: number, len: number): Uint8Array | undefined { return this.cache.read(offset, len); }

  write(offset: number, data: Uint8Array): boolean {
    if (this.fd === undefined || !this.cache.write(offset, data)) return false;
    writeSync(this.fd, data, 0, data.length, offset);
    return true;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Schedules bytes on a serial line: each direction carries baud/10 bytes per second. */
class Line {
  private busyUntil = 0;
  constructor(private readonly baud: number | undefined) {}
  /** Milliseconds until n bytes queued now have gone through. */
  delay(n: number): number {
    if (!this.baud) return 0;
    const now = performance.now();
    this.busyUntil = Math.max(now, this.busyUntil) + (n * 10_000) / this.baud;
    return this.busyUntil - now;
  }
}

export class InProcessTransport extends TransportBase implements ResettableTransport {
  /** Result of the last boot(): 0 fresh, 1 restored from flash, <0 checkpoint refused. */
  bootStatus = 0;
  /** Device restarts so far (reset() calls). */
  resets = 0;
  private device!: DeviceExports;
  private mem!: ModuleMemory;
  private readonly toDevice: Line;
  private readonly toHost: Line;

  private constructor(
    private readonly wasmPath: string,
    readonly flash: Flash,
    private readonly ramBytes: number,
    baud: number | undefined,
  ) {
    super();
    this.toDevice = new Line(baud);
    this.toHost = new Line(baud);
    this.start();
  }

  /** Instantiates the module and boots it (restoring the flash's checkpoint, if any). */
  static async open(options: InProcessOptions = {}): Promise<InProcessTransport> {
    for (const key of Object.keys(options)) {
      if (!KNOWN.has(key)) throw new TypeError(`InProcessTransport: unknown option "${key}"`);
    }
    const { flashSize = 65536, maxPages = 256, baud } = options;
    if (!Number.isInteger(flashSize) || flashSize < 0) throw new TypeError(`InProcessTransport: option "flashSize" must be a non-negative integer, got ${flashSize}`);
    if (!Number.isInteger(maxPages) || maxPages < 1 || maxPages > 65536) throw new TypeError(`InProcessTransport: option "maxPages" must be an integer in 1..65536, got ${maxPages}`);
    if (baud !== undefined && !(baud > 0)) throw new TypeError(`InProcessTransport: option "baud" must be positive, got ${baud}`);
    const flash = options.flashPath ? new FileFlash(options.flashPath, flashSize) : new MemoryFlash(flashSize);
    return new InProcessTransport(options.wasmPath ?? RELEASE_MODULE, flash, maxPages * 65536, baud);
  }

  /** The running module, for tests and benches that poke the device directly. */
  get exports(): DeviceExports { return this.device; }
  /** Typed views of the device module's memory (replaced by a reset, like the exports). */
  get memory(): ModuleMemory { return this.mem; }

  write(bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(canceledError("write"));
    const data = Uint8Array.from(bytes);
    const ms = this.toDevice.delay(data.length);
    if (ms === 0) {
      try { this.feed(data); } catch (err) { return Promise.reject(err); }
      return Promise.resolve();
    }
    return this.pending.run<void>((resolve, reject) => {
      setTimeout(() => {
        if (this.closed) return; // close() already rejected this write
        try { this.feed(data); resolve(); } catch (err) { reject(err as Error); }
      }, ms);
    });
  }

  async reset(): Promise<void> {
    if (this.closed) throw canceledError("reset");
    this.resets++;
    this.start();
  }

  protected release(): void {
    if (this.flash instanceof FileFlash) this.flash.close();
  }

  private start(): void {
    const loaded = instantiate({ path: this.wasmPath, flash: this.flash, ramBytes: this.ramBytes });
    const dev = loaded.exports as unknown as DeviceExports;
    if (typeof dev.io_feed !== "function") {
      throw new TransportError(`${this.wasmPath} has no byte-pump exports (io_feed): rebuild with assembly/protocol/exports.ts`);
    }
    this.device = dev;
    this.mem = loaded.mem;
    this.bootStatus = dev.boot();
  }

  /** The firmware's loop: copy at most io_rx_cap bytes in, feed, send what came out. */
  private feed(data: Uint8Array): void {
    const dev = this.device;
    for (let off = 0; off < data.length;) {
      const n = Math.min(dev.io_rx_cap(), data.length - off);
      this.mem.write(dev.io_rx_ptr(), data.subarray(off, off + n));
      let out: number;
      try {
        out = dev.io_feed(n);
      } catch (err) {
        throw new TransportError(`device trapped in io_feed: ${String(err)}`, {}, { cause: err });
      }
      off += n;
      if (out > 0) this.reply(this.mem.read(dev.io_tx_ptr(), out));
    }
  }

  private reply(bytes: Uint8Array): void {
    const ms = this.toHost.delay(bytes.length);
    if (ms === 0) this.listeners.emit(bytes);
    else setTimeout(() => this.listeners.emit(bytes), ms);
  }
}
