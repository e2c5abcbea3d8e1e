/**
 * Frame fuzzer for the device's byte pump. Not a test; run:
 *   node --import tsx bench/fuzz-frames.ts [--frames 1000000] [--seed 1] [--wasm build/fewmul.wasm]
 *
 * Phase 1 (most frames): random garbage, mutated copies of valid frames (bit flips, cuts,
 * splices, stray delimiters, oversize) and well-formed frames out of sequence. The device must
 * never trap, must answer nothing but NAKs, and the model digest and step must not move.
 * Phase 2 (the rest): well-formed in-sequence frames with random commands and bodies, which the
 * device executes: it must never trap and must answer every one of them.
 * Frames are packed into io_feed calls of up to io_rx_cap bytes, so they also straddle calls.
 */
import { instantiate, RELEASE_MODULE } from "../host/module/loader.ts";
import { DEFAULT_SPEC, encodeSpec } from "../host/module/spec.ts";
import { encodeFrame, FrameDecoder } from "../host/protocol/frame.ts";
import { readDeviceInfo, Writer } from "../host/protocol/messages.ts";
import {
  BATCH_DATA_HEADER, Cmd, HELLO_BODY, INIT_SEED_BYTES, NAK, PROTOCOL_VERSION, REPLY_BIT, REQUEST_OVERHEAD, SPEC_BYTES,
  STATE_COMMIT_BODY, STATE_READ_BODY, STATE_WRITE_HEADER, TRAIN_BODY,
} from "../host/protocol/opcodes.ts";
import { batchCrc } from "../host/protocol/session.ts";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const TOTAL = Number(opt("--frames", "1000000"));
const SEED = Number(opt("--seed", "1"));
const WASM = opt("--wasm", process.env.FEWMUL_WASM ?? RELEASE_MODULE);

let x = SEED >>> 0 || 1;
const rnd = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
const below = (n: number) => rnd() % n;
const bytes = (n: number) => Uint8Array.from({ length: n }, () => rnd() & 0xff);
/** Mostly short, sometimes up to a few frames long. */
const length = () => (below(16) === 0 ? below(2600) : below(80));

const { exports: dev, mem } = instantiate({ path: WASM });
if (typeof dev.io_feed !== "function") throw new Error(`${WASM} has no io_feed export`);
dev.boot();
const cap: number = dev.io_rx_cap();
const decoder = new FrameDecoder();

let pending: number[] = [];
let replies = 0;
let naks = 0;
let otherReplies = 0;
let helloReply: Uint8Array | undefined;
function flush(): void {
  for (let off = 0; off < pending.length; off += cap) {
    const part = pending.slice(off, off + cap);
    mem.write(dev.io_rx_ptr(), Uint8Array.from(part));
    const n = dev.io_feed(part.length);
    for (const f of decoder.push(mem.u8(dev.io_tx_ptr(), n))) {
      if (!f.ok) throw new Error(`device sent a damaged frame (${f.reason})`);
      replies++;
      if (f.cmd === NAK) naks++; else otherReplies++;
      if (f.cmd === (Cmd.HELLO | REPLY_BIT) && f.body[0] === 0) helloReply ??= f.body.subarray(1);
    }
  }
  pending = [];
}
const send = (b: Uint8Array) => { for (const v of b) pending.push(v); if (pending.length >= 8 * cap) flush(); };

// A trained model to protect.
const SPEC = encodeSpec({ ...DEFAULT_SPEC, sizes: [16, 24, 4], batch: 8 });
let seq = 1000;
const request = (cmd: number, body: Uint8Array = new Uint8Array(0)) => encodeFrame(seq++, cmd, body);
send(Uint8Array.of(0));
const helloBody = (version: number) => new Writer(HELLO_BODY).u16(version).done();
const initBody = (lo: number, hi: number) => new Writer(SPEC_BYTES + INIT_SEED_BYTES).raw(SPEC).u32(lo).u32(hi).done();
send(request(Cmd.HELLO, helloBody(PROTOCOL_VERSION)));
flush();
if (!helloReply) throw new Error("setup failed: no HELLO reply");
/** The device's limits, as it announces them: its receive window and largest frame. */
const { window: WINDOW, maxFrame } = readDeviceInfo(helloReply);
/** Largest request body the device accepts: its largest frame less seq, cmd and CRC. */
const MAX_BODY = maxFrame - REQUEST_OVERHEAD;
send(request(Cmd.INIT, initBody(5, 0)));
for (let id = 1; id <= 2; id++) {
  const inputs = bytes(8 * 16);
  const labels = Uint8Array.from({ length: 8 }, () => below(4));
  send(request(Cmd.BATCH_DATA, new Writer(BATCH_DATA_HEADER + 136).u32(id).u32(0).raw(inputs).raw(labels).done()));
  send(request(Cmd.TRAIN, new Writer(TRAIN_BODY).u32(id).u32(id).u16(8).u32(batchCrc(inputs, labels)).done()));
}
flush();
const digest = () => dev.state_digest() >>> 0;
const before = { digest: digest(), step: dev.step() as number, replies: otherReplies };
if (before.step !== 2) throw new Error(`setup failed: step ${before.step}`);

