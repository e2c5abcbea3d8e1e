import { defineCommand } from "citty";
import { basename } from "node:path";
import { UserError } from "../../errors.ts";
import { writeFileAtomic } from "../../files.ts";
import { printResult } from "../output.ts";
import { readModelFile } from "../../export/model-file.ts";
import { encodeExport, exportModel } from "../../export/format.ts";
import { cName, renderHeader } from "../../export/c-header.ts";
import { specArch } from "../../module/spec.ts";

export default defineCommand({
  meta: { name: "export", description: "Write a trained model for inference: BASE.bin (docs/export-format.md) and the C header BASE.h" },
  args: {
    "model-file": { type: "string", description: "Trained model (state blob from train --out)", default: "model.fewmul" },
    out: { type: "string", description: "Output base name: writes BASE.bin and BASE.h", default: "model" },
    name: { type: "string", description: "C identifier prefix in the header (default: BASE's file name)" },
    json: { type: "boolean", description: "Print one JSON object on stdout", default: false },
  },
  async run({ args }) {
    const base = args.out.replace(/\.(bin|h)$/, "");
    if (base === "" || base.endsWith("/")) throw new UserError(`--out must name a file base, got "${args.out}"`, "E_USAGE");
    const name = args.name ?? cName(basename(base));
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UserError(`--name must be a C identifier, got "${name}"`, "E_USAGE");
    const model = readModelFile(args["model-file"]);
    const exported = exportModel(model);
    // Both files are built before either is written; each is written whole or not at all.
    const bin = encodeExport(exported);
    const header = renderHeader(exported, name, basename(args["model-file"]));
    writeFileAtomic(`${base}.bin`, bin);
    writeFileAtomic(`${base}.h`, header);
    const crc = new DataView(bin.buffer).getUint32(12, true);
    printResult({
      bin: `${base}.bin`, header: `${base}.h`, bytes: bin.length, model: `${specArch(model.spec)}:${exported.mode}`,
      state_digest: model.digest.toString(16).padStart(8, "0"), crc32: crc.toString(16).padStart(8, "0"),
    }, args.json);
  },
});
