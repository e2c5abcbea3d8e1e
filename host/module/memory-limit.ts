// Gives a compiled module's own memory a maximum, so that memory.grow inside the module
// fails beyond the board's RAM exactly as it does on the board (the module declares none).

function readLeb(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0, shift = 0, b: number;
  do { b = bytes[at++]; value += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
  return [value, at];
}

function leb(value: number): number[] {
  const out: number[] = [];
  do { let b = value & 0x7f; value = Math.floor(value / 128); if (value) b |= 0x80; out.push(b); } while (value);
  return out;
}

/** Returns a copy of the module whose (single, defined) memory has `maxPages` as maximum. */
export function withMemoryMaximum(wasm: Uint8Array, maxPages: number): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [wasm.subarray(0, 8)];
  let at = 8;
  while (at < wasm.length) {
    const id = wasm[at];
    const [size, body] = readLeb(wasm, at + 1);
    const end = body + size;
    if (id === 5) {
      let [count, p] = readLeb(wasm, body);
      if (count !== 1) throw new Error("module defines more than one memory");
      const flags = wasm[p];
      const [min] = readLeb(wasm, p + 1);
      if (flags & ~1) throw new Error("unsupported memory flags");
      const payload = [1, ...leb(1), ...leb(min), ...leb(Math.max(min, maxPages))];
      parts.push(new Uint8Array([5, ...leb(payload.length), ...payload]));
    } else {
      parts.push(wasm.subarray(at, end));
    }
    at = end;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
