// The model spec: the host's typed form, its 48-byte encoding (assembly/shared/spec.ts) and the
// compact text form used on the command line, e.g. "784-256-10:tc" or "784-128-10:bc,batch=64".
import { UserError } from "../errors.ts";
import {
  LR_SHIFT_MAX, LR_SHIFT_MIN, MAX_LAYERS, MAX_LOG2_BATCH, MAX_OUTPUTS, MAX_UNITS, MIN_OUTPUTS,
  MODE_BC, MODE_TC, MODE_FIXED, QBP_MAX_WINDOW, SPEC_BYTES, SPEC_O_DECAY, SPEC_O_LAYERS, SPEC_O_LOG2_BATCH,
  SPEC_O_LR_END, SPEC_O_LR_START, SPEC_O_MODE, SPEC_O_QBP, SPEC_O_RAND_BITS, SPEC_O_RESERVED,
  SPEC_O_SIZES, SPEC_MAX_SIZES, SPEC_O_VERSION, SPEC_O_WINDOW, SPEC_VERSION, specFault, sizeFault, shapeFault,
  SPEC_F_VERSION, SPEC_F_MODE, SPEC_F_QBP, SPEC_F_WINDOW, SPEC_F_BATCH, SPEC_F_LAYERS, SPEC_F_LR_START,
  SPEC_F_LR_END, SPEC_F_RAND_BITS, SPEC_F_WIDTH, SPEC_F_OUTPUTS, SPEC_F_UNUSED_SIZE, SPEC_F_SHAPE,
  SPEC_O_HEIGHT, SPEC_O_WIDTH, SIZE_CONV, SIZE_POOL, SIZE_UNITS, MAX_INPUT_CHANNELS, MAX_CONV_CHANNELS, MIN_CONV_ROWS,
} from "../../assembly/shared/spec.ts";

export type WeightMode = "bc" | "tc";

/** A layer of a conv net (host/module/conv-spec.ts, docs/model-format.md "Convolutional nets"). */
export type NetLayer =
  | { kind: "conv"; channels: number }
  | { kind: "pool" }
  | { kind: "dense"; units: number };

/** A conv net's input shape (channels, height, width; pixels stored channels-last) and layers. */
export interface ConvLayout {
  input: readonly [channels: number, height: number, width: number];
  layers: NetLayer[];
}

export interface ModelSpec {
  /** Layer widths: inputs, hidden..., outputs. */
  sizes: number[];
  /** Binary (BC) or ternary (TC) sampled weights. Default "tc". */
  mode: WeightMode;
  /**
   * Training uses the deterministic weights (BC: sign(w); TC: sign(w) where |w| > 1/2, as
   * inference does) instead of sampling them: BinaryConnect's deterministic variant. Default
   * false (sampled).
   */
  fixed?: boolean;
  /** Power-of-two inputs in the weight gradient (QBP). Default true. */
  qbp: boolean;
  /** QBP exponent window (number of exponents), 1..8. Default 8. */
  window: number;
  /** Batch size, a power of two up to 256. Default 32. */
  batch: number;
  /** Learning rate 2^-lrStart at step 0, decaying exponentially to 2^-lrEnd at decaySteps. */
  lrStart: number;
  lrEnd: number;
  decaySteps: number;
  /** Random bits per sampling decision: 1, 2, 4, 8 or 16. Default 8. */
  randBits: number;
  /**
   * A conv net's shape and layers; its `sizes` are then the input bytes per sample (C·H·W)
   * and the outputs of each layer with weights (a conv layer's: its channels).
   */
  conv?: ConvLayout;
}

export { SPEC_BYTES, SPEC_VERSION };

export const DEFAULT_SPEC: ModelSpec = {
  sizes: [784, 256, 10], mode: "tc", qbp: true, window: 8, batch: 32,
  lrStart: 0, lrEnd: 4, decaySteps: 2500, randBits: 8,
};

