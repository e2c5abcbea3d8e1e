// What the device and the host must agree on comes from one list (assembly/shared/*.ts, compiled
// into the module and imported by the host). These tests fail when either side drifts from it:
// the compiled module's own answers, the host's checks and docs/protocol.md's tables.
import { readFileSync } from "node:fs";
import test from "ava";
import * as StatusCodes from "../../assembly/shared/status.ts";
import * as Frame from "../../assembly/shared/frame.ts";
import * as SpecLayout from "../../assembly/shared/spec.ts";
import * as StateLayout from "../../assembly/shared/state.ts";
import { UserError } from "../../host/errors.ts";
import { DeviceModel } from "../../host/module/device-model.ts";
import { checkSpecBytes, encodeSpec, parseSpec, type ModelSpec } from "../../host/module/spec.ts";
import { stateTensors } from "../../host/module/state-layout.ts";
import { parseModelSpec } from "../../host/module/conv-spec.ts";
import { STATUS_MESSAGES, statusMessage } from "../../host/module/status.ts";
import { encodeFrame } from "../../host/protocol/frame.ts";
import { Writer } from "../../host/protocol/messages.ts";
import { Cmd } from "../../host/protocol/opcodes.ts";
import { crc32 } from "../../host/crc32.ts";
import { feed, openDevice, replies, replyStatus } from "../protocol/helpers.ts";

const docs = readFileSync(new URL("../../docs/protocol.md", import.meta.url), "utf8");
const codes = Object.entries(StatusCodes) as [string, number][];

test("every status code has its own one-line message, and no message lacks a code", (t) => {
  const messages = new Set<string>();
  for (const [name, code] of codes) {
    const m = statusMessage(code);
    t.false(m.startsWith("device status"), `${name} (${code}) has no message`);
    t.false(m.includes("\n"));
    messages.add(m);
  }
  t.is(messages.size, codes.length, "two codes share a message");
  t.deepEqual(Object.keys(STATUS_MESSAGES).map(Number).sort((a, b) => a - b), codes.map(([, c]) => c).sort((a, b) => a - b));
  t.is(statusMessage(-99), "device status -99");
});

test("docs/protocol.md lists every status code and command byte with the shared values", (t) => {
  const documented = new Map<string, number>();
  for (const m of docs.matchAll(/`(-\d+) (E_[A-Z_]+)`|\| (-\d+) \| (E_[A-Z_]+) \|/g)) {
    documented.set(m[2] ?? m[4], Number(m[1] ?? m[3]));
  }
  for (const [name, code] of codes) if (code !== 0) t.is(documented.get(name), code, `${name} in docs/protocol.md`);
  t.is(documented.size, codes.length - 1, "docs/protocol.md names a code the device does not have");
  const commands = new Map<string, number>();
  for (const m of docs.matchAll(/^\| (0x[0-9A-Fa-f]{2}) \| ([A-Z_]+) \|/gm)) commands.set(m[2], Number(m[1]));
  t.deepEqual(Object.fromEntries(commands), { ...Cmd });
});

test("the compiled module's statuses are the shared codes", (t) => {
  const model = new DeviceModel();
  const x = model.mod.exports;
  t.is(x.state_commit(), StatusCodes.E_NOT_READY);
  const bytes = encodeSpec(parseSpec("16-8-4"));
  bytes[SpecLayout.SPEC_O_VERSION] = SpecLayout.SPEC_VERSION + 1;
  model.mod.mem.write(x.spec_ptr(), bytes);
  t.is(x.init(1, 0), StatusCodes.E_SPEC);
  const small = new DeviceModel({ ramBytes: 64 << 10 });
  small.mod.mem.write(small.mod.exports.spec_ptr(), encodeSpec(parseSpec("784-256-10")));
  t.is(small.mod.exports.init(1, 0), StatusCodes.E_NOMEM);
  model.init(parseSpec("16-8-4,batch=2"), 1);
  t.is(x.train(3), StatusCodes.E_BATCH);
});

