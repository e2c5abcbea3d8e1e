// Plumbing shared by the transports: asynchronous listener delivery and cancellable pending operations.
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
