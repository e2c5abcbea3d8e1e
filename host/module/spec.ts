// The model spec: the host's typed form, its 48-byte encoding (assembly/shared/spec.ts) and the
// compact text form used on the command line, e.g. "784-256-10:tc" or "784-128-10:bc,batch=64".
import { UserError } from "../errors.ts";
import {
  LR_SHIFT_MAX, LR_SHIFT_MIN, MAX_LAYERS, MAX_LOG2_BATCH, MAX_OUTPUTS, MAX_RAND_BITS, MAX_UNITS,
  MIN_OUTPUTS, MODE_BC, MODE_TC, QBP_MAX_WINDOW, SPEC_BYTES, SPEC_O_DECAY, SPEC_O_LAYERS,
  SPEC_O_LOG2_BATCH, SPEC_O_LR_END, SPEC_O_LR_START, SPEC_O_MODE, SPEC_O_QBP, SPEC_O_RAND_BITS,
  SPEC_O_RESERVED, SPEC_O_SIZES, SPEC_MAX_SIZES, SPEC_O_VERSION, SPEC_O_WINDOW, SPEC_VERSION,
} from "../../assembly/shared/spec.ts";

export type WeightMode = "bc" | "tc";

export interface ModelSpec {
  /** Layer widths: inputs, hidden..., outputs. */
  sizes: number[];
  /** Binary (BC) or ternary (TC) sampled weights. Default "tc". */
  mode: WeightMode;
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
}

export { SPEC_BYTES, SPEC_VERSION };

export const DEFAULT_SPEC: ModelSpec = {
  sizes: [784, 256, 10], mode: "tc", qbp: true, window: 8, batch: 32,
  lrStart: 0, lrEnd: 4, decaySteps: 2500, randBits: 8,
};

/** The 48 bytes the device reads; call validateSpec first (fields are written as they are). */
export function encodeSpec(s: ModelSpec): Uint8Array {
  const out = new Uint8Array(SPEC_BYTES);
  const view = new DataView(out.buffer);
  out[SPEC_O_VERSION] = SPEC_VERSION;
  out[SPEC_O_MODE] = s.mode === "tc" ? MODE_TC : MODE_BC;
  out[SPEC_O_QBP] = s.qbp ? 1 : 0;
  out[SPEC_O_WINDOW] = s.window;
  out[SPEC_O_LOG2_BATCH] = Math.log2(s.batch);
  out[SPEC_O_LAYERS] = s.sizes.length - 1;
  view.setInt8(SPEC_O_LR_START, s.lrStart);
  view.setInt8(SPEC_O_LR_END, s.lrEnd);
  view.setUint32(SPEC_O_DECAY, s.decaySteps, true);
  out[SPEC_O_RAND_BITS] = s.randBits;
  s.sizes.forEach((n, i) => view.setUint16(SPEC_O_SIZES + 2 * i, n, true));
  return out;
}

export function decodeSpec(bytes: Uint8Array): ModelSpec {
  const view = new DataView(bytes.buffer, bytes.byteOffset, SPEC_BYTES);
  const layers = bytes[SPEC_O_LAYERS];
  const sizes: number[] = [];
  for (let i = 0; i <= layers; i++) sizes.push(view.getUint16(SPEC_O_SIZES + 2 * i, true));
  return {
    sizes, mode: bytes[SPEC_O_MODE] === MODE_TC ? "tc" : "bc", qbp: bytes[SPEC_O_QBP] === 1,
    window: bytes[SPEC_O_WINDOW], batch: 2 ** bytes[SPEC_O_LOG2_BATCH],
    lrStart: view.getInt8(SPEC_O_LR_START), lrEnd: view.getInt8(SPEC_O_LR_END),
    decaySteps: view.getUint32(SPEC_O_DECAY, true), randBits: bytes[SPEC_O_RAND_BITS],
  };
}

/**
 * The host's check of 48 spec bytes (a model file's, a device's): the byte-level rules
 * (version, mode and qbp bytes, zero reserved bytes and unused sizes), then validateSpec.
 */
export function checkSpecBytes(bytes: Uint8Array): ModelSpec {
  const bad = (what: string): never => { throw new UserError(`invalid model spec: ${what}`, "E_SPEC"); };
  if (bytes.length !== SPEC_BYTES) bad(`${bytes.length} bytes (${SPEC_BYTES})`);
  if (bytes[SPEC_O_VERSION] !== SPEC_VERSION) bad(`spec version ${bytes[SPEC_O_VERSION]} (${SPEC_VERSION})`);
  if (bytes[SPEC_O_MODE] > MODE_TC) bad(`weight mode ${bytes[SPEC_O_MODE]} (${MODE_BC} bc, ${MODE_TC} tc)`);
  if (bytes[SPEC_O_QBP] > 1) bad(`qbp ${bytes[SPEC_O_QBP]} (0 or 1)`);
  if (bytes.subarray(SPEC_O_RESERVED, SPEC_O_SIZES).some((b) => b !== 0)) bad("reserved bytes are not 0");
  const layers = bytes[SPEC_O_LAYERS];
  const view = new DataView(bytes.buffer, bytes.byteOffset, SPEC_BYTES);
  for (let i = layers + 1; i < SPEC_MAX_SIZES; i++) {
    if (view.getUint16(SPEC_O_SIZES + 2 * i, true) !== 0) bad(`size ${i} is set beyond the ${layers} layers`);
  }
  return validateSpec(decodeSpec(bytes));
}

