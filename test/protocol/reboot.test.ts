// REBOOT (0x0C): the module acknowledges it and raises io_reboot for the firmware, which reboots
// after the reply is out (boards/firmware/main.c). Checked on the module directly.
import test from "ava";
import { encodeFrame, FrameDecoder, type GoodFrame } from "../../host/protocol/frame.ts";
import { Writer } from "../../host/protocol/messages.ts";
import { Cmd, PROTOCOL_VERSION, REPLY_BIT } from "../../host/protocol/opcodes.ts";
import { Status } from "../../host/protocol/status.ts";
import type { DeviceExports } from "../../host/transports/in-process.ts";
import type { ModuleMemory } from "../../host/module/loader.ts";
import { openDevice } from "./helpers.ts";

function feed({ exports: dev, memory }: { exports: DeviceExports; memory: ModuleMemory }, bytes: Uint8Array): GoodFrame[] {
  memory.write(dev.io_rx_ptr(), bytes);
  const n = dev.io_feed(bytes.length);
  return new FrameDecoder().push(memory.read(dev.io_tx_ptr(), n)).map((f) => {
    if (!f.ok) throw new Error("damaged reply");
    return f;
  });
}
const status = (f: GoodFrame) => (f.body[0] << 24) >> 24;

test("REBOOT 1 is acknowledged and raises io_reboot; bad bodies are refused without it", async (t) => {
  const device = await openDevice();
  const dev = device.exports;
  t.is(dev.io_reboot!(), 0, "no reboot requested at boot");
  feed(device, encodeFrame(1, Cmd.HELLO, new Writer(2).u16(PROTOCOL_VERSION).done()));
  const [wrongLength] = feed(device, encodeFrame(2, Cmd.REBOOT, Uint8Array.of(1, 0)));
  t.is(status(wrongLength), Status.E_LEN);
  const [wrongMode] = feed(device, encodeFrame(3, Cmd.REBOOT, Uint8Array.of(2)));
  t.is(status(wrongMode), Status.E_RANGE);
  t.is(dev.io_reboot!(), 0);
  const [ok] = feed(device, encodeFrame(4, Cmd.REBOOT, Uint8Array.of(1)));
  t.like(ok, { seq: 4, cmd: Cmd.REBOOT | REPLY_BIT });
  t.is(status(ok), 0);
  t.is(ok.body.length, 1, "status only");
  t.is(dev.io_reboot!(), 1, "the firmware sees the request after the reply");
});
