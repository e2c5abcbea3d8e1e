// Builds the wasm2c firmware for a board: module.wasm -> wasm2c -> C -> arm-none-eabi-gcc
// -> fw.elf / fw.bin. Sources in boards/firmware/, layout in boards/firmware/README.md.
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { PACKAGE_ROOT } from "../package-root.ts";
import { UserError } from "../errors.ts";
import { sealBoot2 } from "./boot2.ts";
import { loadBoard, type BoardManifest } from "./manifest.ts";
import { reloadsAsMoves, spillsToHighRegisters } from "./thumb1-spill-registers.ts";
import { functionsAtErrors, outlineTrapBranches } from "./thumb1-trap-branches.ts";
import { RP2040_FAMILY, toUf2 } from "./uf2.ts";
import { inlineAccessorsInLoops } from "./wasm2c-hot.ts";

/** Where the RP2040 maps its QSPI flash (XIP): the UF2 blocks' addresses start here. */
export const RP2040_FLASH_BASE = 0x10000000;

export const FIRMWARE_DIR = join(PACKAGE_ROOT, "boards", "firmware");

export interface FirmwareBuild {
  elf: string;
  bin: string;
  /** UF2 image of the flash contents (boards flashed over a USB drive: the Pico) */
  uf2?: string;
  /** arm-none-eabi-size (Berkeley): text = code + rodata (the module's code and data
   * segments included), data = initialised RAM, bss = zeroed/NOLOAD RAM: linear
   * memory, stack and checkpoint area included. */
  text: number;
  data: number;
  bss: number;
  moduleBytes: number;
  /** Largest stack frame of the generated code; sets the stack guard margin. */
  maxFrame: number;
  /** Bytes per allocated section (arm-none-eabi-size -A): ".text", ".data", ".bss"
   * (firmware statics), ".noinit" (the module's linear memory), ".stack", ".ckpt". */
  sections: Record<string, number>;
  /** Linear memory the firmware gives the module (bytes): the manifest's ram unless overridden. */
  ram: number;
  variant: FirmwareVariant;
}

/**
 * "pump" (default): main.c, the byte pump of docs/device-abi.md, what boards run.
 * "bench": bench_main.c, which calls the module's direct exports (spec_ptr, init, train,
 * evaluate...) on a fixed batch and prints SysTick counts (bench/mcu.ts). It needs
 * `defines` (BENCH_SPEC...) and a bench_batch.h in `includeDirs`.
 */
export type FirmwareVariant = "pump" | "bench";

export interface FirmwareOptions {
  variant?: FirmwareVariant;
  /** Extra -D for every firmware source, e.g. { BENCH_STEPS: 2 }. */
  defines?: Record<string, string | number>;
  /** Extra include directories (searched before the build directory). */
  includeDirs?: string[];
  /** Linear memory in bytes (multiple of 65536) instead of the manifest's ram. */
  ram?: number;
  /** gcc optimisation level. Default -O2 (the Pico: -Os): against -Os it halves the
   * instructions of a training step on the M3 for about 5 KB more code (bench/README.md). */
  optimize?: "-Os" | "-O2" | "-O3";
}

/** Debian package providing each tool, for the "not found" message. */
const PACKAGES: Record<string, string> = {
  "wasm2c": "wabt",
  "arm-none-eabi-gcc": "gcc-arm-none-eabi",
  "arm-none-eabi-objcopy": "binutils-arm-none-eabi",
  "arm-none-eabi-size": "binutils-arm-none-eabi",
};

/** Compiler flags per manifest "cpu". Soft-float where there is no FPU (or only a
 * single-precision one for f64: gcc then calls libgcc, still IEEE-exact). */
const CPU_FLAGS: Record<string, string[]> = {
  "cortex-m0": ["-mcpu=cortex-m0", "-mthumb", "-mfloat-abi=soft"],
  "cortex-m0plus": ["-mcpu=cortex-m0plus", "-mthumb", "-mfloat-abi=soft"],
  "cortex-m3": ["-mcpu=cortex-m3", "-mthumb", "-mfloat-abi=soft"],
  "cortex-m4": ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=soft"],
  "cortex-m4f": ["-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"],
  "cortex-m7f": ["-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-d16", "-mfloat-abi=hard"],
};

