// A one-line message for every status code the device returns (the codes are
// assembly/shared/status.ts, which the device compiles too).
import * as Status from "../../assembly/shared/status.ts";

export { Status };

export const STATUS_MESSAGES: Record<number, string> = {
  [Status.OK]: "ok",
  [Status.E_SPEC]: "model spec malformed or out of range",
  [Status.E_NOMEM]: "model does not fit in the board's RAM",
  [Status.E_STATE_MAGIC]: "state blob is not a fewmul state (bad magic)",
  [Status.E_STATE_VERSION]: "state blob was written by another format version",
  [Status.E_STATE_SIZE]: "state blob length does not match its spec",
  [Status.E_STATE_CRC]: "state blob is corrupt (checksum mismatch)",
  [Status.E_NOT_READY]: "no model on the device (init or load one first)",
  [Status.E_BATCH]: "batch size or label out of range",
  [Status.E_PROTO_VERSION]: "device speaks another protocol version",
  [Status.E_NOSYNC]: "device restarted since the handshake",
  [Status.E_CMD]: "device does not know this command",
  [Status.E_LEN]: "request body has the wrong length",
  [Status.E_RANGE]: "offset or length outside the addressed area",
  [Status.E_STALE]: "reply to a retransmitted request no longer cached",
  [Status.E_BATCH_CRC]: "uploaded batch data does not match its checksum",
  [Status.E_DIRTY]: "device state partly overwritten: commit a state or init first",
  [Status.E_FLASH]: "device flash read or write failed",
  [Status.E_FLASH_SIZE]: "checkpoint does not fit the device flash",
  [Status.E_CHECKPOINT]: "checkpoint in flash is damaged or does not fit its model",
  [Status.E_BUSY]: "batch buffer still holds a batch whose command has not run",
  [Status.E_WAIT]: "command ahead of an earlier request that has not arrived",
};

export function statusMessage(code: number): string {
  return STATUS_MESSAGES[code] ?? `device status ${code}`;
}
