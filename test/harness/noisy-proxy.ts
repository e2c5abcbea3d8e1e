// A byte-damaging proxy process for a fewmul link: listens on a loopback TCP port (or behind a
// pty made by socat), connects each client to --target, and passes both directions through a
// seeded bad-line model (line-damage.ts). The first stdout line is the port to give to
// `fewmul train --port`; on SIGTERM/SIGINT it prints the fault counts as one JSON line and exits.
//
//   node --import tsx test/harness/noisy-proxy.ts --target socket://127.0.0.1:PORT
//        [--listen socket://127.0.0.1:0 | pty] [--seed N] [--ber P] [--byte-drop P]
//        [--chunk-drop P] [--chunk-dup P] [--stall P] [--stall-ms MS] [--burst P]
//        [--burst-len N] [--chunk N] [--both]
//
// Faults hit the host-to-device direction, and the device-to-host direction too with --both.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DAMAGE_KEYS, LineDamage, type DamageOptions } from "./line-damage.ts";

const flag = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const { values } = parseArgs({
  options: {
    target: { type: "string" }, listen: { type: "string", default: "socket://127.0.0.1:0" },
    seed: { type: "string", default: "1" }, both: { type: "boolean", default: false },
    ...Object.fromEntries(DAMAGE_KEYS.map((k) => [flag(k), { type: "string" as const }])),
  },
});
function fail(msg: string): never { process.stderr.write(`error: noisy-proxy: ${msg}\n`); process.exit(1); }
const target = values.target ? new URL(values.target) : fail("--target socket://HOST:PORT is required");
const damage: DamageOptions = {};
for (const k of DAMAGE_KEYS) {
  const v = (values as unknown as Record<string, string | undefined>)[flag(k)];
  if (v !== undefined) damage[k] = Number(v);
}
const seed = Number(values.seed);
let run = 0;
const up = () => new LineDamage(damage, seed * 2 + 1 + run * 1000);
const down = () => new LineDamage(values.both ? damage : {}, seed * 2 + 2 + run * 1000);
const lines: LineDamage[] = [];

/** One direction: damaged pieces written in order, stalls holding everything behind them. */
function pipe(from: Socket, to: Socket, line: LineDamage): void {
  let chain = Promise.resolve();
  from.on("data", (buf: Buffer) => {
    for (const p of line.pass(buf)) {
      chain = chain.then(async () => {
        if (p.stallMs > 0) await new Promise((r) => setTimeout(r, p.stallMs));
        if (p.bytes.length > 0 && !to.destroyed) to.write(p.bytes);
      });
    }
  });
}

let current: Socket[] = [];
const server = createServer((client) => {
  for (const s of current) s.destroy(); // one client at a time, like a UART
  client.setNoDelay(true);
  const device = connect({ host: target.hostname, port: Number(target.port), noDelay: true });
  current = [client, device];
  const u = up(), d = down();
  run++;
  lines.push(u, d);
  pipe(client, device, u);
  pipe(device, client, d);
  for (const s of current) {
    s.on("error", () => {});
    s.on("close", () => { client.destroy(); device.destroy(); });
  }
});
await new Promise<void>((r) => server.listen(values.listen === "pty" ? 0 : Number(new URL(values.listen!).port || 0), "127.0.0.1", r));
const tcpPort = (server.address() as { port: number }).port;

let socat: ChildProcess | undefined;
let ptyDir: string | undefined;
let port = `socket://127.0.0.1:${tcpPort}`;
if (values.listen === "pty") {
  ptyDir = mkdtempSync(join(tmpdir(), "fewmul-noisy-"));
  port = join(ptyDir, "tty");
  socat = spawn("socat", [`PTY,raw,echo=0,link=${port}`, `TCP:127.0.0.1:${tcpPort},nodelay,forever,interval=0.05`], { stdio: "ignore" });
  for (let i = 0; i < 300 && !existsSync(port); i++) await new Promise((r) => setTimeout(r, 10));
  if (!existsSync(port)) fail("socat did not create the pty");
}
process.stdout.write(`${port}\n`);

const stop = () => {
  const total: Record<string, number> = {};
  for (const l of lines) for (const [k, v] of Object.entries(l.counts)) total[k] = (total[k] ?? 0) + v;
  const upTotals: Record<string, number> = {};
  for (const l of lines.filter((_, i) => i % 2 === 0)) for (const [k, v] of Object.entries(l.counts)) upTotals[k] = (upTotals[k] ?? 0) + v;
  process.stdout.write(`${JSON.stringify({ connections: run, total, toDevice: upTotals })}\n`);
  socat?.kill();
  if (ptyDir) rmSync(ptyDir, { recursive: true, force: true });
  for (const s of current) s.destroy();
  server.close();
  process.exit(0);
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
