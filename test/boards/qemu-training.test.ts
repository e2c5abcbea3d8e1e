// The release module on the emulated Cortex-M boards, end to end: firmware built from scratch,
// QEMU on a pty, the real serialport stack, the CLI and the session. Training must be
// bit-identical with the Node emulator after every batch, evaluation identical, a board reset
// must resume from the checkpoint to the same final state, and a trap in the module must
// become a clear host-side error. Tools missing = failure (buildFirmware/startQemu throw).
import test, { type ExecutionContext } from "ava";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildFirmware, type FirmwareBuild } from "../../host/boards/firmware-build.ts";
import { loadBoard } from "../../host/boards/manifest.ts";
import { ensureModule } from "../../host/boards/module-build.ts";
import { startQemu, type RunningQemu } from "../../host/boards/qemu.ts";
import { TrapDetectTransport } from "../../host/transports/trap-detect.ts";
import { runMain as cli } from "../cli/helpers.ts";
import { encodeSpec, parseSpec } from "../../host/module/spec.ts";
import { ProtocolError } from "../../host/protocol/errors.ts";
import { Session } from "../../host/protocol/session.ts";
import { BatchSource, evaluateOnDevice, runTraining, type TrainJob } from "../../host/training/run.ts";
import { SerialTransport } from "../../host/transports/serial.ts";
import { nodeEmulatorSession, mnistSubsets, trappingModule } from "./helpers.ts";

const BOARDS = ["qemu-mps2-an385", "qemu-mps2-an386"];
const MODEL = "784-32-10:tc,batch=16";
const work = mkdtempSync(join(tmpdir(), "fewmul-qemu-train-"));
const release = new Map<string, FirmwareBuild>();
const trapping = new Map<string, FirmwareBuild>();
let releaseWasm = "";

test.before(async () => {
  releaseWasm = (await ensureModule("release")).path;
  const trapWasm = join(work, "trap-on-checkpoint.wasm");
  trappingModule(releaseWasm, trapWasm);
  // from scratch, every board, both modules
  await Promise.all(BOARDS.flatMap((id) => [
    buildFirmware(id, releaseWasm, join(work, id)).then((fw) => release.set(id, fw)),
    buildFirmware(id, trapWasm, join(work, `${id}-trap`)).then((fw) => trapping.set(id, fw)),
  ]));
});
test.after.always(() => rmSync(work, { recursive: true, force: true }));

// small, fixed data: 320 training digits (20 batches of 16), 200 test digits
const mnist = mnistSubsets(320, 200);

async function withBoard<T>(t: ExecutionContext, id: string, fw: FirmwareBuild, body: (q: RunningQemu) => Promise<T>): Promise<T> {
  const qemu = await startQemu(id, fw.elf, { port: "pty" });
  try {
    return await body(qemu);
  } catch (e) {
    t.log(`QEMU output: ${qemu.log()}`);
    throw e;
  } finally {
    t.is(await qemu.stop(), 0, "QEMU quits cleanly");
  }
}

/** A session over the board's pty, as the CLI opens it (serial transport, trap detection). */
async function boardSession(id: string, path: string): Promise<{ session: Session; transport: TrapDetectTransport }> {
  const transport = new TrapDetectTransport(await SerialTransport.open({ path, baudRate: loadBoard(id).baud }));
  return { session: new Session(transport), transport };
}

/** The Node emulator with the emulator board's flash and 4 MiB of linear memory. */
const emulatorSession = () => nodeEmulatorSession(releaseWasm, loadBoard("emulator").checkpoint_bytes, 4 << 20);

