// The rewrite of wasm2c 1.0.32 output that inlines the memory accessors in functions with loops
// (host/boards/wasm2c-hot.ts): which calls change, that the copies carry wasm2c's own bodies, and
// that an unknown prelude is refused. test/boards/pico.test.ts runs the rewritten firmware
// bit-identically against Node.
import test from "ava";
import { inlineAccessorsInLoops } from "../../host/boards/wasm2c-hot.ts";

// the shape of wasm2c 1.0.32's prelude and function bodies, shortened
const MODULE = `#if WABT_BIG_ENDIAN
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

test("accessor calls inline only in functions with a loop; the copies are wasm2c's bodies, always inline", (t) => {
  const { source, functions } = inlineAccessorsInLoops(MODULE);
  t.deepEqual(functions, ["w2c_f2"]);
  const f1 = source.slice(source.indexOf("static u32 w2c_f1("), source.indexOf("static void w2c_f2("));
  const f2 = source.slice(source.indexOf("static void w2c_f2("));
  t.true(source.includes("static void w2c_f3(Z_fewmul_instance_t*, u32, u32, u32, u32, u32, u32, u32, u32, u32, u32, \n    u32);"), "a wrapped declaration stays");
  t.regex(f1, /= i32_load\(&instance/, "no loop: the out-of-line accessor");
  t.regex(f2, /= i32_load8_u_hot\(&instance->w2c_memory, \(u64\)\(w2c_p0\) \+ 4u\)/);
  t.regex(f2, /\bi32_store_hot\(&instance->w2c_memory, \(u64\)\(w2c_p0\), w2c_i0\)/);
  t.regex(f2, /= w2c_f1\(instance, w2c_i0\)/, "calls of other functions untouched");
  for (const line of ["FEWMUL_HOT_LOAD(i32_load, u32, u32, u32)", "FEWMUL_HOT_LOAD(i32_load8_u, u8, u32, u32)", "FEWMUL_HOT_STORE(i32_store, u32, u32)"]) {
    t.true(source.includes(line), line);
  }
  t.regex(source, /always_inline\)\) t3 name##_hot[\s\S]*MEMCHECK\(mem, addr, t1\);[\s\S]*wasm_rt_memcpy\(&result, &mem->data\[addr\], sizeof\(t1\)\)/);
  t.is(source.indexOf("FEWMUL_HOT_LOAD(i32_load,") > source.indexOf("DEFINE_STORE(i32_store"), true, "after the originals");
  t.is(source.replace(/_hot\(/g, "(").replace(/\n\n\/\* fewmul[\s\S]*FEWMUL_HOT_STORE\(i32_store, u32, u32\)\n/, ""), MODULE, "nothing else changes");
});

test("another prelude is refused rather than rewritten", (t) => {
  t.throws(() => inlineAccessorsInLoops("static u32 w2c_f1(void) {\n}\n"), { message: /not the wasm2c 1\.0\.32 prelude/ });
});

test("an innermost loop with more than six accesses keeps the out-of-line accessors", (t) => {
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
  t.is(f8.match(/i32_store_hot\(/g)?.length, 6);
  t.is(f9.match(/_hot\(/g), null);
});
