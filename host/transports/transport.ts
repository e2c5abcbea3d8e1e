/**
 * The byte link between a host session and a device: a UART, a TCP socket to a board bridge
 * or emulator, or the module running in this process.
 *
 * Contract (every implementation keeps it; test/transports/ checks the ones that can run here):
 * - `write(bytes)` resolves once the bytes are handed to the link, in call order. It does not
 *   wait for a reply and says nothing about delivery: the link may lose or damage bytes.
 * - `onData(cb)` registers a listener for received bytes and returns its unsubscribe function.
 *   Every call gets at least one byte; chunk boundaries mean nothing (a frame may arrive in
 *   pieces, several frames in one chunk). Listeners are called asynchronously, never from
 *   inside `write`.
 * - `close()` is idempotent. Operations pending at close, and any started after it, reject
 *   with a TransportError whose `canceled` flag is set; no listener is called after close.
 * - Errors are told apart by flags (`canceled`), never by message text.
 */
export interface Transport {
  write(bytes: Uint8Array): Promise<void>;
  onData(cb: (chunk: Uint8Array) => void): () => void;
  close(): Promise<void>;
}

/** A transport that can restart the device it reaches (RAM lost, flash kept). */
export interface ResettableTransport extends Transport {
  /** Restarts the device; resolves once it accepts bytes again. */
  reset(): Promise<void>;
}

export function isResettable(t: Transport): t is ResettableTransport {
  return typeof (t as Partial<ResettableTransport>).reset === "function";
}

export class TransportError extends Error {
  /** Set when the operation was abandoned because the transport closed. */
  readonly canceled: boolean;

  constructor(message: string, flags: { canceled?: boolean } = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TransportError";
    this.canceled = flags.canceled ?? false;
  }
}

export function canceledError(what: string): TransportError {
  return new TransportError(`${what}: transport closed`, { canceled: true });
}

/** True for errors flagged as cancellations by a transport or a session. */
export function isCanceled(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { canceled?: unknown }).canceled === true;
}
