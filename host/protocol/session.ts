// A host's conversation with one device: typed commands over the reliable Link, with large
// transfers (batches, state blobs) cut into frame-sized chunks that stream inside the window.
import type { Transport } from "../transports/transport.ts";
import { crc32 } from "../crc32.ts";
import { ProtocolError } from "./errors.ts";
import { Link, type LinkOptions, type LinkStats, type Reply } from "./link.ts";
import {
  readDeviceInfo, readStats, readSummary, readTrainResult, Reader, Writer,
  type DeviceInfo, type ModelSummary, type Stats, type TrainResult,
} from "./messages.ts";
import {
  BATCH_DATA_HEADER, CALIBRATE_BODY, Cmd, EVAL_BODY, HELLO_BODY, INIT_SEED_BYTES, PROTOCOL_VERSION, REBOOT_BODY, REBOOT_USB_BOOT,
  REPLY_OVERHEAD, REQUEST_OVERHEAD, SPEC_BYTES, STATE_COMMIT_BODY, STATE_READ_BODY, STATE_READ_REPLY_HEADER,
  STATE_WRITE_HEADER, TRAIN_BODY,
} from "./opcodes.ts";
import { STATE_O_SPEC } from "../../assembly/shared/state.ts";
import { decodeSpec } from "../module/spec.ts";
import { Status } from "./status.ts";

export type SessionOptions = LinkOptions;

/** The batch area a spec implies: what BATCH_DATA offsets address. */
interface BatchShape { batchSize: number; inputCount: number }

function specShape(spec: Uint8Array): BatchShape {
  const s = decodeSpec(spec);
  return { batchSize: s.batch, inputCount: s.sizes[0] };
}

const NAMES: Record<number, string> = Object.fromEntries(Object.entries(Cmd).map(([k, v]) => [v, k]));
const EMPTY = new Uint8Array(0);

export class Session {
  private readonly link: Link;
  /** What the last hello() learned; undefined before it. */
  device: DeviceInfo | undefined;
  private shape: BatchShape | undefined;
  /** Id of the next batch upload; the device forgets uploads at HELLO, so ids restart there. */
  private nextUpload = 1;
  /** Settles once the data frames of the last upload are all acknowledged. */
  private lastUploadAcked: Promise<unknown> = Promise.resolve();
  /** Handshakes so far: an upload waiting across one belongs to an abandoned sequence. */
  private handshakes = 0;

  constructor(private readonly transport: Transport, options: SessionOptions = {}) {
    this.link = new Link(transport, options);
  }

  /** Frames and bytes written, retransmissions and silences so far (diagnostics). */
  get linkStats(): LinkStats {
    return { ...this.link.stats };
  }

  /** Handshake: (re)starts the sequence and learns the device's limits and model summary. */
  async hello(): Promise<DeviceInfo> {
    this.nextUpload = 1;
    this.handshakes++;
    const reply = await this.link.request(Cmd.HELLO, new Writer(HELLO_BODY).u16(PROTOCOL_VERSION).done(), { replyBytes: 128 });
    if (reply.status === Status.E_PROTO_VERSION && reply.body.length >= 2) {
      const theirs = new Reader(reply.body).u16();
      throw new ProtocolError(
        `device speaks wire protocol version ${theirs}, this host version ${PROTOCOL_VERSION}: build and flash the device with this fewmul (fewmul build / fewmul flash)`,
        { status: reply.status },
      );
    }
    if (reply.status !== Status.OK) throw ProtocolError.fromStatus(reply.status, "HELLO");
    const info = readDeviceInfo(reply.body);
    this.device = info;
    this.shape = info.model.ready ? specShape(info.spec) : undefined;
    this.link.setLimits({ window: info.window, replyBudget: info.replyBudget, maxFrame: info.maxFrame });
    return info;
  }

  /** Allocates and seeds a fresh model from a 48-byte spec (host/module/spec.ts encodeSpec). */
  async init(spec: Uint8Array, seed: bigint | number): Promise<ModelSummary> {
    if (spec.length !== SPEC_BYTES) throw new RangeError(`spec must be ${SPEC_BYTES} bytes, got ${spec.length}`);
    const s = BigInt.asUintN(64, BigInt(seed));
    const body = new Writer(SPEC_BYTES + INIT_SEED_BYTES).raw(spec).u32(Number(s & 0xffffffffn)).u32(Number(s >> 32n)).done();
    const summary = readSummary(new Reader(await this.call(Cmd.INIT, body, { slow: true })));
    this.shape = specShape(spec);
    return summary;
  }

  /**
   * Uploads one full batch and trains on it under `batchId` (ids start at 1 and must grow).
   * A batch id the device already holds is acknowledged with applied = false, not trained.
   */
  async train(batchId: number, inputs: Uint8Array, labels: Uint8Array): Promise<TrainResult> {
    const { batchSize } = this.requireShape();
    this.checkBatch(inputs, labels, batchSize);
    const crc = batchCrc(inputs, labels);
    const body = await this.withUpload(inputs, labels, (upload) =>
      this.call(Cmd.TRAIN, new Writer(TRAIN_BODY).u32(batchId).u32(upload).u16(batchSize).u32(crc).done(), { slow: true }));
    return readTrainResult(body);
  }

