/**
 * Instruction counts of training and inference on the emulated Cortex-M boards, for the
 * integer module (build/fewmul.wasm) and the float32 comparison module
 * (build/fewmul-float32.wasm): `npm run bench:mcu [-- --json] [--model 784-256-10]
 * [--steps 2] [--evals 2] [--boards qemu-mps2-an385,qemu-mps2-an386] [--opt -Os|-O2|-O3]`
 * (--opt: gcc level of the bench firmware; default what buildFirmware uses for each board:
 * -O2, the Pico -Os).
 *
 * For each board and module it builds the bench firmware (boards/firmware/bench_main.c:
 * the module's direct exports on a fixed synthetic MNIST-like batch, no byte pump), boots
 * it under `qemu-system-arm -icount shift=0` and reads SysTick counts from the UART. With
 * -icount shift=0 one guest instruction is 1 ns of virtual time, so the counts are
 * instructions, whatever the host's load; a calibration loop of known length checks the
 * factor (40 instructions per tick at the 25 MHz system clock). Every train()/evaluate()
 * result and loss the board reports is checked against the same module run in Node.
 * bench/README.md has the results table.
 *
 * The Raspberry Pi Pico (`--boards pico`) runs under rp2040js instead (host/emulator/pico.ts),
 * its SysTick on the 125 MHz processor clock: the counts are rp2040js's emulated cycles, and the
 * harness counts the instructions executed between the same UART lines. Its RAM holds the
 * float32 module only up to 784-32-10 at batch 32: `npm run bench:mcu -- --boards pico
 * --model 784-32-10:tc`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { buildFirmware, type FirmwareBuild } from "../host/boards/firmware-build.ts";
import { loadBoard } from "../host/boards/manifest.ts";
import { ensureModule, ROOT } from "../host/boards/module-build.ts";
import { startQemu } from "../host/boards/qemu.ts";
import { PicoEmulator } from "../host/emulator/pico.ts";
import { readFileSync } from "node:fs";
import { instantiate } from "../host/module/loader.ts";
import { encodeSpec, weightLayers, type ModelSpec } from "../host/module/spec.ts";
import { parseModelSpec } from "../host/module/conv-spec.ts";
import { batchHeader, syntheticBatch } from "./mcu/synthetic.ts";

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : dflt;
};
const JSON_OUT = argv.includes("--json");
const MODEL = opt("--model", "784-256-10:tc");
const STEPS = Number(opt("--steps", "2"));
const EVALS = Number(opt("--evals", "2"));
const SEED = 1;
const BOARDS = opt("--boards", "qemu-mps2-an385,qemu-mps2-an386").split(",");
const JOBS = Number(opt("--jobs", "2"));
/** undefined: each board's default (-O2; the Pico -Os, host/boards/firmware-build.ts) */
const OPTIMIZE = argv.includes("--opt") ? opt("--opt", "-O2") as "-Os" | "-O2" | "-O3" : undefined;
const log = (s: string) => process.stderr.write(`${s}\n`);

type Kind = "int" | "float32";
interface Run {
  board: string;
  /** Pico (rp2040js): cycles per instruction over the timed windows, from the harness */
  cyclesPerInstruction?: number;
  kind: Kind;
  fw: FirmwareBuild;
  values: Record<string, string[]>;
  instructionsPerTick: number;
  trainInstructions: number;
  evalInstructions: number;
  wallMs: number;
}

