// UART transport through the `serialport` package: a board running the device module.
import { write as fsWrite } from "node:fs";
import { SerialPort } from "serialport";
import { TransportBase } from "./plumbing.ts";
import { canceledError, TransportError } from "./transport.ts";

export interface SerialOptions {
  /** Device path, e.g. /dev/ttyACM0 or COM3. */
  path: string;
  baudRate: number;
}

/** The part of SerialPort this transport uses (a mock binding's port fits too). */
export interface SerialPortLike {
  open(cb: (err: Error | null) => void): void;
  write(data: Uint8Array, cb: (err: Error | null | undefined) => void): boolean;
  drain(cb: (err: Error | null) => void): void;
  close(cb: (err: Error | null) => void): void;
  on(event: "data", cb: (buf: Buffer) => void): unknown;
  on(event: "close" | "error", cb: (err?: Error) => void): unknown;
  readonly isOpen: boolean;
}

export class SerialTransport extends TransportBase {
  constructor(private readonly port: SerialPortLike) {
    super();
    port.on("data", (buf: Buffer) => this.listeners.emit(buf));
    port.on("close", () => { void this.close(); });
    port.on("error", () => { /* reported through the pending write or close */ });
  }

  /** Opens `path` at `baudRate` (8N1, no flow control). */
  static open(options: SerialOptions): Promise<SerialTransport> {
    if (typeof options.path !== "string" || options.path === "") throw new TypeError(`SerialTransport: option "path" must be a device path`);
    if (!Number.isInteger(options.baudRate) || options.baudRate <= 0) throw new TypeError(`SerialTransport: option "baudRate" must be a positive integer, got ${options.baudRate}`);
    const port = new SerialPort({ path: options.path, baudRate: options.baudRate, autoOpen: false });
    return SerialTransport.openPort(port, options.path);
  }

  /** Wraps a port that is not open yet (tests pass one on a mock binding). */
  static openPort(port: SerialPortLike, label: string): Promise<SerialTransport> {
    return new Promise((resolve, reject) => {
      port.open((err) => {
        if (err) reject(new TransportError(`opening ${label}: ${err.message}`, {}, { cause: err }));
        else resolve(new SerialTransport(port));
      });
    });
  }

  /**
   * Resolves once the bytes are written to the OS (not drained: serialport's drain is a
   * tcdrain() that holds a libuv pool thread until the line is empty).
   *
   * On a port with a file descriptor the bytes are written here, not by serialport: its unix
   * write waits for "writable" after EAGAIN through a poller whose poll() restarts the
   * watcher with only the newly asked event, so the next read's poll(readable) cancels the
   * pending writable wait and that write, and every write queued behind it, never finishes
   * (@serialport/bindings-cpp 13, src/poller.cpp). On a pty under load that was the stall of
   * issue 9: the host kept "sending" into a stuck stream. Here EAGAIN is retried on a timer.
   */
  write(bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(canceledError("write"));
    const fd = this.fd();
    if (fd === undefined) {
      return this.pending.run<void>((resolve, reject) => {
        this.port.write(bytes, (err) => {
          if (err) reject(this.closed ? canceledError("write") : new TransportError(`serial write: ${err.message}`, {}, { cause: err }));
          else resolve();
        });
      });
    }
    return this.pending.run<void>((resolve, reject) => {
      this.outbox.push({ bytes: Uint8Array.from(bytes), at: 0, resolve, reject });
      if (this.outbox.length === 1) this.pumpOut(fd);
    });
  }

  private readonly outbox: { bytes: Uint8Array; at: number; resolve: () => void; reject: (e: Error) => void }[] = [];

  /** The open port's file descriptor, if the binding has one (not on a mock binding). */
  private fd(): number | undefined {
    const fd = (this.port as { port?: { fd?: unknown } }).port?.fd;
    return typeof fd === "number" && fd >= 0 ? fd : undefined;
  }

  /** Writes the outbox in order; EAGAIN (the OS buffer is full) is retried after a moment. */
  private pumpOut(fd: number): void {
    const head = this.outbox[0];
    if (!head || this.closed) return;
    fsWrite(fd, head.bytes, head.at, head.bytes.length - head.at, (err, n) => {
      if (this.closed) return;
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "EAGAIN" || code === "EWOULDBLOCK" || code === "EINTR") { setTimeout(() => this.pumpOut(fd), 2); return; }
        for (const w of this.outbox.splice(0)) w.reject(new TransportError(`serial write: ${err.message}`, {}, { cause: err }));
        return;
      }
      head.at += n;
      if (head.at >= head.bytes.length) { this.outbox.shift(); head.resolve(); }
      this.pumpOut(fd);
    });
  }

  protected async release(): Promise<void> {
    if (this.port.isOpen) await new Promise<void>((res) => this.port.close(() => res()));
  }
}
