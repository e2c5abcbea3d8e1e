// npm run bench:link [-- --json] [-- --quick]
// Wire efficiency (batch payload bytes / bytes on the line, host to device) and device idle
// fraction while training through the full protocol stack, with the emulated board's UART
// paced at 115200 and 921600 baud. The device's compute time per step is modelled as equal
// to (then twice) the time one batch takes on the wire: the case where streaming the next
// batch during the step must keep the device busy.
import { InProcessTransport } from "../host/transports/in-process.ts";
import type { Transport } from "../host/transports/transport.ts";
import { Session } from "../host/protocol/session.ts";
import { encodeSpec, parseSpec } from "../host/module/spec.ts";
import { mnistDigits } from "../host/datasets/mnist-package.ts";
import { BatchSource } from "../host/training/run.ts";
import { json, quick, say } from "./lib/args.ts";

const SPEC = parseSpec("784-128-10:tc,batch=32");
const { train } = mnistDigits();
const source = new BatchSource(train, SPEC.batch, 1);
const payloadPerBatch = SPEC.batch * (SPEC.sizes[0] + 1);

/** Counts the bytes each way. */
class Counting implements Transport {
  toDevice = 0;
  toHost = 0;
  constructor(private readonly inner: Transport) {}
  write(b: Uint8Array) { this.toDevice += b.length; return this.inner.write(b); }
  onData(cb: (c: Uint8Array) => void) { return this.inner.onData((c) => { this.toHost += c.length; cb(c); }); }
  close() { return this.inner.close(); }
}

async function measure(baud: number, computeFactor: number, batches: number) {
  const device = await InProcessTransport.open({ baud, flashSize: 1 << 20 });
  const transferMs = (payloadPerBatch * 10 * 1000) / baud;
  const computeMs = transferMs * computeFactor;
  // Model the MCU's compute: a step that ran holds the device (the event loop) for computeMs;
  // bytes arriving meanwhile wait in the UART's receive ring, as on a board with DMA.
  let busy = 0;
  const dev = device.exports as any;
  const feed = dev.io_feed;
  // The transport keeps the module's (frozen) exports; give it a copy with a timed io_feed.
  (device as any).device = { ...dev, io_feed: (n: number) => {
    const before = dev.step();
    const t0 = performance.now();
    const out = feed(n);
    if (dev.step() !== before) {
      while (performance.now() - t0 < computeMs) { /* the device is computing */ }
      busy += performance.now() - t0;
    }
    return out;
  } };
  const link = new Counting(device);
  const session = new Session(link, { slowTimeoutMs: 60_000, baud });
  await session.hello();
  await session.init(encodeSpec(SPEC), 1);
  const first = source.get(1);
  await session.train(1, first.images, first.labels); // fill the pipeline's first step
  const sent0 = link.toDevice;
  busy = 0;
  const t0 = performance.now();
  const inFlight: Promise<unknown>[] = [];
  for (let id = 2; id <= batches + 1; id++) {
    const b = source.get(id);
    inFlight.push(session.train(id, b.images, b.labels));
    if (inFlight.length > 2) await inFlight.shift();
  }
  await Promise.all(inFlight);
  const wall = performance.now() - t0;
  const line = link.toDevice - sent0;
  say(`  (${baud} baud, compute ${computeFactor}x transfer: ${session.linkStats.retransmissions} retransmissions)`);
  await session.close();
  return { efficiency: (batches * payloadPerBatch) / line, idle_fraction: Math.max(0, 1 - busy / wall), transfer_ms: transferMs, compute_ms: computeMs, batches };
}

const result: Record<string, any> = {};
for (const baud of [115200, 921600]) {
  const batches = quick ? 2 : baud === 115200 ? 4 : 10;
  const equal = await measure(baud, 1, batches);
  const twice = await measure(baud, 2, batches);
  result[baud] = { efficiency: equal.efficiency, idle_fraction: equal.idle_fraction, idle_fraction_compute_2x: twice.idle_fraction, batch_transfer_ms: equal.transfer_ms, batches };
  say(`${baud} baud: efficiency ${(100 * equal.efficiency).toFixed(1)} % payload; device idle ${(100 * equal.idle_fraction).toFixed(1)} % with compute = transfer (${equal.transfer_ms.toFixed(0)} ms/batch), ${(100 * twice.idle_fraction).toFixed(1)} % with compute = 2x transfer`);
}
if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