  /** Number of the n <= batch size samples the deterministic network classifies right. */
  async eval(inputs: Uint8Array, labels: Uint8Array): Promise<number> {
    const n = labels.length;
    this.checkBatch(inputs, labels, n);
    if (n < 1 || n > this.requireShape().batchSize) throw new RangeError(`eval batch of ${n} samples`);
    const crc = batchCrc(inputs, labels);
    const body = await this.withUpload(inputs, labels, (upload) =>
      this.call(Cmd.EVAL, new Writer(EVAL_BODY).u32(upload).u16(n).u32(crc).done(), { slow: true }));
    return new Reader(body).u16();
  }

  /**
   * Re-estimates the normalisation statistics with the deterministic weights on one full
   * batch (`fresh`: restart them from this batch). Returns the number classified right.
   */
  async calibrate(inputs: Uint8Array, labels: Uint8Array, fresh: boolean): Promise<number> {
    const { batchSize } = this.requireShape();
    this.checkBatch(inputs, labels, batchSize);
    const crc = batchCrc(inputs, labels);
    const reply = await this.withUpload(inputs, labels, (upload) =>
      this.call(Cmd.CALIBRATE, new Writer(CALIBRATE_BODY).u32(upload).u16(batchSize).u8(fresh ? 1 : 0).u32(crc).done(), { slow: true }));
    return new Reader(reply).u16();
  }

  /** The whole model state blob (its header digest sealed), read in windowed chunks. */
  async readState(): Promise<Uint8Array> {
    const { stateLen } = await this.stats();
    const blob = new Uint8Array(stateLen);
    const chunk = this.dataChunk(this.maxFrame() - REPLY_OVERHEAD - STATE_READ_REPLY_HEADER);
    const reads: Promise<void>[] = [];
    for (let off = 0; off < stateLen; off += chunk) {
      const n = Math.min(chunk, stateLen - off);
      const req = new Writer(STATE_READ_BODY).u32(off).u16(n).done();
      reads.push(this.call(Cmd.STATE_READ, req, { replyBytes: REPLY_OVERHEAD + STATE_READ_REPLY_HEADER + n }).then((body) => {
        const r = new Reader(body);
        if (r.u32() !== off) throw new ProtocolError(`state chunk for the wrong offset`);
        blob.set(r.raw(n), off);
      }));
    }
    await settleAll(reads);
    return blob;
  }

  /**
   * Replaces the device's state with `blob` (from readState of a device or a checkpoint) and
   * records `lastBatchId` as the batches it holds. The device must be initialised with the
   * blob's spec first (the state area is sized by it). The commit carries the CRC of the blob
   * as computed here: the device adopts the state only if it received exactly these bytes
   * and they pass the model's own checks; otherwise it is left without a model.
   */
  async writeState(blob: Uint8Array, lastBatchId: number): Promise<{ step: number; digest: number }> {
    const chunk = this.dataChunk(this.maxFrame() - REQUEST_OVERHEAD - STATE_WRITE_HEADER);
    const writes: Promise<Uint8Array>[] = [];
    for (let off = 0; off < blob.length; off += chunk) {
      const part = blob.subarray(off, Math.min(off + chunk, blob.length));
      writes.push(this.call(Cmd.STATE_WRITE, new Writer(STATE_WRITE_HEADER + part.length).u32(off).raw(part).done()));
    }
    const digest = blob.length >= STATE_O_SPEC ? crc32(blob.subarray(STATE_O_SPEC)) : 0; // what the header's digest field must hold
    const commit = this.call(Cmd.STATE_COMMIT, new Writer(STATE_COMMIT_BODY).u32(lastBatchId).u32(digest).done(), { slow: true });
    const [, body] = await settleAll([settleAll(writes), commit]);
    const r = new Reader(body);
    return { step: r.u32(), digest: r.u32() };
  }

  /** Saves state and last batch id to the device's flash; boot() restores them after a reset. */
  async checkpoint(): Promise<{ bytes: number; digest: number }> {
    const r = new Reader(await this.call(Cmd.CHECKPOINT, EMPTY, { slow: true }));
    return { bytes: r.u32(), digest: r.u32() };
  }

  /** Asks the firmware to reboot into the board's USB boot loader (REBOOT 1) after replying. */
  async rebootToBootloader(): Promise<void> {
    await this.call(Cmd.REBOOT, new Writer(REBOOT_BODY).u8(REBOOT_USB_BOOT).done());
  }

  async stats(): Promise<Stats> {
    return readStats(await this.call(Cmd.STATS, EMPTY));
  }

  /** Closes the session and its transport; pending requests reject flagged `canceled`. */
  async close(): Promise<void> {
    await this.link.close();
    await this.transport.close();
  }