/** What differs per board family: linker script, drivers (UART, clocks, flash storage), and
 * whether the image starts with an RP2040 boot2 block and ships as UF2. A new family adds a
 * row (README). `flash` is the checkpoint storage behind flash.h. */
interface Family {
  ld: string; sources: string[]; flash: string; boot2?: boolean; uf2?: { base: number; family: number };
  /** Default gcc level when the caller gives none (-O2 otherwise). */
  optimize?: FirmwareOptions["optimize"];
  /** Inline the memory accessors in the module's functions with loops (wasm2c-hot.ts). */
  inlineHotAccessors?: boolean;
  /** Extra gcc flags for the generated module.c only (the integer and the float32 module alike). */
  moduleFlags?: string[];
  /** Thumb-1: module.c compiled to assembly and rewritten before it is assembled: hot spill
   * slots and constants in r8-r11 (thumb1-spill-registers.ts), range checks falling through on
   * their in-bounds path (thumb1-trap-branches.ts). */
  rewriteThumb1?: boolean;
  /** -D for every source of the family (the caller's defines come after and win). */
  defines?: Record<string, string | number>;
}

function family(board: BoardManifest): Family {
  if (board.qemu?.machine.startsWith("mps2-")) {
    // QEMU's UART holds the host back while the module computes: nothing streams during a step,
    // so the pump keeps handing over whole bursts (main.c, RX_END_AT_FRAME)
    return { ld: "mps2.ld", sources: ["uart.c"], flash: "flash.c", defines: { RX_END_AT_FRAME: 0 } };
  }
  if (board.mcu === "RP2040") {
    return {
      ld: "pico.ld", sources: ["pico_uart.c", "rx_ring.c", "pico_clocks.c", "pico_rom.c"], flash: "pico_flash.c",
      boot2: true, uf2: { base: RP2040_FLASH_BASE, family: RP2040_FAMILY },
      // -Os: 20.8 KB of text instead of 35.5 KB at -O2 (the 32 KB budget, and a better fit for
      // the 16 KB XIP cache a real Pico executes from) for 24 % more cycles per training
      // sample in rp2040js, which models no cache misses (bench/README.md)
      optimize: "-Os",
      // SRAM4/5 (8 KB) holds statics, the 4 KB receive ring and the stack: 256 bytes of
      // signatures is twice what the release module registers (114), 32 table elements ten
      // times its table (3). RX_IDLE_POLLS 1: the UART driver itself waits for the end of a
      // burst (pico_uart.c, receive timeout).
      defines: { WASM_RT_FUNC_TYPE_POOL: 256, WASM_RT_TABLE_POOL: 32, RX_IDLE_POLLS: 1 },
      // the Cortex-M0+ calls wasm2c's memory accessors out of line at -Os: inline them, with a
      // 32-bit range check, in small loops, and i32.ctz without a libgcc call (wasm2c-hot.ts)
      inlineHotAccessors: true,
      // Eight low registers: the kernels' loops spill. Register allocation per loop region, no
      // loop-invariant motion and no induction-variable rewriting keep fewer values live across
      // them: -3.7 % cycles per training sample of the integer module, -1.4 % of the float32
      // one (rp2040js, 784-32-10; bench/README.md), 120 B less text. No temporary expression
      // replacement (TER, which moves single-use expressions to their use, lengthening what is
      // live there): a further -1.0 % (integer, 400,352 -> 396,451) and -0.8 % (float32).
      // No CSE along jumps and no code hoisting (both lengthen live ranges across branches):
      // -1.8 to -2.5 % integer on four nets (784-32-10 TC b32 375,446 -> 368,855; 784-64-10 BC
      // b16, 784-32-32-10 TC b8, 784-128-10 TC b32), -0.65 % float32 (3,518,464 -> 3,495,422).
      moduleFlags: ["-fira-region=all", "-fno-move-loop-invariants", "-fno-ivopts", "-fno-tree-ter",
        "-fno-cse-follow-jumps", "-fno-code-hoisting"],
      // -5.0 % (spill slots and constants in r8-r11) and -2.5 % (trap branches) cycles per
      // integer training sample, -2.8 % and -0.3 % float32 (rp2040js, 784-32-10; bench/README.md)
      rewriteThumb1: true,
    };
  }
  throw new UserError(`board ${board.id}: no wasm2c firmware port yet (see boards/firmware/README.md)`, "E_BOARD");
}

