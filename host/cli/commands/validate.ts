import { defineCommand } from "citty";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type Connection } from "../../connect.ts";
import { board, dataset, dataArgs, deviceArgs, int, modelFor, checkPort } from "../common.ts";
import { logger, printResult } from "../output.ts";
import { validate } from "../../training/validate.ts";
import { formatSpec } from "../../module/spec.ts";
import { loadBoard } from "../../boards/manifest.ts";
import { ValidateRecorder } from "../../report/validate-log.ts";
import { checkOutputPath } from "../../report/report.ts";

/** Exit code when the device and the emulator disagree. */
export const EXIT_DIVERGED = 2;

export default defineCommand({
  meta: { name: "validate", description: "Train on the device and on an in-process emulator side by side; compare state digests after every batch (exit 2 on divergence)" },
  args: {
    ...deviceArgs,
    ...dataArgs,
    model: { type: "string", description: "Model spec (default <inputs>-256-<classes>:tc)" },
    batches: { type: "string", description: "Batches to compare (default 20)" },
    batch: { type: "string", description: "Batch size (default 32)" },
    seed: { type: "string", description: "Seed (default 1)" },
    log: { type: "string", description: "Write the per-batch digests, losses and the first divergence to this JSON file (for fewmul report --validate-log)" },
  },
  async run({ args }) {
    const batches = int("batches", args.batches, 20, 1);
    const batch = args.batch === undefined ? undefined : int("batch", args.batch, 32, 1);
    const seed = int("seed", args.seed, 1);
    const port = checkPort(args.port);
    const b = board(args.board);
    const train = dataset(args.dataset, args.data, "train");
    const spec = modelFor(args.model, train, batch, () => batches);
    if (args.log !== undefined) checkOutputPath("log", args.log);
    const log = new ValidateRecorder({ board: { id: b.id, name: b.name }, port, model: formatSpec(spec), seed, batch: spec.batch });
    // The reference: the same module in this process, under the emulator board's RAM, its
    // flash in a temporary directory that goes when the run ends.
    const scratch = mkdtempSync(join(tmpdir(), "fewmul-validate-"));
    const emulator = loadBoard("emulator");
    let device: Connection | undefined, reference: Connection | undefined;
    try {
      device = await connect({ board: b, port, flashFile: args.flash });
      reference = await connect({ board: { ...emulator, ram: Math.max(b.ram, emulator.ram) }, port: "emulator", flashFile: join(scratch, "reference.flash") });
      logger.info(`validating ${formatSpec(spec)}: ${b.id} via ${port} against the in-process emulator, ${batches} batches`);
      const result = await validate(device.session, reference.session, {
        spec, seed, train, batches,
        onBatch: (id, d, r) => log.batch(id, { ...d, loss: d.loss / 256 }, { ...r, loss: r.loss / 256 }),
      });
      const divergence = result.firstDivergence;
      if (args.log !== undefined) log.write(args.log, divergence);
      printResult({ identical: result.identical, batches: result.batches, first_divergence: divergence }, args.json);
      if (divergence) {
        logger.error(`device diverged from the emulator at batch ${divergence.batch}: ${divergence.tensor}[${divergence.index}]`);
        process.exitCode = EXIT_DIVERGED;
      }
    } finally {
      await device?.close();
      await reference?.close();
      rmSync(scratch, { recursive: true, force: true });
    }
  },
});
