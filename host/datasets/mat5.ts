/**
 * A small reader for MATLAB level-5 MAT-files (what `save -v7` and scipy.io.savemat
 * write), enough for numeric arrays: 128-byte header with the 'IM'/'MI' endian
 * indicator, miMATRIX elements, miCOMPRESSED (zlib) elements, and the small data
 * element format. Cell, struct, char, sparse, object and complex arrays are refused
 * with a clear message, but only when asked for: other variables are skipped.
 * v7.3 files are HDF5 and are refused too. Problems are one-line UserErrors "<file>: <reason>".
 */
import { inflateSync } from "node:zlib";
import { UserError } from "../errors.ts";

export type MatClass =
  | "double" | "single" | "int8" | "uint8" | "int16" | "uint16" | "int32" | "uint32" | "int64" | "uint64";

/** A numeric array; `data` is column-major. uint8 arrays stay Uint8Array, all others become Float64Array. */
export interface MatArray {
  name: string;
  class: MatClass;
  dims: number[];
  data: Uint8Array | Float64Array;
}

// mxCLASS codes (array flags, low byte) → name; numeric ones are the ones we decode.
const CLASSES: Record<number, string> = {
  1: "cell", 2: "struct", 3: "object", 4: "char", 5: "sparse", 6: "double", 7: "single", 8: "int8",
  9: "uint8", 10: "int16", 11: "uint16", 12: "int32", 13: "uint32", 14: "int64", 15: "uint64",
  16: "function handle", 17: "opaque",
};
const NUMERIC = new Set(["double", "single", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"]);

// miTYPE codes of data elements.
const MI_INT8 = 1, MI_UINT8 = 2, MI_INT32 = 5, MI_UINT32 = 6, MI_MATRIX = 14, MI_COMPRESSED = 15, MI_UTF8 = 16;
/** Byte size and DataView reader of each numeric miTYPE. */
const MI_NUMERIC: Record<number, [number, (v: DataView, at: number, le: boolean) => number]> = {
  1: [1, (v, a) => v.getInt8(a)],
  2: [1, (v, a) => v.getUint8(a)],
  3: [2, (v, a, le) => v.getInt16(a, le)],
  4: [2, (v, a, le) => v.getUint16(a, le)],
  5: [4, (v, a, le) => v.getInt32(a, le)],
  6: [4, (v, a, le) => v.getUint32(a, le)],
  7: [4, (v, a, le) => v.getFloat32(a, le)],
  9: [8, (v, a, le) => v.getFloat64(a, le)],
  12: [8, (v, a, le) => Number(v.getBigInt64(a, le))],
  13: [8, (v, a, le) => Number(v.getBigUint64(a, le))],
};

interface Tag { type: number; nbytes: number; start: number; end: number; next: number }

class Reader {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array, readonly le: boolean, readonly fail: (why: string) => never) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The data element tag at `pos`, bounded by `limit`; `next` is 8-byte aligned. */
  tag(pos: number, limit: number): Tag {
    if (pos + 8 > limit) this.fail(`truncated: element tag at byte ${pos} needs 8 bytes but ${limit - pos} remain`);
    const first = this.view.getUint32(pos, this.le);
    if (first >>> 16 !== 0) {
      // Small data element: nbytes (<= 4) in the high half, data in the tag's second word.
      const nbytes = first >>> 16;
      if (nbytes > 4) this.fail(`bad small data element at byte ${pos} (${nbytes} bytes)`);
      return { type: first & 0xffff, nbytes, start: pos + 4, end: pos + 4 + nbytes, next: pos + 8 };
    }
    const nbytes = this.view.getUint32(pos + 4, this.le);
    const start = pos + 8;
    if (nbytes > limit - start) {
      this.fail(`truncated: element at byte ${pos} says ${nbytes} bytes but ${limit - start} remain`);
    }
    return { type: first, nbytes, start, end: start + nbytes, next: Math.min(limit, start + ((nbytes + 7) & ~7)) };
  }

  /** Decode a numeric data element into `count` values (Uint8Array when asked and the type is miUINT8). */
  numbers(t: Tag, what: string, count: number, asUint8: boolean): Uint8Array | Float64Array {
    const spec = MI_NUMERIC[t.type];
    if (!spec) this.fail(`${what}: data type ${t.type} is not numeric`);
    const [size, get] = spec;
    if (t.nbytes !== count * size) this.fail(`${what}: holds ${t.nbytes / size} values but its dimensions need ${count}`);
    if (asUint8 && t.type === MI_UINT8) return this.bytes.subarray(t.start, t.end);
    const out = asUint8 ? new Uint8Array(count) : new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = get(this.view, t.start + i * size, this.le);
    return out;
  }
}

/**
 * The variables of a level-5 MAT-file. With `wanted`, only those names are decoded
 * (and only they can trigger unsupported-class errors). `data` may view `bytes`.
 */
export function readMat(bytes: Uint8Array, file: string, wanted?: readonly string[]): Map<string, MatArray> {
  const fail: (why: string) => never = (why) => {
    throw new UserError(`${file}: ${why}`, "E_DATASET");
  };
  if (bytes.length < 128) fail(`truncated: ${bytes.length} bytes, shorter than the 128-byte MAT-file header`);
  const ind = String.fromCharCode(bytes[126], bytes[127]);
  if (ind !== "IM" && ind !== "MI") fail("bad header: not a MATLAB level-5 MAT-file (no IM/MI endian indicator at byte 126)");
  const le = ind === "IM";
  const version = new DataView(bytes.buffer, bytes.byteOffset).getUint16(124, le);
  if (version === 0x0200) fail("MATLAB v7.3 (HDF5) MAT-files are not supported: re-save with save(..., '-v7')");
  if (version !== 0x0100) fail(`bad header: unknown MAT-file version 0x${version.toString(16)}`);

  const r = new Reader(bytes, le, fail);
  const vars = new Map<string, MatArray>();
  for (let pos = 128; pos < bytes.length; ) {
    const t = r.tag(pos, bytes.length);
    if (t.type === MI_COMPRESSED) {
      let inner: Uint8Array;
      try {
        inner = inflateSync(bytes.subarray(t.start, t.end));
      } catch (e) {
        fail(`corrupt compressed element at byte ${pos} (${(e as Error).message})`);
      }
      const ir = new Reader(inner, le, (why) => fail(`in compressed element at byte ${pos}: ${why}`));
      const it = ir.tag(0, inner.length);
      if (it.type === MI_MATRIX) addMatrix(ir, it, vars, wanted);
      pos = t.end; // compressed elements are not padded
    } else {
      if (t.type === MI_MATRIX) addMatrix(r, t, vars, wanted);
      pos = t.next;
    }
  }
  return vars;
}

function addMatrix(r: Reader, t: Tag, vars: Map<string, MatArray>, wanted?: readonly string[]): void {
  if (t.nbytes === 0) return; // an empty placeholder matrix
  const flags = r.tag(t.start, t.end);
  if (flags.type !== MI_UINT32 || flags.nbytes !== 8) r.fail(`bad array flags in the matrix at byte ${t.start - 8}`);
  const flagWord = r.view.getUint32(flags.start, r.le);
  const cls = CLASSES[flagWord & 0xff] ?? `unknown class ${flagWord & 0xff}`;
  const dimsTag = r.tag(flags.next, t.end);
  if (dimsTag.type !== MI_INT32 || dimsTag.nbytes % 4 !== 0) r.fail(`bad dimensions in the matrix at byte ${t.start - 8}`);
  const dims = Array.from({ length: dimsTag.nbytes / 4 }, (_, i) => r.view.getInt32(dimsTag.start + 4 * i, r.le));
  const nameTag = r.tag(dimsTag.next, t.end);
  if (nameTag.type !== MI_INT8 && nameTag.type !== MI_UINT8 && nameTag.type !== MI_UTF8) r.fail(`bad array name in the matrix at byte ${t.start - 8}`);
  const name = new TextDecoder().decode(r.bytes.subarray(nameTag.start, nameTag.end));
  if (wanted && !wanted.includes(name)) return;

  const what = `variable '${name}'`;
  if (!NUMERIC.has(cls)) r.fail(`${what} is a ${cls} array: only numeric arrays are supported`);
  if (flagWord & 0x800) r.fail(`${what} is complex: only real arrays are supported`);
  if (dims.some((d) => d < 0)) r.fail(`${what} has negative dimensions ${dims.join("x")}`);
  const count = dims.reduce((a, b) => a * b, 1);
  const data = r.numbers(r.tag(nameTag.next, t.end), what, count, cls === "uint8");
  vars.set(name, { name, class: cls as MatClass, dims, data });
}
