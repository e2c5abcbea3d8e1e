// Loads the device module into this Node process: the "device" behind the emulator, the
// tests and the benches. Instantiates it with @assemblyscript/loader, supplies the flash
// imports, enforces the board's RAM limit, and gives the host one typed view of the module's
// memory (ModuleMemory): the device ABI passes raw addresses (docs/device-abi.md), not
// managed objects, so the loader's object helpers (__getUint8ArrayView...) do not apply.
import { readFileSync } from "node:fs";
import { instantiateSync, type ASUtil } from "@assemblyscript/loader";
import { join } from "node:path";
import { UserError } from "../errors.ts";
import { PACKAGE_ROOT } from "../package-root.ts";
import { withMemoryMaximum } from "./memory-limit.ts";

export const RELEASE_MODULE = join(PACKAGE_ROOT, "build", "fewmul.wasm");

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

/**
 * Typed access to the module's linear memory at raw addresses. Views are live until the
 * memory grows (init may grow it): take them when needed, do not keep them.
 */
export class ModuleMemory {
  constructor(readonly memory: WebAssembly.Memory) {}
  get byteLength(): number { return this.memory.buffer.byteLength; }
  u8(ptr: number, length: number): Uint8Array { return new Uint8Array(this.memory.buffer, ptr, length); }
  i16(ptr: number, length: number): Int16Array { return new Int16Array(this.memory.buffer, ptr, length); }
  i32(ptr: number, length: number): Int32Array { return new Int32Array(this.memory.buffer, ptr, length); }
  u32(ptr: number, length: number): Uint32Array { return new Uint32Array(this.memory.buffer, ptr, length); }
  /** Field access (DataView) to `length` bytes at `ptr`, by default up to the end of memory. */
  data(ptr: number, length = this.byteLength - ptr): DataView { return new DataView(this.memory.buffer, ptr, length); }
  /** A copy of `length` bytes at `ptr`; RangeError when outside the memory. */
  read(ptr: number, length: number): Uint8Array { return this.u8(ptr, length).slice(); }
  /** Copies `bytes` (any typed array) to `ptr`; RangeError when outside the memory. */
  write(ptr: number, bytes: ArrayBufferView): void {
    this.u8(ptr, bytes.byteLength).set(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
}

export interface LoadedModule {
  instance: WebAssembly.Instance;
  /** The module's exports as the loader demangles them (functions, memory). */
  exports: ASUtil & Record<string, any>;
  memory: WebAssembly.Memory;
  /** Typed views of `memory`. */
  mem: ModuleMemory;
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
  let mem: ModuleMemory | undefined;
  const env = {
    flash_size: () => flash.size,
    flash_read: (offset: number, dst: number, len: number) => {
      const bytes = flash.read(offset, len);
      if (!bytes) return -1;
      mem!.write(dst, bytes);
      return 0;
    },
    flash_write: (offset: number, src: number, len: number) => {
      if (src + len > mem!.byteLength) throw new RangeError("flash_write: source outside linear memory");
      return flash.write(offset, mem!.read(src, len)) ? 0 : -1;
    },
    abort: () => { throw new Error("module aborted"); },
  };
  const { instance, exports } = instantiateSync<Record<string, any>>(module, { env });
  const memory = exports.memory as WebAssembly.Memory;
  mem = new ModuleMemory(memory);
  return { instance, exports, memory, mem, flash };
}