for (const id of BOARDS) {
  test.serial(`${id}: validate (CLI) a conv net, per-batch digests identical with Node`, async (t) => {
    await withBoard(t, id, release.get(id)!, async (qemu) => {
      const v = await cli(["validate", "--board", id, "--port", qemu.path!, "--batches", "3", "--model", "1x28x28-c4-p-c8-p-10:tc,batch=8", "--json"]);
      t.is(v.code, 0, v.stderr);
      t.deepEqual(JSON.parse(v.stdout), { identical: true, batches: 3, first_divergence: null });
    });
  });

  test.serial(`${id}: validate (CLI), per-batch digests and eval accuracy identical with Node, 784-256-10 fits`, async (t) => {
    await withBoard(t, id, release.get(id)!, async (qemu) => {
      // 1. the CLI, unchanged, over the pty: identical state digest after every batch
      const v = await cli(["validate", "--board", id, "--port", qemu.path!, "--batches", "4", "--model", MODEL, "--json"]);
      t.is(v.code, 0);
      t.deepEqual(JSON.parse(v.stdout), { identical: true, batches: 4, first_divergence: null });

      // 2. the session: train on both, digests after every batch, then evaluation. One side
      // at a time: the emulator's Wasm blocks this event loop, and timers firing late make
      // the device link retransmit whole windows over QEMU's slow UART.
      const { train, test: testSet } = mnist();
      const spec = parseSpec(MODEL);
      const bytes = encodeSpec(spec);
      const { session: device } = await boardSession(id, qemu.path!);
      const reference = await emulatorSession();
      try {
        for (const x of [device, reference]) { await x.hello(); await x.init(bytes, 7); }
        const source = new BatchSource(train, spec.batch, 7);
        for (let batch = 1; batch <= 6; batch++) {
          const { images, labels } = source.get(batch);
          const d = await device.train(batch, images, labels);
          const r = await reference.train(batch, images, labels);
          t.deepEqual(d, r, `TRAIN reply of batch ${batch}`);
          t.is((await device.stats()).digest, (await reference.stats()).digest, `state digest after batch ${batch}`);
        }
        const accDevice = await evaluateOnDevice(device, testSet, spec.batch);
        const accReference = await evaluateOnDevice(reference, testSet, spec.batch);
        t.is(accDevice, accReference, "eval accuracy");
        t.log(`${id}: test accuracy after 6 batches ${(accDevice * 100).toFixed(1)} % on both`);
        t.deepEqual(await device.readState(), await reference.readState(), "state blobs byte-identical");

        // 3. the full-size model: fits the board's RAM, trains identically, and its ~406 KB
        // checkpoint fits the checkpoint area and survives a reset
        const big = encodeSpec(parseSpec("784-256-10:tc,batch=32"));
        const { images, labels } = new BatchSource(train, 32, 1).get(1);
        for (const x of [device, reference]) { await x.init(big, 1); await x.train(1, images, labels); }
        const ds = await device.stats(), rs = await reference.stats();
        t.is(ds.digest, rs.digest, "784-256-10 digest after one batch");
        const ck = await device.checkpoint();
        t.true(ck.bytes > 400_000 && ck.bytes <= loadBoard(id).checkpoint_bytes, `checkpoint of ${ck.bytes} bytes`);
        await qemu.reset();
        const info = await device.hello();
        t.is(info.bootStatus, 1, "boot() restored the checkpoint");
        t.true(info.model.ready);
        t.is(info.model.lastBatchId, 1);
        t.is(info.model.digest, ds.digest, "restored state = checkpointed state");
      } finally {
        await device.close();
        await reference.close();
      }
    });
  });

  test.serial(`${id}: a reset mid-training resumes from the checkpoint to the undisturbed final state`, async (t) => {
    const { train, test: testSet } = mnist();
    const job = (onBatch?: TrainJob["onBatch"]): TrainJob => ({
      spec: parseSpec(MODEL), seed: 3, epochs: 1, train, test: testSet, checkpointEvery: 4, resume: false, onBatch,
    });
    const reference = await emulatorSession();
    const undisturbed = await runTraining(reference, job()).finally(() => reference.close());

    await withBoard(t, id, release.get(id)!, async (qemu) => {
      const { session } = await boardSession(id, qemu.path!);
      let resets = 0;
      try {
        const result = await runTraining(session, job((p) => {
          // batch 10 done: the last checkpoint holds batch 8, batches 11.. are in flight
          if (p.id === 10 && resets === 0) { resets++; void qemu.reset(); }
        }));
        t.is(resets, 1);
        t.true(result.recoveries >= 1, "the run noticed the reset and resumed");
        t.is(result.lastBatchId, 20);
        t.is(result.digest, undisturbed.digest, "final digest equals the undisturbed run's");
        t.is(result.testAccuracy, undisturbed.testAccuracy, "eval accuracy equals the undisturbed run's");
        t.deepEqual(result.state, undisturbed.state);
      } finally {
        await session.close();
      }
    });
  });

  test.serial(`${id}: a trap in the module is a prompt, clear ProtocolError; the board serves again`, async (t) => {
    const spec = parseSpec(MODEL);
    const { train } = mnist();
    await withBoard(t, id, trapping.get(id)!, async (qemu) => {
      const { session, transport } = await boardSession(id, qemu.path!);
      try {
        await session.hello();
        await session.init(encodeSpec(spec), 1);
        const source = new BatchSource(train, spec.batch, 1);
        for (let batch = 1; batch <= 2; batch++) {
          const { images, labels } = source.get(batch);
          await session.train(batch, images, labels);
        }
        const started = Date.now();
        const err = await t.throwsAsync(session.checkpoint(), { instanceOf: ProtocolError });
        const elapsed = Date.now() - started;
        t.log(`${id}: ${err!.message} (after ${elapsed} ms)`);
        t.regex(err!.message, /FEWMUL-TRAP 5\b.*unreachable/);
        const trap = (err!.deviceReset ? err : (err!.cause as ProtocolError | undefined))!;
        t.true(trap instanceof ProtocolError && trap.deviceReset && trap.resync, "flagged deviceReset + resync");
        t.true(elapsed < 3000, "reported at once, not after the 10 s timeout");
        t.deepEqual(transport.traps.map((e) => e.code), [5]);

        // the firmware re-created the instance: RAM lost, no checkpoint (its write trapped)
        const info = await session.hello();
        t.false(info.model.ready);
        t.is(info.bootStatus, 0);
        await session.init(encodeSpec(spec), 1);
        const { images, labels } = source.get(1);
        const r = await session.train(1, images, labels);
        t.true(r.applied, "trains again after the trap");
      } finally {
        await session.close();
      }
    });
  });
}
