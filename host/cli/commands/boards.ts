import { defineCommand } from "citty";
import { listBoards, loadBoard } from "../../boards/manifest.ts";
import { printTable } from "../output.ts";

export default defineCommand({
  meta: { name: "boards", description: "List the boards fewmul knows (boards/*.json)" },
  args: { json: { type: "boolean", description: "Print the manifests as a JSON array", default: false } },
  run({ args }) {
    const boards = listBoards().map(loadBoard);
    if (args.json) { process.stdout.write(`${JSON.stringify(boards)}\n`); return; }
    printTable([
      ["id", "name", "mcu", "RAM", "flash", "baud", "runtime/flasher"],
      ...boards.map((b) => [b.id, b.name, b.mcu, `${b.ram / 1024} KiB`, `${b.flash / 1024} KiB`, String(b.baud), `${b.runtime}/${b.flasher}`]),
    ]);
  },
});