const spec: ModelSpec = parseModelSpec(MODEL);
const specBytes = encodeSpec(spec);
const batch = syntheticBatch(spec.batch, SEED, Math.round(Math.sqrt(spec.sizes[0])));
if (batch.features !== spec.sizes[0]) throw new Error(`--model needs ${batch.features} inputs (a square image)`);
const weights = weightLayers(spec).reduce((s, l) => s + l.nIn * l.nOut, 0);
// Multiply-accumulates of one sample's forward pass in a float net of this shape: a weight per
// input and output of a dense layer, per input, output and position of a conv (9·cin·cout·h·w).
// The MLP's equal its weights; the integer module does additions and shifts in their place.
const macs = weightLayers(spec).reduce((s, l) => s + l.nIn * l.nOut * l.pixels, 0);
const work = join(ROOT, "build", "bench-mcu");
mkdirSync(work, { recursive: true });
writeFileSync(join(work, "bench_batch.h"), batchHeader(batch));

/** The same calls in Node: what the board must report. */
function nodeReference(path: string): { required: number; values: Record<string, string[]> } {
  const { exports: x, mem } = instantiate({ path, ramBytes: 16 << 20 });
  x._initialize?.();
  mem.write(x.spec_ptr(), specBytes);
  const required = x.required_bytes();
  const values: Record<string, string[]> = { init: [String(x.init(SEED, 0))] };
  mem.write(x.batch_inputs_ptr(), batch.inputs);
  mem.write(x.batch_labels_ptr(), batch.labels);
  values.train = [];
  values.loss = [];
  for (let s = 0; s < STEPS; s++) {
    values.train.push(String(x.train(spec.batch)));
    values.loss.push(String(x.last_loss() >>> 0));
  }
  values.evaluate = [];
  for (let s = 0; s < EVALS; s++) values.evaluate.push(String(x.evaluate(spec.batch)));
  return { required, values };
}

/** Boots the bench firmware and collects its "key=value" lines up to BENCH-END. */
async function runOnBoard(boardId: string, elf: string, timeoutMs: number): Promise<Record<string, string[]>> {
  const board = loadBoard(boardId);
  const qemu = await startQemu(board, elf, { port: "pty", icount: "shift=0" });
  let port: SerialPort | undefined;
  try {
    port = await new Promise<SerialPort>((res, rej) => {
      const p = new SerialPort({ path: qemu.path!, baudRate: board.baud }, (e) => (e ? rej(e) : res(p)));
    });
    let text = "";
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${boardId}: no BENCH-END within ${timeoutMs / 1000} s; got:\n${text}`)), timeoutMs);
      port!.on("data", (d: Buffer) => {
        text += d.toString("latin1");
        if (text.includes("BENCH-END\n") || text.includes("FEWMUL-FAULT")) { clearTimeout(timer); resolve(); }
      });
    });
    port.write("g");
    await done;
    const values: Record<string, string[]> = {};
    for (const line of text.split("\n")) {
      if (line.startsWith("FEWMUL-") || line.startsWith("BENCH-ERROR")) throw new Error(`${boardId}: ${line}\n${text}`);
      const m = /^(\w+)=(-?\d+)$/.exec(line.trim());
      if (m) (values[m[1]] ??= []).push(m[2]);
    }
    return values;
  } finally {
    if (port?.isOpen) await new Promise((r) => port!.close(r));
    await qemu.stop();
  }
}

/** The Pico's bench firmware under rp2040js: lines, and (instructions, cycles) at each newline. */
async function runOnPico(boardId: string, uf2: string, timeoutMs: number): Promise<{ values: Record<string, string[]>; marks: Map<string, { instructions: number; cycles: number }> }> {
  const board = loadBoard(boardId);
  const emu = new PicoEmulator({ uf2: readFileSync(uf2), flashBytes: board.flash });
  let line = "", text = "";
  const marks = new Map<string, { instructions: number; cycles: number }>();
  emu.onTxByte = (b) => {
    if (b !== 0x0a) { line += String.fromCharCode(b); return; }
    marks.set(line.split("=")[0], { instructions: emu.instructions, cycles: emu.cycles });
    text += `${line}\n`;
    line = "";
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${boardId}: no BENCH-END within ${timeoutMs / 1000} s; got:\n${text}`)), timeoutMs);
      emu.onFault((reason) => { clearTimeout(timer); reject(new Error(`${boardId}: fault: ${reason}\n${text}`)); });
      emu.onData(() => { if (text.includes("BENCH-END\n")) { clearTimeout(timer); resolve(); } });
      void emu.write(Uint8Array.of(0x67)); // "g"
    });
  } finally {
    await emu.close();
  }
  const values: Record<string, string[]> = {};
  for (const l of text.split("\n")) {
    if (l.startsWith("FEWMUL-") || l.startsWith("BENCH-ERROR")) throw new Error(`${boardId}: ${l}\n${text}`);
    const m = /^(\w+)=(-?\d+)$/.exec(l.trim());
    if (m) (values[m[1]] ??= []).push(m[2]);
  }
  return { values, marks };
}