/**
 * The default starting rate shift for a batch size and weight mode: DEFAULT_SPEC's 0 (rate
 * 2^0), at batch 1 lower: BC 1 (2^-1), TC 2 (2^-2). At batch 1 the online normalisation's
 * running statistics trail every step, and the full starting rate stalled or derailed the
 * first epoch (784-128-64-10 BC: 24.6 % test error after 3 epochs, 14.2 % with 2^-1); TC
 * gains from 2^-2 in both forms, BC loses (docs/model-format.md).
 */
export function defaultLrStart(batch: number, mode: WeightMode): number {
  if (batch !== 1) return DEFAULT_SPEC.lrStart;
  return mode === "tc" ? 2 : 1;
}

/**
 * The default final rate shift for a run of `decaySteps` steps at `batch`: DEFAULT_SPEC's 4
 * (rate 2^-4) up to 2^17 samples (decaySteps · batch), then one more halving per doubling of
 * the samples, lrEnd = floor(log2 samples) - 12: the rate is per sample, and a longer run
 * settles its latent weights with smaller steps (784-256-10 TC, 30 epochs of Fashion-MNIST,
 * 1.8 M samples: 12.41 % calibrated test error at lrend 4, 11.94 at 6, 11.74 at 8; 10 epochs
 * of the MNIST digits, 80,000 samples: 4.75 at 4, 5.40 at 6). BC at batch 1 ends one halving
 * higher, its whole schedule one shift above TC's there (3 seeds, 4 nets: 0.2-1.2 pt better
 * in the module, the float form unchanged; docs/model-format.md).
 */
export function defaultLrEnd(batch: number, decaySteps: number, mode: WeightMode): number {
  const bits = Math.floor(Math.log2(Math.max(1, batch * decaySteps)));
  const end = Math.min(LR_SHIFT_MAX, Math.max(DEFAULT_SPEC.lrEnd, bits - 12));
  return batch === 1 && mode === "bc" ? end - 1 : end;
}

/** The 48 bytes the device reads; call validateSpec first (fields are written as they are). */
export function encodeSpec(s: ModelSpec): Uint8Array {
  const out = new Uint8Array(SPEC_BYTES);
  const view = new DataView(out.buffer);
  out[SPEC_O_VERSION] = SPEC_VERSION;
  out[SPEC_O_MODE] = (s.mode === "tc" ? MODE_TC : MODE_BC) | (s.fixed ? MODE_FIXED : 0);
  out[SPEC_O_QBP] = s.qbp ? 1 : 0;
  out[SPEC_O_WINDOW] = s.window;
  out[SPEC_O_LOG2_BATCH] = Math.log2(s.batch);
  out[SPEC_O_LAYERS] = s.sizes.length - 1;
  view.setInt8(SPEC_O_LR_START, s.lrStart);
  view.setInt8(SPEC_O_LR_END, s.lrEnd);
  view.setUint32(SPEC_O_DECAY, s.decaySteps, true);
  out[SPEC_O_RAND_BITS] = s.randBits;
  if (s.conv) {
    // Input channels, then per weight layer its units, | SIZE_CONV, | SIZE_POOL when pooled.
    out[SPEC_O_HEIGHT] = s.conv.input[1];
    out[SPEC_O_WIDTH] = s.conv.input[2];
    const sizes = [s.conv.input[0]];
    for (const l of s.conv.layers) {
      if (l.kind === "pool") sizes[sizes.length - 1] |= SIZE_POOL;
      else sizes.push(l.kind === "conv" ? l.channels | SIZE_CONV : l.units);
    }
    out[SPEC_O_LAYERS] = sizes.length - 1;
    sizes.forEach((n, i) => view.setUint16(SPEC_O_SIZES + 2 * i, n, true));
  } else s.sizes.forEach((n, i) => view.setUint16(SPEC_O_SIZES + 2 * i, n, true));
  return out;
}

/** A weight layer as assembly/model.ts plans it: a conv layer is the dense layer over its patches. */
export interface PlannedWeightLayer {
  label: string; nIn: number; nOut: number; conv: boolean; pool: boolean;
  /** Positions per sample (h·w; 1 for dense layers), the image width (1 dense) and the input channels. */
  pixels: number; width: number; cin: number;
}

