// Messages for the module's negative status codes (assembly/errors.ts).
export const STATUS_MESSAGES: Record<number, string> = {
  [-1]: "model spec malformed or out of range",
  [-2]: "model does not fit in the board's RAM",
  [-3]: "state blob is not a fewmul state (bad magic)",
  [-4]: "state blob was written by another format version",
  [-5]: "state blob length does not match its spec",
  [-6]: "state blob is corrupt (checksum mismatch)",
  [-7]: "no model on the device (init or load one first)",
  [-8]: "batch size or label out of range",
};

export function statusMessage(code: number): string {
  return STATUS_MESSAGES[code] ?? `device error ${code}`;
}
