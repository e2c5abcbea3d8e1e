// The rewrite of wasm2c 1.0.32 output that inlines the memory accessors in loops and replaces
// i32.ctz's libgcc call on Armv6-M (host/boards/wasm2c-hot.ts): which calls change, that the
// copies keep wasm2c's range check, that the ctz table is right, and that an unknown prelude is
// refused. test/boards/pico.test.ts runs the rewritten firmware
// bit-identically against Node.
import test from "ava";
import { inlineAccessorsInLoops } from "../../host/boards/wasm2c-hot.ts";

// the shape of wasm2c 1.0.32's prelude and function bodies, shortened
const MODULE = `#if _MSC_VER
#else

#define I32_CTZ(x) ((x) ? __builtin_ctz(x) : 32)
#define I64_CTZ(x) ((x) ? __builtin_ctzll(x) : 64)

#endif

#if WABT_BIG_ENDIAN
static inline void load_data(void* dest, const void* src, size_t n) {
}
#else
static inline void load_data(void* dest, const void* src, size_t n) {
  memcpy(dest, src, n);
}
#endif

DEFINE_LOAD(i32_load, u32, u32, u32)
DEFINE_LOAD(i32_load8_u, u8, u32, u32)
DEFINE_STORE(i32_store, u32, u32)

static u32 w2c_f1(Z_fewmul_instance_t* instance, u32 w2c_p0) {
  u32 w2c_i0;
  w2c_i0 = i32_load(&instance->w2c_memory, (u64)(w2c_p0));
  FUNC_EPILOGUE;
  return w2c_i0;
}

static void w2c_f3(Z_fewmul_instance_t*, u32, u32, u32, u32, u32, u32, u32, u32, u32, u32, 
    u32);

static void w2c_f2(Z_fewmul_instance_t* instance, u32 w2c_p0, u32 w2c_p1, u32 w2c_p2, u32 w2c_p3, 
    u32 w2c_p4) {
  u32 w2c_i0;
  w2c_L1: 
    w2c_i0 = i32_load8_u(&instance->w2c_memory, (u64)(w2c_p0) + 4u);
    i32_store(&instance->w2c_memory, (u64)(w2c_p0), w2c_i0);
    w2c_i0 = w2c_f1(instance, w2c_i0);
    if (w2c_i0) {goto w2c_L1;}
  FUNC_EPILOGUE;
}
`;