/** Runtime-independent firmware + the wasm2c runtime, per variant, for every board.
 * `glue`: the sources whose frames a Wasm function can reach (imports, trap path). */
const VARIANTS: Record<FirmwareVariant, { sources: string[]; glue: string[]; exports: string[]; defines?: Record<string, number> }> = {
  pump: {
    sources: ["startup.c", "main.c", "wasm2c_glue.c", "wasm2c_env.c", "wasm_rt_baremetal.c"],
    glue: ["wasm2c_glue", "wasm2c_env", "wasm_rt_baremetal"],
    // what main.c drives (docs/device-abi.md)
    exports: ["memory", "boot", "io_rx_ptr", "io_rx_cap", "io_feed", "io_tx_ptr"],
  },
  bench: {
    sources: ["startup.c", "bench_main.c", "wasm_rt_baremetal.c"],
    glue: ["bench_main", "wasm_rt_baremetal"],
    // it reads one byte from the UART: the Pico's SRAM4/5 goes to the float32 module's tables
    defines: { RX_RING_BYTES: 64 },
    // the direct API the float32 comparison module shares with the release module
    exports: ["memory", "spec_ptr", "required_bytes", "init", "batch_inputs_ptr", "batch_labels_ptr", "train", "evaluate", "last_loss"],
  },
};

/** Imports wasm2c_env.c provides (docs/device-abi.md). */
const PROVIDED_IMPORTS = ["env.flash_size", "env.flash_read", "env.flash_write"];

/** Room below the largest Wasm frame for what it may call that is not Wasm
 * (imports, memcpy/memset, longjmp, libm), measured generously. */
const NON_WASM_STACK = 512;

function run(tool: string, args: string[], cwd?: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(tool, args, { cwd, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolvePromise(stdout);
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        return reject(new UserError(`${tool} not found: apt-get install ${PACKAGES[tool] ?? tool}`, "E_TOOLCHAIN"));
      }
      reject(new Error(`${tool} ${args.join(" ")} failed:\n${stderr || stdout || err.message}`));
    });
  });
}

/** wasm-rt.h of the same wabt as wasm2c: <prefix>/include next to <prefix>/bin/wasm2c.
 * Copied into the build: -I/usr/include would shadow newlib's headers. */
async function findWasmRtHeader(): Promise<string> {
  const dirs = (process.env.PATH ?? "").split(":").filter(Boolean);
  for (const dir of dirs) {
    const bin = join(dir, "wasm2c");
    if (!existsSync(bin)) continue;
    const prefix = dirname(dirname(realpathSync(bin)));
    for (const h of ["include/wasm-rt.h", "share/wabt/wasm2c/wasm-rt.h"]) {
      if (existsSync(join(prefix, h))) return join(prefix, h);
    }
  }
  throw new UserError("wasm-rt.h not found next to wasm2c: apt-get install wabt", "E_TOOLCHAIN");
}

/** The module must have the variant's exports and import nothing we do not provide.
 * Returns its imports. */
