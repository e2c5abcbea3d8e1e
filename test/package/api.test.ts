// The programmatic API as another Node project sees it: `npm pack` the package (its "files"
// and "exports", the API compiled to dist/), install the tarball into a temporary project,
// and drive the emulated board from a plain `node` script (no TypeScript loader) and a
// type-checked TypeScript file. The run's digest must be the one the sources compute.
import test from "ava";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { connect } from "../../host/connect.ts";
import { loadBoard } from "../../host/boards/manifest.ts";
import { loadDataset } from "../../host/datasets/index.ts";
import { subset } from "../../host/datasets/dataset.ts";
import { parseSpec } from "../../host/module/spec.ts";
import { runTraining } from "../../host/training/run.ts";

const run = promisify(execFile);
const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const env = { ...process.env, NODE_OPTIONS: "", npm_config_fund: "false", npm_config_audit: "false", npm_config_update_notifier: "false" };

const SCRIPT = `
import { connect, train, validate, loadBoard, readDataset, parseSpec } from "fewmul";
const board = loadBoard("emulator");
const all = readDataset("mnist", { split: "train" });
const data = { ...all, count: 256, images: all.images.subarray(0, 256 * all.features), labels: all.labels.subarray(0, 256) };
const spec = parseSpec("784-32-10:tc,batch=32,decay=8");
const device = await connect({ board, port: "emulator", flashFile: "device.flash" });
const result = await train(device.session, { spec, seed: 5, epochs: 1, train: data, checkpointEvery: 0, resume: false });
await device.close();
const a = await connect({ board, port: "emulator", flashFile: "a.flash" });
const b = await connect({ board, port: "emulator", flashFile: "b.flash" });
const check = await validate(a.session, b.session, { spec, seed: 5, train: data, batches: 3 });
await a.close(); await b.close();
console.log(JSON.stringify({ step: result.step, digest: result.digest, identical: check.identical, batches: check.batches }));
`;

const TYPED = `
import { connect, train, loadBoard, readDataset, parseSpec, type ModelSpec, type RunResult } from "fewmul";
export async function steps(): Promise<number> {
  const spec: ModelSpec = parseSpec("784-32-10");
  const c = await connect({ board: loadBoard("emulator"), port: "emulator" });
  const r: RunResult = await train(c.session, { spec, seed: 1, epochs: 1, train: readDataset("mnist", { split: "test" }), checkpointEvery: 0, resume: false });
  await c.close();
  return r.step;
}
// @ts-expect-error: the types are real, not any (a board id is a string)
loadBoard(3);
`;

test("the packed package installs into another project and its API trains under plain node", async (t) => {
  t.timeout(10 * 60_000);
  const work = mkdtempSync(join(tmpdir(), "fewmul-pack-"));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));

  // What prepack does, minus the module build `npm test` has just made (rebuilding it here
  // would rewrite build/*.wasm under the feet of the other test files).
  await run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: root, env });
  const packed = await run(npm, ["pack", "--ignore-scripts", "--json", "--pack-destination", work], { cwd: root, env, maxBuffer: 64 << 20 });
  const [info] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
  const files = info.files.map((f) => f.path);
  for (const f of ["dist/host/index.js", "dist/host/index.d.ts", "build/fewmul.wasm", "boards/emulator.json", "bin/fewmul.js"]) t.true(files.includes(f), `${f} packed`);
  t.false(files.some((f) => f.startsWith("host/reference/") || f === "host/module/inspect.ts" || f.startsWith("dist/host/cli/") || f.startsWith("test/")), "no bench/test-only code packed");

  const project = join(work, "project");
  await run("mkdir", [project]);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "uses-fewmul", private: true, type: "module" }));
  await run(npm, ["install", "--prefer-offline", "--no-audit", "--no-fund", join(work, info.filename)], { cwd: project, env, maxBuffer: 64 << 20 });
  const installed = JSON.parse(readFileSync(join(project, "node_modules/fewmul/package.json"), "utf8"));
  t.is(installed.name, "fewmul");

  writeFileSync(join(project, "drive.mjs"), SCRIPT);
  const out = await run(process.execPath, ["drive.mjs"], { cwd: project, env });
  const got = JSON.parse(out.stdout.trim().split("\n").pop()!);

  // The same run from the sources, in this process.
  const all = loadDataset("mnist", { split: "train" });
  const data = subset(all, Array.from({ length: 256 }, (_, i) => i));
  const device = await connect({ board: loadBoard("emulator"), port: "emulator", flashFile: join(work, "here.flash") });
  const want = await runTraining(device.session, { spec: parseSpec("784-32-10:tc,batch=32,decay=8"), seed: 5, epochs: 1, train: data, checkpointEvery: 0, resume: false });
  await device.close();
  t.deepEqual(got, { step: 8, digest: want.digest, identical: true, batches: 3 });

  writeFileSync(join(project, "tsconfig.json"), JSON.stringify({
    compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: false, types: [], typeRoots: [join(root, "node_modules/@types")] },
    files: ["typed.ts"],
  }));
  // node's own types come from the repository (the project does not install @types/node)
  writeFileSync(join(project, "typed.ts"), `/// <reference types="node" />\n${TYPED}`);
  const tsc = await run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "."], { cwd: project, env }).catch((e) => e);
  t.is(tsc.code ?? 0, 0, `${tsc.stdout ?? ""}${tsc.stderr ?? ""}`);
});
