// host/training/validate.ts (the library's validate, which `fewmul validate` runs): two
// sessions that compute the same bits are identical; when one is disturbed after a batch, the
// first divergence names that batch, the tensor and the element.
import test from "ava";
import { crc32 } from "../../host/crc32.ts";
import type { Dataset } from "../../host/datasets/dataset.ts";
import { parseSpec } from "../../host/module/spec.ts";
import { stateTensors } from "../../host/module/state-layout.ts";
import { Session } from "../../host/protocol/session.ts";
import { validate } from "../../host/training/validate.ts";
import { STATE_O_DIGEST, STATE_O_SPEC } from "../../assembly/shared/state.ts";
import { batch, openDevice } from "../protocol/helpers.ts";

const spec = parseSpec("16-24-4,batch=8,decay=20");

function data(): Dataset {
  const { inputs, labels } = batch(1, 160);
  return { name: "synthetic", images: inputs, labels, count: 160, features: 16, width: 16, height: 1, channels: 1, shape: [1, 1, 16], classes: 4 };
}

async function session(): Promise<Session> {
  const s = new Session(await openDevice(), { timeoutMs: 500 });
  await s.hello();
  return s;
}

test("two devices running the same module are identical over every batch", async (t) => {
  const [a, b] = [await session(), await session()];
  t.deepEqual(await validate(a, b, { spec, seed: 3, train: data(), batches: 12 }), { identical: true, batches: 12, firstDivergence: null });
  await a.close(); await b.close();
});

test("a device whose state drifts after batch 5 is caught at batch 5, at the changed weight", async (t) => {
  const [real, b] = [await session(), await session()];
  const weights = 37;
  // After batch 5 the "device" has one latent weight off by one (as a bit error in RAM would).
  const drifting = {
    init: (bytes: Uint8Array, seed: number) => real.init(bytes, seed),
    stats: () => real.stats(),
    readState: () => real.readState(),
    async train(id: number, inputs: Uint8Array, labels: Uint8Array) {
      const r = await real.train(id, inputs, labels);
      if (id === 5) {
        const blob = await real.readState();
        const slot = stateTensors(blob).find((s) => s.name === "layer1.weights")!;
        const view = new DataView(blob.buffer);
        view.setInt16(slot.offset + 2 * weights, view.getInt16(slot.offset + 2 * weights, true) + 1, true);
        view.setUint32(STATE_O_DIGEST, crc32(blob.subarray(STATE_O_SPEC)), true);
        await real.writeState(blob, id);
      }
      return r;
    },
  } as unknown as Session;
  const result = await validate(drifting, b, { spec, seed: 3, train: data(), batches: 12 });
  t.deepEqual(result, { identical: false, batches: 5, firstDivergence: { batch: 5, tensor: "layer1.weights", index: weights } });
  await real.close(); await b.close();
});
