import { defineCommand } from "citty";
import { readdirSync } from "node:fs";
import { printTable } from "../output.ts";

interface PortInfo { path: string; manufacturer?: string; serialNumber?: string; source: string }

/** Serial ports via serialport's list (udev); where udev is missing, the /dev entries. */
async function listPorts(): Promise<PortInfo[]> {
  try {
    const { SerialPort } = await import("serialport");
    const ports = await SerialPort.list();
    return ports.map((p) => ({ path: p.path, manufacturer: p.manufacturer, serialNumber: p.serialNumber, source: "serialport" }));
  } catch {
    const names = readdirSync("/dev").filter((n) => /^tty(USB|ACM|AMA|S)\d+$|^cu\./.test(n));
    return names.map((n) => ({ path: `/dev/${n}`, source: "/dev" }));
  }
}

export default defineCommand({
  meta: { name: "ports", description: "List serial ports (works without udev); `emulator` is always available" },
  args: { json: { type: "boolean", description: "Print a JSON array", default: false } },
  async run({ args }) {
    const ports = [{ path: "emulator", source: "built-in" } as PortInfo, ...(await listPorts())];
    if (args.json) { process.stdout.write(`${JSON.stringify(ports)}\n`); return; }
    printTable(ports.map((p) => [p.path, [p.manufacturer, p.serialNumber, `(${p.source})`].filter(Boolean).join(" ")]));
  },
});
