// What `fewmul train` says about a device that is not healthy, through real processes: one
// that never answers, one that stops answering in the middle of training, and a board whose
// module traps at every boot (the firmware then answers every chunk with a trap line).
import test from "ava";
import { createServer, type Server, type Socket } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runFewmul, startEmulator } from "./processes.ts";

const dir = mkdtempSync(join(tmpdir(), "fewmul-unhealthy-"));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

/** A TCP "board" that answers each chunk it receives with `answer(chunk)`. */
async function fakeBoard(answer: (chunk: Buffer, socket: Socket) => void): Promise<{ url: string; server: Server }> {
  const server = createServer((s) => { s.on("data", (b) => answer(b, s)); s.on("error", () => {}); });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `socket://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

const train = (port: string) => runFewmul(["train", "--board", "emulator", "--port", port, "--model", "784-16-10:tc", "--epochs", "1", "--out", join(dir, "m.fewmul")], { timeoutMs: 60_000 });
const errorLine = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("error:"));

test("a device that never answers: one error line naming the port", async (t) => {
  const { url, server } = await fakeBoard(() => {});
  const r = await train(url);
  server.close();
  t.is(r.code, 1);
  t.deepEqual(errorLine(r.stderr).length, 1, r.stderr);
  t.regex(errorLine(r.stderr)[0], /no fewmul device answers on socket:\/\/127\.0\.0\.1:\d+/);
});

test("a board whose module traps at every boot is reported as a trap", async (t) => {
  const { url, server } = await fakeBoard((_, s) => s.write("FEWMUL-TRAP 16\n"));
  const r = await train(url);
  server.close();
  t.is(r.code, 1);
  t.is(errorLine(r.stderr).length, 1, r.stderr);
  t.regex(errorLine(r.stderr)[0], /FEWMUL-TRAP 16: the board cannot host the module/);
  t.notRegex(r.stderr, /no fewmul device answers/);
});

test("a device that dies during training is reported as not answering, not waited for", async (t) => {
  const emulator = await startEmulator(["--listen", "socket://127.0.0.1:0", "--flash", join(dir, "dies.flash")]);
  // A relay that stops forwarding after 300 kB: the device is gone as far as the host can tell.
  let seen = 0;
  const { url, server } = await fakeBoard(() => {});
  server.removeAllListeners("connection");
  const { connect } = await import("node:net");
  server.on("connection", (client) => {
    const u = new URL(emulator.port);
    const dev = connect({ host: u.hostname, port: Number(u.port) });
    client.on("data", (b) => { seen += b.length; if (seen < 300_000) dev.write(b); });
    dev.on("data", (b) => { if (seen < 300_000) client.write(b); });
    for (const s of [client, dev]) s.on("error", () => {});
  });
  const r = await train(url);
  server.close();
  await emulator.stop();
  t.is(r.code, 1);
  t.is(errorLine(r.stderr).length, 1, r.stderr);
  t.regex(errorLine(r.stderr)[0], /no reply from the device for \d+\.\d s/);
});
