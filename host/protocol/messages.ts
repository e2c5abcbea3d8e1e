// Bodies of requests and replies (little-endian), one encoder or decoder per layout in
// docs/protocol.md. Decoders throw a RangeError on a short body rather than read zeros.
import { SPEC_BYTES } from "./opcodes.ts";

/** What every state-related reply says about the device's model. */
export interface ModelSummary {
  ready: boolean;
  /** State partly overwritten (STATE_WRITE without commit, or a failed restore). */
  dirty: boolean;
  step: number;
  /** CRC-32 of the state blob: equal digests mean identical models. */
  digest: number;
  /** Highest batch id in the weights; TRAIN applies only ids above it. */
  lastBatchId: number;
  stateLen: number;
}

export interface DeviceInfo {
  protocolVersion: number;
  moduleVersion: number;
  buildId: number;
  /** Largest decoded frame the device accepts and sends. */
  maxFrame: number;
  window: number;
  replyBudget: number;
  freeMemory: number;
  /** boot(): 0 fresh, 1 restored from flash, <0 why the checkpoint was refused. */
  bootStatus: number;
  model: ModelSummary;
  spec: Uint8Array;
}

export interface TrainResult {
  /** False when the batch id was already in the weights: acknowledged, not trained again. */
  applied: boolean;
  correct: number;
  /** Squared hinge loss summed over the batch, Q8. */
  loss: number;
  step: number;
  lastBatchId: number;
}

export interface Stats extends ModelSummary { loss: number }

export class Writer {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private pos = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u8(v: number): this { this.view.setUint8(this.pos, v); this.pos += 1; return this; }
  u16(v: number): this { this.view.setUint16(this.pos, v, true); this.pos += 2; return this; }
  u32(v: number): this { this.view.setUint32(this.pos, v >>> 0, true); this.pos += 4; return this; }
  raw(b: Uint8Array): this { this.bytes.set(b, this.pos); this.pos += b.length; return this; }
  done(): Uint8Array { return this.bytes.subarray(0, this.pos); }
}

export class Reader {
  private readonly view: DataView;
  private pos = 0;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  }
  private need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new RangeError(`reply body too short: ${this.bytes.length} bytes`);
  }
  u8(): number { this.need(1); return this.view.getUint8(this.pos++); }
  i8(): number { this.need(1); return this.view.getInt8(this.pos++); }
  u16(): number { this.need(2); const v = this.view.getUint16(this.pos, true); this.pos += 2; return v; }
  u32(): number { this.need(4); const v = this.view.getUint32(this.pos, true); this.pos += 4; return v; }
  raw(n: number): Uint8Array { this.need(n); const b = this.bytes.slice(this.pos, this.pos + n); this.pos += n; return b; }
}

export function readSummary(r: Reader): ModelSummary {
  return {
    ready: r.u8() !== 0, dirty: r.u8() !== 0, step: r.u32(), digest: r.u32(),
    lastBatchId: r.u32(), stateLen: r.u32(),
  };
}

export function readDeviceInfo(body: Uint8Array): DeviceInfo {
  const r = new Reader(body);
  return {
    protocolVersion: r.u16(), moduleVersion: r.u32(), buildId: r.u32(), maxFrame: r.u16(),
    window: r.u8(), replyBudget: r.u16(), freeMemory: r.u32(), bootStatus: r.i8(),
    model: readSummary(r), spec: r.raw(SPEC_BYTES),
  };
}

export function readTrainResult(body: Uint8Array): TrainResult {
  const r = new Reader(body);
  return { applied: r.u8() !== 0, correct: r.u16(), loss: r.u32(), step: r.u32(), lastBatchId: r.u32() };
}

export function readStats(body: Uint8Array): Stats {
  const r = new Reader(body);
  const s = readSummary(r);
  return { ...s, loss: r.u32() };
}
