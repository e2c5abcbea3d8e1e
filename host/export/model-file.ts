// A trained model file (the state blob `fewmul train --out` writes, docs/model-format.md),
// read and checked on the host before anything uses it: every problem is a one-line
// UserError that names the file.
import { readUserFile } from "../files.ts";
import { UserError } from "../errors.ts";
import { crc32 } from "../crc32.ts";
import { checkSpecBytes, specArch, weightLayers, type ModelSpec } from "../module/spec.ts";
import { stateSpecBytes, stateTensors } from "../module/state-layout.ts";
import {
  STATE_HEADER_BYTES, STATE_MAGIC, STATE_O_DIGEST, STATE_O_HEADER_LEN, STATE_O_LAYERS, STATE_O_LENGTH, STATE_O_SPEC,
  STATE_O_VERSION, STATE_VERSION,
} from "../../assembly/shared/state.ts";
const CHECKPOINT_MAGIC = 0x43484d46; // "FMHC": host/training/checkpoint-file.ts

/** One layer's tensors, copied out of the blob. */
export interface StateLayer {
  nIn: number;
  nOut: number;
  /** Latent weights, [nIn][nOut] (row = the weights leaving one input). */
  weights: Int16Array;
  bias: Int32Array;
  runningMean: Int32Array;
  runningSpread: Int32Array;
}

export interface ModelFile {
  path: string;
  blob: Uint8Array;
  spec: ModelSpec;
  /** The 48 spec bytes (blob bytes 16..64), what INIT takes. */
  specBytes: Uint8Array;
  /** CRC-32 of bytes [16, length): the state digest. */
  digest: number;
  layers: StateLayer[];
}

const hex = (n: number) => (n >>> 0).toString(16).padStart(8, "0");

/** Reads and checks a model file. */
export function readModelFile(path: string): ModelFile {
  return parseModelFile(new Uint8Array(readUserFile(path, "E_MODEL", "model file not found (train writes one with --out)")), path);
}

/** Checks a state blob (magic, version, length, spec, digest) and views its tensors. */
export function parseModelFile(blob: Uint8Array, path: string): ModelFile {
  const fail = (why: string): never => { throw new UserError(`${path}: ${why}`, "E_MODEL"); };
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  if (blob.length >= 4 && view.getUint32(0, true) === CHECKPOINT_MAGIC) {
    fail("is a training checkpoint (.ckpt), not a model file: pass the file train wrote with --out");
  }
  if (blob.length < STATE_O_LAYERS) fail(`not a fewmul model file (${blob.length} bytes, shorter than a state header)`);
  if (view.getUint32(0, true) !== STATE_MAGIC) fail(`not a fewmul model file (bad magic 0x${hex(view.getUint32(0, false))}, expected "FMUL")`);
  const version = view.getUint16(STATE_O_VERSION, true), headerBytes = view.getUint16(STATE_O_HEADER_LEN, true);
  if (version !== STATE_VERSION || headerBytes !== STATE_HEADER_BYTES) {
    fail(`model file format version ${version} (header ${headerBytes} bytes) is not supported; this fewmul reads version ${STATE_VERSION}`);
  }
  const length = view.getUint32(STATE_O_LENGTH, true);
  if (length !== blob.length) fail(`model file is ${blob.length} bytes but its header says ${length} (truncated or padded?)`);
  const stored = view.getUint32(STATE_O_DIGEST, true), actual = crc32(blob.subarray(STATE_O_SPEC));
  if (stored !== actual) fail(`model file is corrupt (checksum mismatch: header digest ${hex(stored)}, contents ${hex(actual)})`);
  const specBytes = stateSpecBytes(blob).slice();
  let spec: ModelSpec;
  try {
    spec = checkSpecBytes(specBytes);
  } catch (e) {
    if (e instanceof UserError) fail(`model file holds a bad model spec (${e.message})`);
    throw e;
  }
  const slots = stateTensors(blob);
  const last = slots[slots.length - 1];
  if (last.offset + last.count * last.size !== blob.length) fail(`model file length ${blob.length} does not match its spec ${specArch(spec)}`);
  const at = (name: string) => slots.find((s) => s.name === name)!;
  const i32 = (name: string) => {
    const s = at(name), out = new Int32Array(s.count);
    for (let i = 0; i < s.count; i++) out[i] = view.getInt32(s.offset + 4 * i, true);
    return out;
  };
  const layers: StateLayer[] = [];
  for (const [l, { nIn, nOut }] of weightLayers(spec).entries()) {
    const w = at(`layer${l}.weights`), weights = new Int16Array(w.count);
    for (let i = 0; i < w.count; i++) weights[i] = view.getInt16(w.offset + 2 * i, true);
    layers.push({
      nIn, nOut, weights,
      bias: i32(`layer${l}.bias`), runningMean: i32(`layer${l}.running_mean`), runningSpread: i32(`layer${l}.running_spread`),
    });
  }
  return { path, blob, spec, specBytes, digest: stored, layers };
}