/** Valid frames to mutate: every command, plausible bodies, the current seq. */
const templates = () => [
  request(Cmd.STATS),
  request(Cmd.TRAIN, new Writer(TRAIN_BODY).u32(3 + below(5)).u32(3).u16(8).u32(rnd()).done()),
  request(Cmd.BATCH_DATA, new Writer(BATCH_DATA_HEADER + 40).u32(3).u32(below(140)).raw(bytes(40)).done()),
  request(Cmd.STATE_WRITE, new Writer(STATE_WRITE_HEADER + 32).u32(below(2000)).raw(bytes(32)).done()),
  request(Cmd.STATE_COMMIT, new Writer(STATE_COMMIT_BODY).u32(rnd()).u32(rnd()).done()),
  request(Cmd.INIT, initBody(rnd(), rnd())),
  request(Cmd.CHECKPOINT),
  request(Cmd.STATE_READ, new Writer(STATE_READ_BODY).u32(below(3000)).u16(below(1100)).done()),
];

function mutate(f: Uint8Array): Uint8Array {
  const m = Uint8Array.from(f);
  switch (below(6)) {
    case 0: { // 1..4 bit flips in the frame body (not the delimiter)
      const flips = 1 + below(4);
      for (let k = 0; k < flips; k++) m[below(m.length - 1)] ^= 1 << below(8);
      return m;
    }
    case 1: return Uint8Array.from([...m.subarray(0, below(m.length)), 0]); // cut short
    case 2: return Uint8Array.from([...m.subarray(0, below(m.length)), ...bytes(1 + below(20)), 0]); // splice
    case 3: { const i = below(m.length - 1); m[i] = 0; return m; } // forged delimiter
    case 4: return Uint8Array.from([...m.subarray(0, m.length - 1), ...bytes(1 + below(8)).map((v) => v | 1), 0]); // trailing junk
    default: return Uint8Array.from([...bytes(2000 + below(600)).map((v) => v | 1), 0]); // oversize
  }
}

/** True if the device would take it as a frame in (or just behind) its receive window: skipped in phase 1. */
function executable(frame: Uint8Array, expected: number): boolean {
  for (const f of new FrameDecoder().push(frame)) {
    if (f.ok && (((f.seq - expected) & 0xffff) < WINDOW || ((expected - f.seq) & 0xffff) <= WINDOW)) return true;
  }
  return false;
}

const phase1 = Math.floor(TOTAL * 0.9);
const started = performance.now();
let fed = 0;
const expected = seq;
while (fed < phase1) {
  let frame: Uint8Array;
  const kind = below(10);
  if (kind < 4) {
    frame = Uint8Array.from([...bytes(length()), 0]);
  } else if (kind < 9) {
    const t = templates();
    seq = expected; // templates carry the seq the device expects: only damage keeps them out
    frame = mutate(t[below(t.length)]);
  } else {
    seq = (expected + WINDOW + below(0x10000 - 3 * WINDOW)) & 0xffff; // well-formed but outside the window
    const t = templates();
    frame = t[below(t.length)];
  }
  seq = expected;
  if (executable(frame, expected)) continue;
  send(frame);
  fed++;
  if (fed % 100_000 === 0) {
    flush();
    if (digest() !== before.digest || dev.step() !== before.step) throw new Error(`state changed after ${fed} rejected frames`);
  }
}
flush();
const after = { digest: digest(), step: dev.step() as number };
if (after.digest !== before.digest || after.step !== before.step) throw new Error("a rejected frame changed the model");
if (otherReplies !== before.replies) throw new Error(`${otherReplies - before.replies} rejected frames got a non-NAK reply`);
const rejectedNaks = naks;

// Phase 2: in-sequence frames with random commands and bodies are executed; none may trap.
send(Uint8Array.of(0));
const answeredBefore = replies;
const phase2 = TOTAL - phase1;
for (let i = 0; i < phase2; i++) {
  // A HELLO every 32 frames opens a fresh window: random data frames may be left "not done"
  // (E_BUSY), which would hold the window's left edge as a host that never resends them.
  const cmd = i % 32 === 0 ? Cmd.HELLO : below(8) === 0 ? below(256) : 1 + below(10);
  let body: Uint8Array;
  if (cmd === Cmd.HELLO) body = helloBody(i % 32 !== 0 && below(4) === 0 ? rnd() & 0xffff : PROTOCOL_VERSION);
  else if (cmd === Cmd.INIT && below(2) === 0) body = initBody(rnd(), rnd());
  else body = bytes(below(4) === 0 ? below(MAX_BODY + 1) : below(64));
  send(encodeFrame(seq++, cmd, body));
  flush(); // one frame per call here: a whole call of executed frames may out-talk the tx buffer
  fed++;
}
flush();
const answered = replies - answeredBefore; // (a reply to command 0x7F reads as a NAK: count all)
if (answered !== phase2) throw new Error(`phase 2: ${phase2} frames, ${answered} replies`);

const seconds = (performance.now() - started) / 1000;
console.log(`fuzz-frames: ${fed.toLocaleString("en")} frames fed (${phase1.toLocaleString("en")} rejected, ${phase2.toLocaleString("en")} executed), ` +
  `${rejectedNaks.toLocaleString("en")} NAKs, no trap, digest 0x${before.digest.toString(16)} unchanged by rejected frames, ${seconds.toFixed(1)} s`);