test("a state blob has the shared header layout, and the host's tensor map covers it exactly", (t) => {
  for (const text of ["16-8-4:bc,batch=2", "100-48-10:tc", "9-7-5-3,batch=4", "3-2"]) {
    const model = new DeviceModel();
    const spec = parseSpec(text);
    model.init(spec, 7);
    const blob = model.saveState();
    const view = new DataView(blob.buffer);
    t.is(view.getUint32(StateLayout.STATE_O_MAGIC, true), StateLayout.STATE_MAGIC);
    t.is(view.getUint16(StateLayout.STATE_O_VERSION, true), StateLayout.STATE_VERSION);
    t.is(view.getUint16(StateLayout.STATE_O_HEADER_LEN, true), StateLayout.STATE_HEADER_BYTES);
    t.is(view.getUint32(StateLayout.STATE_O_LENGTH, true), blob.length);
    t.is(view.getUint32(StateLayout.STATE_O_DIGEST, true), model.digest());
    t.is(view.getUint32(StateLayout.STATE_O_DIGEST, true), crc32(blob.subarray(StateLayout.STATE_O_SPEC)));
    t.deepEqual(blob.subarray(StateLayout.STATE_O_SPEC, StateLayout.STATE_O_SPEC + SpecLayout.SPEC_BYTES), encodeSpec(spec));
    t.is(view.getUint32(StateLayout.STATE_O_STEP, true), 0);
    t.is(view.getInt32(StateLayout.STATE_O_LR, true), spec.lrStart << 16);
    const slots = stateTensors(blob);
    const last = slots[slots.length - 1];
    t.is(last.offset + last.count * last.size, blob.length, text);
    t.is(slots.find((s) => s.name === "layer0.weights")!.offset, StateLayout.STATE_O_LAYERS);
  }
});

test("frame constants: a request's overhead is what the device's smallest frame is", (t) => {
  t.is(Frame.MIN_FRAME, Frame.HEADER_LEN + Frame.CRC_LEN);
  t.is(Frame.REPLY_MIN_FRAME, Frame.MIN_FRAME + 1);
  t.true(docs.includes(`version u16\` (= ${Frame.PROTOCOL_VERSION})`), "docs/protocol.md names the protocol version");
});

/** Each command's request body: its fixed length, or (data commands) the header before the bytes. */
const REQUEST_BODIES: Record<keyof typeof Cmd, { fixed: number } | { header: number }> = {
  HELLO: { fixed: Frame.HELLO_BODY },
  INIT: { fixed: SpecLayout.SPEC_BYTES + Frame.INIT_SEED_BYTES },
  BATCH_DATA: { header: Frame.BATCH_DATA_HEADER },
  TRAIN: { fixed: Frame.TRAIN_BODY },
  EVAL: { fixed: Frame.EVAL_BODY },
  STATE_READ: { fixed: Frame.STATE_READ_BODY },
  STATE_WRITE: { header: Frame.STATE_WRITE_HEADER },
  STATE_COMMIT: { fixed: Frame.STATE_COMMIT_BODY },
  CHECKPOINT: { fixed: 0 },
  STATS: { fixed: 0 },
  CALIBRATE: { fixed: Frame.CALIBRATE_BODY },
  REBOOT: { fixed: Frame.REBOOT_BODY },
};

