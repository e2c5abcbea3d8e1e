// REBOOT (0x0C): the module acknowledges it and raises io_reboot for the firmware, which reboots
// after the reply is out (boards/firmware/main.c). Checked on the module directly.
import test from "ava";
import { encodeFrame } from "../../host/protocol/frame.ts";
import { Writer } from "../../host/protocol/messages.ts";
import { Cmd, PROTOCOL_VERSION, REPLY_BIT } from "../../host/protocol/opcodes.ts";
import { Status } from "../../host/protocol/status.ts";
import type { InProcessTransport } from "../../host/transports/in-process.ts";
import { feed, openDevice, replies, replyStatus } from "./helpers.ts";

const send = (device: InProcessTransport, frame: Uint8Array) => replies(feed(device, frame));
const status = replyStatus;

test("REBOOT 1 is acknowledged and raises io_reboot; bad bodies are refused without it", async (t) => {
  const device = await openDevice();
  const dev = device.exports;
  t.is(dev.io_reboot!(), 0, "no reboot requested at boot");
  send(device, encodeFrame(1, Cmd.HELLO, new Writer(2).u16(PROTOCOL_VERSION).done()));
  const [wrongLength] = send(device, encodeFrame(2, Cmd.REBOOT, Uint8Array.of(1, 0)));
  t.is(status(wrongLength), Status.E_LEN);
  const [wrongMode] = send(device, encodeFrame(3, Cmd.REBOOT, Uint8Array.of(2)));
  t.is(status(wrongMode), Status.E_RANGE);
  t.is(dev.io_reboot!(), 0);
  const [ok] = send(device, encodeFrame(4, Cmd.REBOOT, Uint8Array.of(1)));
  t.like(ok, { seq: 4, cmd: Cmd.REBOOT | REPLY_BIT });
  t.is(status(ok), 0);
  t.is(ok.body.length, 1, "status only");
  t.is(dev.io_reboot!(), 1, "the firmware sees the request after the reply");
});
