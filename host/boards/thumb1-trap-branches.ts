// Range checks on the Cortex-M0+: every inlined Wasm memory access tests its address and calls
// wasm_rt_trap when it is out of bounds (wasm2c-hot.ts). gcc gathers the trap calls at one place
// per function, usually more than the 256 bytes a Thumb-1 conditional branch reaches, and then
// writes each check as a branch over a long jump:
//
//     bls   .LCB12        @ taken on every in-bounds access: 2 cycles
//     b     .L45          @ long jump to the trap
//   .LCB12:
//
// This rewrites gcc's assembly so that the in-bounds path falls through (1 cycle) and the
// out-of-bounds one branches to a copy of the trap call (`movs r0, #code; bl wasm_rt_trap`)
// placed after a nearby instruction that never falls through (b, bx, pop {..pc}, a noreturn
// call), where no path runs into it:
//
//     bhi   .LFT3_1
//
// Same trap, same code, same registers (the trap call is noreturn); only the layout changes.
// Where no such place is within reach the check stays as gcc wrote it. The assembler checks
// every branch and literal-pool range; firmware-build.ts reverts the functions it refuses.

/** Conditions and their inverses (unified syntax). */
const INVERSE: Record<string, string> = {
  eq: "ne", ne: "eq", cs: "cc", cc: "cs", hs: "lo", lo: "hs", hi: "ls", ls: "hi",
  mi: "pl", pl: "mi", vs: "vc", vc: "vs", ge: "lt", lt: "ge", gt: "le", le: "gt",
};
/** How far a stub may be from its branch (a Thumb-1 conditional branch reaches -256..+254
 * bytes; the rest is room for the stubs inserted in between). */
const REACH = 200;

const LABEL = /^([.\w$]+):/;
const COND_BRANCH = /^\tb(eq|ne|cs|cc|hs|lo|hi|ls|mi|pl|vs|vc|ge|lt|gt|le)\t(\.LCB\d+)$/;
const LONG_JUMP = /^\t(?:b\t(\.L\d+)\t@long jump|bl\t(\.L\d+)\t@ ?far jump)$/;
const TRAP_CALL = /^\tbl\twasm_rt_trap$/;
const TRAP_CODE = /^\tmovs\tr0, #(\d+)$/;
const BARRIER = /^\t(?:b\t\S+|bx\t\w+|pop\t\{[^}]*\bpc\}|bl\twasm_rt_trap|bl\t\.L\d+\t@ ?far jump)(?:\t@.*)?$/;

/** Estimated size in bytes of one assembly line inside a function (Thumb-1: 2 per
 * instruction, 4 for bl; pool words; alignment padding at its largest). */
export function lineBytes(line: string): number {
  if (LABEL.test(line) || !line.startsWith("\t")) return 0;
  const [op, ...rest] = line.slice(1).split("\t");
  const args = rest.join("\t").split("@")[0];
  if (op.startsWith(".")) {
    if (op === ".word" || op === ".4byte" || op === ".long") return 4 * args.split(",").length;
    if (op === ".short" || op === ".hword" || op === ".2byte") return 2 * args.split(",").length;
    if (op === ".byte") return args.split(",").length;
    if (op === ".align" || op === ".p2align") return Math.max(0, (1 << Number(args.split(",")[0])) - 2);
    if (op === ".space" || op === ".skip") return Number(args.split(",")[0]) || 0;
    return 0;
  }
  return op === "bl" ? 4 : 2;
}

export interface TrapBranchRewrite {
  asm: string;
  /** checks now falling through on their in-bounds path */
  sites: number;
  /** stubs inserted */
  stubs: number;
}