async function bench(boardId: string, kind: Kind, wasm: string, ram: number): Promise<Run> {
  const started = Date.now();
  const fw = await buildFirmware(boardId, wasm, join(work, `${boardId}-${kind}`), {
    variant: "bench",
    optimize: OPTIMIZE,
    ram,
    includeDirs: [work],
    defines: { BENCH_SPEC: Array.from(specBytes).join(","), BENCH_STEPS: STEPS, BENCH_EVALS: EVALS, BENCH_SEED_LO: SEED, BENCH_SEED_HI: 0 },
  });
  const pico = loadBoard(boardId).mcu === "RP2040";
  let cyclesPerInstruction: number | undefined;
  let values: Record<string, string[]>;
  if (pico) {
    const r = await runOnPico(boardId, fw.uf2!, 1_200_000);
    values = r.values;
    // instructions and cycles between the line before the first train() and the last train line
    const a = r.marks.get("batch"), b = r.marks.get("train_ticks");
    if (!a || !b) throw new Error(`${boardId} ${kind}: no batch/train_ticks lines`);
    cyclesPerInstruction = (b.cycles - a.cycles) / (b.instructions - a.instructions);
  } else {
    values = await runOnBoard(boardId, fw.elf, 280_000);
  }
  const one = (k: string) => {
    if (!values[k]?.length) throw new Error(`${boardId} ${kind}: the board did not report ${k}`);
    return Number(values[k][0]);
  };
  // QEMU: ticks are a fixed number of instructions; the Pico: ticks are cycles (processor clock)
  const instructionsPerTick = cyclesPerInstruction ? 1 / cyclesPerInstruction : one("calibration_instructions") / one("calibration_ticks");
  const run: Run = {
    board: boardId, kind, fw, values, instructionsPerTick, cyclesPerInstruction,
    trainInstructions: one("train_ticks") * instructionsPerTick,
    evalInstructions: one("eval_ticks") * instructionsPerTick,
    wallMs: Date.now() - started,
  };
  log(`${boardId} ${kind}: ${(run.trainInstructions / (STEPS * spec.batch) / 1e6).toFixed(2)} M instructions per training sample, ${(run.wallMs / 1000).toFixed(1)} s`);
  return run;
}

/** Runs the jobs `JOBS` at a time (each QEMU is one host thread). */
async function pool<T>(jobs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.max(1, JOBS) }, async () => {
    while (next < jobs.length) { const i = next++; results[i] = await jobs[i](); }
  }));
  return results;
}

/** clk_sys of the Pico firmware (boards/firmware/pico_clocks.c). */
const PICO_CLOCK_HZ = 125_000_000;
const pages = (bytes: number) => Math.ceil(bytes / 65536) * 65536;

