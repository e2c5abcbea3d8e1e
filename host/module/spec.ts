// The model spec: the host's typed form, its 48-byte encoding (assembly/spec.ts) and the
// compact text form used on the command line, e.g. "784-256-10:tc" or "784-128-10:bc,batch=64".
import { UserError } from "../errors.ts";

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

export const SPEC_BYTES = 48;
export const SPEC_VERSION = 1;

export const DEFAULT_SPEC: ModelSpec = {
  sizes: [784, 256, 10], mode: "tc", qbp: true, window: 8, batch: 32,
  lrStart: 0, lrEnd: 4, decaySteps: 2500, randBits: 8,
};

export function encodeSpec(s: ModelSpec): Uint8Array {
  const out = new Uint8Array(SPEC_BYTES);
  const view = new DataView(out.buffer);
  out[0] = SPEC_VERSION;
  out[1] = s.mode === "tc" ? 1 : 0;
  out[2] = s.qbp ? 1 : 0;
  out[3] = s.window;
  out[4] = Math.log2(s.batch);
  out[5] = s.sizes.length - 1;
  view.setInt8(6, s.lrStart);
  view.setInt8(7, s.lrEnd);
  view.setUint32(8, s.decaySteps, true);
  out[12] = s.randBits;
  s.sizes.forEach((n, i) => view.setUint16(16 + 2 * i, n, true));
  return out;
}

export function decodeSpec(bytes: Uint8Array): ModelSpec {
  const view = new DataView(bytes.buffer, bytes.byteOffset, SPEC_BYTES);
  const layers = bytes[5];
  const sizes: number[] = [];
  for (let i = 0; i <= layers; i++) sizes.push(view.getUint16(16 + 2 * i, true));
  return {
    sizes, mode: bytes[1] === 1 ? "tc" : "bc", qbp: bytes[2] === 1, window: bytes[3],
    batch: 1 << bytes[4], lrStart: view.getInt8(6), lrEnd: view.getInt8(7),
    decaySteps: view.getUint32(8, true), randBits: bytes[12],
  };
}

/** Checks ranges the device would refuse, with a message that names the field. */
export function validateSpec(s: ModelSpec): ModelSpec {
  const bad = (what: string) => { throw new UserError(`invalid model spec: ${what}`, "E_SPEC"); };
  if (s.sizes.length < 2 || s.sizes.length > 9) bad(`${s.sizes.length - 1} layers (1..8)`);
  for (const n of s.sizes) if (!Number.isInteger(n) || n < 1 || n > 4096) bad(`layer width ${n} (1..4096)`);
  const out = s.sizes[s.sizes.length - 1];
  if (out < 2 || out > 255) bad(`${out} outputs (2..255)`);
  validateSpecOptions(s);
  return s;
}

/** The range checks of everything but the sizes (shared with the conv grammar). */
export function validateSpecOptions(s: Omit<ModelSpec, "sizes">): void {
  const bad = (what: string) => { throw new UserError(`invalid model spec: ${what}`, "E_SPEC"); };
  if (!Number.isInteger(Math.log2(s.batch)) || s.batch > 256) bad(`batch ${s.batch} (a power of two up to 256)`);
  if (!Number.isInteger(s.window) || s.window < 1 || s.window > 8) bad(`window ${s.window} (1..8)`);
  if (![1, 2, 4, 8, 16].includes(s.randBits)) bad(`randbits ${s.randBits} (1, 2, 4, 8 or 16)`);
  for (const [k, v] of [["lr", s.lrStart], ["lrend", s.lrEnd]] as const)
    if (!Number.isInteger(v) || v < -8 || v > 30) bad(`${k} ${v} (a shift -8..30)`);
  if (!Number.isInteger(s.decaySteps) || s.decaySteps < 0) bad(`decay ${s.decaySteps}`);
}

/**
 * Parses "784-256-10[:bc|:tc][,key=value...]" with keys batch, window, qbp (0/1), lr, lrend,
 * decay, randbits. Unset keys keep `base`'s values (DEFAULT_SPEC unless given).
 */
export function parseSpec(text: string, base: ModelSpec = DEFAULT_SPEC): ModelSpec {
  const [head, ...options] = text.split(",");
  const [arch, mode] = head.split(":");
  if (/^\d+x/.test(arch)) {
    throw new UserError(`invalid model spec "${text}": conv nets (CxHxW-cN-p-dN-classes) are not trained by the device module yet; dense specs look like 784-256-10`, "E_SPEC");
  }
  const s: ModelSpec = { ...base, sizes: arch.split("-").map(Number) };
  if (s.sizes.some((n) => !Number.isInteger(n))) throw new UserError(`invalid model spec "${text}": sizes must look like 784-256-10`, "E_SPEC");
  applySpecOptions(text, mode, options, s);
  return validateSpec(s);
}

/**
 * The part after the architecture, shared by the dense and the conv grammar: the mode
 * (":bc" / ":tc", undefined keeps s.mode) and the "key=value" options, applied to `s`.
 */
export function applySpecOptions(text: string, mode: string | undefined, options: string[], s: Omit<ModelSpec, "sizes">): void {
  if (mode !== undefined) {
    if (mode !== "bc" && mode !== "tc") throw new UserError(`invalid model spec "${text}": mode must be bc or tc`, "E_SPEC");
    s.mode = mode;
  }
  for (const option of options) {
    const [key, value] = option.split("=");
    const n = Number(value);
    switch (key) {
      case "batch": s.batch = n; break;
      case "window": s.window = n; break;
      case "qbp": s.qbp = n !== 0; break;
      case "lr": s.lrStart = n; break;
      case "lrend": s.lrEnd = n; break;
      case "decay": s.decaySteps = n; break;
      case "randbits": s.randBits = n; break;
      default: throw new UserError(`invalid model spec "${text}": unknown option "${key}"`, "E_SPEC");
    }
  }
}

export function formatSpec(s: ModelSpec): string {
  return `${s.sizes.join("-")}:${s.mode},batch=${s.batch},qbp=${s.qbp ? 1 : 0},window=${s.window},lr=${s.lrStart},lrend=${s.lrEnd},decay=${s.decaySteps},randbits=${s.randBits}`;
}