/** Rewrites one function's lines (from its label to its .size); returns them and the counts. */
function rewriteFunction(lines: string[], id: { n: number }): { lines: string[]; sites: number; stubs: number } {
  const first = (i: number) => { while (i < lines.length && (LABEL.test(lines[i]) || !lines[i].startsWith("\t") || lines[i].startsWith("\t."))) i++; return i; };
  const labelAt = new Map<string, number>();
  lines.forEach((l, i) => { const m = LABEL.exec(l); if (m) labelAt.set(m[1], i); });
  // labels whose code is `movs r0, #K` then the trap call, directly or through one `b`
  const trapCode = (label: string): number | undefined => {
    const at = labelAt.get(label);
    if (at === undefined) return undefined;
    const i = first(at + 1);
    const code = TRAP_CODE.exec(lines[i] ?? "");
    if (!code) return undefined;
    const j = first(i + 1);
    if (TRAP_CALL.test(lines[j] ?? "")) return Number(code[1]);
    const jump = /^\tb\t(\.L\d+)$/.exec(lines[j] ?? "");
    const to = jump && labelAt.get(jump[1]);
    if (to !== undefined && to !== null && TRAP_CALL.test(lines[first(to + 1)] ?? "")) return Number(code[1]);
    return undefined;
  };
  const offset: number[] = [];
  let pc = 0;
  for (const l of lines) { offset.push(pc); pc += lineBytes(l); }
  // the long jumps of the checks this rewrites go away: no place after them
  const dropped = new Set(lines.map((l, i) => (COND_BRANCH.test(l) && LONG_JUMP.test(lines[i + 1] ?? "") ? i + 1 : -1)));
  const barriers = lines.map((l, i) => (BARRIER.test(l) && !dropped.has(i) ? i : -1)).filter((i) => i >= 0);

  const replace = new Map<number, string>(); // line -> new text ("" drops it)
  const stubsAfter = new Map<number, Map<number, string>>(); // barrier line -> code -> stub label
  let sites = 0, stubs = 0;
  for (let i = 0; i + 2 < lines.length; i++) {
    const cond = COND_BRANCH.exec(lines[i]);
    const jump = cond && LONG_JUMP.exec(lines[i + 1]);
    if (!cond || !jump || lines[i + 2] !== `${cond[2]}:`) continue;
    const code = trapCode(jump[1] ?? jump[2]);
    if (code === undefined) continue;
    const near = (b: number) => Math.abs(offset[b] + lineBytes(lines[b]) - offset[i]) <= REACH;
    // a stub for this code already within reach, else the nearest place after a barrier
    let label: string | undefined;
    for (const [b, byCode] of stubsAfter) if (near(b) && byCode.has(code)) { label = byCode.get(code); break; }
    if (!label) {
      const b = barriers.filter(near).sort((x, y) => Math.abs(offset[x] - offset[i]) - Math.abs(offset[y] - offset[i]))[0];
      if (b === undefined) continue;
      label = `.LFT${id.n++}_${code}`;
      if (!stubsAfter.has(b)) stubsAfter.set(b, new Map());
      stubsAfter.get(b)!.set(code, label);
      stubs++;
    }
    replace.set(i, `\tb${INVERSE[cond[1]]}\t${label}\t@ fewmul: out of bounds`);
    replace.set(i + 1, "");
    sites++;
    i += 2;
  }
  const out: string[] = [];
  lines.forEach((l, i) => {
    const r = replace.get(i);
    if (r !== "") out.push(r ?? l);
    for (const [code, label] of stubsAfter.get(i) ?? []) out.push(`${label}:`, `\tmovs\tr0, #${code}`, "\tbl\twasm_rt_trap");
  });
  return { lines: out, sites, stubs };
}

/** The functions of gcc's assembly: [first line, line after .size] per `.type NAME, %function`. */
export function functionSpans(lines: string[]): Array<{ name: string; start: number; end: number }> {
  const spans: Array<{ name: string; start: number; end: number }> = [];
  lines.forEach((l, i) => {
    const m = /^\t\.type\t([\w$.]+), %function$/.exec(l);
    if (!m) return;
    const end = lines.findIndex((s, k) => k > i && s.startsWith(`\t.size\t${m[1]},`));
    if (end > i) spans.push({ name: m[1], start: i, end: end + 1 });
  });
  return spans;
}

/**
 * `rewrite` applied to each function's lines (see functionSpans) except those in `keep` (the
 * ones the assembler refused last time); a function it returns undefined for stays as it was.
 */
export function rewriteFunctions(asm: string, keep: ReadonlySet<string>, rewrite: (body: string[]) => string[] | undefined): string {
  const lines = asm.split("\n");
  const out: string[] = [];
  let at = 0;
  for (const span of functionSpans(lines)) {
    out.push(...lines.slice(at, span.start));
    const body = lines.slice(span.start, span.end);
    out.push(...((keep.has(span.name) ? undefined : rewrite(body)) ?? body));
    at = span.end;
  }
  out.push(...lines.slice(at));
  return out.join("\n");
}

/** Rewrites gcc's Thumb-1 assembly (unified syntax, gcc 12) as described above, in every
 * function except those in `keep`. */
export function outlineTrapBranches(asm: string, keep: ReadonlySet<string> = new Set()): TrapBranchRewrite {
  const id = { n: 0 };
  let sites = 0, stubs = 0;
  const out = rewriteFunctions(asm, keep, (body) => {
    const r = rewriteFunction(body, id);
    sites += r.sites;
    stubs += r.stubs;
    return r.lines;
  });
  return { asm: out, sites, stubs };
}

/** The functions holding the lines an assembler's messages name (`file.s:LINE: Error: ...`). */
export function functionsAtErrors(asm: string, messages: string): Set<string> {
  const spans = functionSpans(asm.split("\n"));
  const names = new Set<string>();
  for (const m of messages.matchAll(/\.s:(\d+): Error:/g)) {
    const line = Number(m[1]) - 1;
    const span = spans.find((s) => line >= s.start && line < s.end);
    if (span) names.add(span.name);
  }
  return names;
}