test("accessor calls inline only in loops; base and constant offset passed apart; always inline", (t) => {
  const { source, functions } = inlineAccessorsInLoops(MODULE);
  t.deepEqual(functions, ["w2c_f2"]);
  const f1 = source.slice(source.indexOf("static u32 w2c_f1("), source.indexOf("static void w2c_f2("));
  const f2 = source.slice(source.indexOf("static void w2c_f2("));
  t.true(source.includes("static void w2c_f3(Z_fewmul_instance_t*, u32, u32, u32, u32, u32, u32, u32, u32, u32, u32, \n    u32);"), "a wrapped declaration stays");
  t.regex(f1, /= i32_load\(&instance/, "no loop: the out-of-line accessor");
  t.regex(f2, /= i32_load8_u_at\(&instance->w2c_memory, w2c_p0, 4u\);/);
  t.regex(f2, /\bi32_store_at\(&instance->w2c_memory, w2c_p0, 0u, w2c_i0\);/);
  t.regex(f2, /= w2c_f1\(instance, w2c_i0\)/, "calls of other functions untouched");
  for (const line of ["FEWMUL_HOT_LOAD(i32_load, u32, u32, u32)", "FEWMUL_HOT_LOAD(i32_load8_u, u8, u32, u32)", "FEWMUL_HOT_STORE(i32_store, u32, u32)"]) {
    t.true(source.includes(line), line);
  }
  // wasm2c's check is addr + n > size with addr = (u64)base + off: the same test, in 32 bits
  t.regex(source, /#define FEWMUL_AT_CHECK\(mem, base, off, t\)[^\n]*\n\s*if \(UNLIKELY\(\(\(off\) \+ sizeof\(t\) > FEWMUL_MIN_BYTES && \(off\) \+ sizeof\(t\) > FEWMUL_SIZE\(mem\)\) \|\|[^\n]*\n\s*\(base\) > FEWMUL_SIZE\(mem\) - \(u32\)\(\(off\) \+ sizeof\(t\)\)\)\)/);
  // the size and data: the memory struct's, or the firmware runtime's globals of its one memory
  // (boards/firmware/wasm_rt_baremetal.h), whose array is 8-aligned, so the Wasm address's
  // alignment is the pointer's
  t.regex(source, /#ifdef FEWMUL_LINEAR_GLOBALS\n#define FEWMUL_DATA\(mem\) fewmul_linear_memory\n#define FEWMUL_SIZE\(mem\) fewmul_linear_size\n[\s\S]*?#define FEWMUL_ALIGN_OF\(at, wa\) \(wa\)\n#else\n#define FEWMUL_DATA\(mem\) \(\(mem\)->data\)\n#define FEWMUL_SIZE\(mem\) \(\(mem\)->size\)\n#define FEWMUL_ALIGN_OF\(at, wa\) \(\(uintptr_t\)\(at\)\)\n#endif/);
  t.regex(source, /FEWMUL_HOT_READ\(result, at, base \+ \(u32\)off, t1, FEWMUL_AT_CHECK_ALIGNED\(mem, base, off, t1\),[^\n]*\n\s*FEWMUL_AT_CHECK\(mem, base, off, t1\)\);/, "_at: the alignment of base + off");
  t.regex(source, /FEWMUL_HOT_WRITE\(at, \(u32\)addr, wrapped, t1, FEWMUL_HOT_CHECK_ALIGNED\(mem, addr, t1\),[^\n]*\n\s*FEWMUL_HOT_CHECK\(mem, addr, t1\)\);/, "_hot: the alignment of addr");
  // an access gcc knows to be aligned takes the aligned check, any other wasm2c's before the copy
  t.regex(source, /#define FEWMUL_HOT_KNOWN_ALIGNED\(t, at, wa\)[^\n]*\n\s*\(__builtin_constant_p\(FEWMUL_HOT_ALIGNED\(t, at, wa\)\) && FEWMUL_HOT_ALIGNED\(t, at, wa\)\)/);
  t.regex(source, /#define FEWMUL_HOT_ACCESS\(t, at, wa, checkAligned, check, aligned, misaligned\)[^\n]*\n\s*if \(FEWMUL_HOT_KNOWN_ALIGNED\(t, at, wa\)\) \{[^\n]*\n\s*checkAligned;[^\n]*\n\s*aligned;[^\n]*\n\s*\} else \{[^\n]*\n\s*check;/);
  t.regex(source, /#define FEWMUL_HOT_READ\(var, at, wa, t, checkAligned, check\)[^\n]*\n\s*FEWMUL_HOT_ACCESS\(t, at, wa, checkAligned, check, FEWMUL_HOT_READ_ALIGNED\(var, at, t\),/);
  t.regex(source, /#define FEWMUL_HOT_WRITE\(at, wa, var, t, checkAligned, check\)[^\n]*\n\s*FEWMUL_HOT_ACCESS\(t, at, wa, checkAligned, check, FEWMUL_HOT_WRITE_ALIGNED\(at, var, t\),/);
  t.regex(source, /#define FEWMUL_AT_CHECK_ALIGNED\(mem, base, off, t\)[^\n]*\n\s*if \(UNLIKELY\(\(\(off\) \+ sizeof\(t\) > FEWMUL_MIN_BYTES && \(off\) \+ sizeof\(t\) > FEWMUL_SIZE\(mem\)\) \|\|[^\n]*\n\s*\(base\) >= FEWMUL_SIZE\(mem\) - \(u32\)\(\(off\) \+ sizeof\(t\) - FEWMUL_HOT_ALIGN\(t\)\)\)\)/);
  t.regex(source, /\n#define FEWMUL_MIN_BYTES 0u\n/, "no memory allocated here: no size is assumed");
  t.regex(source, /always_inline\)\) t3 name##_at\(wasm_rt_memory_t\* mem, u32 base, u64 off\)[^\n]*\n[^\n]*\n\s*u8\* at = FEWMUL_DATA\(mem\) \+ base \+ \(u32\)off;[^\n]*\n\s*FEWMUL_HOT_READ\(/);
  t.is(source.indexOf("FEWMUL_HOT_LOAD(i32_load,") > source.indexOf("DEFINE_STORE(i32_store"), true, "after the originals");
  const undone = source
    .replace(/_at\(&instance->w2c_memory, (w2c_\w+), 0u/g, "(&instance->w2c_memory, (u64)($1)")
    .replace(/_at\(&instance->w2c_memory, (w2c_\w+), (\d+)u/g, "(&instance->w2c_memory, (u64)($1) + $2u")
    .replace(/\n\/\* fewmul \(host\/boards\/wasm2c-hot\.ts\): i32\.ctz[\s\S]*?#endif\n/, "")
    .replace(/\n\/\* fewmul \(host\/boards\/wasm2c-hot\.ts\): i32\.clz[\s\S]*?#endif\n/, "")
    .replace(/\n\/\* fewmul \(host\/boards\/wasm2c-hot\.ts\): i64 shifts[\s\S]*?#endif\n/, "")
    .replace(/\n#define FEWMUL_MIN_BYTES 0u\n\n\/\* fewmul[\s\S]*FEWMUL_HOT_STORE\(i32_store, u32, u32\)\n/, "");
  t.is(undone, MODULE, "nothing else changes");
});

test("the 32-bit check relies on the memory's initial size only: one memory of N pages gives N * 65536", (t) => {
  const init = "\nvoid w2c_fewmul_init_memories(Z_fewmul_instance_t* instance) {\n  wasm_rt_allocate_memory(&instance->w2c_memory, 4, 65536);\n}\n";
  t.regex(inlineAccessorsInLoops(MODULE + init).source, /\n#define FEWMUL_MIN_BYTES 262144u\n/);
  t.regex(inlineAccessorsInLoops(MODULE.replace("\n#if WABT_BIG_ENDIAN", `${init}#if WABT_BIG_ENDIAN`)).source, /\n#define FEWMUL_MIN_BYTES 262144u\n/);
});

test("i32.ctz on Armv6-M: the de Bruijn table gives the index of every bit, 32 for 0", (t) => {
  const { source } = inlineAccessorsInLoops(MODULE);
  const table = /fewmul_ctz_table\[32\] = \{([^}]*)\}/.exec(source)![1].split(",").map(Number);
  const multiplier = Number(/\* (0x[0-9A-Fa-f]+)u\) >> 27/.exec(source)![1]);
  const ctz = (x: number) => (x === 0 ? 32 : table[Math.imul(x & -x, multiplier) >>> 27]);
  for (let k = 0; k < 32; k++) {
    t.is(ctz((1 << k) >>> 0), k);
    t.is(ctz((0xFFFFFFFF << k) >>> 0), k, "only the lowest set bit counts");
  }
  t.is(ctz(0), 32);
  t.regex(source, /u32 n = fewmul_ctz_table\[[^\n]*\];\n\s*if \(n > 31\) __builtin_unreachable\(\);[^\n]*\n\s*return x \? n : 32;/);
  t.regex(source, /#if defined\(__ARM_ARCH_6M__\)\n[\s\S]*#define I32_CTZ\(x\) fewmul_ctz32\(x\)\n#endif/, "Armv6-M only");
  t.true(source.indexOf("fewmul_ctz32") > source.indexOf("#define I64_CTZ"), "after wasm2c's own definition");
});

test("i32.clz on Armv6-M: the de Bruijn table gives the leading zeros of every value, 32 for 0", (t) => {
  const { source } = inlineAccessorsInLoops(MODULE);
  const table = /fewmul_clz_table\[32\] = \{([^}]*)\}/.exec(source)![1].split(",").map(Number);
  const multiplier = Number(/\(v \* (0x[0-9A-Fa-f]+)u\) >> 27/.exec(source)![1]);
  const clz = (x: number) => {
    if (x === 0) return 32;
    let v = x;
    v |= v >>> 1; v |= v >>> 2; v |= v >>> 4; v |= v >>> 8; v |= v >>> 16;
    return table[Math.imul(v, multiplier) >>> 27];
  };
  for (let k = 0; k < 32; k++) {
    t.is(clz((1 << k) >>> 0), 31 - k);
    t.is(clz((0xFFFFFFFF >>> (31 - k)) >>> 0), 31 - k, "every bit below the leading one set");
  }
  for (let x = 1; x < 1 << 12; x++) if (clz(x) !== Math.clz32(x)) { t.fail(`clz(${x})`); break; }
  t.is(clz(0), 32);
  t.regex(source, /return x \? fewmul_clz_table\[[^\n]*\] : 32;/);
  t.regex(source, /#if defined\(__ARM_ARCH_6M__\)\n[\s\S]*#define I32_CLZ\(x\) fewmul_clz32\(x\)\n#endif/, "Armv6-M only");
  t.true(source.indexOf("fewmul_clz32") > source.indexOf("#define I64_CTZ"), "after wasm2c's own definitions (I32_CLZ comes before I64_CTZ)");
});

test("another prelude is refused rather than rewritten", (t) => {
  t.throws(() => inlineAccessorsInLoops("static u32 w2c_f1(void) {\n}\n"), { message: /not the wasm2c 1\.0\.32 prelude/ });
});

test("a loop with more than six accesses keeps the out-of-line accessors", (t) => {
  const body = (n: number) => Array.from({ length: n }, (_, k) => `    i32_store(&instance->w2c_memory, (u64)(w2c_p0) + ${k}u, w2c_i0);`).join("\n");
  const loop = (name: string, n: number) => `
static void ${name}(Z_fewmul_instance_t* instance, u32 w2c_p0) {
  u32 w2c_i0;
  w2c_L1: 
${body(n)}
    if (w2c_i0) {goto w2c_L1;}
  FUNC_EPILOGUE;
}
`;
  const prelude = MODULE.slice(0, MODULE.indexOf("static u32 w2c_f1("));
  const { source, functions } = inlineAccessorsInLoops(prelude + loop("w2c_f8", 6) + loop("w2c_f9", 7));
  t.deepEqual(functions, ["w2c_f8"]);
  const f8 = source.slice(source.indexOf("static void w2c_f8("), source.indexOf("static void w2c_f9("));
  const f9 = source.slice(source.indexOf("static void w2c_f9("));
  t.is(f8.match(/i32_store_at\(/g)?.length, 6);
  t.is(f9.match(/_at\(|_hot\(/g), null);
});

test("each loop counts its own accesses: an outer loop inlines even around a large inner one", (t) => {
  const prelude = MODULE.slice(0, MODULE.indexOf("static u32 w2c_f1("));
  const stores = (n: number) => Array.from({ length: n }, (_, k) => `      i32_store(&instance->w2c_memory, (u64)(w2c_p0) + ${k}u, w2c_i0);`).join("\n");
  const nested = `
static void w2c_f7(Z_fewmul_instance_t* instance, u32 w2c_p0) {
  u32 w2c_i0;
  w2c_L1: 
    w2c_i0 = i32_load8_u(&instance->w2c_memory, (u64)(w2c_p0));
    w2c_L2: 
${stores(7)}
      if (w2c_i0) {goto w2c_L2;}
    w2c_i0 = i32_load(&instance->w2c_memory, (u64)(w2c_p0) + 8u);
    if (w2c_i0) {goto w2c_L1;}
  w2c_i0 = i32_load(&instance->w2c_memory, (u64)(w2c_p0));
  FUNC_EPILOGUE;
}
`;
  const { source } = inlineAccessorsInLoops(prelude + nested);
  const f7 = source.slice(source.indexOf("static void w2c_f7("));
  t.regex(f7, /= i32_load8_u_at\(&instance->w2c_memory, w2c_p0, 0u\);/, "the outer loop's own access");
  t.regex(f7, /= i32_load_at\(&instance->w2c_memory, w2c_p0, 8u\);/, "also after the inner loop");
  t.is(f7.match(/i32_store\(&instance/g)?.length, 7, "the inner loop's seven stay out of line");
  t.regex(f7, /\n  w2c_i0 = i32_load\(&instance->w2c_memory, \(u64\)\(w2c_p0\)\);/, "outside every loop: out of line");
});

test("i64 shifts by a variable amount: rewritten to the macros; the Armv6-M asm computes the 64-bit shift, the arithmetic one too", (t) => {
  const prelude = MODULE.slice(0, MODULE.indexOf("static u32 w2c_f1("));
  const fn = `
static u64 w2c_f5(Z_fewmul_instance_t* instance, u64 w2c_p0, u64 w2c_p1) {
  u64 w2c_j0, w2c_j1;
  w2c_j0 = w2c_p0;
  w2c_j1 = w2c_p1;
  w2c_j0 <<= (w2c_j1 & 63);
  w2c_j0 >>= (w2c_j1 & 63);
  w2c_j0 = (u64)((s64)w2c_j0 >> (w2c_j1 & 63));
  FUNC_EPILOGUE;
  return w2c_j0;
}
`;
  const { source } = inlineAccessorsInLoops(prelude + fn);
  const f5 = source.slice(source.indexOf("static u64 w2c_f5("));
  t.regex(f5, /\n  w2c_j0 = FEWMUL_I64_SHL\(w2c_j0, w2c_j1\);\n  w2c_j0 = FEWMUL_I64_SHR_U\(w2c_j0, w2c_j1\);\n/);
  t.regex(f5, /\n  w2c_j0 = FEWMUL_I64_SHR_S\(w2c_j0, w2c_j1\);\n/, "the arithmetic shift too");
  t.regex(source, /#else\n#define FEWMUL_I64_SHL\(x, s\) \(\(x\) << \(\(s\) & 63\)\)\n#define FEWMUL_I64_SHR_U\(x, s\) \(\(x\) >> \(\(s\) & 63\)\)\n#define FEWMUL_I64_SHR_S\(x, s\) \(\(u64\)\(\(s64\)\(x\) >> \(\(s\) & 63\)\)\)\n#endif/, "plain C elsewhere");
  // the arithmetic shift: the logical one on the value with its sign bits flipped, flipped back
  t.regex(source, /u64 m = \(u64\)\(\(s64\)v >> 63\);\n\s*return fewmul_shr64\(v \^ m, amount\) \^ m;/);

  // the asm templates, run with Thumb register-shift semantics (the amount's bottom byte; 32
  // and more shift everything out)
  const templates = (name: string) => {
    const body = source.slice(source.indexOf(`u64 ${name}(`), source.indexOf("\n}\n", source.indexOf(`u64 ${name}(`)));
    return [...body.matchAll(/__asm__\(((?:"[^"]*"\s*)+):/g)].map((m) =>
      [...m[1].matchAll(/"([^"]*)"/g)].map((s) => s[1]).join("").replace(/\\n/g, "\n").replace(/\\t/g, "").split("\n"));
  };
  const run = (code: string[], v: bigint, s: number) => {
    const reg: Record<string, number> = { "%Q0": Number(v & 0xFFFFFFFFn), "%R0": Number(v >> 32n), "%1": 0xDEAD, "%2": 0xBEEF, "%3": s };
    const val = (op: string) => (op.startsWith("#") ? Number(op.slice(1)) : reg[op]);
    for (const line of code) {
      const [, op, a, b] = /^(\w+) (%\w+), (%\w+|#\d+)$/.exec(line.trim())!;
      const x = reg[a], y = val(b);
      const by = y & 255;
      reg[a] = {
        lsl: by >= 32 ? 0 : (x << by) >>> 0, lsr: by >= 32 ? 0 : x >>> by, orr: (x | y) >>> 0,
        mov: y >>> 0, sub: (x - y) >>> 0, neg: (0 - y) >>> 0,
      }[op]!;
      t.not(reg[a], undefined, line);
    }
    return (BigInt(reg["%R0"]) << 32n) | BigInt(reg["%Q0"]);
  };
  const [short, shl] = templates("fewmul_shl64");
  const [shr] = templates("fewmul_shr64");
  const mask = (1n << 64n) - 1n;
  const values = [0n, 1n, mask, 0x8000000000000000n, 0x00000000FFFFFFFFn, 0xFFFFFFFF00000000n, 0x0123456789ABCDEFn, 0xFEDCBA9876543210n];
  for (const v of values) {
    for (let s = 0; s < 64; s++) {
      t.is(run(shl, v, s), (v << BigInt(s)) & mask, `shl ${v} ${s}`);
      t.is(run(shr, v, s), v >> BigInt(s), `shr ${v} ${s}`);
      const m = v >> 63n ? mask : 0n; // the sign bits, as fewmul_sar64 forms them
      t.is(run(shr, v ^ m, s) ^ m, BigInt.asUintN(64, BigInt.asIntN(64, v) >> BigInt(s)), `sar ${v} ${s}`);
      if (s <= 32) t.is(run(short, v, s), (v << BigInt(s)) & mask, `shl (at most 32) ${v} ${s}`);
    }
  }
});

test("the aligned range check is wasm2c's for every address that is a multiple of the alignment", (t) => {
  // a + n > size (wasm2c) against a >= size - (n - A) (FEWMUL_*_CHECK_ALIGNED), A = min(n, 4),
  // for sizes of whole pages and addresses around the end
  for (const size of [65536, 131072, 262144]) {
    for (const n of [1, 2, 4, 8]) {
      const A = Math.min(n, 4);
      for (let a = size - 64; a <= size + 64; a += A) t.is(a >= size - (n - A), a + n > size, `size ${size} n ${n} a ${a}`);
    }
  }
});
