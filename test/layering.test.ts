// The layering of host/ (README, "How it works"): CLI commands and the API on top, then the
// session, emulator, training, reports and exports, then transports, framing, datasets, boards
// and the module loader, on the foundation (errors, files, CRC-32, the tables shared with the
// device). A file may import its own layer and the layers below it, never one above; every
// file of host/ must belong to a layer. assembly/ imports nothing outside assembly/.
import test from "ava";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));

/** Layers from the bottom; a path belongs to the first pattern it matches. */
const LAYERS: [name: string, patterns: RegExp[]][] = [
  ["foundation", [/^host\/(errors|files|package-root|crc32)\.ts$/, /^assembly\/shared\//]],
  ["transports, framing, datasets, boards, module loader", [
    /^host\/transports\//, /^host\/protocol\/(cobs|frame|opcodes|messages|status|errors)\.ts$/,
    /^host\/datasets\//, /^host\/boards\//, /^host\/module\//,
  ]],
  ["session, emulator, training, reports, exports", [
    /^host\/protocol\/(link|session)\.ts$/, /^host\/emulator\//, /^host\/training\//,
    /^host\/report\//, /^host\/export\//, /^host\/reference\//,
  ]],
  ["connection", [/^host\/connect\.ts$/]],
  ["CLI and API", [/^host\/cli\//, /^host\/index\.ts$/]],
];

const layerOf = (path: string) => LAYERS.findIndex(([, patterns]) => patterns.some((p) => p.test(path)));

/** Import specifiers: static imports, re-exports, side-effect and dynamic imports. */
const IMPORT = /^\s*(?:import|export)\b[^'"]*?\bfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/gm;
const specifiers = (src: string) => [...src.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3]);

/** Relative imports of a source file, as paths from the root. */
function imports(path: string): string[] {
  return specifiers(readFileSync(join(root, path), "utf8")).filter((s) => s.startsWith(".")).map((s) => relative(root, resolve(root, dirname(path), s)));
}

const sources = (dir: string) =>
  readdirSync(join(root, dir), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts")).map((f) => `${dir}/${f}`);

test("every file of host/ belongs to a layer and imports nothing from a layer above its own", (t) => {
  const files = sources("host");
  t.true(files.length > 50);
  let edges = 0;
  for (const file of files) {
    const own = layerOf(file);
    if (own < 0) { t.fail(`${file} belongs to no layer (test/layering.test.ts)`); continue; }
    for (const dep of imports(file)) {
      edges++;
      const theirs = layerOf(dep);
      if (theirs < 0) t.fail(`${file} imports ${dep}, which belongs to no layer`);
      else if (theirs > own) t.fail(`${file} (${LAYERS[own][0]}) imports ${dep} (${LAYERS[theirs][0]}): an arrow up`);
    }
  }
  t.true(edges > 100, `${edges} imports read`);
});

test("assembly/ imports nothing outside assembly/", (t) => {
  const files = sources("assembly");
  t.true(files.length > 20);
  for (const file of files) {
    for (const dep of imports(file)) t.true(dep.startsWith("assembly/"), `${file} imports ${dep}`);
  }
});

test("the import reader sees every form of import", (t) => {
  const sample = 'import { a } from "./x.ts";\nexport { b } from "../y.ts";\nimport "./z.ts";\nconst m = await import("./w.ts");\nimport {\n  c,\n} from "./v.ts";\n';
  t.deepEqual(specifiers(sample), ["./x.ts", "../y.ts", "./z.ts", "./w.ts", "./v.ts"]);
});
