// wasm2c 1.0.32 compiles every Wasm load and store into a call of a small `static inline`
// accessor (range check + copy). At -Os gcc keeps the accessors out of line: on the Cortex-M0+,
// whose calls cost a push/pop and whose 64-bit address check is four instructions more, half of
// a training step's cycles went into them (bench/README.md). Inlining them everywhere costs
// 13 KB of text (over the Pico's 32 KB budget); inlining them only inside small loops,
// where the kernels spend their time, costs a fraction of that. This rewrites the generated
// module.c accordingly: always-inline copies of each accessor with wasm2c's range check (same
// traps, same bytes), called inside loops whose own body (from a loop's label to its last
// `goto`, nested loops counted apart) has at most MAX_SITES_PER_LOOP accesses; elsewhere the
// out-of-line accessor stays. The copies take wasm2c's address `(u64)(base) + offset` as a 32-bit base and the
// constant apart (`<accessor>_at`), so the check is one 32-bit compare instead of 64-bit
// arithmetic that the M0+'s eight low registers spill; where gcc knows an access aligned, the
// check compares with the size itself (FEWMUL_*_CHECK_ALIGNED). On Armv6-M, i32.ctz and i32.clz
// also get tables instead of libgcc calls (CTZ_V6M, CLZ_V6M), and i64 shifts by a variable
// amount (logical and arithmetic) inline asm instead of libgcc calls (SHIFT64_V6M).
// Only the code that computes changes, never what is computed.

/** The accessor instantiations of the little-endian prelude, e.g. `DEFINE_LOAD(i32_load, u32, u32, u32)`. */
const INSTANCE = /^DEFINE_(LOAD|STORE)\((\w+), [^)]*\)$/gm;
/** The first line of a function's declaration or definition in wasm2c 1.0.32 output (long
 * parameter lists wrap: the declaration ends at ";", the definition's head at ") {"). */
