// The byte pump (docs/device-abi.md): the firmware copies received UART bytes to io_rx_ptr,
// calls io_feed, and transmits what io_feed left at io_tx_ptr. Nothing here allocates.
import { RX_CAP } from "./config";
import { linkByte, linkReset } from "./frame";
import { TX, txClear, txLength } from "./tx";
import { checkpointRestore } from "./checkpoint";
import { rebootRequest, setBootStatus } from "./state";

const RX: usize = memory.data(RX_CAP);
let booted = false;

/** Restores the last valid checkpoint: 0 fresh, 1 restored, <0 checkpoint refused (fresh). */
export function boot(): i32 {
  linkReset();
  txClear();
  let s = checkpointRestore();
  setBootStatus(s);
  booted = true;
  return s;
}

export function io_rx_ptr(): i32 { return <i32>RX; }
export function io_rx_cap(): i32 { return RX_CAP; }
export function io_tx_ptr(): i32 { return <i32>TX; }

/** Processes n bytes at io_rx_ptr (any split of any frames); returns reply bytes at io_tx_ptr. */
export function io_feed(n: i32): i32 {
  if (!booted) boot(); // a firmware that forgot boot() still gets a working device
  txClear();
  if (n > RX_CAP) n = RX_CAP;
  for (let i = 0; i < n; i++) linkByte(load<u8>(RX + <usize>i));
  return txLength();
}

/** After sending io_feed's reply: the reboot the host requested (REBOOT), 0 = none. */
export function io_reboot(): i32 { return rebootRequest; }
