// Status codes in replies (assembly/shared/status.ts) and their messages (host/module/status.ts).
export { Status, statusMessage } from "../module/status.ts";
