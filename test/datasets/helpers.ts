/** Fixture builders for the dataset tests: temp dirs, IDX files and tiny MAT-files. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";
import type { ExecutionContext } from "ava";
import { UserError } from "../../host/errors.ts";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const fixturesDir = resolve(repoRoot, "test/fixtures");

/** A fresh temp dir removed when the test ends. */
export function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), "fewmul-ds-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function write(dir: string, name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** An unsigned-byte IDX file with big-endian dims (magic 0x0000080<ndims>). */
export function idx(dims: number[], data: Uint8Array, dtype = 0x08): Uint8Array {
  const out = Buffer.alloc(4 + 4 * dims.length + data.length);
  out.set([0, 0, dtype, dims.length]);
  dims.forEach((d, i) => out.writeUInt32BE(d, 4 + 4 * i));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** `fn` throws a UserError with code E_DATASET, on one line, containing every `parts`. */
export function throwsDatasetError(t: ExecutionContext, fn: () => unknown, ...parts: string[]): string {
  const err = t.throws(fn, { instanceOf: UserError });
  if (!err) return "";
  t.is((err as UserError).code, "E_DATASET");
  t.false(err.message.includes("\n"), `not one line: ${err.message}`);
  for (const p of parts) t.true(err.message.includes(p), `"${err.message}" lacks "${p}"`);
  return err.message;
}

// ---- A minimal MATLAB level-5 writer, independent of host/datasets/mat5.ts ----

export const mx = { cell: 1, struct: 2, char: 4, double: 6, uint8: 9, int16: 10 } as const;
export const mi = { int8: 1, uint8: 2, uint16: 4, int32: 5, uint32: 6, double: 9, matrix: 14, compressed: 15 } as const;

export class MatWriter {
  constructor(readonly le = true) {}

  /** A data element, small format when it fits in 4 bytes (as MATLAB writes names), padded to 8. */
  element(type: number, payload: Uint8Array, small = true): Buffer {
    if (small && payload.length <= 4) {
      const b = Buffer.alloc(8);
      this.u32(b, 0, (payload.length << 16) | type);
      b.set(payload, 4);
      return b;
    }
    const b = Buffer.alloc(8 + ((payload.length + 7) & ~7));
    this.u32(b, 0, type);
    this.u32(b, 4, payload.length);
    b.set(payload, 8);
    return b;
  }

  /** A numeric miMATRIX; `data` is already encoded as `dataType` in this writer's byte order. */
  matrix(name: string, cls: number, dims: number[], dataType: number, data: Uint8Array, flagBits = 0): Buffer {
    const flags = Buffer.alloc(8);
    this.u32(flags, 0, cls | flagBits);
    const dimBytes = Buffer.alloc(4 * dims.length);
    dims.forEach((d, i) => this.u32(dimBytes, 4 * i, d));
    const body = Buffer.concat([
      this.element(mi.uint32, flags, false),
      this.element(mi.int32, dimBytes, false),
      this.element(mi.int8, Buffer.from(name, "latin1")),
      this.element(dataType, data), // small format for <= 4 bytes, as MATLAB does
    ]);
    return this.element(mi.matrix, body, false);
  }

  doubles(values: number[]): Buffer {
    const b = Buffer.alloc(8 * values.length);
    values.forEach((v, i) => (this.le ? b.writeDoubleLE(v, 8 * i) : b.writeDoubleBE(v, 8 * i)));
    return b;
  }

  /** Wrap an element in miCOMPRESSED (zlib), unpadded as MATLAB writes it. */
  compressed(element: Uint8Array): Buffer {
    const z = deflateSync(element);
    const b = Buffer.alloc(8 + z.length);
    this.u32(b, 0, mi.compressed);
    this.u32(b, 4, z.length);
    b.set(z, 8);
    return b;
  }

  /** 116 bytes of text, 8 of subsystem offset, version 0x0100, endian indicator. */
  file(...elements: Uint8Array[]): Buffer {
    const h = Buffer.alloc(128, 0x20);
    h.write("MATLAB 5.0 MAT-file, written by the fewmul tests", 0, "latin1");
    h.fill(0, 116, 124);
    if (this.le) h.writeUInt16LE(0x0100, 124);
    else h.writeUInt16BE(0x0100, 124);
    h.write(this.le ? "IM" : "MI", 126, "latin1");
    return Buffer.concat([h, ...elements]);
  }

  /** An SVHN-like file: X uint8 HxWxCxN from HWC samples, y double labels 1..10. */
  svhn(hwc: Uint8Array[], y: number[], compress = false, h = 32, w = 32, c = 3): Buffer {
    const n = hwc.length;
    const X = Buffer.alloc(h * w * c * n);
    hwc.forEach((img, s) => {
      for (let ch = 0; ch < c; ch++)
        for (let col = 0; col < w; col++)
          for (let r = 0; r < h; r++) X[r + h * (col + w * (ch + c * s))] = img[(r * w + col) * c + ch];
    });
    const elements = [
      this.matrix("X", mx.uint8, [h, w, c, n], mi.uint8, X),
      this.matrix("y", mx.double, [y.length, 1], mi.double, this.doubles(y)),
    ];
    return this.file(...(compress ? elements.map((e) => this.compressed(e)) : elements));
  }

  private u32(b: Buffer, at: number, v: number): void {
    if (this.le) b.writeUInt32LE(v >>> 0, at);
    else b.writeUInt32BE(v >>> 0, at);
  }
}

/** Deterministic pseudo-random bytes for fixtures. */
export function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = s & 0xff;
  }
  return out;
}
