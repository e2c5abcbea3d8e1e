// TCP transport to a board bridge or a remote emulator: `socket://host:port`.
import { connect, type Socket } from "node:net";
import { TransportBase } from "./plumbing.ts";
import { canceledError, TransportError } from "./transport.ts";

export interface SocketOptions {
  /** Give up connecting after this many ms (default 5000). */
  connectTimeoutMs?: number;
}

/**
 * Parses `socket://host:port` (port 0, "any free port", only where `listen` says so); throws a
 * TypeError naming what is wrong.
 */
export function parseSocketUrl(url: string, { listen = false } = {}): { host: string; port: number } {
  let u: URL;
  try { u = new URL(url); } catch { throw new TypeError(`not a socket URL: "${url}" (expected socket://host:port)`); }
  const port = Number(u.port);
  if (u.protocol !== "socket:" || !u.hostname || !/^\d+$/.test(u.port || (listen ? "0" : "")) || port < (listen ? 0 : 1)) {
    throw new TypeError(`not a socket URL: "${url}" (expected socket://host:port)`);
  }
  return { host: u.hostname.replace(/^\[|\]$/g, ""), port };
}

export class SocketTransport extends TransportBase {
  private constructor(private readonly socket: Socket) {
    super();
    socket.on("data", (buf: Buffer) => this.listeners.emit(buf));
    socket.on("close", () => { void this.close(); });
    socket.on("error", () => { /* reported through the pending write or close */ });
  }

  static open(url: string, options: SocketOptions = {}): Promise<SocketTransport> {
    const { host, port } = parseSocketUrl(url);
    const timeoutMs = options.connectTimeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new TransportError(`connecting to ${url}: no answer after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once("connect", () => { clearTimeout(timer); resolve(new SocketTransport(socket)); });
      socket.once("error", (err) => { clearTimeout(timer); reject(new TransportError(`connecting to ${url}: ${err.message}`, {}, { cause: err })); });
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(canceledError("write"));
    return this.pending.run<void>((resolve, reject) => {
      this.socket.write(bytes, (err) => {
        if (err) reject(this.closed ? canceledError("write") : new TransportError(`socket write: ${err.message}`, {}, { cause: err }));
        else resolve();
      });
    });
  }

  protected release(): void {
    this.socket.destroy();
  }
}