/** The weight layers of a spec, in order (dense specs: one per size step). */
export function weightLayers(spec: Pick<ModelSpec, "sizes" | "conv">): PlannedWeightLayer[] {
  if (!spec.conv) {
    return spec.sizes.slice(1).map((n, l) => ({ label: `${n}`, nIn: spec.sizes[l], nOut: n, conv: false, pool: false, pixels: 1, width: 1, cin: spec.sizes[l] }));
  }
  const out: PlannedWeightLayer[] = [];
  let [c, h, w] = spec.conv.input;
  const layers = spec.conv.layers;
  layers.forEach((l, k) => {
    if (l.kind === "pool") return;
    const pool = layers[k + 1]?.kind === "pool";
    if (l.kind === "conv") {
      out.push({ label: `c${l.channels}${pool ? "-p" : ""}`, nIn: 9 * c, nOut: l.channels, conv: true, pool, pixels: h * w, width: w, cin: c });
      c = l.channels;
      if (pool) { h >>= 1; w >>= 1; }
    } else {
      out.push({ label: k === layers.length - 1 ? `${l.units}` : `d${l.units}`, nIn: c * h * w, nOut: l.units, conv: false, pool: false, pixels: 1, width: 1, cin: c * h * w });
      c = l.units; h = 1; w = 1;
    }
  });
  return out;
}

/** The sizes of a conv net: input bytes per sample, then each weight layer's outputs. */
export function convSizes(c: ConvLayout): number[] {
  const sizes = [c.input[0] * c.input[1] * c.input[2]];
  for (const l of c.layers) if (l.kind !== "pool") sizes.push(l.kind === "conv" ? l.channels : l.units);
  return sizes;
}

export function decodeSpec(bytes: Uint8Array): ModelSpec {
  const view = new DataView(bytes.buffer, bytes.byteOffset, SPEC_BYTES);
  const layers = bytes[SPEC_O_LAYERS];
  let sizes: number[] = [];
  for (let i = 0; i <= layers; i++) sizes.push(view.getUint16(SPEC_O_SIZES + 2 * i, true));
  let conv: ConvLayout | undefined;
  if (bytes[SPEC_O_HEIGHT] !== 0 || bytes[SPEC_O_WIDTH] !== 0) {
    // Flags kept in the numbers where they do not belong, so validateSpec refuses them.
    const net: NetLayer[] = [];
    for (const e of sizes.slice(1)) {
      if (e & SIZE_CONV) {
        net.push({ kind: "conv", channels: e & ~(SIZE_CONV | SIZE_POOL) });
        if (e & SIZE_POOL) net.push({ kind: "pool" });
      } else net.push({ kind: "dense", units: e });
    }
    conv = { input: [sizes[0], bytes[SPEC_O_HEIGHT], bytes[SPEC_O_WIDTH]], layers: net };
    sizes = convSizes(conv);
  }
  return {
    ...(conv ? { conv } : {}),
    sizes, mode: (bytes[SPEC_O_MODE] & ~MODE_FIXED) === MODE_TC ? "tc" : "bc", qbp: bytes[SPEC_O_QBP] === 1,
    ...((bytes[SPEC_O_MODE] & MODE_FIXED) !== 0 ? { fixed: true } : {}),
    window: bytes[SPEC_O_WINDOW], batch: 2 ** bytes[SPEC_O_LOG2_BATCH],
    lrStart: view.getInt8(SPEC_O_LR_START), lrEnd: view.getInt8(SPEC_O_LR_END),
    decaySteps: view.getUint32(SPEC_O_DECAY, true), randBits: bytes[SPEC_O_RAND_BITS],
  };
}

/**
 * The host's check of 48 spec bytes (a model file's, a device's, an encoded typed form): the
 * device's own rules (assembly/shared/spec.ts specFault, sizeFault), with a message that
 * names the field and its range.
 */
