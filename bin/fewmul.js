#!/usr/bin/env node
// Runs the TypeScript CLI through tsx (a dependency), so no separate compile step exists.
import { register } from "tsx/esm/api";

register();
// no-color.org: any non-empty NO_COLOR; also none off a terminal. citty's usage renderer
// reads only NO_COLOR === "1", once, when it loads.
if (process.env.NO_COLOR || !process.stdout.isTTY) process.env.NO_COLOR = "1";
const { main } = await import("../host/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
