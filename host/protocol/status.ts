// Status codes in replies: model codes (assembly/errors.ts) and protocol codes
// (assembly/protocol/status.ts). Keep the lists in step with those files.
import { STATUS_MESSAGES } from "../module/status.ts";

export const Status = {
  OK: 0,
  E_SPEC: -1,
  E_NOMEM: -2,
  E_STATE_MAGIC: -3,
  E_STATE_VERSION: -4,
  E_STATE_SIZE: -5,
  E_STATE_CRC: -6,
  E_NOT_READY: -7,
  E_BATCH: -8,
  E_PROTO_VERSION: -32,
  E_NOSYNC: -33,
  E_CMD: -34,
  E_LEN: -35,
  E_RANGE: -36,
  E_STALE: -37,
  E_BATCH_CRC: -38,
  E_DIRTY: -39,
  E_FLASH: -40,
  E_FLASH_SIZE: -41,
  E_CHECKPOINT: -42,
  E_BUSY: -43,
  E_WAIT: -44,
} as const;

const MESSAGES: Record<number, string> = {
  ...STATUS_MESSAGES,
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

export function statusMessage(status: number): string {
  return MESSAGES[status] ?? `device status ${status}`;
}
