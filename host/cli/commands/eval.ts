import { defineCommand } from "citty";
import { UserError } from "../../errors.ts";
import { connect } from "../../connect.ts";
import { board, dataset, dataArgs, deviceArgs, checkPort } from "../common.ts";
import { logger, printResult } from "../output.ts";
import { evaluateOnDevice } from "../../training/run.ts";
import { formatSpec, specArch } from "../../module/spec.ts";
import { needsMost } from "../../report/memory-plan.ts";
import { ProtocolError } from "../../protocol/errors.ts";
import { Status } from "../../protocol/status.ts";
import { readModelFile } from "../../export/model-file.ts";

export default defineCommand({
  meta: { name: "eval", description: "Load a trained model file onto a board and report its accuracy on the dataset's test split" },
  args: {
    ...deviceArgs,
    ...dataArgs,
    "model-file": { type: "string", description: "Trained model (state blob from train --out)", default: "model.fewmul" },
  },
  async run({ args }) {
    const port = checkPort(args.port);
    const b = board(args.board);
    const file = args["model-file"];
    const model = readModelFile(file); // checked on the host first: the device would only say "corrupt"
    const test = dataset(args.dataset, args.data, "test");
    const sizes = model.spec.sizes;
    if (sizes[0] !== test.features) throw new UserError(`${file}: model has ${sizes[0]} inputs but ${test.name} samples have ${test.features}`, "E_SPEC");
    if (sizes[sizes.length - 1] < test.classes) throw new UserError(`${file}: model has ${sizes[sizes.length - 1]} outputs but ${test.name} has ${test.classes} classes`, "E_SPEC");

    const conn = await connect({ board: b, port, flashFile: args.flash });
    try {
      logger.info(`evaluating ${file} (${formatSpec(model.spec)}, digest ${model.digest.toString(16).padStart(8, "0")}) on ${b.id} via ${port}, ${test.name}: ${test.count} samples`);
      try {
        await conn.session.init(model.specBytes, 0);
        await conn.session.writeState(model.blob, 0);
      } catch (e) {
        if (e instanceof ProtocolError && e.status === Status.E_NOMEM) {
          throw new UserError(`${file}: model ${specArch(model.spec)} does not fit in the RAM of board ${b.id} (${b.ram / 1024} KiB): ${needsMost(model.spec)}`, "E_NOMEM");
        }
        if (e instanceof ProtocolError && e.status !== undefined) throw new UserError(`device on ${port} refused ${file}: ${e.message}`, "E_DEVICE");
        throw e;
      }
      const accuracy = await evaluateOnDevice(conn.session, test, model.spec.batch);
      printResult({ accuracy, samples: test.count }, args.json);
    } finally {
      await conn.close();
    }
  },
});
