// Every firmware variant implements the whole of the interfaces main.c calls: the module port
// (wasm2c, WAMR), the UART (MPS2, RP2040, a POSIX host) and the flash (MPS2, RP2040). The WAMR
// port and the POSIX UART are not built by any test here (WAMR is not installable), so a
// function added to a header and implemented only for the boards CI builds would otherwise be
// found at a user's link step.
import test from "ava";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../cli/helpers.ts";

const firmware = (file: string) => readFileSync(join(repoRoot, "boards", "firmware", file), "utf8");

/** Names of the functions a header declares (prototypes at the start of a line). */
function declared(header: string): string[] {
  return [...firmware(header).matchAll(/^[a-z_][a-z0-9_ ]*?\b([a-z_][a-z0-9_]*)\([^)]*\);/gm)].map((m) => m[1]);
}

/** Names of the functions a C file defines (a definition's opening line ends in "{"). */
function defined(source: string): Set<string> {
  return new Set([...firmware(source).matchAll(/^[a-z_][a-z0-9_ ]*?\b([a-z_][a-z0-9_]*)\([^;]*\)\s*\{/gm)].map((m) => m[1]));
}

const contracts: Array<[string, string[]]> = [
  ["module_port.h", ["wasm2c_glue.c", "wamr_port.c"]],
  ["uart.h", ["uart.c", "pico_uart.c", "uart_stdio.c"]],
  ["flash.h", ["flash.c", "pico_flash.c"]],
];

for (const [header, sources] of contracts) {
  test(`every implementation of ${header} defines all it declares`, (t) => {
    const names = declared(header);
    t.true(names.length >= 3, `${header}: found ${names.join(", ")}`);
    for (const source of sources) {
      const have = defined(source);
      t.deepEqual(names.filter((n) => !have.has(n)), [], `${source} lacks functions of ${header}`);
    }
  });
}