  /** One request; a negative status becomes a ProtocolError carrying it. */
  private async call(cmd: number, body: Uint8Array, opts: { replyBytes?: number; slow?: boolean } = {}): Promise<Uint8Array> {
    const reply: Reply = await this.link.request(cmd, body, opts);
    if (reply.status !== Status.OK) throw ProtocolError.fromStatus(reply.status, NAMES[cmd] ?? `command ${cmd}`);
    return reply.body;
  }

  /**
   * Payload bytes per data frame (batch data, state chunks): as many as a frame holds on a
   * clean line, fewer on a line that damages frames. At bit-error rate b a frame of F payload
   * and H other bytes arrives whole with probability about (1 - b)^(8(F + H)); payload per
   * byte sent, F / (F + H) times that, peaks at F = (sqrt(H^2 + H / 2b) - H) / 2. H = 48
   * counts the framing (about 20 bytes) and the per-frame costs beyond it (a reply, a turn of
   * each side's loop): about 220 bytes at b = 1e-4, a full frame below about 2e-5.
   */
  private dataChunk(max: number): number {
    const b = this.link.errorRate;
    if (b <= 0) return max;
    const H = 48;
    return Math.max(64, Math.min(max, Math.floor((Math.sqrt(H * H + H / (2 * b)) - H) / 2)));
  }

  private maxFrame(): number {
    if (!this.device) throw new ProtocolError("call hello() first", { resync: true });
    return this.device.maxFrame;
  }

  private requireShape(): BatchShape {
    if (!this.shape) throw new ProtocolError("no model on the device: init() first", { status: Status.E_NOT_READY });
    return this.shape;
  }

  private checkBatch(inputs: Uint8Array, labels: Uint8Array, n: number): void {
    const { inputCount } = this.requireShape();
    if (labels.length !== n || inputs.length !== n * inputCount) {
      throw new RangeError(`batch needs ${n} labels and ${n * inputCount} input bytes, got ${labels.length} and ${inputs.length}`);
    }
  }

  /**
   * Uploads a batch and queues the command `use(upload)` that consumes it right behind its
   * data. The next upload's data is queued only once this one's data is acknowledged (not its
   * command: that may compute): the device has one batch buffer, and data arriving while a
   * lost chunk holds the buffer would be refused (E_BUSY) and cost a resend.
   */
  private async withUpload(inputs: Uint8Array, labels: Uint8Array, use: (upload: number) => Promise<Uint8Array>): Promise<Uint8Array> {
    const before = this.lastUploadAcked;
    const handshakes = this.handshakes;
    let acked!: () => void;
    this.lastUploadAcked = new Promise<void>((r) => { acked = r; });
    try { await before; } catch { /* the caller of that upload got its error */ }
    let uploads: Promise<unknown>, command: Promise<Uint8Array>;
    try {
      // Queued before a new handshake: like the requests it abandoned, never sent after it.
      if (this.handshakes !== handshakes) throw new ProtocolError("abandoned by a new handshake", { resync: true });
      const upload = this.nextUpload++;
      uploads = this.uploadBatch(upload, inputs, labels);
      command = use(upload);
    } catch (e) {
      acked();
      throw e;
    }
    uploads.then(acked, acked);
    const [, body] = await settleAll([uploads, command]);
    return body;
  }

  /**
   * Queues the BATCH_DATA chunks of upload `upload`: inputs at offset 0, labels at batchSize *
   * inputCount. Chunks are idempotent and addressed, so the device takes them in any order;
   * the TRAIN/EVAL/CALIBRATE after them runs once the upload is complete.
   */
  private uploadBatch(upload: number, inputs: Uint8Array, labels: Uint8Array): Promise<unknown> {
    const { batchSize, inputCount } = this.requireShape();
    const chunk = this.dataChunk(this.maxFrame() - REQUEST_OVERHEAD - BATCH_DATA_HEADER);
    const parts: Promise<Uint8Array>[] = [];
    const put = (base: number, data: Uint8Array) => {
      for (let off = 0; off < data.length; off += chunk) {
        const part = data.subarray(off, Math.min(off + chunk, data.length));
        // An empty reply: budget it exactly, so a whole batch fits in the window while a step computes.
        const body = new Writer(BATCH_DATA_HEADER + part.length).u32(upload).u32(base + off).raw(part).done();
        parts.push(this.call(Cmd.BATCH_DATA, body, { replyBytes: REPLY_OVERHEAD }));
      }
    };
    put(0, inputs);
    put(batchSize * inputCount, labels);
    return settleAll(parts);
  }
}

/** CRC-32 of inputs then labels: what TRAIN and EVAL check the uploaded batch against. */
export function batchCrc(inputs: Uint8Array, labels: Uint8Array): number {
  return crc32(labels, crc32(inputs));
}

/**
 * Like Promise.all, but waits for every promise before throwing the first failure, so no
 * rejection is left unhandled and no request outlives its caller's error.
 */
async function settleAll<T extends readonly unknown[]>(ps: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const results = await Promise.allSettled(ps);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