test("request body lengths: docs/protocol.md's layouts are the shared lengths", (t) => {
  const FIELD = /^\w+ (u8|i8|u16|u32)$|^spec\[(\d+)\]$|^bytes\.\.\.$/;
  const SIZE: Record<string, number> = { u8: 1, i8: 1, u16: 2, u32: 4 };
  let rows = 0;
  for (const m of docs.matchAll(/^\| 0x[0-9A-Fa-f]{2} \| ([A-Z_]+) \| ([^|]*(?:\\\|[^|]*)*) \|/gm)) {
    const name = m[1] as keyof typeof Cmd;
    const cell = m[2].replace(/\(.*?\)/g, "").trim();
    let bytes = 0, data = false;
    if (cell !== "—") {
      for (const field of cell.split("\\|").map((f) => f.replace(/`/g, "").trim())) {
        const f = FIELD.exec(field);
        if (!f) { t.fail(`${name}: unreadable field "${field}"`); continue; }
        if (f[1]) bytes += SIZE[f[1]]; else if (f[2]) bytes += Number(f[2]); else data = true;
      }
    }
    t.deepEqual(data ? { header: bytes } : { fixed: bytes }, REQUEST_BODIES[name], `${name} in docs/protocol.md`);
    rows++;
  }
  t.is(rows, Object.keys(Cmd).length);
});

test("the compiled module refuses a body of any other length with E_LEN, and takes the shared one", async (t) => {
  const device = await openDevice();
  let seq = 1;
  const hello = new Writer(Frame.HELLO_BODY).u16(Frame.PROTOCOL_VERSION).done();
  const status = (cmd: number, length: number) => {
    const body = cmd === Cmd.HELLO && length === hello.length ? hello : new Uint8Array(length);
    const [reply] = replies(feed(device, encodeFrame(seq++, cmd, body)));
    return replyStatus(reply);
  };
  for (const [name, body] of Object.entries(REQUEST_BODIES)) {
    const cmd = Cmd[name as keyof typeof Cmd];
    t.is(status(Cmd.HELLO, hello.length), StatusCodes.OK, "a session first");
    const n = "fixed" in body ? body.fixed : body.header;
    t.not(status(cmd, n), StatusCodes.E_LEN, `${name} with ${n} bytes`);
    if (n > 0) t.is(status(cmd, n - 1), StatusCodes.E_LEN, `${name} with ${n - 1} bytes`);
    if ("fixed" in body) t.is(status(cmd, n + 1), StatusCodes.E_LEN, `${name} with ${n + 1} bytes`);
  }
});

// ---- One set of spec rules: the host's check and the compiled module's accept the same bytes ----

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return (n: number) => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s % n; };
}

/** Each field's boundary values and one step beyond. */
const EDGES: Record<string, number[]> = {
  mode: [0, 1, 2, 3, 4, 255],
  qbp: [0, 1, 2],
  window: [0, 1, SpecLayout.QBP_MAX_WINDOW, SpecLayout.QBP_MAX_WINDOW + 1],
  log2Batch: [0, SpecLayout.MAX_LOG2_BATCH, SpecLayout.MAX_LOG2_BATCH + 1, 255],
  layers: [0, 1, 2, SpecLayout.MAX_LAYERS, SpecLayout.MAX_LAYERS + 1],
  lr: [SpecLayout.LR_SHIFT_MIN - 1, SpecLayout.LR_SHIFT_MIN, 0, SpecLayout.LR_SHIFT_MAX, SpecLayout.LR_SHIFT_MAX + 1, 127, -128],
  randBits: [0, 1, 2, 3, 4, 6, 8, 12, 16, 17, 32],
  width: [0, 1, 2, SpecLayout.MAX_UNITS, SpecLayout.MAX_UNITS + 1, 65535,
    SpecLayout.SIZE_CONV | 4, SpecLayout.SIZE_CONV | SpecLayout.SIZE_POOL | 8, SpecLayout.SIZE_POOL | 3,
    SpecLayout.SIZE_CONV | (SpecLayout.MAX_CONV_CHANNELS + 1), SpecLayout.SIZE_CONV | 0x2000 | 2],
  outputs: [1, SpecLayout.MIN_OUTPUTS, SpecLayout.MAX_OUTPUTS, SpecLayout.MAX_OUTPUTS + 1],
  version: [0, SpecLayout.SPEC_VERSION, SpecLayout.SPEC_VERSION + 1],
  reserved: [0, 1],
  side: [0, 1, 2, 3, 7, 8, 255],
};

function mutated(next: (n: number) => number): Uint8Array {
  const base: ModelSpec = next(2)
    ? parseSpec(`${1 + next(40)}-${1 + next(40)}-${2 + next(20)}`)
    : parseModelSpec(`${1 + next(3)}x${2 * (2 + next(3))}x${2 * (2 + next(3))}-c${1 + next(8)}-p-${next(2) ? `c${1 + next(8)}-` : ""}${2 + next(20)},batch=${2 ** (3 + next(3))}`);
  const b = encodeSpec(base);
  const view = new DataView(b.buffer);
  const pick = (k: string) => EDGES[k][next(EDGES[k].length)];
  for (let k = 1 + next(3); k > 0; k--) {
    switch (next(12)) {
      case 0: b[SpecLayout.SPEC_O_MODE] = pick("mode"); break;
      case 1: b[SpecLayout.SPEC_O_QBP] = pick("qbp"); break;
      case 2: b[SpecLayout.SPEC_O_WINDOW] = pick("window"); break;
      case 3: b[SpecLayout.SPEC_O_LOG2_BATCH] = pick("log2Batch"); break;
      case 4: { // more or fewer layers, with plausible widths
        const layers = pick("layers");
        b[SpecLayout.SPEC_O_LAYERS] = layers;
        for (let i = 0; i < SpecLayout.SPEC_MAX_SIZES; i++) view.setUint16(SpecLayout.SPEC_O_SIZES + 2 * i, i <= layers ? 2 + next(30) : 0, true);
        break;
      }
      case 5: view.setInt8(next(2) ? SpecLayout.SPEC_O_LR_START : SpecLayout.SPEC_O_LR_END, pick("lr")); break;
      case 6: b[SpecLayout.SPEC_O_RAND_BITS] = pick("randBits"); break;
      case 7: view.setUint16(SpecLayout.SPEC_O_SIZES + 2 * next(b[SpecLayout.SPEC_O_LAYERS]), pick("width"), true); break;
      case 8: view.setUint16(SpecLayout.SPEC_O_SIZES + 2 * b[SpecLayout.SPEC_O_LAYERS], pick("outputs"), true); break;
      case 9: b[SpecLayout.SPEC_O_VERSION] = pick("version"); break;
      case 10: b[SpecLayout.SPEC_O_RESERVED] = pick("reserved"); b[next(2) ? SpecLayout.SPEC_O_HEIGHT : SpecLayout.SPEC_O_WIDTH] = pick("side"); break;
      case 11: view.setUint16(SpecLayout.SPEC_O_SIZES + 2 * (b[SpecLayout.SPEC_O_LAYERS] + 1 + next(3)), next(2), true); break;
    }
  }
  view.setUint32(SpecLayout.SPEC_O_DECAY, next(2) ? 0 : 0xffffffff, true);
  return b;
}

test("host and device accept exactly the same spec bytes (5,000 mutated specs)", (t) => {
  const { exports: x, mem } = new DeviceModel().mod;
  const next = rng(2026);
  let accepted = 0, refused = 0;
  for (let i = 0; i < 5000; i++) {
    const bytes = mutated(next);
    mem.write(x.spec_ptr(), bytes);
    const device = x.required_bytes() !== StatusCodes.E_SPEC;
    let host = true, why = "";
    try { checkSpecBytes(bytes); } catch (e) {
      if (!(e instanceof UserError)) throw e;
      host = false;
      why = e.message;
    }
    if (host !== device) {
      t.fail(`spec ${Buffer.from(bytes).toString("hex")}: host ${host ? "accepts" : `refuses (${why})`}, device ${device ? "accepts" : "refuses"}`);
      return;
    }
    if (host) accepted++; else refused++;
  }
  t.log(`accepted ${accepted}, refused ${refused}`);
  t.true(accepted > 500 && refused > 500, "the cases exercise both answers");
});
