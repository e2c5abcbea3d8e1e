// Plumbing shared by the transports: asynchronous listener delivery, cancellable pending
// operations, and the base class that ties them to the contract's close().
import { canceledError, type Transport } from "./transport.ts";

export class Listeners {
  private readonly set = new Set<(chunk: Uint8Array) => void>();
  private closed = false;

  add(cb: (chunk: Uint8Array) => void): () => void {
    this.set.add(cb);
    return () => { this.set.delete(cb); };
  }

  /** Delivers on a later turn so no listener ever runs inside write(). Empty chunks are dropped. */
  emit(chunk: Uint8Array): void {
    if (chunk.length === 0 || this.closed) return;
    const copy = Uint8Array.from(chunk);
    setImmediate(() => {
      if (this.closed) return;
      for (const cb of [...this.set]) cb(copy);
    });
  }

  close(): void {
    this.closed = true;
    this.set.clear();
  }
}

/** Tracks the rejecters of pending operations so close() can cancel them all. */
export class PendingOps {
  private readonly rejecters = new Set<(err: Error) => void>();

  run<T>(start: (resolve: (v: T) => void, reject: (err: Error) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const rej = (err: Error) => { this.rejecters.delete(rej); reject(err); };
      this.rejecters.add(rej);
      start((v) => { this.rejecters.delete(rej); resolve(v); }, rej);
    });
  }

  cancelAll(err: () => Error): void {
    for (const rej of [...this.rejecters]) rej(err());
  }
}

/**
 * What every transport shares: its listeners, its cancellable writes and an idempotent
 * close() that rejects what is pending, silences the listeners, then `release()`s the
 * transport's own resources.
 */
export abstract class TransportBase implements Transport {
  protected readonly listeners = new Listeners();
  protected readonly pending = new PendingOps();
  protected closed = false;

  abstract write(bytes: Uint8Array): Promise<void>;

  onData(cb: (chunk: Uint8Array) => void): () => void {
    return this.listeners.add(cb);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pending.cancelAll(() => canceledError("write"));
    this.listeners.close();
    await this.release();
  }

  /** Frees what the transport holds (port, socket, inner transport); called once by close(). */
  protected abstract release(): Promise<void> | void;
}
