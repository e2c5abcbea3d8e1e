// A v2 host meeting a device that speaks protocol v1 (the module of the last v1 commit, kept as
// a fixture) says so, instead of timing out or misreading replies.
import test from "ava";
import { fileURLToPath } from "node:url";
import { ProtocolError } from "../../host/protocol/errors.ts";
import { Session } from "../../host/protocol/session.ts";
import { Status } from "../../host/protocol/status.ts";
import { InProcessTransport } from "../../host/transports/in-process.ts";

const V1 = fileURLToPath(new URL("../fixtures/fewmul-protocol-v1.wasm", import.meta.url));

test("HELLO to a v1 device fails with a message naming both versions", async (t) => {
  const session = new Session(await InProcessTransport.open({ wasmPath: V1 }), { timeoutMs: 100 });
  const err = await t.throwsAsync(session.hello(), { instanceOf: ProtocolError });
  t.is(err!.status, Status.E_PROTO_VERSION);
  t.regex(err!.message, /device speaks wire protocol version 1, this host version 2/);
  await session.close();
});
