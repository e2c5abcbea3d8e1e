// Shared by the protocol and transport tests (not a test file: ava runs *.test.ts only).
import { RELEASE_MODULE } from "../../host/module/loader.ts";
import { DEFAULT_SPEC, encodeSpec } from "../../host/module/spec.ts";
import { FrameDecoder, type GoodFrame } from "../../host/protocol/frame.ts";
import { InProcessTransport, type InProcessOptions } from "../../host/transports/in-process.ts";
/** One batch of a replayable run. */
export interface Batch { inputs: Uint8Array; labels: Uint8Array }

/** The device module under test; FEWMUL_WASM overrides (e.g. a build with extra exports). */
export const WASM = process.env.FEWMUL_WASM ?? RELEASE_MODULE;

export const SPEC_FIELDS = { ...DEFAULT_SPEC, sizes: [16, 24, 4], batch: 8 };
export const SPEC = encodeSpec(SPEC_FIELDS);
export const BATCH = SPEC_FIELDS.batch;
export const INPUTS = SPEC_FIELDS.sizes[0];

/** A deterministic batch per id, so that any run can be replayed exactly. */
export function batch(id: number, n = BATCH, inputCount = INPUTS, classes = 4): Batch {
  let x = (id * 2654435761) >>> 0 || 1;
  const rnd = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
  const labels = Uint8Array.from({ length: n }, () => rnd() % classes);
  const inputs = new Uint8Array(n * inputCount);
  labels.forEach((c, s) => {
    for (let i = 0; i < inputCount; i++) inputs[s * inputCount + i] = (i % classes === c ? 160 : 0) + (rnd() & 63);
  });
  return { inputs, labels };
}

/** A model whose batches and state span many frames: exercises the window and the reply budget. */
export const WIDE_FIELDS = { ...DEFAULT_SPEC, sizes: [300, 32, 10], batch: 16 };
export const WIDE_SPEC = encodeSpec(WIDE_FIELDS);
export const wideBatch = (id: number) => batch(id, 16, 300, 10);

export function openDevice(options: InProcessOptions = {}): Promise<InProcessTransport> {
  return InProcessTransport.open({ wasmPath: WASM, ...options });
}

/** Feeds bytes to the device the way firmware does (at most io_rx_cap per call); returns the reply bytes. */
export function feed(t: InProcessTransport, bytes: Uint8Array): Uint8Array {
  const dev = t.exports, mem = t.memory;
  const out: number[] = [];
  for (let off = 0; off < bytes.length;) {
    const n = Math.min(dev.io_rx_cap(), bytes.length - off);
    mem.write(dev.io_rx_ptr(), bytes.subarray(off, off + n));
    const m = dev.io_feed(n);
    out.push(...mem.u8(dev.io_tx_ptr(), m));
    off += n;
  }
  return Uint8Array.from(out);
}

/** The frames in the device's reply bytes; a damaged one fails the test. */
export function replies(bytes: Uint8Array): GoodFrame[] {
  const frames = new FrameDecoder().push(bytes);
  return frames.map((f) => { if (!f.ok) throw new Error(`device sent a damaged frame (${f.reason})`); return f; });
}

/** A reply's status byte (signed). */
export const replyStatus = (f: GoodFrame) => (f.body[0] << 24) >> 24;
