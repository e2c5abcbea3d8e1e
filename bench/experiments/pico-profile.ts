/**
 * Where the Pico's cycles go: an rp2040js PC profile of the bench firmware's `train()` calls
 * (boards/firmware/bench_main.c, the batch of bench/mcu.ts), per function and per address.
 * `node --import tsx bench/experiments/pico-profile.ts [--model 784-32-10:tc] [--kind int|float32]
 * [--top 30] [--pcs 0]` after `npm run build`. Cycles are rp2040js's (bench/README.md says how it
 * counts); a function's figure is the cycles spent on its own instructions (callees apart).
 * `--pcs N` also lists the N hottest instructions (address, cycles) to read against
 * `arm-none-eabi-objdump -d build/bench-mcu/profile-<kind>/firmware.elf`.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildFirmware } from "../../host/boards/firmware-build.ts";
import { loadBoard } from "../../host/boards/manifest.ts";
import { ensureModule, ROOT } from "../../host/boards/module-build.ts";
import { PicoEmulator } from "../../host/emulator/pico.ts";
import { encodeSpec, parseSpec } from "../../host/module/spec.ts";
import { batchHeader, syntheticBatch } from "../mcu/synthetic.ts";

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : dflt;
};
const MODEL = opt("--model", "784-32-10:tc");
const KIND = opt("--kind", "int");
const TOP = Number(opt("--top", "30"));
const PCS = Number(opt("--pcs", "0"));
const ANNOTATE = opt("--annotate", "");
const STEPS = 2;

const spec = parseSpec(MODEL);
const batch = syntheticBatch(spec.batch, 1, Math.round(Math.sqrt(spec.sizes[0])));
const work = join(ROOT, "build", "bench-mcu");
mkdirSync(work, { recursive: true });
writeFileSync(join(work, "bench_batch.h"), batchHeader(batch));

const module = await ensureModule(KIND === "int" ? "release" : "float32");
const board = loadBoard("pico");
const fw = await buildFirmware("pico", module.path, join(work, `profile-${KIND}`), {
  variant: "bench",
  includeDirs: [work],
  defines: { BENCH_SPEC: Array.from(encodeSpec(spec)).join(","), BENCH_STEPS: STEPS, BENCH_EVALS: 1, BENCH_SEED_LO: 1, BENCH_SEED_HI: 0 },
});

// function symbols, sorted by address (Thumb bit cleared)
const syms = execFileSync("arm-none-eabi-nm", ["-n", "-S", "--defined-only", fw.elf], { encoding: "utf8" })
  .split("\n").map((l) => l.trim().split(/\s+/)).filter((f) => f.length === 4 && /[tTwW]/.test(f[2]))
  .map((f) => ({ at: parseInt(f[0], 16) & ~1, size: parseInt(f[1], 16), name: f[3] }));
const nameOf = (pc: number) => {
  let lo = 0, hi = syms.length - 1, hit = "?";
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (syms[mid].at <= pc) { hit = pc < syms[mid].at + syms[mid].size ? syms[mid].name : "?"; lo = mid + 1; } else hi = mid - 1;
  }
  return hit;
};

const emu = new PicoEmulator({ uf2: readFileSync(fw.uf2!), flashBytes: board.flash });
const core = (emu as unknown as { mcu: { core: { PC: number; cycles: number; executeInstruction(): number } } }).mcu.core;
const perPc = new Map<number, number>();
let on = false, line = "", text = "";
const original = core.executeInstruction.bind(core);
core.executeInstruction = () => {
  if (!on) return original();
  const pc = core.PC, before = core.cycles;
  const r = original();
  perPc.set(pc, (perPc.get(pc) ?? 0) + core.cycles - before);
  return r;
};
emu.onTxByte = (b) => {
  if (b !== 0x0a) { line += String.fromCharCode(b); return; }
  const key = line.split("=")[0];
  if (key === "batch") on = true;
  if (key === "train_ticks") on = false;
  text += `${line}\n`;
  line = "";
};
await new Promise<void>((resolve, reject) => {
  emu.onFault((reason) => reject(new Error(`fault: ${reason}\n${text}`)));
  emu.onData(() => { if (text.includes("BENCH-END\n")) resolve(); });
  void emu.write(Uint8Array.of(0x67));
});
await emu.close();

const total = [...perPc.values()].reduce((s, c) => s + c, 0);
const perFn = new Map<string, number>();
for (const [pc, c] of perPc) perFn.set(nameOf(pc), (perFn.get(nameOf(pc)) ?? 0) + c);
const samples = STEPS * spec.batch;
console.log(`${KIND} ${MODEL} (text ${fw.text} B): ${total} cycles in ${STEPS} train() calls, ${Math.round(total / samples)} per sample; train_ticks ${/train_ticks=(\d+)/.exec(text)?.[1]}`);
for (const [name, c] of [...perFn].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
  console.log(`${(100 * c / total).toFixed(1).padStart(5)} %  ${String(Math.round(c / samples)).padStart(8)} /sample  ${name}`);
}
if (PCS > 0) {
  console.log("hottest instructions (address: cycles per sample):");
  for (const [pc, c] of [...perPc].sort((a, b) => b[1] - a[1]).slice(0, PCS)) console.log(`  ${pc.toString(16)}: ${Math.round(c / samples)}  ${nameOf(pc)}`);
}
if (ANNOTATE) {
  // the function's disassembly, each instruction with its cycles per sample
  const f = syms.find((s) => s.name === ANNOTATE);
  if (!f) throw new Error(`no function ${ANNOTATE}`);
  const dis = execFileSync("arm-none-eabi-objdump", ["-d", `--start-address=0x${f.at.toString(16)}`, `--stop-address=0x${(f.at + f.size).toString(16)}`, fw.elf], { encoding: "utf8", maxBuffer: 1 << 26 });
  for (const l of dis.split("\n")) {
    const m = /^\s*([0-9a-f]+):/.exec(l);
    const c = m ? perPc.get(parseInt(m[1], 16)) ?? 0 : 0;
    console.log(`${m ? String(Math.round(c / samples)).padStart(7) : "       "} ${l}`);
  }
}
