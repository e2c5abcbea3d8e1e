// Loads the device module into this Node process: the "device" behind the emulator, the
// tests and the benches. Supplies the flash imports and enforces the board's RAM limit.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { UserError } from "../errors.ts";
import { withMemoryMaximum } from "./memory-limit.ts";

export const RELEASE_MODULE = fileURLToPath(new URL("../../build/fewmul.wasm", import.meta.url));

/** Checkpoint storage offered to the module (env.flash_*); survives module restarts. */
export interface Flash {
  readonly size: number;
  read(offset: number, length: number): Uint8Array | undefined;
  write(offset: number, bytes: Uint8Array): boolean;
}

export class MemoryFlash implements Flash {
  readonly bytes: Uint8Array;
  constructor(readonly size: number) { this.bytes = new Uint8Array(size); }
  read(offset: number, length: number) {
    return offset + length <= this.size ? this.bytes.slice(offset, offset + length) : undefined;
  }
  write(offset: number, bytes: Uint8Array) {
    if (offset + bytes.length > this.size) return false;
    this.bytes.set(bytes, offset);
    return true;
  }
}

export interface LoadOptions {
  /** Module file; default build/fewmul.wasm. */
  path?: string;
  /** Module bytes, instead of a file (e.g. an instrumented copy). */
  wasm?: Uint8Array;
  /** Maximum linear memory in bytes (the board's RAM); default 16 MiB. */
  ramBytes?: number;
  /** Checkpoint storage; default 1 MiB in memory. */
  flash?: Flash;
}

export interface LoadedModule {
  instance: WebAssembly.Instance;
  exports: Record<string, any>;
  memory: WebAssembly.Memory;
  flash: Flash;
}

const compiled = new Map<string, WebAssembly.Module>();

/** Compiles (once per file and RAM size) the module with its memory capped at `ramBytes`. */
export function compileModule(path: string, ramBytes: number): WebAssembly.Module {
  const key = `${path}@${ramBytes}`;
  let mod = compiled.get(key);
  if (!mod) {
    let bytes: Buffer;
    try { bytes = readFileSync(path); } catch {
      throw new UserError(`${path}: module not found (run npm run build)`, "E_MODULE");
    }
    mod = new WebAssembly.Module(withMemoryMaximum(bytes, Math.floor(ramBytes / 65536)) as Uint8Array<ArrayBuffer>);
    compiled.set(key, mod);
  }
  return mod;
}

/** Instantiates a fresh copy (RAM lost, flash kept: a device reset). */
export function instantiate(options: LoadOptions = {}): LoadedModule {
  const path = options.path ?? RELEASE_MODULE;
  const flash = options.flash ?? new MemoryFlash(1 << 20);
  const ram = options.ramBytes ?? 16 << 20;
  const module = options.wasm
    ? new WebAssembly.Module(withMemoryMaximum(options.wasm, Math.floor(ram / 65536)) as Uint8Array<ArrayBuffer>)
    : compileModule(path, ram);
  let memory: WebAssembly.Memory | undefined;
  const heap = () => new Uint8Array(memory!.buffer);
  const env = {
    flash_size: () => flash.size,
    flash_read: (offset: number, dst: number, len: number) => {
      const bytes = flash.read(offset, len);
      if (!bytes) return -1;
      heap().set(bytes, dst);
      return 0;
    },
    flash_write: (offset: number, src: number, len: number) => {
      if (src + len > heap().length) throw new RangeError("flash_write: source outside linear memory");
      return flash.write(offset, heap().slice(src, src + len)) ? 0 : -1;
    },
    abort: () => { throw new Error("module aborted"); },
  };
  const instance = new WebAssembly.Instance(module, { env });
  const exports = instance.exports as Record<string, any>;
  memory = instance.exports.memory as WebAssembly.Memory;
  return { instance, exports, memory, flash };
}