const HEAD = /^(?:static )?[\w* ]+\b(w2c_\w+|Z_\w+)\(/;
/** A loop's label: wasm2c names the label at the head of a Wasm `loop` w2c_L<n>; the loop
 * repeats by `goto w2c_L<n>;`. */
const LOOP_LABEL = /^\s*(w2c_L\d+):/;
const ACCESS_CALL = /\bi(32|64)_(load|store)\w*\(/g;
/** Inline only in small loops: on 784-32-10 (rp2040js), innermost loops of up to 6 accesses
 * gave the same cycles per training sample as up to 8 or 12 and fewer than no limit (859,160
 * vs 877,937: large inlined bodies spill registers), for 2.1 KB less text than no limit. With
 * the 32-bit check, counting each loop's own accesses (without its nested loops, which count for
 * themselves), so that outer loops such as the update kernel's sample list and the forward
 * pass's input column inline too, took 7.5 % fewer cycles than innermost loops only (41.8 M ->
 * 39.7 M -> 37.8 M per two steps): 4 sites gave 39.3 M, 8 the same as 6 for 500 B more text. */
const MAX_SITES_PER_LOOP = 6;

/** Per line of a function: in the own body of a loop (from a loop's label to its last `goto`,
 * without the loops nested in it) of at most MAX_SITES_PER_LOOP accesses? */
function loopLines(body: string[]): boolean[] {
  const inLoop = body.map(() => false);
  body.forEach((line, start) => {
    const label = LOOP_LABEL.exec(line)?.[1];
    if (!label) return;
    let end = -1;
    body.forEach((l, k) => { if (l.includes(`goto ${label};`)) end = k; });
    // the loop's own lines: its label and body without the nested loops (each counts for itself)
    const own = [start];
    for (let k = start + 1; k <= end; k++) {
      const inner = LOOP_LABEL.exec(body[k])?.[1];
      if (!inner) { own.push(k); continue; }
      for (let m = end; m > k; m--) if (body[m].includes(`goto ${inner};`)) { k = m; break; }
    }
    const sites = own.reduce((n, k) => n + (body[k].match(ACCESS_CALL) ?? []).length, 0);
    if (sites > MAX_SITES_PER_LOOP) return; // a large body: the call is a small part of it
    for (const k of own) inLoop[k] = true;
  });
  return inLoop;
}

const HOT_MACROS = `
/* fewmul (host/boards/wasm2c-hot.ts): always-inline copies of the accessors above, for small
 * loops. Same range check as MEMCHECK (addr + n > size traps), written in 32-bit arithmetic:
 * addr > size - n, where size >= FEWMUL_MIN_BYTES (the memory's initial size; it never shrinks)
 * leaves size - n >= 0 for every n up to it. On Armv6-M the alignment test is on the
 * linear-memory address only (the copy's local is aligned anyway). Same bytes, same traps. */
#if defined(__ARM_ARCH_6M__) && !defined(FEWMUL_WASM_RT_NO_ALIGNED_ACCESS)
#define FEWMUL_HOT_ALIGN(t) (sizeof(t) > 4 ? 4 : sizeof(t))
/* The value is read into / written from the local itself, whose address is taken only on the
 * misaligned path, so gcc keeps it in registers (no store and reload through the stack).
 * checkAligned: the range check for an address that is a multiple of FEWMUL_HOT_ALIGN(t);
 * check: wasm2c's, for any address. */
#define FEWMUL_HOT_ALIGNED(t, at, wa) (sizeof(t) == 1 || (FEWMUL_ALIGN_OF(at, wa) & (FEWMUL_HOT_ALIGN(t) - 1)) == 0)
#define FEWMUL_HOT_READ_ALIGNED(var, at, t)                                                 \\
  {                                                                                         \\
    typedef t __attribute__((aligned(FEWMUL_HOT_ALIGN(t)), may_alias)) fewmul_hot_t;        \\
    var = *(const fewmul_hot_t*)(at);                                                       \\
  }
#define FEWMUL_HOT_WRITE_ALIGNED(at, var, t)                                                \\
  {                                                                                         \\
    typedef t __attribute__((aligned(FEWMUL_HOT_ALIGN(t)), may_alias)) fewmul_hot_t;        \\
    *(fewmul_hot_t*)(at) = var;                                                             \\
  }
#define FEWMUL_HOT_READ_MISALIGNED(var, at, t)                                              \\
  {                                                                                         \\
    t fewmul_tmp;                                                                           \\
    fewmul_misaligned_copy(&fewmul_tmp, at, sizeof(t));                                     \\
    var = fewmul_tmp;                                                                       \\
  }
#define FEWMUL_HOT_WRITE_MISALIGNED(at, var, t)                                             \\
  {                                                                                         \\
    t fewmul_tmp = var;                                                                     \\
    fewmul_misaligned_copy(at, &fewmul_tmp, sizeof(t));                                     \\
  }
/* An access gcc knows to be aligned (the kernels mask their pointers) takes checkAligned; any
 * other keeps wasm2c's check and then tests the alignment (checking on both paths instead cost
 * the float32 module 1.5 % more cycles on the M0+). */
#define FEWMUL_HOT_KNOWN_ALIGNED(t, at, wa)                                                 \\
  (__builtin_constant_p(FEWMUL_HOT_ALIGNED(t, at, wa)) && FEWMUL_HOT_ALIGNED(t, at, wa))
#define FEWMUL_HOT_ACCESS(t, at, wa, checkAligned, check, aligned, misaligned)              \\
  if (FEWMUL_HOT_KNOWN_ALIGNED(t, at, wa)) {                                                \\
    checkAligned;                                                                           \\
    aligned;                                                                                \\
  } else {                                                                                  \\
    check;                                                                                  \\
    if (FEWMUL_HOT_ALIGNED(t, at, wa)) aligned                                              \\
    else misaligned                                                                         \\
  }
#define FEWMUL_HOT_READ(var, at, wa, t, checkAligned, check)                                \\
  FEWMUL_HOT_ACCESS(t, at, wa, checkAligned, check, FEWMUL_HOT_READ_ALIGNED(var, at, t),    \\
                    FEWMUL_HOT_READ_MISALIGNED(var, at, t))
#define FEWMUL_HOT_WRITE(at, wa, var, t, checkAligned, check)                               \\
  FEWMUL_HOT_ACCESS(t, at, wa, checkAligned, check, FEWMUL_HOT_WRITE_ALIGNED(at, var, t),   \\
                    FEWMUL_HOT_WRITE_MISALIGNED(at, var, t))
#else
#define FEWMUL_HOT_ALIGN(t) 1
#define FEWMUL_HOT_READ(var, at, wa, t, checkAligned, check) check; wasm_rt_memcpy(&(var), at, sizeof(t));
#define FEWMUL_HOT_WRITE(at, wa, var, t, checkAligned, check) check; wasm_rt_memcpy(at, &(var), sizeof(t));
#endif
/* The firmware's runtime (boards/firmware/wasm_rt_baremetal.h) exports the one memory's data
 * and size as globals: a store into that array cannot change the size, so gcc keeps both in
 * registers over a loop instead of reloading them from the memory struct after every store. */
#ifdef FEWMUL_LINEAR_GLOBALS
#define FEWMUL_DATA(mem) fewmul_linear_memory
#define FEWMUL_SIZE(mem) fewmul_linear_size
/* The array is 8-aligned, so an access is as aligned as its Wasm address: testing that one
 * instead of the pointer, gcc sees that base + 8 is aligned when base is (a block's four i64
 * loads: one test). */
#define FEWMUL_ALIGN_OF(at, wa) (wa)
#else
#define FEWMUL_DATA(mem) ((mem)->data)
#define FEWMUL_SIZE(mem) ((mem)->size)
#define FEWMUL_ALIGN_OF(at, wa) ((uintptr_t)(at))
#endif
#define FEWMUL_HOT_CHECK(mem, addr, t)                                                      \\
  if (UNLIKELY((u32)((addr) >> 32) != 0 ||                                                  \\
               (sizeof(t) > FEWMUL_MIN_BYTES && sizeof(t) > FEWMUL_SIZE(mem)) ||            \\
               (u32)(addr) > FEWMUL_SIZE(mem) - (u32)sizeof(t)))                            \\
    TRAP(OOB);
/* base + off + n > size, for a 32-bit base and wasm2c's constant offset: when off + n is within
 * FEWMUL_MIN_BYTES (folded at compile time) only base > size - (off + n) remains to test. */
#define FEWMUL_AT_CHECK(mem, base, off, t)                                                  \\
  if (UNLIKELY(((off) + sizeof(t) > FEWMUL_MIN_BYTES && (off) + sizeof(t) > FEWMUL_SIZE(mem)) || \\
               (base) > FEWMUL_SIZE(mem) - (u32)((off) + sizeof(t))))                       \\
    TRAP(OOB);
/* The same tests for an address a that is a multiple of A = FEWMUL_HOT_ALIGN(t): the size is
 * a multiple of 65536 (whole pages), so a + n > size is a >= size - (n - A), which is a >= size
 * for n <= 4: one compare with the size itself instead of with size - n, one value fewer to
 * keep live across a loop (-1 instruction per access at offset 0). */
#define FEWMUL_HOT_CHECK_ALIGNED(mem, addr, t)                                              \\
  if (UNLIKELY((u32)((addr) >> 32) != 0 ||                                                  \\
               (sizeof(t) > FEWMUL_MIN_BYTES && sizeof(t) > FEWMUL_SIZE(mem)) ||            \\
               (u32)(addr) >= FEWMUL_SIZE(mem) - (u32)(sizeof(t) - FEWMUL_HOT_ALIGN(t))))   \\
    TRAP(OOB);
#define FEWMUL_AT_CHECK_ALIGNED(mem, base, off, t)                                          \\
  if (UNLIKELY(((off) + sizeof(t) > FEWMUL_MIN_BYTES && (off) + sizeof(t) > FEWMUL_SIZE(mem)) || \\
               (base) >= FEWMUL_SIZE(mem) - (u32)((off) + sizeof(t) - FEWMUL_HOT_ALIGN(t)))) \\
    TRAP(OOB);
#define FEWMUL_HOT_LOAD(name, t1, t2, t3)                                                   \\
  static inline __attribute__((always_inline)) t3 name##_hot(wasm_rt_memory_t* mem, u64 addr) { \\
    t1 result;                                                                              \\
    u8* at = FEWMUL_DATA(mem) + (u32)addr;                                                  \\
    FEWMUL_HOT_READ(result, at, (u32)addr, t1, FEWMUL_HOT_CHECK_ALIGNED(mem, addr, t1),    \\
                    FEWMUL_HOT_CHECK(mem, addr, t1));                                             \\
    wasm_asm("" ::"r"(result));                                                             \\
    return (t3)(t2)result;                                                                  \\
  }                                                                                         \\
  static inline __attribute__((always_inline)) t3 name##_at(wasm_rt_memory_t* mem, u32 base, u64 off) { \\
    t1 result;                                                                              \\
    u8* at = FEWMUL_DATA(mem) + base + (u32)off;                                            \\
    FEWMUL_HOT_READ(result, at, base + (u32)off, t1, FEWMUL_AT_CHECK_ALIGNED(mem, base, off, t1), \\
                    FEWMUL_AT_CHECK(mem, base, off, t1));                                       \\
    wasm_asm("" ::"r"(result));                                                             \\
    return (t3)(t2)result;                                                                  \\
  }
#define FEWMUL_HOT_STORE(name, t1, t2)                                                      \\
  static inline __attribute__((always_inline)) void name##_hot(wasm_rt_memory_t* mem, u64 addr, t2 value) { \\
    t1 wrapped = (t1)value;                                                                 \\
    u8* at = FEWMUL_DATA(mem) + (u32)addr;                                                  \\
    FEWMUL_HOT_WRITE(at, (u32)addr, wrapped, t1, FEWMUL_HOT_CHECK_ALIGNED(mem, addr, t1),  \\
                     FEWMUL_HOT_CHECK(mem, addr, t1));                                           \\
  }                                                                                         \\
  static inline __attribute__((always_inline)) void name##_at(wasm_rt_memory_t* mem, u32 base, u64 off, t2 value) { \\
    t1 wrapped = (t1)value;                                                                 \\
    u8* at = FEWMUL_DATA(mem) + base + (u32)off;                                            \\
    FEWMUL_HOT_WRITE(at, base + (u32)off, wrapped, t1, FEWMUL_AT_CHECK_ALIGNED(mem, base, off, t1), \\
                     FEWMUL_AT_CHECK(mem, base, off, t1));                                     \\
  }
`;

/** Armv6-M has no CLZ/RBIT: gcc's __builtin_ctz is a libgcc call (__ctzsi2), and the kernels'
 * set-bit walks call it once per set bit (6.5 % of a training step's cycles on the Pico). The
 * lowest set bit times a de Bruijn constant indexes a 32-entry table instead (MULS is one cycle on
 * the RP2040; the multiply is the firmware's, not the module's). Same value for every input,
 * 32 for 0 as Wasm's i32.ctz. */
const CTZ_V6M = `
/* fewmul (host/boards/wasm2c-hot.ts): i32.ctz without a libgcc call on Armv6-M */
#if defined(__ARM_ARCH_6M__)
static const u8 fewmul_ctz_table[32] = {0, 1, 28, 2, 29, 14, 24, 3, 30, 22, 20, 15, 25, 17, 4, 8,
                                        31, 27, 13, 23, 21, 19, 16, 7, 26, 12, 18, 6, 11, 5, 10, 9};
static inline __attribute__((always_inline)) u32 fewmul_ctz32(u32 x) {
  u32 n = fewmul_ctz_table[((x & (0u - x)) * 0x077CB531u) >> 27];
  if (n > 31) __builtin_unreachable(); /* the table's range: an i64 shift by it needs no mask */
  return x ? n : 32;
}
#undef I32_CTZ
#define I32_CTZ(x) fewmul_ctz32(x)
#endif
`;
/** i32.clz likewise (QBP's exponents, once per listed input: __clzsi2 took 1 % of a training
 * step's cycles): the bits below the leading one set, then a de Bruijn product indexes a table
 * of 31 - floor(log2 x). Same value for every input, 32 for 0 as Wasm's i32.clz. */
const CLZ_V6M = `
/* fewmul (host/boards/wasm2c-hot.ts): i32.clz without a libgcc call on Armv6-M */
#if defined(__ARM_ARCH_6M__)
static const u8 fewmul_clz_table[32] = {31, 22, 30, 21, 18, 10, 29, 2, 20, 17, 15, 13, 9, 6, 28, 1,
                                        23, 19, 11, 3, 16, 14, 7, 24, 12, 4, 8, 25, 5, 26, 27, 0};
static inline __attribute__((always_inline)) u32 fewmul_clz32(u32 x) {
  u32 v = x;
  v |= v >> 1; v |= v >> 2; v |= v >> 4; v |= v >> 8; v |= v >> 16;
  return x ? fewmul_clz_table[(v * 0x07C4ACDDu) >> 27] : 32;
}
#undef I32_CLZ
#define I32_CLZ(x) fewmul_clz32(x)
#endif
`;
/** Armv6-M has no 64-bit shifts: gcc calls libgcc's __aeabi_llsl / llsr / lasr for every i64
 * shift by a variable amount, and the update kernel shifts four i64 sums per set bit (QBP's
 * `load<i64>(q) << t`): 6.6 % of a training step's cycles in __ashldi3 alone, plus the call's
 * argument moves and the spills of r0-r3/ip/lr around it. The same instructions inline: a
 * register shift uses the amount's bottom byte, and amounts of 32 to 255 give 0, so
 * hi << s | lo << (s - 32) | lo >> (32 - s) is the 64-bit shift for every s in 0..63 without a
 * branch (libgcc's own sequence). Same value for every input. */
const SHIFT64_V6M = `
/* fewmul (host/boards/wasm2c-hot.ts): i64 shifts by a variable amount without a libgcc call
 * on Armv6-M */
#if defined(__ARM_ARCH_6M__)
/* one asm statement on the register pair (%Q: low word, %R: high word): split into 32-bit C
 * halves, gcc moves the pair through the stack. Divided syntax (gcc's for inline asm on
 * Thumb-1): lsl/lsr/orr/neg/sub here are the 16-bit flag-setting forms. */
static inline __attribute__((always_inline)) u64 fewmul_shl64(u64 v, u64 amount) {
  u32 s = (u32)amount & 63, t, u;
  if (__builtin_constant_p(s <= 32) && s <= 32) {
    /* an amount known to be at most 32 (i32.ctz's): lo << (s - 32) is 0 or, for 32, lo again */
    __asm__("lsl %R0, %3\\n\\tmov %1, %Q0\\n\\tmov %2, #32\\n\\tsub %2, %3\\n\\tlsr %1, %2\\n\\torr %R0, %1\\n\\t"
            "lsl %Q0, %3"
            : "+l"(v), "=&l"(t), "=&l"(u) : "l"(s) : "cc");
    return v;
  }
  __asm__("lsl %R0, %3\\n\\tmov %1, %Q0\\n\\tmov %2, %3\\n\\tsub %2, #32\\n\\tlsl %1, %2\\n\\torr %R0, %1\\n\\t"
          "neg %2, %2\\n\\tmov %1, %Q0\\n\\tlsr %1, %2\\n\\torr %R0, %1\\n\\tlsl %Q0, %3"
          : "+l"(v), "=&l"(t), "=&l"(u) : "l"(s) : "cc");
  return v;
}
static inline __attribute__((always_inline)) u64 fewmul_shr64(u64 v, u64 amount) {
  u32 s = (u32)amount & 63, t, u;
  __asm__("lsr %Q0, %3\\n\\tmov %1, %R0\\n\\tmov %2, %3\\n\\tsub %2, #32\\n\\tlsr %1, %2\\n\\torr %Q0, %1\\n\\t"
          "neg %2, %2\\n\\tmov %1, %R0\\n\\tlsl %1, %2\\n\\torr %Q0, %1\\n\\tlsr %R0, %3"
          : "+l"(v), "=&l"(t), "=&l"(u) : "l"(s) : "cc");
  return v;
}
/* the arithmetic shift is the logical one of the value with its sign bits flipped, flipped
 * back: (v ^ m) >> s ^ m with m all sign bits (a shift by the constant 63, no call) */
static inline __attribute__((always_inline)) u64 fewmul_sar64(u64 v, u64 amount) {
  u64 m = (u64)((s64)v >> 63);
  return fewmul_shr64(v ^ m, amount) ^ m;
}
#define FEWMUL_I64_SHL(x, s) fewmul_shl64(x, s)
#define FEWMUL_I64_SHR_U(x, s) fewmul_shr64(x, s)
#define FEWMUL_I64_SHR_S(x, s) fewmul_sar64(x, s)
#else
#define FEWMUL_I64_SHL(x, s) ((x) << ((s) & 63))
#define FEWMUL_I64_SHR_U(x, s) ((x) >> ((s) & 63))
#define FEWMUL_I64_SHR_S(x, s) ((u64)((s64)(x) >> ((s) & 63)))
#endif
`;
/** wasm2c's i64.shl and i64.shr_u by a variable amount, e.g. `w2c_j1 <<= (w2c_j2 & 63);`. */
const SHIFT64 = /\b(w2c_j\d+) (<<|>>)= \((w2c_j\d+) & 63\);/g;
/** wasm2c's i64.shr_s by a variable amount: `w2c_j1 = (u64)((s64)w2c_j1 >> (w2c_j2 & 63));`. */
const SAR64 = /\b(w2c_j\d+) = \(u64\)\(\(s64\)(w2c_j\d+) >> \((w2c_j\d+) & 63\)\);/g;

const CTZ_AFTER = "#define I64_CTZ(x) ((x) ? __builtin_ctzll(x) : 64)";

export interface HotRewrite {
  source: string;
  /** Functions with a loop (whose accessor calls inside loops now inline). */
  functions: string[];
}

/**
 * Rewrites wasm2c 1.0.32 output (little-endian prelude) as described above. Throws if the
 * prelude is not the expected one, so a wabt upgrade cannot silently change the result.
 */
export function inlineAccessorsInLoops(generated: string): HotRewrite {
  let source = generated;
  const ctzAt = source.indexOf(CTZ_AFTER);
  const ctzEnd = source.indexOf("#endif\n", ctzAt);
  if (ctzAt < 0 || ctzEnd < 0) throw new Error("module.c: not the wasm2c 1.0.32 prelude (I32_CTZ)");
  source = source.slice(0, ctzEnd + 7) + CTZ_V6M + CLZ_V6M + SHIFT64_V6M + source.slice(ctzEnd + 7);
  const instances = [...source.matchAll(INSTANCE)];
  const littleEndian = source.lastIndexOf("#else\nstatic inline void load_data(");
  if (instances.length < 2 || littleEndian < 0) throw new Error("module.c: not the wasm2c 1.0.32 prelude (DEFINE_LOAD/DEFINE_STORE)");
  const names = instances.map((m) => m[2]);
  const last = instances[instances.length - 1];
  const end = last.index! + last[0].length;
  const copies = instances.map((m) => m[0].replace(/^DEFINE_/, "FEWMUL_HOT_")).join("\n");
  // the initial size of the module's one memory (0 when it imports one or declares none)
  const pages = [...source.matchAll(/wasm_rt_allocate_memory\(&instance->w2c_memory, (\d+), /g)].map((m) => Number(m[1]));
  const minBytes = pages.length === 1 ? pages[0] * 65536 : 0;
  const prelude = `${source.slice(0, end)}\n#define FEWMUL_MIN_BYTES ${minBytes}u\n${HOT_MACROS}${copies}\n`;

  const call = new RegExp(`\\b(${names.join("|")})\\(`, "g");
  // wasm2c's address argument, \`(u64)(w2c_i1) + 8u\`: the 32-bit base and the constant apart
  const atCall = new RegExp(`\\b(${names.join("|")})\\(&instance->w2c_memory, \\(u64\\)\\((w2c_\\w+)\\)(?: \\+ (\\d+)u?)?(?=[,)])`, "g");
  const lines = source.slice(end).split("\n");
  const functions: string[] = [];
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const head = HEAD.exec(lines[i]);
    let open = i;
    while (head && open < lines.length && !lines[open].endsWith(";") && !lines[open].endsWith(") {")) open++;
    if (!head || !lines[open]?.endsWith(") {")) { out.push(lines[i]); continue; }
    let j = open + 1;
    while (j < lines.length && lines[j] !== "}") j++;
    const body = lines.slice(i, j + 1);
    const inLoop = loopLines(body);
    if (inLoop.some(Boolean)) functions.push(head[1]);
    out.push(...body.map((line, k) => (inLoop[k] ? line.replace(atCall, (_, name, base, off) => `${name}_at(&instance->w2c_memory, ${base}, ${off ?? 0}u`).replace(call, "$1_hot(") : line)
      .replace(SHIFT64, (_, x, op, amount) => `${x} = FEWMUL_I64_${op === "<<" ? "SHL" : "SHR_U"}(${x}, ${amount});`)
      .replace(SAR64, (_, x, v, amount) => `${x} = FEWMUL_I64_SHR_S(${v}, ${amount});`)));
    i = j;
  }
  return { source: prelude + out.join("\n"), functions };
}
