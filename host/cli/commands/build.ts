import { defineCommand } from "citty";
import { relative } from "node:path";
import { buildBoard } from "../../boards/board-build.ts";
import { board, deviceArgs } from "../common.ts";
import { logger, printResult } from "../output.ts";

export default defineCommand({
  meta: {
    name: "build",
    description: "Compile the device module if it is stale and, for a wasm2c board, the firmware image into build/<board>/ (the Pico: also fewmul.uf2); print the sizes",
  },
  args: {
    board: deviceArgs.board,
    force: { type: "boolean", description: "Rebuild the module and the firmware even if they are up to date", default: false },
    json: { type: "boolean", description: "Print one JSON object on stdout", default: false },
  },
  async run({ args }) {
    const b = board(args.board);
    const started = Date.now();
    // an up-to-date module is reused (--force recompiles it); the firmware is always rebuilt
    const built = await buildBoard(b, { force: args.force, firmware: true });
    const rel = (p: string) => relative(process.cwd(), p) || p;
    const result: Record<string, unknown> = {
      board: b.id,
      module: rel(built.module.path),
      module_bytes: built.module.bytes,
      module_compiled: built.module.compiled,
    };
    if (built.firmware) {
      const fw = built.firmware;
      Object.assign(result, {
        elf: rel(fw.elf), bin: rel(fw.bin), ...(fw.uf2 ? { uf2: rel(fw.uf2) } : {}),
        text: fw.text, data: fw.data, bss: fw.bss,
        linear_memory: fw.sections[".noinit"] ?? fw.ram,
        stack: fw.sections[".stack"] ?? 0,
        checkpoint_area: fw.sections[".ckpt"] ?? (fw.uf2 ? b.checkpoint_bytes : 0), // the Pico: the end of its flash
        firmware_rebuilt: built.firmwareBuilt,
      });
    }
    logger.info(`${b.id}: built in ${((Date.now() - started) / 1000).toFixed(1)} s${built.module.compiled ? " (module recompiled)" : ""}`);
    printResult(result, args.json);
  },
});
