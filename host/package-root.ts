// The package's root directory (package.json, build/, boards/, assembly/), found from this
// file's place: host/ when run from the sources, dist/host/ in the built API (npm pack).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === "fewmul") return dir;
    if (dirname(dir) === dir) throw new Error("fewmul: package.json of fewmul not found above host/");
  }
}

export const PACKAGE_ROOT = findRoot();