function checkModule(bytes: Uint8Array, wasmPath: string, required: string[]): string[] {
  let mod: WebAssembly.Module;
  try {
    mod = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch (e: any) {
    throw new UserError(`${wasmPath}: not a valid WebAssembly module (${e?.message ?? e})`, "E_MODULE");
  }
  const exports = new Set(WebAssembly.Module.exports(mod).map((e) => e.name));
  const missing = required.filter((e) => !exports.has(e));
  if (missing.length) {
    throw new UserError(`${wasmPath}: missing device ABI exports ${missing.join(", ")} (docs/device-abi.md)`, "E_MODULE");
  }
  const imports = WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}`);
  const unknown = imports.filter((i) => !PROVIDED_IMPORTS.includes(i));
  if (unknown.length) {
    throw new UserError(`${wasmPath}: imports ${unknown.join(", ")} the firmware does not provide`, "E_MODULE");
  }
  return imports;
}

/** Largest frame in gcc -fstack-usage output ("file:line:col:fn<TAB>bytes<TAB>qualifier"). */
function maxStackFrame(suFiles: string[]): number {
  let max = 0;
  for (const file of suFiles) {
    for (const line of readFileSync(file, "utf8").split("\n")) {
      const [, bytes, kind] = line.split("\t");
      if (!bytes) continue;
      if (kind?.includes("dynamic") && !kind.includes("bounded")) {
        throw new Error(`${file}: unbounded stack frame (${line}); the stack guard cannot cover it`);
      }
      max = Math.max(max, Number(bytes));
    }
  }
  return max;
}

/** Writes through a temporary file, so a reader never sees half a file. */
function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

/**
 * RP2040 boot2: boot2.S assembled and linked alone (it runs from SRAM at 0x20041f00 and
 * uses no absolute address of its own), sealed with its CRC (boot2.ts) and wrapped into an
 * object whose .boot2 section pico.ld puts first in flash.
 */
async function buildBoot2(cpu: string[], out: string): Promise<string> {
  const obj = join(out, "boot2.o");
  await run("arm-none-eabi-gcc", [...cpu, "-c", join(FIRMWARE_DIR, "boot2.S"), "-o", obj], out);
  const raw = join(out, "boot2.bin");
  await run("arm-none-eabi-objcopy", ["-O", "binary", "-j", ".boot2", obj, raw]);
  const sealed = join(out, "boot2_sealed.bin");
  writeFileSync(sealed, sealBoot2(readFileSync(raw)));
  const wrapper = join(out, "boot2_image.S");
  writeFileSync(wrapper, `/* generated by firmware-build.ts: boot2.S sealed with its CRC */\n  .section .boot2, "ax"\n  .incbin "${sealed}"\n`);
  const image = join(out, "boot2_image.o");
  await run("arm-none-eabi-gcc", [...cpu, "-c", wrapper, "-o", image], out);
  return image;
}

/**
 * Builds the firmware for `board` (id or manifest) with the module at `wasmPath`
 * into `outDir` (created; reused files are overwritten). Throws UserError for a
 * missing tool, an unsupported board or a module without the device ABI.
 */
export async function buildFirmware(
  board: BoardManifest | string,
  wasmPath: string,
  outDir: string,
  options: FirmwareOptions = {},
): Promise<FirmwareBuild> {
  const b = typeof board === "string" ? loadBoard(board) : board;
  if (b.runtime !== "wasm2c") throw new UserError(`board ${b.id} runs "${b.runtime}", not wasm2c firmware`, "E_BOARD");
  const cpu = CPU_FLAGS[b.cpu];
  if (!cpu) throw new UserError(`board ${b.id}: unsupported cpu "${b.cpu}" (${Object.keys(CPU_FLAGS).join(", ")})`, "E_BOARD");
  const fam = family(b);
  const variant = options.variant ?? "pump";
  const v = VARIANTS[variant];
  if (!v) throw new UserError(`unknown firmware variant "${variant}" (${Object.keys(VARIANTS).join(", ")})`, "E_USAGE");
  const ram = options.ram ?? b.ram;
  if (!Number.isInteger(ram) || ram <= 0 || ram % 65536) throw new UserError(`firmware ram ${ram}: must be a positive multiple of 65536`, "E_USAGE");

  let bytes: Uint8Array;
  try {
    bytes = readFileSync(wasmPath);
  } catch {
    throw new UserError(`${wasmPath}: module not found (run npm run build)`, "E_MODULE");
  }
  const imports = checkModule(bytes, wasmPath, v.exports);

  const out = resolve(outDir);
  mkdirSync(join(out, "include"), { recursive: true });

  // Tools first, so a missing one is reported before any work.
  await run("wasm2c", ["--version"]);
  await run("arm-none-eabi-gcc", ["--version"]);
  const libc = (await run("arm-none-eabi-gcc", [...cpu, "-print-file-name=libc.a"])).trim();
  if (!libc.includes("/")) {
    throw new UserError("newlib not found: apt-get install libnewlib-arm-none-eabi", "E_TOOLCHAIN");
  }
  copyFileSync(await findWasmRtHeader(), join(out, "include", "wasm-rt.h"));

  // -n fewmul: fixed symbol prefix (Z_fewmul...) whatever the file is called.
  await run("wasm2c", ["-n", "fewmul", resolve(wasmPath), "-o", join(out, "module.c")]);
  if (!readFileSync(join(out, "module.h"), "utf8").includes("Z_fewmul_instantiate")) {
    const version = (await run("wasm2c", ["--version"])).trim();
    throw new UserError(
      `wasm2c ${version} emits an API wasm2c_glue.c does not know (written for wabt 1.0.32)`,
      "E_TOOLCHAIN",
    );
  }
  if (fam.inlineHotAccessors) {
    const hot = inlineAccessorsInLoops(readFileSync(join(out, "module.c"), "utf8"));
    writeFileSync(join(out, "module.c"), hot.source);
  }

  const cflags = [
    ...cpu,
    options.optimize ?? fam.optimize ?? "-O2", "-DNDEBUG", "-std=gnu11",
    "-ffunction-sections", "-fdata-sections", "-fno-common",
    // Wasm float semantics: no fused multiply-add (gcc fuses by default in GNU C),
    // no errno, so sqrt becomes the FPU instruction. Keeps results bit-exact with V8.
    "-ffp-contract=off", "-fno-math-errno",
    "-fstack-usage",
    ...(options.includeDirs ?? []).map((d) => `-I${resolve(d)}`),
    `-I${FIRMWARE_DIR}`, `-I${join(out, "include")}`, `-I${out}`,
    `-DBOARD_RAM=${ram}`, `-DBOARD_CHECKPOINT_BYTES=${b.checkpoint_bytes}`, `-DBOARD_BAUD=${b.baud}`,
    `-DBOARD_FLASH_BYTES=${b.flash}`,
    ...(variant === "bench" ? [`-DBENCH_IMPORTS=${imports.length ? 1 : 0}`] : []),
    ...Object.entries({ ...fam.defines, ...v.defines, ...options.defines }).map(([k, val]) => `-D${k}=${val}`),
  ];
  const compile = (src: string, extra: string[]) => {
    const obj = join(out, src.replace(/^.*\//, "").replace(/\.c$/, ".o"));
    return run("arm-none-eabi-gcc", [...cflags, ...extra, "-c", src, "-o", obj], out).then(() => obj);
  };
  // generated code: its config must precede wasm-rt.h; its warnings are not ours
  const moduleFlags = ["-include", "wasm_rt_baremetal.h", "-w", ...(fam.moduleFlags ?? [])];
  /** gcc -S, rewritten (the family's rewriteThumb1), then assembled; functions the assembler
   * refuses (a branch or literal pool pushed out of reach) keep gcc's code. */
  const compileRewritten = async (src: string, extra: string[]) => {
    const asmPath = join(out, "module.s"), obj = join(out, "module.o");
    await run("arm-none-eabi-gcc", [...cflags, ...extra, "-S", src, "-o", asmPath], out);
    const asm = readFileSync(asmPath, "utf8");
    const keep = new Set<string>();
    for (let attempt = 0; attempt < 4; attempt++) {
      const rewritten = outlineTrapBranches(reloadsAsMoves(spillsToHighRegisters(asm, keep).asm).asm, keep);
      writeFileSync(join(out, "module.rewritten.s"), rewritten.asm);
      try {
        await run("arm-none-eabi-gcc", [...cpu, "-c", join(out, "module.rewritten.s"), "-o", obj], out);
        return obj;
      } catch (e) {
        const refused = functionsAtErrors(rewritten.asm, String((e as Error).message));
        if (refused.size === 0 || [...refused].every((f) => keep.has(f))) break;
        for (const f of refused) keep.add(f);
      }
    }
    await run("arm-none-eabi-gcc", [...cpu, "-c", asmPath, "-o", obj], out);
    return obj;
  };
  const objects = await Promise.all([
    fam.rewriteThumb1 ? compileRewritten(join(out, "module.c"), moduleFlags) : compile(join(out, "module.c"), moduleFlags),
    ...[...v.sources, ...fam.sources, fam.flash, ...(variant === "bench" && imports.length ? ["wasm2c_env.c"] : [])]
      .map((s) => compile(join(FIRMWARE_DIR, s), ["-Wall", "-Wextra"])),
    ...(fam.boot2 ? [buildBoot2(cpu, out)] : []),
  ]);

  // Stack guard margin: the largest Wasm frame must fit below the guard, plus the
  // firmware code a Wasm function can call (imports, trap path) and libc.
  const maxFrame = maxStackFrame([join(out, "module.su")]);
  const firmwareFrame = maxStackFrame(
    [...v.glue, fam.flash.replace(/\.c$/, ""), ...(variant === "bench" && imports.length ? ["wasm2c_env"] : [])]
      .map((f) => join(out, `${f}.su`)),
  );
  // (the Thumb-1 rewrite pushes up to four high registers more than -fstack-usage counted)
  const margin = Math.ceil((maxFrame + (fam.rewriteThumb1 ? 16 : 0) + firmwareFrame + NON_WASM_STACK) / 8) * 8;

  const elf = join(out, "fw.elf");
  const bin = join(out, "fw.bin");
  await run("arm-none-eabi-gcc", [
    ...cpu, "-nostartfiles", "--specs=nosys.specs",
    "-T", join(FIRMWARE_DIR, fam.ld),
    "-Wl,--gc-sections", `-Wl,--defsym=WASM_STACK_MARGIN=${margin}`, `-Wl,-Map=${join(out, "fw.map")}`,
    `-Wl,--defsym=CKPT_BYTES=${b.checkpoint_bytes}`,
    ...objects, "-lm", "-lc", "-lgcc", "-o", elf,
  ], out);
  await run("arm-none-eabi-objcopy", ["-O", "binary", elf, bin]);
  let uf2: string | undefined;
  if (fam.uf2) {
    const image = readFileSync(bin);
    const room = b.flash - b.checkpoint_bytes;
    if (image.length > room) {
      throw new UserError(`board ${b.id}: the image is ${image.length} bytes, the flash below the checkpoint area holds ${room}`, "E_BOARD");
    }
    uf2 = join(out, "fewmul.uf2");
    writeFileAtomic(uf2, toUf2(image, fam.uf2.base, fam.uf2.family));
  }

  // Berkeley format: header line, then "text data bss dec hex filename"
  const sizes = (await run("arm-none-eabi-size", ["-B", elf])).trim().split("\n")[1].trim().split(/\s+/);
  const [text, data, bss] = sizes.slice(0, 3).map(Number);
  // SysV format: "name size addr" per section
  const sections: Record<string, number> = {};
  for (const line of (await run("arm-none-eabi-size", ["-A", elf])).split("\n")) {
    const m = /^(\.\S+)\s+(\d+)\s+\d+/.exec(line.trim());
    if (m && m[1] !== ".comment" && !m[1].startsWith(".debug") && !m[1].startsWith(".ARM.attributes")) sections[m[1]] = Number(m[2]);
  }
  return { elf, bin, ...(uf2 ? { uf2 } : {}), text, data, bss, moduleBytes: statSync(wasmPath).size, maxFrame, sections, ram, variant };
}

