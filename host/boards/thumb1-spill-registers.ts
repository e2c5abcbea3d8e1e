// Spill slots in high registers on the Cortex-M0+. Most Thumb-1 instructions reach only r0-r7,
// so the kernels' loops keep their values in stack slots: a reload `ldr rX, [sp, #n]` and a
// spill `str rX, [sp, #n]` take 2 cycles each. gcc leaves r8-r11 unused in such functions (at
// -Os, saving a high register costs prologue code), yet `mov rX, r8` and `mov r8, rX` take 1.
// This rewrites gcc's assembly so that, in a function that uses none of r8-r11, its most used
// word slots and literal-pool constants (`ldr rX, .Lpool`, 2 cycles: the linear memory's
// address above all) live in those registers instead, weighted by the loops around each use:
//
//     ldr  r3, [sp, #144]   ->   mov  r3, r8
//     str  r3, [sp, #144]   ->   mov  r8, r3
//     ldr  r2, .L12+4       ->   mov  r2, r9      (r9 loaded once in the prologue)
//
// The function still saves and restores the registers it takes (AAPCS: callee-saved): for a
// slot the caller's value goes into the freed slot after the prologue's `sub sp` and comes back
// before each epilogue's `add sp`; for a constant it is pushed after the prologue's push (the
// incoming stack arguments' offsets move up by the words pushed, an even number, so sp stays
// 8-aligned) and popped before the epilogue's pop; always through a low register the prologue
// pushed and the epilogue pops. Calls preserve r8-r11, and a trap's longjmp restores them as
// setjmp saved them. The frames grow by at most 16 bytes (firmware-build.ts adds them to the
// stack guard's margin).
//
// Only where it is certain that nothing else reads or writes the slot: every sp-relative
// access of the function is a word ldr/str with a constant offset, the slot lies in the
// function's own frame above the outgoing-argument area (gcc's `frame =` note), and no
// address of the frame is taken anywhere near it (`add rX, sp, #k`, or `mov rX, sp` followed by
// a constant add); anything else about sp that is not the prologue, the epilogue or the
// runtime's stack-depth check, and the function is left as gcc wrote it.

import { rewriteFunctions } from "./thumb1-trap-branches.ts";

/** Registers gcc may name r8-r11 (r10 = sl, r11 = fp). */
const HIGH = [["r8"], ["r9"], ["r10", "sl"], ["r11", "fp"]] as const;
const SLOT = /^\t(ldr|str)\t(r[0-7]), \[sp(?:, #(\d+))?\]$/;
const PUSH = /^\tpush\t\{([^}]*)\}$/;
const POP_PC = /^\tpop\t\{([^}]*\bpc)\}$/;
/** A slot worth a register: used at least this often in the function's text (inside loops
 * weighted, see below). */
const MIN_USES = 3;

export interface SpillRewrite {
  asm: string;
  /** slots moved into high registers, over all functions */
  slots: number;
  /** functions that got at least one */
  functions: number;
}

/** An instruction line (no label, directive or comment) that is not a branch. */
const isPlain = (l: string) => /^\t[a-z]/.test(l) && !/^\t(b|bl|blx|bx|b(eq|ne|cs|cc|hs|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le)|pop|push|ldm\w*|stm\w*)\t/.test(l);
const mentions = (l: string, reg: string) => new RegExp(`\\b${reg}\\b`).test(l.split("\t@")[0]);

/**
 * The value of `reg` just before line `at` when straight-line code sets it to a constant a
 * few lines up (`movs reg, #k`, optionally `lsls reg, reg, #s`), else undefined.
 */
function constantBefore(lines: string[], at: number, reg: string): number | undefined {
  for (let j = at - 1; j >= Math.max(0, at - 8); j--) {
    const l = lines[j].split("\t@")[0];
    if (!isPlain(l)) return undefined;
    if (!mentions(l, reg)) continue;
    const k = new RegExp(`^\\tmovs\\t${reg}, #(\\d+)$`).exec(l);
    if (k) return Number(k[1]);
    const s = new RegExp(`^\\tlsls\\t${reg}, ${reg}, #(\\d+)$`).exec(l);
    if (s) { const v = constantBefore(lines, j, reg); return v === undefined ? undefined : v << Number(s[1]); }
    // a read of reg (a store's source, a compare, a later operand) leaves it as it was
    const op = /^\t(\w+)\t(r[0-7])/.exec(l);
    if (op && op[2] === reg && !/^(str|strb|strh|cmp|cmn|tst)$/.test(op[1])) return undefined;
  }
  return undefined;
}