const isPowerOfTwo = (n: number) => Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
const inRange = (n: number, lo: number, hi: number) => Number.isInteger(n) && n >= lo && n <= hi;

/**
 * Checks every field against the ranges the device enforces (assembly/shared/spec.ts, the
 * rules of assembly/spec.ts specValid), with a message that names the field.
 */
export function validateSpec(s: ModelSpec): ModelSpec {
  const bad = (what: string) => { throw new UserError(`invalid model spec: ${what}`, "E_SPEC"); };
  const layers = s.sizes.length - 1;
  if (layers < 1 || layers > MAX_LAYERS) bad(`${layers} layers (1..${MAX_LAYERS})`);
  for (const n of s.sizes) if (!inRange(n, 1, MAX_UNITS)) bad(`layer width ${n} (1..${MAX_UNITS})`);
  const out = s.sizes[layers];
  if (out < MIN_OUTPUTS || out > MAX_OUTPUTS) bad(`${out} outputs (${MIN_OUTPUTS}..${MAX_OUTPUTS})`);
  validateSpecOptions(s);
  return s;
}

/** The range checks of everything but the sizes (shared with the conv grammar). */
export function validateSpecOptions(s: Omit<ModelSpec, "sizes">): void {
  const bad = (what: string) => { throw new UserError(`invalid model spec: ${what}`, "E_SPEC"); };
  if (s.mode !== "bc" && s.mode !== "tc") bad(`mode ${String(s.mode)} (bc or tc)`);
  if (typeof s.qbp !== "boolean") bad(`qbp ${String(s.qbp)} (0 or 1)`);
  if (!isPowerOfTwo(s.batch) || s.batch > 2 ** MAX_LOG2_BATCH) bad(`batch ${s.batch} (a power of two up to ${2 ** MAX_LOG2_BATCH})`);
  if (!inRange(s.window, 1, QBP_MAX_WINDOW)) bad(`window ${s.window} (1..${QBP_MAX_WINDOW})`);
  if (!isPowerOfTwo(s.randBits) || s.randBits > MAX_RAND_BITS) bad(`randbits ${s.randBits} (1, 2, 4, 8 or 16)`);
  for (const [k, v] of [["lr", s.lrStart], ["lrend", s.lrEnd]] as const)
    if (!inRange(v, LR_SHIFT_MIN, LR_SHIFT_MAX)) bad(`${k} ${v} (a shift ${LR_SHIFT_MIN}..${LR_SHIFT_MAX})`);
  if (!inRange(s.decaySteps, 0, 0xffffffff)) bad(`decay ${s.decaySteps} (0..4294967295 steps)`);
}

const SPEC_KEYS = ["batch", "window", "qbp", "lr", "lrend", "decay", "randbits"];

/**
 * Parses "784-256-10[:bc|:tc][,key=value...]" with keys batch, window, qbp (0/1), lr, lrend,
 * decay, randbits. Unset keys keep `base`'s values (DEFAULT_SPEC unless given).
 */
export function parseSpec(text: string, base: ModelSpec = DEFAULT_SPEC): ModelSpec {
  const bad = (why: string): never => { throw new UserError(`invalid model spec "${text}": ${why}`, "E_SPEC"); };
  const [head, ...options] = text.split(",");
  const [arch, mode, ...extra] = head.split(":");
  if (extra.length > 0) bad(`one ":" at most (784-256-10:tc)`);
  if (/^\d+x/.test(arch)) bad("conv nets (CxHxW-cN-p-dN-classes) are not trained by the device module yet; dense specs look like 784-256-10");
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
    switch (key) {
      case "batch": s.batch = n; break;
      case "window": s.window = n; break;
      case "qbp": if (n !== 0 && n !== 1) bad(`qbp must be 0 or 1, got "${value}"`); s.qbp = n === 1; break;
      case "lr": s.lrStart = n; break;
      case "lrend": s.lrEnd = n; break;
      case "decay": s.decaySteps = n; break;
      case "randbits": s.randBits = n; break;
    }
  }
}

export function formatSpec(s: ModelSpec): string {
  return `${s.sizes.join("-")}:${s.mode},batch=${s.batch},qbp=${s.qbp ? 1 : 0},window=${s.window},lr=${s.lrStart},lrend=${s.lrEnd},decay=${s.decaySteps},randbits=${s.randBits}`;
}
