// The inference export (docs/export-format.md): deterministic weights packed per unit
// (1 bit each for BC, 2 for TC), and per unit the running mean, the scale exponent k and
// the bias. Built from a model file, written as a versioned little-endian binary.
import { UserError } from "../errors.ts";
import { crc32 } from "../crc32.ts";
import type { ModelFile } from "./model-file.ts";
import { BIAS_EXTRA_SHIFT, STAT_EXTRA_SHIFT, HIDDEN_MAX, HIDDEN_SHIFT, OUTPUT_SHIFT, SCALE_MANTISSAS, WEIGHT_SHIFT } from "../../assembly/shared/formats.ts";

/** Fixed-point shifts F of the normalised outputs (hidden, output) and the largest activation. */
export { HIDDEN_MAX, HIDDEN_SHIFT, OUTPUT_SHIFT };
import { weightLayers } from "../module/spec.ts";

export const EXPORT_MAGIC = 0x49584d46; // "FMXI" read as a little-endian u32
/** Version of an export without conv layers (byte-identical to before conv nets). */
export const EXPORT_VERSION = 2;
/** Version of an export of a conv net: version 2 plus the input shape, conv layers and pools. */
export const EXPORT_VERSION_CONV = 3;
export const EXPORT_HEADER_BYTES = 32;
/** Latent weight scale (docs/model-format.md): W/W0 = w / 2^WEIGHT_SHIFT. */
const WEIGHT_ONE = 1 << WEIGHT_SHIFT;

/** A conv layer's geometry: 3x3 "same" conv over its input image, 2x2 max pool after it when `pool`. */
export interface ExportConv {
  /** Its input: height, width, channels (channels-last, HWC). */
  height: number;
  width: number;
  cin: number;
  pool: boolean;
}

export interface ExportLayer {
  /** Inputs per unit: a dense layer's inputs; a conv layer's patch values 9·cin, index (ky·3 + kx)·cin + ci. */
  nIn: number;
  nOut: number;
  /** u32 words per unit and bit plane: ceil(nIn / 32). */
  words: number;
  /** F: 4 for hidden layers, 8 for the output layer. */
  shift: number;
  /** [nOut][words]: bit (i & 31) of word (i >> 5) of unit j is input i's weight +1 (BC: set +1, clear -1). */
  pos: Uint32Array;
  /** TC only ([nOut][words]): the -1 weights; a weight with neither bit is 0. Empty for BC. */
  neg: Uint32Array;
  mean: Int32Array;
  /** Scale per unit, M · 2^-k, from the running spread exactly as the module computes it. */
  k: Int8Array;
  mul: Uint8Array;
  bias: Int32Array;
  /** Conv layers only (they come first). */
  conv?: ExportConv;
}

export interface ExportedModel {
  mode: "bc" | "tc";
  /** Layer widths: inputs, hidden..., outputs. */
  sizes: number[];
  /** Conv nets only: the input image (sizes[0] = channels · height · width bytes, HWC). */
  shape?: { channels: number; height: number; width: number };
  /** Digest of the state the export was made from. */
  sourceDigest: number;
  layers: ExportLayer[];
}

/**
 * The module's unit scale M · 2^-k ~ 1/(1.25 · spread) (assembly/kernels/norm.ts unitScale):
 * v = spread + spread>>2; v <= 1: k 4, M 16; else f = floor(log2 v), t = the 3 bits of v
 * below its leading one, M = nibble t of SCALE_MANTISSAS (0x899ABCDF), k = f + 4.
 */
export function unitScale(spread: number): { k: number; mul: number } {
  const v = (spread + (spread >> 2)) | 0;
  if (v <= 1) return { k: 4, mul: 16 };
  const f = 31 - Math.clz32(v);
  const t = (f >= 3 ? v >> (f - 3) : v << (3 - f)) & 7;
  return { k: f + 4, mul: (SCALE_MANTISSAS >>> (t << 2)) & 15 };
}

