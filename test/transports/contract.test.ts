// The Transport contract (host/transports/transport.ts), checked on every transport that can
// run here: in-process, socket (through a TCP bridge to an in-process device), serial (on
// serialport's mock binding, an echo port) and faulty (around in-process).
import test from "ava";
import { createServer, type AddressInfo, type Server } from "node:net";
import { SerialPortMock } from "serialport";
import { Session } from "../../host/protocol/session.ts";
import { FaultyTransport } from "../../host/transports/faulty.ts";
import { SerialTransport } from "../../host/transports/serial.ts";
import { parseSocketUrl, SocketTransport } from "../../host/transports/socket.ts";
import { isCanceled, type Transport } from "../../host/transports/transport.ts";
import { openDevice } from "../protocol/helpers.ts";

/** Serves one in-process device per TCP connection: what a board bridge does. */
async function bridge(): Promise<{ url: string; server: Server }> {
  const server = createServer(async (sock) => {
    const device = await openDevice();
    device.onData((chunk) => sock.write(chunk));
    sock.on("data", (buf) => { void device.write(buf).catch(() => {}); });
    sock.on("close", () => { void device.close(); });
  });
  await new Promise<void>((res) => server.listen(0, "127.0.0.1", res));
  return { url: `socket://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

let mockPorts = 0;
async function mockSerial(): Promise<SerialTransport> {
  const path = `/dev/fewmul-mock-${mockPorts++}`;
  SerialPortMock.binding.createPort(path, { echo: true });
  return SerialTransport.openPort(new SerialPortMock({ path, baudRate: 115200, autoOpen: false }), path);
}

/** Sends a HELLO through a session: proves bytes flow both ways, in chunks of >= 1 byte. */
async function handshake(transport: Transport) {
  const chunks: number[] = [];
  let inWrite = false;
  let calledDuringWrite = false;
  transport.onData((c) => { chunks.push(c.length); if (inWrite) calledDuringWrite = true; });
  const session = new Session(transport, { timeoutMs: 500 });
  inWrite = true;
  const info = session.hello();
  inWrite = false;
  return { info: await info, chunks, calledDuringWrite, session };
}

const devices: [string, () => Promise<Transport>, () => Promise<void>][] = [];
devices.push(["in-process", () => openDevice(), async () => {}]);
devices.push(["in-process, paced at 115200 baud", () => openDevice({ baud: 115200 }), async () => {}]);
devices.push(["faulty without faults", async () => new FaultyTransport(await openDevice(), { seed: 1 }), async () => {}]);
let server: Server | undefined;
devices.push(["socket", async () => {
  const b = await bridge();
  server = b.server;
  return SocketTransport.open(b.url);
}, async () => { server?.close(); }]);

for (const [name, open, cleanup] of devices) {
  test.serial(`${name}: a session handshakes; chunks are non-empty; no listener runs inside write`, async (t) => {
    const transport = await open();
    const { info, chunks, calledDuringWrite, session } = await handshake(transport);
    t.is(info.protocolVersion, 2);
    t.true(chunks.length > 0 && chunks.every((n) => n >= 1));
    t.false(calledDuringWrite);
    await session.close();
    await cleanup();
  });

  test.serial(`${name}: close is idempotent; writes after close reject flagged canceled`, async (t) => {
    const transport = await open();
    let after = 0;
    transport.onData(() => after++);
    await transport.close();
    await transport.close();
    const err = await t.throwsAsync(transport.write(Uint8Array.of(0)));
    t.true(isCanceled(err));
    t.is(after, 0);
    await cleanup();
  });
}

test("in-process: a write pending on a paced line rejects flagged canceled on close", async (t) => {
  const transport = await openDevice({ baud: 300 });
  const pending = transport.write(new Uint8Array(64));
  await transport.close();
  t.true(isCanceled(await t.throwsAsync(pending)));
});

test("faulty: a write held by a stall rejects flagged canceled on close", async (t) => {
  const faulty = new FaultyTransport(await openDevice(), { seed: 1, stallRate: 1, stallMs: 200 });
  const pending = faulty.write(Uint8Array.of(1, 2, 3, 0));
  await faulty.close();
  t.true(isCanceled(await t.throwsAsync(pending)));
});

test("serial (mock echo port): bytes written come back; writes after close reject flagged canceled", async (t) => {
  const serial = await mockSerial();
  const got: number[] = [];
  const echoed = new Promise<void>((res) => serial.onData((c) => { got.push(...c); if (got.length >= 5) res(); }));
  await serial.write(Uint8Array.of(1, 2, 3, 4, 5));
  await echoed;
  t.deepEqual(got, [1, 2, 3, 4, 5]);
  await serial.close();
  t.true(isCanceled(await t.throwsAsync(serial.write(Uint8Array.of(1)))));
});

test("serial: bad options throw a TypeError naming the option", (t) => {
  t.throws(() => SerialTransport.open({ path: "", baudRate: 9600 }), { instanceOf: TypeError, message: /path/ });
  t.throws(() => SerialTransport.open({ path: "/dev/x", baudRate: 0 }), { instanceOf: TypeError, message: /baudRate/ });
});

test("socket URLs", (t) => {
  t.deepEqual(parseSocketUrl("socket://localhost:4000"), { host: "localhost", port: 4000 });
  t.deepEqual(parseSocketUrl("socket://[::1]:9"), { host: "::1", port: 9 });
  for (const bad of ["tcp://x:1", "socket://x", "socket://:5", "localhost:4000", "socket://x:0", "socket://x:65536", "socket://x:5x"]) {
    t.throws(() => parseSocketUrl(bad), { instanceOf: TypeError }, bad);
  }
  // where to listen: port 0 (or none) means any free port; the rest as above
  t.deepEqual(parseSocketUrl("socket://127.0.0.1:0", { listen: true }), { host: "127.0.0.1", port: 0 });
  t.deepEqual(parseSocketUrl("socket://127.0.0.1", { listen: true }), { host: "127.0.0.1", port: 0 });
  t.deepEqual(parseSocketUrl("socket://127.0.0.1:65535", { listen: true }), { host: "127.0.0.1", port: 65535 });
  for (const bad of ["socket://127.0.0.1:65536", "socket://:0", "pty"]) {
    t.throws(() => parseSocketUrl(bad, { listen: true }), { instanceOf: TypeError }, bad);
  }
});

test("socket: connection refused is a TransportError, not a hang", async (t) => {
  const probe = createServer();
  await new Promise<void>((res) => probe.listen(0, "127.0.0.1", res));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((res) => probe.close(() => res()));
  await t.throwsAsync(SocketTransport.open(`socket://127.0.0.1:${port}`), { name: "TransportError" });
});
