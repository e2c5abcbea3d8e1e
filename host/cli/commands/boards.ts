import { defineCommand } from "citty";
import { listBoards, loadBoard } from "../../boards/manifest.ts";
import { printResult } from "../output.ts";

export default defineCommand({
  meta: { name: "boards", description: "List the boards fewmul knows (boards/*.json)" },
  args: { json: { type: "boolean", description: "Print the manifests as a JSON array", default: false } },
  run({ args }) {
    const boards = listBoards().map(loadBoard);
    if (args.json) { process.stdout.write(`${JSON.stringify(boards)}\n`); return; }
    for (const b of boards) {
      printResult({ [b.id]: `${b.name} · ${b.mcu} · RAM ${b.ram / 1024} KiB · flash ${b.flash / 1024} KiB · ${b.baud} baud · ${b.runtime}/${b.flasher}` }, false);
    }
  },
});