function rewriteFunction(lines: string[], nextId: { n: number }): { lines: string[]; slots: number } | undefined {
  const frame = /^\t@ args = \d+, pretend = \d+, frame = (\d+)$/.exec(lines.find((l) => l.startsWith("\t@ args = ")) ?? "");
  const pushAt = lines.findIndex((l) => PUSH.test(l));
  if (!frame || pushAt < 0) return undefined;
  const pushed = PUSH.exec(lines[pushAt])![1].split(/,\s*/);
  // the prologue's frame: `sub sp, sp, #N` among the next few lines
  let subAt = -1;
  for (let i = pushAt + 1; i < Math.min(lines.length, pushAt + 8); i++) if (/^\tsub\tsp, sp, #\d+$/.test(lines[i])) { subAt = i; break; }
  if (subAt < 0) return undefined;
  const size = Number(/#(\d+)$/.exec(lines[subAt])![1]);
  const outgoing = size - Number(frame[1]); // stack arguments of the calls, at the frame's bottom
  if (outgoing < 0) return undefined;

  // loops: the lines from a backward branch's target label to the branch
  const labelAt = new Map<string, number>();
  lines.forEach((l, i) => { const m = /^(\.L\w+):/.exec(l); if (m) labelAt.set(m[1], i); });
  const depth = lines.map(() => 0);
  const inner = lines.map(() => Infinity); // lines of the innermost loop around each line
  lines.forEach((l, i) => {
    const to = /^\tb(?:eq|ne|cs|cc|hs|lo|hi|ls|mi|pl|vs|vc|ge|lt|gt|le)?\t(\.L\w+)/.exec(l);
    const t = to && labelAt.get(to[1]);
    if (t !== undefined && t !== null && t < i) for (let k = t; k <= i; k++) { depth[k]++; inner[k] = Math.min(inner[k], i - t + 1); }
  });
  // a line's weight: the smaller the innermost loop around it, the hotter (1 outside loops);
  // on the Pico's training step (784-32-10) this picked better than 8 per nesting level
  // (376,670 against 378,128 cycles per sample) or 1/size² (377,888)
  const weightOf = (i: number) => (depth[i] ? 1 + 4096 / inner[i] : 1);
  const uses = new Map<number, number>();
  const excluded = new Set<number>();
  const exclude = (from: number, bytes: number) => { for (let a = from & ~3; a < from + bytes; a += 4) excluded.add(a); };
  const epilogues: number[] = [];
  let inAsm = false, depthAsm = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.startsWith("\t.syntax divided")) { inAsm = true; depthAsm = false; continue; }
    if (l.startsWith("\t.syntax unified")) { inAsm = false; continue; }
    if (inAsm && /^@ \d+ ".*wasm_rt_baremetal\.h" \d+$/.test(l)) { depthAsm = true; continue; }
    if (!l.startsWith("\t") || l.startsWith("\t@") || l.startsWith("\t.")) continue;
    const code = l.split("\t@")[0];
    // a high register in use: none of them is free (keeps the rule simple)
    if (/\b(r8|r9|r10|r11|sl|fp)\b/.test(code)) return undefined;
    if (!/\bsp\b/.test(code)) continue;
    if (i === pushAt || i === subAt) continue;
    const slot = SLOT.exec(code);
    if (slot) {
      const at = Number(slot[3] ?? 0);
      uses.set(at, (uses.get(at) ?? 0) + weightOf(i));
      continue;
    }
    const addr = /^\tadd\tr[0-7], sp, #(\d+)$/.exec(code);
    // a local object's address: the generated code's are at most 8 bytes (a u64 copied byte by
    // byte; 16 for a v128), so the 16 bytes from there stay on the stack
    if (addr) { exclude(Number(addr[1]), 16); continue; }
    const mov = /^\tmov\s+(r[0-7]), sp$/.exec(code);
    if (mov) {
      if (inAsm && depthAsm) continue; // the runtime's stack-depth check compares sp, no more
      // gcc's narrow access to a slot: mov rX, sp; adds rX, rX, rY with rY a constant (movs
      // rY, #k, and past 255 bytes lsls rY, rY, #s), scheduled among other instructions
      const base = mov[1];
      let addAt = i + 1;
      while (addAt < Math.min(lines.length, i + 4) && isPlain(lines[addAt]) && !mentions(lines[addAt], base) && !mentions(lines[addAt], "sp")) addAt++;
      const add = new RegExp(`^\\tadds\\t${base}, ${base}, (r[0-7])$`).exec(lines[addAt] ?? "");
      const offset = add && add[1] !== base ? constantBefore(lines, addAt, add[1]) : undefined;
      if (offset === undefined) return undefined;
      // then the address is used as a load or store's base until it is replaced
      let used = false;
      for (let j = addAt + 1; j < Math.min(lines.length, addAt + 7); j++) {
        const c = lines[j].split("\t@")[0];
        if (!mentions(c, base)) continue;
        const access = new RegExp(`^\\t(?:ldr|str)[bh]?\\t(r[0-7]), \\[${base}(?:, #(\\d+))?\\]$`).exec(c);
        // replaced by an instruction that writes it without reading it: the address is gone
        const written = new RegExp(`^\\t(?!str|cmp|cmn|tst|b)\\w+\\t${base}, (.*)$`).exec(c);
        if (!access && written && !mentions(written[1], base)) break;
        if (!access) return undefined;
        exclude(offset + Number(access[2] ?? 0), 4);
        used = true;
        if (access[1] === base && c.startsWith("\tldr")) break; // the load replaced it
      }
      if (!used) return undefined;
      continue;
    }
    if (/^\tadd\tsp, sp, #\d+$/.test(code) && Number(/#(\d+)$/.exec(code)![1]) === size) {
      let j = i + 1;
      while (j < lines.length && /^\t@/.test(lines[j])) j++;
      if (!POP_PC.test(lines[j] ?? "")) return undefined;
      epilogues.push(i);
      continue;
    }
    return undefined; // any other use of sp: leave the function alone
  }
  if (epilogues.length === 0) return undefined;
  // a pushed low register that the prologue does not touch before `sub sp`, and that every
  // epilogue pops (not r0/r1: the return value)
  const between = lines.slice(pushAt + 1, subAt).join("\n");
  if (/\bsp\b/.test(between)) return undefined; // the frame is not made yet: other offsets
  const scratch = pushed.find((r) => /^r[4-7]$/.test(r) && !new RegExp(`\\b${r}\\b`).test(between)
    && epilogues.every((e) => { let j = e + 1; while (/^\t@/.test(lines[j])) j++; return POP_PC.exec(lines[j])![1].split(/,\s*/).includes(r); }));
  if (!scratch) return undefined;

  // literal-pool constants (the linear memory's address, tables, multipliers), by the text of
  // their pool word: a `ldr rX, .Lpool+k` of a chosen one becomes a move from its register
  const wordAt = new Map<string, string>(); // "label+offset" -> the word's text
  lines.forEach((l, i) => {
    const m = /^(\.L\w+):$/.exec(l);
    if (!m) return;
    for (let k = i + 1, off = 0; k < lines.length; k++) {
      const w = /^\t\.word\t(.+)$/.exec(lines[k]);
      if (!w) break;
      wordAt.set(off ? `${m[1]}+${off}` : m[1], w[1]);
      off += 4;
    }
  });
  const literalOf = (l: string) => {
    const m = /^\t(?:ldr)\t(r[0-7]), (\.L\w+(?:\+\d+)?)$/.exec(l);
    const word = m && wordAt.get(m[2]);
    return m && word ? { reg: m[1], word } : undefined;
  };
  const literalUses = new Map<string, number>();
  lines.forEach((l, i) => {
    const lit = i === pushAt || i === subAt ? undefined : literalOf(l);
    if (lit) literalUses.set(lit.word, (literalUses.get(lit.word) ?? 0) + weightOf(i));
  });
  const incoming = Number(/args = (\d+)/.exec(lines.find((l) => l.startsWith("\t@ args = "))!)![1]);

  type Choice = { kind: "slot"; at: number; weight: number } | { kind: "literal"; word: string; weight: number };
  const choices: Choice[] = [
    ...[...uses].filter(([at, n]) => n >= MIN_USES && at >= outgoing && at < size && !excluded.has(at) && at % 4 === 0)
      .map(([at, weight]): Choice => ({ kind: "slot", at, weight })),
    ...[...literalUses].filter(([, n]) => n >= MIN_USES).map(([word, weight]): Choice => ({ kind: "literal", word, weight })),
  ].sort((a, b) => b.weight - a.weight || (a.kind === "slot" ? a.at : -1) - (b.kind === "slot" ? b.at : -1));
  const chosen = choices.slice(0, HIGH.length).map((c, k) => ({ ...c, reg: HIGH[k][0] as string }));
  if (chosen.length === 0) return undefined;
  const slots = chosen.filter((c) => c.kind === "slot") as Array<{ at: number; reg: string }>;
  const literals = chosen.filter((c) => c.kind === "literal") as Array<{ word: string; reg: string }>;
  const regOfSlot = new Map(slots.map((c) => [c.at, c.reg]));
  const regOfWord = new Map(literals.map((c) => [c.word, c.reg]));
  // a literal's register is pushed above the saved low registers: the incoming stack arguments
  // (offsets from size on) move up by 4 per push
  // an even number of words, so that sp stays 8-aligned at calls (AAPCS)
  const pad = literals.length % 2;
  const shift = 4 * (literals.length + pad);
  if (shift && incoming === 0 && [...uses.keys()].some((at) => at >= size)) return undefined;
  if ([...uses.keys()].some((at) => at >= size && at + shift > 1020)) return undefined;

  const out: string[] = [];
  const pool = `.LFWK${nextId.n++}`;
  lines.forEach((l, i) => {
    if (epilogues.includes(i)) for (const c of slots) out.push(`\tldr\t${scratch}, [sp, #${c.at}]`, `\tmov\t${c.reg}, ${scratch}`);
    const code = l.split("\t@")[0];
    const slot = SLOT.exec(code);
    const lit = i === pushAt || i === subAt ? undefined : literalOf(code);
    const addr = /^\tadd\t(r[0-7]), sp, #(\d+)$/.exec(code);
    if (slot && regOfSlot.has(Number(slot[3] ?? 0))) {
      const reg = regOfSlot.get(Number(slot[3] ?? 0))!;
      out.push(slot[1] === "ldr" ? `\tmov\t${slot[2]}, ${reg}\t@ fewmul: slot ${slot[3] ?? 0}` : `\tmov\t${reg}, ${slot[2]}\t@ fewmul: slot ${slot[3] ?? 0}`);
    } else if (lit && regOfWord.has(lit.word)) {
      out.push(`\tmov\t${lit.reg}, ${regOfWord.get(lit.word)}\t@ fewmul: ${lit.word}`);
    } else if (shift && slot && Number(slot[3] ?? 0) >= size) {
      out.push(`\t${slot[1]}\t${slot[2]}, [sp, #${Number(slot[3]) + shift}]`);
    } else if (shift && addr && Number(addr[2]) >= size) {
      out.push(`\tadd\t${addr[1]}, sp, #${Number(addr[2]) + shift}`);
    } else out.push(l);
    if (i === pushAt && literals.length) {
      // the caller's registers pushed, the constants loaded before any use (gcc may load one
      // between the push and the frame's sub)
      for (const c of literals) out.push(`\tmov\t${scratch}, ${c.reg}`, `\tpush\t{${scratch}}`);
      if (pad) out.push(`\tpush\t{${scratch}}\t@ fewmul: alignment`);
      literals.forEach((c, k) => out.push(`\tldr\t${scratch}, ${pool}+${4 * k}`, `\tmov\t${c.reg}, ${scratch}`));
      out.push(`\tb\t${pool}_end`, "\t.align\t2", `${pool}:`, ...literals.map((c) => `\t.word\t${c.word}`), `${pool}_end:`);
    }
    if (i === subAt) for (const c of slots) out.push(`\tmov\t${scratch}, ${c.reg}`, `\tstr\t${scratch}, [sp, #${c.at}]`);
    if (epilogues.includes(i)) {
      if (pad && literals.length) out.push(`\tpop\t{${scratch}}\t@ fewmul: alignment`);
      for (const c of [...literals].reverse()) out.push(`\tpop\t{${scratch}}`, `\tmov\t${c.reg}, ${scratch}`);
    }
  });
  return { lines: out, slots: chosen.length };
}