export function checkSpecBytes(bytes: Uint8Array): ModelSpec {
  if (bytes.length !== SPEC_BYTES) specError(`${bytes.length} bytes (${SPEC_BYTES})`);
  const spec = decodeSpec(bytes);
  const layers = bytes[SPEC_O_LAYERS];
  const fault = specFault(
    bytes[SPEC_O_VERSION], bytes[SPEC_O_MODE], bytes[SPEC_O_QBP], spec.window, bytes[SPEC_O_LOG2_BATCH], layers,
    spec.lrStart, spec.lrEnd, spec.randBits, bytes.subarray(SPEC_O_RESERVED, SPEC_O_SIZES).reduce((a, b) => a | b, 0),
  );
  const value: Record<number, number> = {
    [SPEC_F_VERSION]: bytes[SPEC_O_VERSION], [SPEC_F_MODE]: bytes[SPEC_O_MODE], [SPEC_F_QBP]: bytes[SPEC_O_QBP],
    [SPEC_F_WINDOW]: spec.window, [SPEC_F_BATCH]: spec.batch, [SPEC_F_LAYERS]: layers,
    [SPEC_F_LR_START]: spec.lrStart, [SPEC_F_LR_END]: spec.lrEnd, [SPEC_F_RAND_BITS]: spec.randBits,
  };
  if (fault !== 0) specError(faultMessage(fault, value[fault]));
  const view = new DataView(bytes.buffer, bytes.byteOffset, SPEC_BYTES);
  for (let i = 0; i < SPEC_MAX_SIZES; i++) {
    const n = view.getUint16(SPEC_O_SIZES + 2 * i, true);
    const f = sizeFault(i, layers, i <= layers && (n & SIZE_CONV) !== 0 ? n & SIZE_UNITS : n); // a conv layer's channels carry flags
    if (f === SPEC_F_UNUSED_SIZE) specError(`size ${i} is set beyond the ${layers} layers`);
    if (f !== 0) specError(faultMessage(f, n));
  }
  const size = (i: number) => view.getUint16(SPEC_O_SIZES + 2 * i, true);
  if (shapeFault(bytes[SPEC_O_HEIGHT], bytes[SPEC_O_WIDTH], bytes[SPEC_O_LOG2_BATCH], layers, size) !== 0) {
    if (spec.conv) validateConv(spec.conv, spec.batch, specError); // the message names the layer
    specError(faultMessage(SPEC_F_SHAPE, ""));
  }
  return spec;
}

/** What a fault code says of the field's value. The ranges are the shared constants. */
function faultMessage(fault: number, value: number | string): string {
  switch (fault) {
    case SPEC_F_VERSION: return `spec version ${value} (${SPEC_VERSION})`;
    case SPEC_F_MODE: return `weight mode ${value} (${MODE_BC} bc, ${MODE_TC} tc, + ${MODE_FIXED} fixed)`;
    case SPEC_F_QBP: return `qbp ${value} (0 or 1)`;
    case SPEC_F_WINDOW: return `window ${value} (1..${QBP_MAX_WINDOW})`;
    case SPEC_F_BATCH: return `batch ${value} (a power of two up to ${2 ** MAX_LOG2_BATCH})`;
    case SPEC_F_LAYERS: return `${value} layers (1..${MAX_LAYERS})`;
    case SPEC_F_LR_START: return `lr ${value} (a shift ${LR_SHIFT_MIN}..${LR_SHIFT_MAX})`;
    case SPEC_F_LR_END: return `lrend ${value} (a shift ${LR_SHIFT_MIN}..${LR_SHIFT_MAX})`;
    case SPEC_F_RAND_BITS: return `randbits ${value} (1, 2, 4, 8 or 16)`;
    case SPEC_F_WIDTH: return `layer width ${value} (1..${MAX_UNITS})`;
    case SPEC_F_OUTPUTS: return `${value} outputs (${MIN_OUTPUTS}..${MAX_OUTPUTS})`;
    case SPEC_F_SHAPE: return "the conv net's layers break its grammar (docs/model-format.md, \"Convolutional nets\")";
    default: return "reserved bytes are not 0";
  }
}

function specError(what: string): never {
  throw new UserError(`invalid model spec: ${what}`, "E_SPEC");
}

const isInteger = (n: unknown, lo: number, hi: number) => Number.isInteger(n) && (n as number) >= lo && (n as number) <= hi;

/**
 * The typed form: every value must fit its field (integers of the field's width, the batch a
 * power of two); the ranges are then the device's, checked on the bytes it encodes to.
 */
