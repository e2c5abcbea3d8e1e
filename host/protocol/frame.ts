// Frames on the wire: COBS(seq u16 LE, cmd u8, body, CRC-32 LE of all before it), then 0x00.
// Replies put a status byte (i8) first in their body; see docs/protocol.md.
import { cobsDecode, cobsEncode, cobsMaxEncoded } from "./cobs.ts";
import { crc32 } from "../crc32.ts";
import { MIN_FRAME } from "../../assembly/shared/frame.ts";

/** Encodes one frame, delimiter included. */
export function encodeFrame(seq: number, cmd: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const raw = new Uint8Array(body.length + MIN_FRAME);
  const view = new DataView(raw.buffer);
  view.setUint16(0, seq & 0xffff, true);
  raw[2] = cmd;
  raw.set(body, 3);
  view.setUint32(raw.length - 4, crc32(raw.subarray(0, raw.length - 4)), true);
  const enc = cobsEncode(raw);
  const out = new Uint8Array(enc.length + 1);
  out.set(enc);
  return out;
}

export interface GoodFrame { ok: true; seq: number; cmd: number; body: Uint8Array }
/** A damaged frame; `seq` is what could be read of it, and may itself be damaged. */
export interface BadFrame { ok: false; reason: "crc" | "cobs" | "short" | "long"; seq?: number }
export type DecodedFrame = GoodFrame | BadFrame;

export interface FrameDecoderOptions {
  /** Largest decoded frame accepted (seq + cmd + body + crc), 7..16 MiB; default 65536. */
  maxFrame?: number;
}

const KNOWN_OPTIONS = new Set(["maxFrame"]);

/**
 * Streaming decoder: push() any chunks of the byte stream, get back the frames they completed.
 * Bytes between frames (line noise) come out as bad frames or vanish, never as good ones.
 */
export class FrameDecoder {
  readonly maxFrame: number;
  private readonly maxEncoded: number;
  private buf: Uint8Array;
  private len = 0;
  private overflow = false;

  constructor(options: FrameDecoderOptions = {}) {
    for (const key of Object.keys(options)) {
      if (!KNOWN_OPTIONS.has(key)) throw new TypeError(`FrameDecoder: unknown option "${key}"`);
    }
    const maxFrame = options.maxFrame ?? 65536;
    if (!Number.isInteger(maxFrame) || maxFrame < MIN_FRAME || maxFrame > 1 << 24) {
      throw new TypeError(`FrameDecoder: option "maxFrame" must be an integer in 7..16777216, got ${String(maxFrame)}`);
    }
    this.maxFrame = maxFrame;
    this.maxEncoded = cobsMaxEncoded(maxFrame);
    this.buf = new Uint8Array(Math.min(this.maxEncoded, 4096));
  }

  push(chunk: Uint8Array): DecodedFrame[] {
    const frames: DecodedFrame[] = [];
    for (const b of chunk) {
      if (b === 0) {
        const f = this.finish();
        if (f) frames.push(f);
        this.len = 0;
        this.overflow = false;
      } else if (this.len < this.maxEncoded) {
        if (this.len === this.buf.length) this.grow();
        this.buf[this.len++] = b;
      } else {
        this.overflow = true; // keep the head (for its seq), drop the rest until the delimiter
      }
    }
    return frames;
  }

  private grow(): void {
    const bigger = new Uint8Array(Math.min(this.buf.length * 2, this.maxEncoded));
    bigger.set(this.buf);
    this.buf = bigger;
  }

  private finish(): DecodedFrame | undefined {
    if (this.len === 0) return undefined; // idle line or a flushing delimiter
    const enc = this.buf.subarray(0, this.len);
    if (this.overflow) return { ok: false, reason: "long", seq: peekSeq(enc) };
    const raw = cobsDecode(enc);
    if (raw === null) return { ok: false, reason: "cobs", seq: peekSeq(enc) };
    if (raw.length > this.maxFrame) return { ok: false, reason: "long", seq: peekSeq(enc) };
    if (raw.length < MIN_FRAME) return { ok: false, reason: "short", seq: peekSeq(enc) };
    const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
    const seq = view.getUint16(0, true);
    if (crc32(raw.subarray(0, raw.length - 4)) !== view.getUint32(raw.length - 4, true)) {
      return { ok: false, reason: "crc", seq };
    }
    return { ok: true, seq, cmd: raw[2], body: raw.slice(3, raw.length - 4) };
  }
}

/** The first two decoded bytes of a damaged frame (its seq), if the prefix decodes that far. */
function peekSeq(enc: Uint8Array): number | undefined {
  const out: number[] = [];
  for (let i = 0; i < enc.length && out.length < 2;) {
    const code = enc[i++];
    if (code === 0) return undefined;
    for (let k = 1; k < code && out.length < 2; k++, i++) {
      if (i >= enc.length) return undefined;
      out.push(enc[i]);
    }
    if (code !== 0xff) out.push(0);
  }
  return out.length >= 2 ? out[0] | (out[1] << 8) : undefined;
}