/** Rewrites gcc's Thumb-1 assembly (gcc 12, unified syntax) as described above, in every
 * function except those in `keep`. */
export function spillsToHighRegisters(asm: string, keep: ReadonlySet<string> = new Set()): SpillRewrite {
  const nextId = { n: 0 };
  let slots = 0, functions = 0;
  const out = rewriteFunctions(asm, keep, (body) => {
    const r = rewriteFunction(body, nextId);
    if (r) { slots += r.slots; functions++; }
    return r?.lines;
  });
  return { asm: out, slots, functions };
}

/**
 * A reload right after a load or a spill of the same slot (`ldr r2, [sp, #8]` then
 * `ldr r3, [sp, #8]`, or `str` then `ldr`): the second becomes `mov r3, r2` (1 cycle instead of
 * 2; no flags, like the load), or goes when the register is the same. Adjacent lines only, so
 * nothing runs in between and no branch lands on the second.
 */
export function reloadsAsMoves(asm: string): { asm: string; moves: number } {
  const lines = asm.split("\n");
  let moves = 0;
  for (let i = 1; i < lines.length; i++) {
    const a = SLOT.exec(lines[i - 1]), b = SLOT.exec(lines[i]);
    if (!a || !b || b[1] !== "ldr" || (a[3] ?? "0") !== (b[3] ?? "0")) continue;
    lines[i] = a[2] === b[2] ? `\t@ fewmul: reload of ${a[2]} dropped` : `\tmov\t${b[2]}, ${a[2]}\t@ fewmul: reload`;
    moves++;
  }
  return { asm: lines.join("\n"), moves };
}