/** The deterministic network of a model file, ready for inference. */
export function exportModel(m: ModelFile): ExportedModel {
  const tc = m.spec.mode === "tc";
  const half = WEIGHT_ONE >> 1;
  const planned = weightLayers(m.spec);
  const layers = m.layers.map((s, l): ExportLayer => {
    const words = (s.nIn + 31) >> 5;
    // A conv layer's rows are its patch values (ky, kx, ci), as a dense layer's are its inputs.
    const pos = new Uint32Array(s.nOut * words), neg = new Uint32Array(tc ? s.nOut * words : 0);
    for (let i = 0; i < s.nIn; i++) {
      const bit = (1 << (i & 31)) >>> 0, word = i >> 5;
      for (let j = 0; j < s.nOut; j++) {
        const w = s.weights[i * s.nOut + j];
        if (tc ? w > half : w >= 0) pos[j * words + word] |= bit;
        else if (tc && w < -half) neg[j * words + word] |= bit;
      }
    }
    return {
      nIn: s.nIn, nOut: s.nOut, words, shift: l === m.layers.length - 1 ? OUTPUT_SHIFT : HIDDEN_SHIFT,
      // The state keeps the running statistics STAT_EXTRA_SHIFT bits below z's units; inference uses them rounded.
      pos, neg, mean: Int32Array.from(s.runningMean, statValue),
      k: Int8Array.from(s.runningSpread, (x) => unitScale(statValue(x)).k), mul: Uint8Array.from(s.runningSpread, (x) => unitScale(statValue(x)).mul),
      // The state keeps BIAS_EXTRA_SHIFT bits below the output units; inference adds it rounded.
      bias: Int32Array.from(s.bias, (b) => (b + (1 << (BIAS_EXTRA_SHIFT - 1))) >> BIAS_EXTRA_SHIFT),
      ...(planned[l].conv ? { conv: convGeometry(m.spec.conv!.input, planned, l) } : {}),
    };
  });
  if (!m.spec.conv) return { mode: m.spec.mode, sizes: [...m.spec.sizes], sourceDigest: m.digest, layers };
  const [channels, height, width] = m.spec.conv.input;
  return { mode: m.spec.mode, sizes: [...m.spec.sizes], shape: { channels, height, width }, sourceDigest: m.digest, layers };
}

/** The input geometry of conv layer l (conv layers first, each halving the sides when it pools). */
function convGeometry(input: readonly [number, number, number], planned: { nOut: number; pool: boolean }[], l: number): ExportConv {
  let [cin, height, width] = input;
  for (let k = 0; k < l; k++) {
    cin = planned[k].nOut;
    if (planned[k].pool) { height >>= 1; width >>= 1; }
  }
  return { height, width, cin, pool: planned[l].pool };
}

const pad4 = (n: number) => (n + 3) & ~3;

/** A stored running statistic rounded half up to z's units (docs/model-format.md, step 4). */
const statValue = (x: number) => (x + (1 << (STAT_EXTRA_SHIFT - 1))) >> STAT_EXTRA_SHIFT;

function layerBytes(l: ExportLayer, tc: boolean): number {
  return 4 * l.nOut * l.words * (tc ? 2 : 1) + 4 * l.nOut + pad4(2 * l.nOut) + 4 * l.nOut;
}

/** The binary file: header, sizes, then per layer pos, neg (TC), mean, k, mul, bias. */
export function encodeExport(m: ExportedModel): Uint8Array {
  const tc = m.mode === "tc";
  const sizesBytes = pad4(2 * m.sizes.length);
  const total = EXPORT_HEADER_BYTES + sizesBytes + m.layers.reduce((a, l) => a + layerBytes(l, tc), 0);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint32(0, EXPORT_MAGIC, true);
  v.setUint16(4, m.shape ? EXPORT_VERSION_CONV : EXPORT_VERSION, true);
  v.setUint16(6, EXPORT_HEADER_BYTES, true);
  v.setUint32(8, total, true);
  out[16] = tc ? 1 : 0;
  out[17] = m.layers.length;
  out[18] = HIDDEN_SHIFT;
  out[19] = OUTPUT_SHIFT;
  v.setUint32(20, m.sourceDigest >>> 0, true);
  v.setUint16(24, HIDDEN_MAX, true);
  if (m.shape) {
    // version 3: the input image and which layers are conv layers (the first ones) and pool
    out[26] = m.shape.channels;
    out[27] = m.shape.height;
    out[28] = m.shape.width;
    out[29] = m.layers.filter((l) => l.conv).length;
    out[30] = m.layers.reduce((mask, l, i) => (l.conv?.pool ? mask | (1 << i) : mask), 0);
  }
  let at = EXPORT_HEADER_BYTES;
  m.sizes.forEach((n, i) => v.setUint16(at + 2 * i, n, true));
  at += sizesBytes;
  for (const l of m.layers) {
    for (const word of l.pos) { v.setUint32(at, word, true); at += 4; }
    if (tc) for (const word of l.neg) { v.setUint32(at, word, true); at += 4; }
    for (const x of l.mean) { v.setInt32(at, x, true); at += 4; }
    for (const x of l.k) { v.setInt8(at, x); at += 1; }
    for (const x of l.mul) { v.setUint8(at, x); at += 1; }
    at = pad4(at);
    for (const x of l.bias) { v.setInt32(at, x, true); at += 4; }
  }
  v.setUint32(12, crc32(out.subarray(16)), true);
  return out;
}

