// The HTML report in a real browser: headless Chromium (Debian's `chromium`, installed by
// scripts/install-toolchain.sh) opens the report of a default `fewmul train` run (784-256-10
// TC, 3 epochs, MNIST digits, through the emulated board behind a pty), with and without the
// log of a validate run against a QEMU board, and its memory plan on that board. Every chart must have rendered (ink and its data colours where the chart
// is), the console must stay free of errors and the page must request nothing.
import test from "ava";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inkInBox, renderInChromium, type Rendered } from "../../scripts/report-screenshot.ts";
import { buildBoard } from "../../host/boards/board-build.ts";
import { loadBoard } from "../../host/boards/manifest.ts";
import { spawn } from "node:child_process";
import { BIN, repoRoot, runMain, tempDir } from "../cli/helpers.ts";

/** Runs `fn` with a QEMU board served by `fewmul flash` on a pty; stops it afterwards. */
async function withQemuBoard(board: string, fn: (port: string) => Promise<void>): Promise<void> {
  const child = spawn(process.execPath, [BIN, "flash", "--board", board, "--json"], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "", stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => { stdout += d; });
  child.stderr.setEncoding("utf8").on("data", (d: string) => { stderr += d; });
  const exited = new Promise((r) => child.on("exit", r));
  try {
    const deadline = Date.now() + 60_000;
    while (!stdout.includes("\n")) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`flash did not announce a port: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await fn(JSON.parse(stdout.split("\n")[0]).port);
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

function checkCharts(t: import("ava").ExecutionContext, r: Rendered, expected: number) {
  t.deepEqual(r.errors, [], "console errors");
  t.deepEqual(r.requests, [], "requests besides the page");
  t.is(r.charts.length, expected, r.charts.map((c) => c.title).join(" | "));
  for (const c of r.charts) {
    t.true(c.width >= 300 && c.height >= 60, `${c.title}: ${c.width}x${c.height}`);
    t.true(c.colors.length > 0, `${c.title}: no data colours`);
    const ink = inkInBox(r.png, c);
    t.true(ink.ink / ink.pixels > 0.02, `${c.title}: only ${ink.ink} of ${ink.pixels} pixels drawn`);
    t.true(ink.data >= 30, `${c.title}: only ${ink.data} pixels in its data colours ${c.colors.join(", ")}`);
  }
}

test.serial("the checker sees a blank chart, a console error and a request", async (t) => {
  const dir = tempDir(t);
  const page = join(dir, "bad.html");
  writeFileSync(page, `<!DOCTYPE html><html><body>
<svg class="chart line" width="400" height="200" aria-label="blank"><path class="series" stroke="#1f77b4" d=""/></svg>
<img src="http://192.0.2.1/x.png"><script>console.error("boom")</script></body></html>`);
  const r = await renderInChromium(page);
  t.is(r.charts.length, 1);
  t.is(inkInBox(r.png, r.charts[0]).data, 0);
  t.true(r.errors.some((e) => e.includes("boom")), r.errors.join("; "));
  t.deepEqual(r.requests, ["http://192.0.2.1/x.png"]);
});

test.serial("the report of a default train run is under 200 KB and renders every chart in Chromium", async (t) => {
  const dir = tempDir(t);
  const html = join(dir, "run.html");
  const trained = await runMain(["train", "--out", join(dir, "model.fewmul"), "--flash", join(dir, "f.flash"), "--report", html, "--json"]);
  t.is(trained.code, 0, trained.stderr);
  const json = JSON.parse(trained.stdout);
  t.is(json.epochs, 3);
  t.true(json.test_accuracy > 0.85, `test accuracy ${json.test_accuracy}`);
  const bytes = statSync(html).size;
  t.log(`report of the default run: ${bytes} bytes, test accuracy ${json.test_accuracy}`);
  t.true(bytes < 200_000, `${bytes} bytes`);
  t.true(readFileSync(html, "utf8").includes("784-256-10:tc"));
  // training 3 + confusion 1 + per layer (share bar, histogram) 2 x 2 + memory 1
  checkCharts(t, await renderInChromium(html), 9);

  // with the log of a validate run against a QEMU board as well: two more charts
  const log = join(dir, "v.json");
  await withQemuBoard("qemu-mps2-an385", async (port) => {
    const v = await runMain(["validate", "--board", "qemu-mps2-an385", "--port", port, "--batches", "3", "--model", "784-32-10:tc,batch=16", "--log", log]);
    t.is(v.code, 0, v.stderr);
  });
  const entries = JSON.parse(readFileSync(log, "utf8"));
  t.is(entries.board.id, "qemu-mps2-an385");
  t.is(entries.batches.length, 3);
  t.true(entries.identical);
  const full = join(dir, "full.html");
  const r = await runMain(["report", "--model-file", join(dir, "model.fewmul"), "--validate-log", log, "--out", full]);
  t.is(r.code, 0, r.stderr);
  checkCharts(t, await renderInChromium(full), 11);

  // the same model's memory plan on a QEMU board: its RAM and the firmware image's sizes
  const fw = (await buildBoard(loadBoard("qemu-mps2-an385"))).firmware!;
  const q = join(dir, "qemu.html");
  const qr = await runMain(["report", "--model-file", join(dir, "model.fewmul"), "--board", "qemu-mps2-an385", "--out", q]);
  t.is(qr.code, 0, qr.stderr);
  const page = readFileSync(q, "utf8");
  for (const [key, value] of [["firmware_text", fw.text], ["firmware_data", fw.data], ["firmware_bss", fw.bss], ["ram", 1 << 20]] as const) {
    t.true(page.includes(`data-key="${key}" data-value="${value}"`), `${key} ${value}`);
  }
  checkCharts(t, await renderInChromium(q), 9);
});
