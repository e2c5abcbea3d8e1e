// UART transport through the `serialport` package: a board running the device module.
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

  /** Resolves once the bytes have left the OS buffer (drain), so pacing is the UART's. */
  write(bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(canceledError("write"));
    return this.pending.run<void>((resolve, reject) => {
      const fail = (err: Error) => reject(this.closed ? canceledError("write") : new TransportError(`serial write: ${err.message}`, {}, { cause: err }));
      this.port.write(bytes, (err) => {
        if (err) return fail(err);
        this.port.drain((e) => (e ? fail(e) : resolve()));
      });
    });
  }

  protected async release(): Promise<void> {
    if (this.port.isOpen) await new Promise<void>((res) => this.port.close(() => res()));
  }
}
