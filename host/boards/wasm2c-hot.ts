// wasm2c 1.0.32 compiles every Wasm load and store into a call of a small `static inline`
// accessor (range check + copy). At -Os gcc keeps the accessors out of line: on the Cortex-M0+,
// whose calls cost a push/pop and whose 64-bit address check is four instructions more, half of
// a training step's cycles went into them (bench/README.md). Inlining them everywhere costs
// 13 KB of text (over the Pico's 32 KB budget); inlining them only inside innermost loops,
// where the kernels spend their time, costs a fraction of that. This rewrites the generated
// module.c accordingly: an always-inline `<accessor>_hot` copy of each accessor, with wasm2c's
// own body (same range check, same bytes), called inside small innermost loops (from a loop's
// label to its last `goto`, with no loop inside, at most MAX_SITES_PER_LOOP accesses); elsewhere
// the out-of-line accessor stays.
// Only the choice of call changes, never what is computed.

/** The accessor instantiations of the little-endian prelude, e.g. `DEFINE_LOAD(i32_load, u32, u32, u32)`. */
const INSTANCE = /^DEFINE_(LOAD|STORE)\((\w+), [^)]*\)$/gm;
/** The first line of a function's declaration or definition in wasm2c 1.0.32 output (long
 * parameter lists wrap: the declaration ends at ";", the definition's head at ") {"). */
const HEAD = /^(?:static )?[\w* ]+\b(w2c_\w+|Z_\w+)\(/;
/** A loop's label: wasm2c names the label at the head of a Wasm `loop` w2c_L<n>; the loop
 * repeats by `goto w2c_L<n>;`. */
const LOOP_LABEL = /^\s*(w2c_L\d+):/;
const ACCESS_CALL = /\bi(32|64)_(load|store)\w*\(/g;
/** Inline only in small innermost loops: on 784-32-10 (rp2040js), loops of up to 6 accesses
 * gave the same cycles per training sample as up to 8 or 12 and fewer than no limit (859,160
 * vs 877,937: large inlined bodies spill registers), for 2.1 KB less text than no limit. */
const MAX_SITES_PER_LOOP = 6;

/** Per line of a function: inside an innermost loop (from a loop's label to its last `goto`,
 * with no other loop's label in between)? */
function loopLines(body: string[]): boolean[] {
  const inLoop = body.map(() => false);
  body.forEach((line, start) => {
    const label = LOOP_LABEL.exec(line)?.[1];
    if (!label) return;
    let end = -1;
    body.forEach((l, k) => { if (l.includes(`goto ${label};`)) end = k; });
    if (body.slice(start + 1, end).some((l) => LOOP_LABEL.test(l))) return; // an outer loop
    const sites = body.slice(start, end + 1).reduce((n, l) => n + (l.match(ACCESS_CALL) ?? []).length, 0);
    if (sites > MAX_SITES_PER_LOOP) return; // a large body: the call is a small part of it
    for (let k = start; k <= end; k++) inLoop[k] = true;
  });
  return inLoop;
}

const HOT_MACROS = `
/* fewmul (host/boards/wasm2c-hot.ts): always-inline copies of the accessors above, with their
 * bodies, for the functions that contain a loop */
#define FEWMUL_HOT_LOAD(name, t1, t2, t3)                                                   \\
  static inline __attribute__((always_inline)) t3 name##_hot(wasm_rt_memory_t* mem, u64 addr) { \\
    MEMCHECK(mem, addr, t1);                                                                \\
    t1 result;                                                                              \\
    wasm_rt_memcpy(&result, &mem->data[addr], sizeof(t1));                                  \\
    wasm_asm("" ::"r"(result));                                                             \\
    return (t3)(t2)result;                                                                  \\
  }
#define FEWMUL_HOT_STORE(name, t1, t2)                                                      \\
  static inline __attribute__((always_inline)) void name##_hot(wasm_rt_memory_t* mem, u64 addr, t2 value) { \\
    MEMCHECK(mem, addr, t1);                                                                \\
    t1 wrapped = (t1)value;                                                                 \\
    wasm_rt_memcpy(&mem->data[addr], &wrapped, sizeof(t1));                                 \\
  }
`;

export interface HotRewrite {
  source: string;
  /** Functions with a loop (whose accessor calls inside loops now inline). */
  functions: string[];
}

/**
 * Rewrites wasm2c 1.0.32 output (little-endian prelude) as described above. Throws if the
 * prelude is not the expected one, so a wabt upgrade cannot silently change the result.
 */
export function inlineAccessorsInLoops(source: string): HotRewrite {
  const instances = [...source.matchAll(INSTANCE)];
  const littleEndian = source.lastIndexOf("#else\nstatic inline void load_data(");
  if (instances.length < 2 || littleEndian < 0) throw new Error("module.c: not the wasm2c 1.0.32 prelude (DEFINE_LOAD/DEFINE_STORE)");
  const names = instances.map((m) => m[2]);
  const last = instances[instances.length - 1];
  const end = last.index! + last[0].length;
  const copies = instances.map((m) => m[0].replace(/^DEFINE_/, "FEWMUL_HOT_")).join("\n");
  const prelude = `${source.slice(0, end)}\n${HOT_MACROS}${copies}\n`;

  const call = new RegExp(`\\b(${names.join("|")})\\(`, "g");
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
    out.push(...body.map((line, k) => (inLoop[k] ? line.replace(call, "$1_hot(") : line)));
    i = j;
  }
  return { source: prelude + out.join("\n"), functions };
}