async function main() {
  const intModule = await ensureModule("release");
  const floatModule = await ensureModule("float32");
  const ref = { int: nodeReference(intModule.path), float32: nodeReference(floatModule.path) };
  log(`bench: ${MODEL} (${weights} weights), batch ${spec.batch}, ${STEPS} training steps and ${EVALS} evaluations per board and module, ` +
    `synthetic digits (${(batch.inkFraction * 100).toFixed(0)} % ink); required_bytes int ${ref.int.required}, float32 ${ref.float32.required}`);

  const jobs: (() => Promise<Run>)[] = [];
  for (const id of BOARDS) {
    const boardRam = loadBoard(id).ram;
    for (const kind of ["int", "float32"] as Kind[]) {
      // The float32 model may not fit the board's RAM: the bench firmware then gets what it
      // needs (the emulated SSRAM has 4 MB); the report says so.
      const ram = Math.max(boardRam, pages(ref[kind].required));
      if (ram > boardRam && loadBoard(id).mcu === "RP2040") {
        throw new Error(`${id}: the ${kind} module needs ${ref[kind].required} bytes for ${MODEL}, the Pico has ${boardRam}: pick a smaller --model (784-32-10:tc fits both)`);
      }
      jobs.push(() => bench(id, kind, kind === "int" ? intModule.path : floatModule.path, ram));
    }
  }
  const runs = await pool(jobs);

  // The board computed what Node computes: same results, bit for bit.
  for (const r of runs) {
    const want = ref[r.kind];
    for (const key of ["init", "train", "loss", "evaluate"]) {
      const got = (r.values[key] ?? []).join(",");
      if (got !== want.values[key].join(",")) throw new Error(`${r.board} ${r.kind}: ${key} = ${got}, Node says ${want.values[key].join(",")}`);
    }
    if (Number(r.values.required_bytes[0]) !== want.required) throw new Error(`${r.board} ${r.kind}: required_bytes differs from Node`);
  }

  // What the board really runs: the byte-pump firmware with the integer module.
  const pumps = new Map<string, FirmwareBuild>();
  for (const id of BOARDS) pumps.set(id, await buildFirmware(id, intModule.path, join(work, `${id}-pump`)));

  const result: Record<string, any> = {};
  for (const id of BOARDS) {
    const board = loadBoard(id);
    const get = (kind: Kind) => runs.find((r) => r.board === id && r.kind === kind)!;
    const figures = (r: Run) => {
      const required = Number(r.values.required_bytes[0]);
      const stack = Number(r.values.stack_peak[0]);
      const statics = (r.fw.sections[".data"] ?? 0) + (r.fw.sections[".bss"] ?? 0);
      return {
        instructions_per_sample: Math.round(r.trainInstructions / (STEPS * spec.batch)),
        instructions_per_inference: Math.round(r.evalInstructions / (EVALS * spec.batch)),
        required_bytes: required,
        fits_board_ram: required <= board.ram,
        // linear memory the model uses + firmware statics + measured stack high-water mark
        peak_ram: required + statics + stack,
        stack_peak: stack,
        bench_firmware: { text: r.fw.text, data: r.fw.data, bss: r.fw.bss },
      };
    };
    const i = figures(get("int")), f = figures(get("float32"));
    const pump = pumps.get(id)!;
    result[id] = {
      int: i,
      float32: f,
      ratio: +(f.instructions_per_sample / i.instructions_per_sample).toFixed(2),
      ratio_inference: +(f.instructions_per_inference / i.instructions_per_inference).toFixed(2),
      instructions_per_weight: +(i.instructions_per_sample / weights).toFixed(2),
      // per multiply-accumulate-equivalent of the forward pass (an MLP: the same as per weight)
      macs_per_sample: macs,
      instructions_per_mac: { int: +(i.instructions_per_sample / macs).toFixed(2), float32: +(f.instructions_per_sample / macs).toFixed(2) },
      // the board's firmware (byte pump + integer module), as `fewmul build` makes it
      text: pump.text, data: pump.data, bss: pump.bss,
      firmware_static_ram: (pump.sections[".data"] ?? 0) + (pump.sections[".bss"] ?? 0),
      // the counts are for wasm2c output compiled to native code; a WAMR interpreter executes
      // the same module with several times more instructions (README, "Running on a WAMR board")
      runtime: "wasm2c",
      cpu: board.cpu, model: MODEL, weights, batch: spec.batch, steps: STEPS, evals: EVALS,
      instructions_per_tick: get("int").instructionsPerTick,
    };
    if (board.mcu === "RP2040") {
      // SysTick counts processor cycles: ticks are rp2040js's emulated cycles
      const cycles = (r: Run, which: "train" | "eval") => Number(r.values[`${which}_ticks`][0]) / (which === "train" ? STEPS : EVALS) / spec.batch;
      const ci = cycles(get("int"), "train"), cf = cycles(get("float32"), "train");
      Object.assign(result[id], {
        clock_hz: PICO_CLOCK_HZ,
        int_cycles_per_sample: Math.round(ci),
        int_cycles_per_inference: Math.round(cycles(get("int"), "eval")),
        float32_cycles_per_sample: Math.round(cf),
        float32_cycles_per_inference: Math.round(cycles(get("float32"), "eval")),
        cycle_ratio: +(cf / ci).toFixed(2),
        cycles_per_weight: +(ci / weights).toFixed(2),
        cycles_per_instruction: { int: +get("int").cyclesPerInstruction!.toFixed(3), float32: +get("float32").cyclesPerInstruction!.toFixed(3) },
        // a real Pico at 125 MHz if it ran at rp2040js's cycle counts (no XIP misses, no link)
        est_train_samples_per_s: Math.round(PICO_CLOCK_HZ / ci),
        est_inferences_per_s: Math.round(PICO_CLOCK_HZ / cycles(get("int"), "eval")),
      });
    }
  }

  if (JSON_OUT) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const M = (n: number) => (n / 1e6).toFixed(2);
  const K = (n: number) => (n / 1e3).toFixed(1);
  process.stdout.write("Instructions of the module compiled by wasm2c (native Thumb code, bare metal); an interpreter\n" +
    "such as WAMR's runs the same module with several times more (README.md, \"Running on a WAMR board\").\n");
  const rows = [["board", "module", "wasm2c instr/train sample (M)", "wasm2c instr/inference (M)", "required_bytes (KB)", "peak RAM (KB)"]];
  for (const id of BOARDS) {
    const r = result[id];
    for (const kind of ["int", "float32"] as Kind[]) {
      const x = r[kind];
      rows.push([id, kind, M(x.instructions_per_sample), M(x.instructions_per_inference), K(x.required_bytes) + (x.fits_board_ram ? "" : " (> board ram)"), K(x.peak_ram)]);
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows) process.stdout.write(row.map((cell, c) => cell.padEnd(widths[c])).join("  ") + "\n");
  for (const id of BOARDS) {
    const r = result[id];
    if (r.clock_hz) {
      process.stdout.write(`${id} (rp2040js cycles at ${r.clock_hz / 1e6} MHz): int ${r.int_cycles_per_sample} cycles per training sample, ` +
        `${r.int_cycles_per_inference} per inference; float32 ${r.float32_cycles_per_sample} / ${r.float32_cycles_per_inference}: ` +
        `${r.cycle_ratio}x; ${r.cycles_per_weight} cycles per weight; CPI int ${r.cycles_per_instruction.int}, float32 ${r.cycles_per_instruction.float32}; ` +
        `est. ${r.est_train_samples_per_s} training samples/s, ${r.est_inferences_per_s} inferences/s on a real Pico\n`);
    }
    process.stdout.write(`${id} (wasm2c): float32/int ${r.ratio}x per training sample, ${r.ratio_inference}x per inference; ` +
      `${r.instructions_per_weight} instructions per weight per training sample (${weights} weights); ` +
      `per multiply-accumulate-equivalent (${macs} per forward pass) int ${r.instructions_per_mac.int}, float32 ${r.instructions_per_mac.float32}; ` +
      `firmware text ${r.text} data ${r.data} bss ${r.bss}\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(1);
});
