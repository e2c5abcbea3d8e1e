// Errors of a protocol session. Callers tell them apart by flags, never by message text.
import { statusMessage } from "./status.ts";

export interface ProtocolErrorFlags {
  /** The device answered with this negative status (see status.ts). */
  status?: number;
  /** No reply after every retransmission: the link may be down. */
  timeout?: boolean;
  /** The device restarted (RAM lost; flash kept): hello() again, then resume from lastBatchId. */
  deviceReset?: boolean;
  /** The session or its transport was closed while the request was pending. */
  canceled?: boolean;
  /** The session lost sequence sync (after a timeout or reset): call hello() before anything else. */
  resync?: boolean;
}

export class ProtocolError extends Error {
  readonly status: number | undefined;
  readonly timeout: boolean;
  readonly deviceReset: boolean;
  readonly canceled: boolean;
  readonly resync: boolean;

  constructor(message: string, flags: ProtocolErrorFlags = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ProtocolError";
    this.status = flags.status;
    this.timeout = flags.timeout ?? false;
    this.deviceReset = flags.deviceReset ?? false;
    this.canceled = flags.canceled ?? false;
    this.resync = flags.resync ?? false;
  }

  static fromStatus(status: number, what: string): ProtocolError {
    return new ProtocolError(`${what}: ${statusMessage(status)} (${status})`, { status });
  }
}
