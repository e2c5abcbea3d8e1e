// The byte-pump ABI, re-exported by assembly/index.ts. Flash imports: ./flash.ts.
export { boot, io_rx_ptr, io_rx_cap, io_feed, io_tx_ptr, io_reboot } from "./io";