/** Reads an export back (checked: magic, version, length, CRC-32, sizes). `name` labels errors. */
export function decodeExport(bytes: Uint8Array, name: string): ExportedModel {
  const fail = (why: string): never => { throw new UserError(`${name}: ${why}`, "E_EXPORT"); };
  if (bytes.length < EXPORT_HEADER_BYTES) fail(`not a fewmul export (${bytes.length} bytes)`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== EXPORT_MAGIC) fail(`not a fewmul export (bad magic)`);
  const version = v.getUint16(4, true);
  if ((version !== EXPORT_VERSION && version !== EXPORT_VERSION_CONV) || v.getUint16(6, true) !== EXPORT_HEADER_BYTES) {
    fail(`export format version ${version} is not supported (this fewmul reads ${EXPORT_VERSION} and ${EXPORT_VERSION_CONV})`);
  }
  if (v.getUint32(8, true) !== bytes.length) fail(`export is ${bytes.length} bytes but its header says ${v.getUint32(8, true)}`);
  if (crc32(bytes.subarray(16)) !== v.getUint32(12, true)) fail(`export is corrupt (checksum mismatch)`);
  const mode = bytes[16] === 1 ? "tc" : bytes[16] === 0 ? "bc" : fail(`unknown weight mode ${bytes[16]}`);
  const L = bytes[17];
  if (L < 1 || L > 15 || bytes[18] !== HIDDEN_SHIFT || bytes[19] !== OUTPUT_SHIFT) fail(`bad layer count or shifts`);
  const tc = mode === "tc";
  let at = EXPORT_HEADER_BYTES;
  const sizes = Array.from({ length: L + 1 }, (_, i) => v.getUint16(at + 2 * i, true));
  at += pad4(2 * (L + 1));
  // version 3: conv layers 0..convs-1, each over an image [height][width][cin]
  const shape = version === EXPORT_VERSION_CONV ? { channels: bytes[26], height: bytes[27], width: bytes[28] } : undefined;
  const convs = shape ? bytes[29] : 0, pools = shape ? bytes[30] : 0;
  if (shape && (shape.channels < 1 || shape.height < 1 || shape.width < 1 || sizes[0] !== shape.channels * shape.height * shape.width)) {
    fail(`input shape ${shape.channels}x${shape.height}x${shape.width} does not match its ${sizes[0]} inputs`);
  }
  if (shape && (convs < 1 || convs >= L || pools >> convs !== 0)) fail(`bad conv layer count ${convs} or pool mask ${pools} for ${L} layers`);
  let image = shape ? { height: shape.height, width: shape.width, cin: shape.channels } : undefined;
  const layers: ExportLayer[] = [];
  for (let l = 0; l < L; l++) {
    let conv: ExportConv | undefined;
    if (image && l < convs) {
      conv = { ...image, pool: ((pools >> l) & 1) === 1 };
      if (conv.pool && ((conv.height | conv.width) & 1) !== 0) fail(`layer ${l} pools a ${conv.height}x${conv.width} image (sides must be even)`);
      image = { height: conv.pool ? conv.height >> 1 : conv.height, width: conv.pool ? conv.width >> 1 : conv.width, cin: sizes[l + 1] };
    }
    // sizes[l] of a conv net's first dense layer is the last conv's channels: its inputs are the flattened image
    const nIn = conv ? 9 * conv.cin : l === convs && image ? image.height * image.width * image.cin : sizes[l];
    const nOut = sizes[l + 1], words = (nIn + 31) >> 5;
    if (at + layerBytes({ nIn, nOut, words } as ExportLayer, tc) > bytes.length) fail(`sizes ${sizes.join("-")} do not match the file length`);
    const u32 = (n: number) => { const a = new Uint32Array(n); for (let i = 0; i < n; i++, at += 4) a[i] = v.getUint32(at, true); return a; };
    const i32 = (n: number) => { const a = new Int32Array(n); for (let i = 0; i < n; i++, at += 4) a[i] = v.getInt32(at, true); return a; };
    const pos = u32(nOut * words), neg = u32(tc ? nOut * words : 0), mean = i32(nOut);
    const k = new Int8Array(nOut);
    for (let j = 0; j < nOut; j++) k[j] = v.getInt8(at + j);
    const mul = Uint8Array.from(bytes.subarray(at + nOut, at + 2 * nOut));
    at = pad4(at + 2 * nOut);
    const bias = i32(nOut);
    layers.push({ nIn, nOut, words, shift: l === L - 1 ? OUTPUT_SHIFT : HIDDEN_SHIFT, pos, neg, mean, k, mul, bias, ...(conv ? { conv } : {}) });
  }
  if (at !== bytes.length) fail(`sizes ${sizes.join("-")} do not match the file length`);
  if (!shape) return { mode, sizes, sourceDigest: v.getUint32(20, true), layers };
  return { mode, sizes, shape, sourceDigest: v.getUint32(20, true), layers };
}