export function validateSpec(s: ModelSpec): ModelSpec {
  const layers = s.sizes.length - 1;
  if (!isInteger(layers, 1, SPEC_MAX_SIZES - 1)) specError(faultMessage(SPEC_F_LAYERS, layers));
  for (const n of s.sizes) if (!isInteger(n, 0, 0xffff)) specError(faultMessage(SPEC_F_WIDTH, n));
  checkSpecFields(s);
  if (s.conv) {
    const bad = (what: string) => specError(what);
    if (layers > MAX_LAYERS) bad(faultMessage(SPEC_F_LAYERS, layers));
    validateConv(s.conv, s.batch, bad);
  }
  return checkSpecBytes(encodeSpec(s)) && s;
}

/**
 * A conv net's structure, the rules of assembly/spec.ts specValid: the input C 1..64 x H x W
 * 1..255; conv layers (N 1..256, batch·H·W >= 8 rows), each optionally pooled (even sides),
 * then dense layers whose flattened input is at most MAX_UNITS; the last layer dense.
 */
function validateConv(c: ConvLayout, batch: number, bad: (what: string) => void): void {
  let [ch, h, w] = c.input;
  if (!isInteger(ch, 1, MAX_INPUT_CHANNELS)) bad(`${ch} input channels (1..${MAX_INPUT_CHANNELS})`);
  if (!isInteger(h, 1, 255) || !isInteger(w, 1, 255)) bad(`input ${h}x${w} pixels (height and width 1..255)`);
  let image = true;
  c.layers.forEach((l, k) => {
    const where = `layer ${k + 1}`;
    if (l.kind === "dense") {
      if (image && ch * h * w > MAX_UNITS) bad(`${where}: the flattened ${ch}x${h}x${w} input has more than ${MAX_UNITS} values`);
      image = false;
      ch = l.units;
    } else if (!image) bad(`${where}: conv and pool layers come before the dense ones`);
    else if (l.kind === "conv") {
      if (!isInteger(l.channels, 1, MAX_CONV_CHANNELS)) bad(`${where}: ${l.channels} conv channels (1..${MAX_CONV_CHANNELS})`);
      if (batch * h * w < MIN_CONV_ROWS) bad(`${where}: batch ${batch} x ${h}x${w} positions, fewer than ${MIN_CONV_ROWS} rows for its statistics`);
      ch = l.channels;
    } else {
      if (k === 0 || c.layers[k - 1].kind !== "conv") bad(`${where}: a pool layer follows a conv layer`);
      if (h % 2 !== 0 || w % 2 !== 0) bad(`${where}: 2x2 pooling of ${h}x${w} pixels (even sides)`);
      h >>= 1; w >>= 1;
    }
  });
  if (image) bad("the last layer must be the dense output layer");
}

function checkSpecFields(s: Omit<ModelSpec, "sizes">): void {
  if (s.mode !== "bc" && s.mode !== "tc") specError(faultMessage(SPEC_F_MODE, String(s.mode)));
  if (typeof s.qbp !== "boolean") specError(faultMessage(SPEC_F_QBP, String(s.qbp)));
  if (!isInteger(Math.log2(s.batch), 0, 0xff)) specError(faultMessage(SPEC_F_BATCH, s.batch));
  if (!isInteger(s.window, 0, 0xff)) specError(faultMessage(SPEC_F_WINDOW, s.window));
  if (!isInteger(s.lrStart, -0x80, 0x7f)) specError(faultMessage(SPEC_F_LR_START, s.lrStart));
  if (!isInteger(s.lrEnd, -0x80, 0x7f)) specError(faultMessage(SPEC_F_LR_END, s.lrEnd));
  if (!isInteger(s.randBits, 0, 0xff)) specError(faultMessage(SPEC_F_RAND_BITS, s.randBits));
  if (!isInteger(s.decaySteps, 0, 0xffffffff)) specError(`decay ${s.decaySteps} (0..4294967295 steps)`);
}

const SPEC_KEYS = ["batch", "window", "qbp", "lr", "lrend", "decay", "randbits", "fixed"];

