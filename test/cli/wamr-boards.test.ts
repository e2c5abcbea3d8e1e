// The WAMR boards (ESP32-S3, nRF52840): their manifests load, the schema's WAMR rules reject
// what they should, `fewmul flash` prints the vendor command and fails instead of pretending,
// and `fewmul build` compiles the module only (their firmware is the user's ESP-IDF/Zephyr build).
import test from "ava";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { listBoards, loadBoard } from "../../host/boards/manifest.ts";
import { UserError } from "../../host/errors.ts";
import { assertUserError, runCli, tempDir } from "./helpers.ts";

const WAMR_BOARDS = ["esp32-s3-devkitc-1", "nrf52840dk"];

test("the ESP32-S3 and nRF52840 boards are WAMR boards with a serial link", (t) => {
  const wamr = listBoards().filter((id) => loadBoard(id).runtime === "wamr");
  t.deepEqual(wamr, WAMR_BOARDS);
  for (const id of wamr) t.true(["uart", "usb-cdc"].includes(loadBoard(id).serial!), id);
});

test("a WAMR manifest without a serial link, or with an unknown one, is refused", (t) => {
  const dir = tempDir(t);
  const base = { ...loadBoard("nrf52840dk") } as Record<string, unknown>;
  const write = (name: string, patch: Record<string, unknown>) => {
    const path = join(dir, `${name}.json`);
    const m: Record<string, unknown> = { ...base, ...patch, id: name };
    for (const [k, v] of Object.entries(patch)) if (v === undefined) delete m[k];
    writeFileSync(path, JSON.stringify(m));
    return path;
  };
  t.throws(() => loadBoard(write("no-serial", { serial: undefined })), { instanceOf: UserError, message: /"serial" \("uart" or "usb-cdc"\) is required for a wamr board/ });
  t.throws(() => loadBoard(write("spi", { serial: "spi" })), { instanceOf: UserError, message: /"serial" must be "uart" or "usb-cdc"/ });
  t.is(loadBoard(write("cdc", { serial: "usb-cdc" })).serial, "usb-cdc");
});

test("fewmul flash prints idf.py's command for the ESP32-S3 and exits non-zero", async (t) => {
  const r = await runCli(["flash", "--board", "esp32-s3-devkitc-1", "--port", "/dev/ttyUSB0"]);
  t.is(r.stdout, "idf.py -p /dev/ttyUSB0 flash\n");
  assertUserError(t, r, "fewmul does not flash esp32-s3-devkitc-1", "ESP-IDF");
});

test("fewmul flash prints west's command for the nRF52840 and exits non-zero", async (t) => {
  const r = await runCli(["flash", "--board", "nrf52840dk", "--json"]);
  t.deepEqual(JSON.parse(r.stdout), { board: "nrf52840dk", flashed: false, command: "west flash" });
  assertUserError(t, r, "fewmul does not flash nrf52840dk", "Zephyr");
});

test("fewmul build for a WAMR board compiles the module only", async (t) => {
  const r = await runCli(["build", "--board", "esp32-s3-devkitc-1", "--json"]);
  t.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.is(out.module, "build/fewmul.wasm");
  t.is(out.elf, undefined);
});
