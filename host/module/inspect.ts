// Looks inside a compiled module (binaryen's text form): float instructions, multiplications
// and where they sit, and an instrumented copy that counts executed multiplications.
import binaryen from "binaryen";

export interface ModuleReport {
  bytes: number;
  /** f32/f64 instructions, and float types in signatures or locals. */
  floatInstructions: number;
  /** i32.mul / i64.mul anywhere, and inside a `loop`. */
  multiplications: number;
  multiplicationsInLoops: number;
  imports: string[];
  exports: string[];
}

function text(wasm: Uint8Array): string {
  return read(wasm).text;
}

function read(wasm: Uint8Array): { text: string; features: number } {
  const m = binaryen.readBinary(wasm);
  try { return { text: m.emitText(), features: m.getFeatures() }; } finally { m.dispose(); }
}

/** Walks the folded text, counting muls and those nested inside a loop. */
export function inspectModule(wasm: Uint8Array): ModuleReport {
  const t = text(wasm);
  let depth = 0;
  const loopDepths: number[] = [];
  let muls = 0, mulsInLoops = 0;
  for (const token of t.matchAll(/\(([a-z0-9_.]+)|\)/g)) {
    if (token[0] === ")") {
      if (loopDepths.length && loopDepths[loopDepths.length - 1] === depth) loopDepths.pop();
      depth--;
      continue;
    }
    depth++;
    const op = token[1];
    if (op === "loop") loopDepths.push(depth);
    if (op === "i32.mul" || op === "i64.mul") { muls++; if (loopDepths.length) mulsInLoops++; }
  }
  return {
    bytes: wasm.length,
    floatInstructions: (t.match(/\b[fF](32|64)\b/g) ?? []).length,
    multiplications: muls,
    multiplicationsInLoops: mulsInLoops,
    imports: [...t.matchAll(/\(import "([^"]+)" "([^"]+)"/g)].map((m) => `${m[1]}.${m[2]}`),
    exports: [...t.matchAll(/\(export "([^"]+)"/g)].map((m) => m[1]),
  };
}

/** Ids of the binary's sections in order (0 custom, 1-11 MVP, 12 DataCount: bulk memory only). */
export function sectionIds(wasm: Uint8Array): number[] {
  const ids: number[] = [];
  let at = 8; // after the magic and the version
  while (at < wasm.length) {
    ids.push(wasm[at++]);
    let size = 0, shift = 0, byte: number;
    do { byte = wasm[at++]; size += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80);
    at += size;
  }
  return ids;
}

/**
 * What binaryen's validator says about the module with every post-MVP feature disabled (no
 * bulk memory, sign-extension, mutable-global imports/exports, saturating float-to-int...):
 * "" when it validates, i.e. when a WAMR build with its default options accepts it.
 */
export function mvpValidationErrors(wasm: Uint8Array): string {
  const m = binaryen.readBinary(wasm);
  // binaryen prints validation errors through console.error: collect them instead.
  const stderr = process.stderr.write;
  let said = "";
  process.stderr.write = ((chunk: string | Uint8Array) => { said += String(chunk); return true; }) as typeof stderr;
  try {
    m.setFeatures(binaryen.Features.MVP);
    return m.validate() ? "" : said.trim() || "invalid with MVP features only";
  } finally {
    process.stderr.write = stderr;
    m.dispose();
  }
}

const COUNTED = ["i32.mul", "i64.mul", "f32.mul", "f64.mul"] as const;

/**
 * A copy of the module in which every multiplication calls a counting helper; the export
 * `__muls` (a mutable i64 global read through `__muls_get`) holds the number executed.
 */
export function countingModule(wasm: Uint8Array): Uint8Array<ArrayBuffer> {
  let { text: t, features } = read(wasm);
  const helpers: string[] = [];
  for (const op of COUNTED) {
    const ty = op.slice(0, 3);
    const name = `$__count_${op.replace(".", "_")}`;
    if (!t.includes(`(${op}`)) continue;
    t = t.split(`(${op}\n`).join(`(call ${name}\n`).split(`(${op} `).join(`(call ${name} `);
    helpers.push(`(func ${name} (param $a ${ty}) (param $b ${ty}) (result ${ty})
      (global.set $__muls (i64.add (global.get $__muls) (i64.const 1)))
      (${op} (local.get $a) (local.get $b)))`);
  }
  const tail = t.lastIndexOf(")");
  t = t.slice(0, tail) + `(global $__muls (mut i64) (i64.const 0))
    (func $__muls_get (result i32) (i32.wrap_i64 (global.get $__muls)))
    (export "__muls_get" (func $__muls_get))
    ${helpers.join("\n")}\n)`;
  const m = binaryen.parseText(t);
  try {
    // What AssemblyScript emits by default; the binary does not record its features.
    const F = binaryen.Features as unknown as Record<string, number>;
    m.setFeatures(features | F.BulkMemory | (F.BulkMemoryOpt ?? 0) | F.SignExt | F.MutableGlobals | F.NontrappingFPToInt);
    if (!m.validate()) throw new Error("instrumented module does not validate");
    return new Uint8Array(m.emitBinary());
  } finally { m.dispose(); }
}