/**
 * Parses "784-256-10[:bc|:tc][,key=value...]" with keys batch, window, qbp (0/1), lr, lrend,
 * decay, randbits, fixed (0/1). Unset keys keep `base`'s values (DEFAULT_SPEC unless given), except that a
 * batch given without lr takes that batch's default lr (defaultLrStart), and a batch or decay
 * given without lrend the run's default end (defaultLrEnd).
 */
export function parseSpec(text: string, base: ModelSpec = DEFAULT_SPEC): ModelSpec {
  const bad = (why: string): never => { throw new UserError(`invalid model spec "${text}": ${why}`, "E_SPEC"); };
  const [head, ...options] = text.split(",");
  const [arch, mode, ...extra] = head.split(":");
  if (extra.length > 0) bad(`one ":" at most (784-256-10:tc)`);
  if (/^\d+x/.test(arch)) bad("a conv net (CxHxW-cN-p-dN-classes): parse it with parseModelSpec; dense specs look like 784-256-10");
  if (!/^\d+(-\d+)+$/.test(arch)) bad("sizes must look like 784-256-10");
  const s: ModelSpec = { ...base, sizes: arch.split("-").map(Number) };
  applySpecOptions(text, mode, options, s);
  return validateSpec(s);
}

/**
 * The part after the architecture, shared by the dense and the conv grammar: the mode
 * (":bc" / ":tc", undefined keeps s.mode) and the "key=value" options, applied to `s`.
 */
export function applySpecOptions(text: string, mode: string | undefined, options: string[], s: Omit<ModelSpec, "sizes">): void {
  const bad = (why: string): never => { throw new UserError(`invalid model spec "${text}": ${why}`, "E_SPEC"); };
  if (mode !== undefined) {
    if (mode !== "bc" && mode !== "tc") bad("mode must be bc or tc");
    s.mode = mode as WeightMode;
  }
  const seen = new Set<string>();
  for (const option of options) {
    const eq = option.indexOf("=");
    const key = eq < 0 ? option : option.slice(0, eq), value = eq < 0 ? "" : option.slice(eq + 1);
    if (!SPEC_KEYS.includes(key)) bad(`unknown option "${key}" (${SPEC_KEYS.join(", ")})`);
    if (seen.has(key)) bad(`option "${key}" given twice`);
    seen.add(key);
    if (!/^-?\d+$/.test(value)) bad(`${key} must be a decimal integer, got "${value}"`);
    const n = Number(value);
    const flag = () => { if (n !== 0 && n !== 1) bad(`${key} must be 0 or 1, got "${value}"`); return n === 1; };
    switch (key) {
      case "batch": s.batch = n; break;
      case "window": s.window = n; break;
      case "qbp": s.qbp = flag(); break;
      case "fixed": if (flag()) s.fixed = true; else delete s.fixed; break;
      case "lr": s.lrStart = n; break;
      case "lrend": s.lrEnd = n; break;
      case "decay": s.decaySteps = n; break;
      case "randbits": s.randBits = n; break;
    }
  }
  if (seen.has("batch") && !seen.has("lr")) s.lrStart = defaultLrStart(s.batch, s.mode);
  if ((seen.has("decay") || seen.has("batch")) && !seen.has("lrend")) s.lrEnd = defaultLrEnd(s.batch, s.decaySteps, s.mode);
}

/** The architecture part of the text form: "784-256-10" or "1x28x28-c8-p-d64-10". */
export function specArch(s: ModelSpec): string {
  if (!s.conv) return s.sizes.join("-");
  const n = s.conv.layers.length;
  const label = (l: NetLayer, k: number) => (l.kind === "pool" ? "p" : l.kind === "conv" ? `c${l.channels}` : k === n - 1 ? `${l.units}` : `d${l.units}`);
  return [s.conv.input.join("x"), ...s.conv.layers.map(label)].join("-");
}

export function formatSpec(s: ModelSpec): string {
  return `${specArch(s)}:${s.mode},batch=${s.batch},qbp=${s.qbp ? 1 : 0},window=${s.window},lr=${s.lrStart},lrend=${s.lrEnd},decay=${s.decaySteps},randbits=${s.randBits}${s.fixed ? ",fixed=1" : ""}`;
}
