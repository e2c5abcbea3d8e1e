import { defineCommand } from "citty";
import { UserError } from "../../errors.ts";
import { writeFileAtomic } from "../../files.ts";
import { connect } from "../../connect.ts";
import { board, dataset, dataArgs, deviceArgs, int, modelFor, checkPort } from "../common.ts";
import { logger, printResult } from "../output.ts";
import { TrainingProgress } from "../progress.ts";
import { CALIBRATION_SAMPLES, runTraining } from "../../training/run.ts";
import { formatSpec, specArch } from "../../module/spec.ts";
import { needsMost } from "../../report/memory-plan.ts";
import { startEmulator, hasSocat } from "../../emulator/server.ts";
import { ProtocolError } from "../../protocol/errors.ts";
import { Status } from "../../protocol/status.ts";
import { finishRunRecord, startRunRecord } from "../../report/train-report.ts";

export default defineCommand({
  meta: { name: "train", description: "Train a model on a board (default: the emulated board) over the wire protocol" },
  args: {
    ...deviceArgs,
    ...dataArgs,
    model: { type: "string", description: "Model spec, e.g. 784-256-10:tc,lr=0,lrend=4 (docs/model-format.md); default <inputs>-256-<classes>:tc" },
    epochs: { type: "string", description: "Epochs (default 3)" },
    batch: { type: "string", description: "Batch size, a power of two (default 32)" },
    seed: { type: "string", description: "Seed of weights, sampling and shuffling (default 1)" },
    out: { type: "string", description: "Trained model file (state blob), written atomically", default: "model.fewmul" },
    resume: { type: "boolean", description: "Continue from the device's or the host's last checkpoint", default: false },
    "checkpoint-every": { type: "string", description: "Checkpoint every N batches (default 100; 0 = per epoch)" },
    calibrate: { type: "boolean", description: "Re-estimate the normalisation statistics with the test-time weights on the device at the end; --no-calibrate skips it", default: true },
    link: { type: "enum", options: ["pty", "socket", "direct"], description: "With --port emulator, how the host reaches the emulated board: a pty through socat (the OS serial stack), a loopback TCP socket, or direct calls in this process; default pty when socat is installed, else socket" },
    report: { type: "string", description: "Also write this self-contained HTML report of the run (the history is kept in OUT.run.json either way)" },
  },
  async run({ args }) {
    const epochs = int("epochs", args.epochs, 3, 1);
    const seed = int("seed", args.seed, 1);
    const batch = args.batch === undefined ? undefined : int("batch", args.batch, 32, 1);
    const checkpointEvery = int("checkpoint-every", args["checkpoint-every"], 100);
    let port = checkPort(args.port);
    const b = board(args.board);
    const train = dataset(args.dataset, args.data, "train");
    const test = dataset(args.dataset, args.data, "test");
    const spec = modelFor(args.model, train, batch, (size) => Math.floor(train.count / size) * epochs);
    const run = { out: args.out, resume: args.resume, board: b, spec, seed, epochs, dataset: { kind: args.dataset, data: args.data, train, test }, report: args.report };
    const recorder = startRunRecord(run);

    // The emulated board sits behind a real link unless --link direct: a pty (the OS serial
    // stack, through socat) or a loopback TCP socket.
    let emulator: Awaited<ReturnType<typeof startEmulator>> | undefined;
    if (port === "emulator" && args.link !== "direct") {
      const link = args.link ?? (hasSocat() ? "pty" : "socket");
      emulator = await startEmulator({ board: b, listen: link === "pty" ? "pty" : "socket://127.0.0.1:0", flashFile: args.flash });
      port = emulator.port;
    }
    const conn = await connect({ board: b, port, flashFile: args.flash });

    const progress = new TrainingProgress(epochs, Math.floor(train.count / spec.batch), spec.batch, spec.batch * (train.features + 1), !args.json);
    const onInterrupt = () => { progress.stop(); logger.error("interrupted: the last checkpoint is kept, continue with --resume"); void conn.close().finally(() => process.exit(130)); };
    process.once("SIGINT", onInterrupt);
    try {
      logger.info(`training ${formatSpec(spec)} on ${b.id} via ${port}, ${train.name}: ${train.count} train / ${test.count} test samples`);
      const result = await runTraining(conn.session, {
        spec, seed, epochs, train, test, resume: args.resume,
        checkpointEvery,
        checkpointPath: `${args.out}.ckpt`,
        calibrateSamples: args.calibrate ? CALIBRATION_SAMPLES : 0,
        onBatch: (p) => { progress.batchDone(p.id, p.epoch, p.correct, p.loss); recorder.batch(p); },
        onEpoch: (e) => { progress.epochDone(e.epoch, e.testAccuracy); recorder.epoch(e); },
        onRecover: (why, next) => logger.warn(`link recovered (${why}); resuming at batch ${next}`),
      }).catch((e) => {
        if (e instanceof ProtocolError && e.status === Status.E_NOMEM) {
          throw new UserError(`model ${specArch(spec)} (batch ${spec.batch}) does not fit in the RAM of board ${b.id} (${b.ram / 1024} KiB): ${needsMost(spec)}`, "E_NOMEM");
        }
        throw e;
      });
      progress.stop();
      const l = conn.session.linkStats;
      logger.info(`link: ${l.framesSent} frames, ${l.bytesSent} bytes sent; resent ${l.retransmissions} (${l.nakResends} on NAKs, ${l.gapResends} on reply gaps, ${l.silences} silences); ${l.deferrals} deferred; ${result.recoveries} resyncs`);
      writeFileAtomic(args.out, result.state);
      finishRunRecord(recorder, result, run);
      printResult({
        board: b.id, epochs, samples: result.samples, test_accuracy: result.testAccuracy ?? null, calibrated: result.calibrated,
        state_digest: result.digest.toString(16).padStart(8, "0"), out: args.out, ...(args.report ? { report: args.report } : {}),
      }, args.json);
    } finally {
      process.removeListener("SIGINT", onInterrupt);
      progress.stop();
      await conn.close();
      await emulator?.close();
    }
  },
});
