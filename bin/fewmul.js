#!/usr/bin/env node
// Runs the TypeScript CLI through tsx (a dependency), so no separate compile step exists.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../host/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
