#!/usr/bin/env node
// `asc` (same arguments) without one line of noise: with "converge" on, asc prints "Last
// converge was suboptimal." whenever its final optimisation round did not shrink the module,
// which is every build of the release target. Every other line, and the exit status, pass.
import asc from "assemblyscript/asc";

const NOISE = "Last converge was suboptimal.";

let pending = "";
const stderr = {
  write(chunk) {
    pending += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
    const lines = pending.split("\n");
    pending = lines.pop();
    for (const line of lines) if (line !== NOISE) process.stderr.write(`${line}\n`);
  },
};

const { error } = await asc.main(process.argv.slice(2), { stdout: process.stdout, stderr });
if (pending !== "" && pending !== NOISE) process.stderr.write(pending);
if (error) process.exitCode = 1;
