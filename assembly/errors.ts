// Model status codes returned by the module's exports (the list is assembly/shared/status.ts).
export {
  OK, E_SPEC, E_NOMEM, E_STATE_MAGIC, E_STATE_VERSION, E_STATE_SIZE, E_STATE_CRC, E_NOT_READY, E_BATCH,
} from "./shared/status";
