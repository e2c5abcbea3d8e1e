// Shared by the board tests (not a test file: ava runs *.test.ts only): what the QEMU and the
// Pico tests both need to check a board against the Node emulator.
import { readFileSync, writeFileSync } from "node:fs";
import binaryen from "binaryen";
import { loadDataset, subset, type Dataset } from "../../host/datasets/index.ts";
import { Session } from "../../host/protocol/session.ts";
import { InProcessTransport } from "../../host/transports/in-process.ts";

/**
 * A test-only copy of the module at `path` whose env.flash_write import is replaced by a
 * function that executes `unreachable`: CHECKPOINT traps (code 5). The release module itself
 * has no way to trap on purpose.
 */
export function trappingModule(path: string, out: string): void {
  const m = binaryen.readBinary(readFileSync(path));
  // a superset of what asc emits for the release target (MVP only, asconfig.json "disable")
  const F = binaryen.Features;
  m.setFeatures(F.MVP | F.MutableGlobals | F.NontrappingFPToInt | F.SignExt | F.BulkMemory | F.BulkMemoryOpt);
  for (let i = 0; i < m.getNumFunctions(); i++) {
    const info = binaryen.getFunctionInfo(m.getFunctionByIndex(i));
    if (info.module === "env" && info.base === "flash_write") {
      m.removeFunction(info.name);
      m.addFunction(info.name, info.params, info.results, [], m.unreachable());
      break;
    }
  }
  if (!m.validate()) throw new Error("trapping module does not validate");
  writeFileSync(out, m.emitBinary());
  m.dispose();
}

/** Small, fixed MNIST data, loaded once per file: the first `train` and `test` digits of each split. */
export function mnistSubsets(train: number, test: number): () => { train: Dataset; test: Dataset } {
  let data: { train: Dataset; test: Dataset } | undefined;
  return () => data ??= {
    train: subset(loadDataset("mnist", { split: "train" }), Array.from({ length: train }, (_, i) => i)),
    test: subset(loadDataset("mnist", { split: "test" }), Array.from({ length: test }, (_, i) => i)),
  };
}

/** The Node emulator as a board with `flashBytes` of checkpoint flash and `ramBytes` of linear memory. */
export async function nodeEmulatorSession(wasmPath: string, flashBytes: number, ramBytes: number): Promise<Session> {
  const transport = await InProcessTransport.open({ wasmPath, flashSize: flashBytes, maxPages: ramBytes / 65536 });
  return new Session(transport);
}
