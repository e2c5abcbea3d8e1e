// npm run bench:link [-- --json] [-- --quick] [-- --no-noise]
// 1. Wire efficiency (batch payload bytes / bytes on the line, host to device) and device idle
// fraction while training through the full protocol stack, with the emulated board's UART
// paced at 115200 and 921600 baud. The device's compute time per step is modelled as equal
// to (then twice) the time one batch takes on the wire: the case where streaming the next
// batch during the step must keep the device busy.
// 2. Noise sweep: one epoch of 784-128-10 with `fewmul train` and `fewmul emulate` as separate
// processes and the noisy proxy (test/harness/noisy-proxy.ts) between them, at bit-error rates
// 0, 1e-6, 1e-5, 1e-4, without and with 0.2 % lost chunks: wall time relative to the clean run
// of this bench run, bytes on the wire per payload byte, resyncs, and the final digest.
import { SlowDevice } from "./lib/slow-device.ts";
import { Session } from "../host/protocol/session.ts";
import { encodeSpec, parseSpec } from "../host/module/spec.ts";
import { mnistDigits } from "../host/datasets/mnist-package.ts";
import { BatchSource } from "../host/training/run.ts";
import { json, quick, say } from "./lib/args.ts";
import { noiseSweep } from "./lib/noise-sweep.ts";

const SPEC = parseSpec("784-128-10:tc,batch=32");
const { train } = mnistDigits();
const source = new BatchSource(train, SPEC.batch, 1);
const payloadPerBatch = SPEC.batch * (SPEC.sizes[0] + 1);

async function measure(baud: number, computeFactor: number, batches: number) {
  const transferMs = (payloadPerBatch * 10 * 1000) / baud;
  const device = await SlowDevice.open(baud, transferMs * computeFactor);
  const session = new Session(device, { slowTimeoutMs: 60_000, baud });
  await session.hello();
  await session.init(encodeSpec(SPEC), 1);
  const first = source.get(1);
  await session.train(1, first.images, first.labels); // the pipeline starts full from here
  const sent0 = device.bytesToDevice, busy0 = device.busyMs;
  device.firstStepAt = 0;
  const inFlight: Promise<unknown>[] = [];
  for (let id = 2; id <= batches + 1; id++) {
    const b = source.get(id);
    inFlight.push(session.train(id, b.images, b.labels));
    if (inFlight.length > 2) await inFlight.shift();
  }
  await Promise.all(inFlight);
  // Idle: from the first step of the measured batches to the end of the last one. The first
  // batch's transfer, before any step can start, is the pipeline filling, not starvation.
  const wall = device.lastStepEnd - device.firstStepAt;
  const line = device.bytesToDevice - sent0;
  const retransmissions = session.linkStats.retransmissions;
  const silences = session.linkStats.silences;
  await session.close();
  return { efficiency: (batches * payloadPerBatch) / line, idle_fraction: Math.max(0, 1 - (device.busyMs - busy0) / wall), transfer_ms: transferMs, retransmissions };
}

const result: Record<string, any> = {};
for (const baud of [115200, 921600]) {
  const batches = quick ? 2 : baud === 115200 ? 4 : 10;
  const equal = await measure(baud, 1, batches);
  const twice = await measure(baud, 2, batches);
  result[baud] = { efficiency: equal.efficiency, idle_fraction: equal.idle_fraction, idle_fraction_compute_2x: twice.idle_fraction, batch_transfer_ms: equal.transfer_ms, batches, retransmissions: equal.retransmissions + twice.retransmissions };
  say(`${baud} baud: efficiency ${(100 * equal.efficiency).toFixed(1)} % payload; device idle ${(100 * equal.idle_fraction).toFixed(1)} % with compute = transfer (${equal.transfer_ms.toFixed(0)} ms/batch), ${(100 * twice.idle_fraction).toFixed(1)} % with compute = 2x transfer`);
}
if (!process.argv.includes("--no-noise")) result.noise = await noiseSweep(quick);
if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
