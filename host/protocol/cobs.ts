// COBS byte stuffing (Cheshire & Baker): the encoded frame has no 0x00, so 0x00 can
// delimit frames and a receiver resynchronises at the next one after any damage.

/** Encodes `data` (no delimiter appended). Output is at most data.length + ceil(n/254) + 1. */
export function cobsEncode(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(cobsMaxEncoded(data.length));
  let o = 1;
  let codePos = 0;
  let code = 1;
  for (const b of data) {
    if (b === 0) {
      out[codePos] = code;
      codePos = o++;
      code = 1;
    } else {
      out[o++] = b;
      if (++code === 0xff) { // a full block of 254 data bytes carries no implied zero
        out[codePos] = code;
        codePos = o++;
        code = 1;
      }
    }
  }
  out[codePos] = code;
  return out.subarray(0, o);
}

/** Decodes one frame (without its delimiter); null if it contains 0x00 or ends inside a block. */
export function cobsDecode(enc: Uint8Array): Uint8Array | null {
  const out = new Uint8Array(enc.length);
  let o = 0;
  let i = 0;
  while (i < enc.length) {
    const code = enc[i++];
    if (code === 0 || i + code - 1 > enc.length) return null;
    for (let k = 1; k < code; k++) {
      const b = enc[i++];
      if (b === 0) return null;
      out[o++] = b;
    }
    if (code !== 0xff && i < enc.length) out[o++] = 0;
  }
  return out.subarray(0, o);
}

/** Worst-case encoded size of n bytes, without the delimiter. */
export function cobsMaxEncoded(n: number): number {
  return n + Math.ceil(n / 254) + 1;
}
