// Shared by the protocol and transport tests (not a test file: ava runs *.test.ts only).
import { RELEASE_MODULE } from "../../host/module/loader.ts";
import { DEFAULT_SPEC, encodeSpec } from "../../host/module/spec.ts";
import { InProcessTransport, type InProcessOptions } from "../../host/transports/in-process.ts";
import type { Batch } from "../../host/protocol/resume.ts";

/** The device module under test; FEWMUL_WASM overrides (e.g. a build with extra exports). */
export const WASM = process.env.FEWMUL_WASM ?? RELEASE_MODULE;

export const SPEC_FIELDS = { ...DEFAULT_SPEC, sizes: [16, 24, 4], batch: 8 };
export const SPEC = encodeSpec(SPEC_FIELDS);
export const BATCH = SPEC_FIELDS.batch;
export const INPUTS = SPEC_FIELDS.sizes[0];

/** A deterministic batch per id, so that any run can be replayed exactly. */
export function batch(id: number, n = BATCH): Batch {
  let x = (id * 2654435761) >>> 0 || 1;
  const rnd = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
  const labels = Uint8Array.from({ length: n }, () => rnd() % 4);
  const inputs = new Uint8Array(n * INPUTS);
  labels.forEach((c, s) => {
    for (let i = 0; i < INPUTS; i++) inputs[s * INPUTS + i] = (i % 4 === c ? 160 : 0) + (rnd() & 63);
  });
  return { inputs, labels };
}

export function openDevice(options: InProcessOptions = {}): Promise<InProcessTransport> {
  return InProcessTransport.open({ wasmPath: WASM, ...options });
}
