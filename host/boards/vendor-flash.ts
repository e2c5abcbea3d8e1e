// Boards fewmul cannot flash itself: their firmware is an ESP-IDF or Zephyr application the
// user builds around boards/firmware/ (README.md, "Running on a WAMR board"), flashed with the
// vendor's tool. `fewmul flash` prints that tool's command instead of pretending to flash.
import type { BoardManifest } from "./manifest.ts";

export interface VendorFlash {
  /** What the user runs in their application's directory. */
  command: string;
  /** The SDK the application is built with. */
  sdk: string;
}

const FLASHERS: Record<string, (port: string | undefined) => VendorFlash> = {
  "idf.py": (port) => ({ command: `idf.py${port ? ` -p ${port}` : ""} flash`, sdk: "ESP-IDF" }),
  west: () => ({ command: "west flash", sdk: "Zephyr" }),
};

/** How `board` is flashed with its vendor's tool, or undefined if fewmul flashes it itself. */
export function vendorFlash(board: BoardManifest, port?: string): VendorFlash | undefined {
  return FLASHERS[board.flasher]?.(port);
}
