// Protocol state that outlives single frames. lastBatchId travels with the model state
// (checkpoint header, STATE_COMMIT) because it says which batches that state already holds.
import { dropModel } from "./model-api";
import * as F from "../shared/frame";

/** Highest batch id applied to the current weights; TRAIN applies only ids above it. 0 = none. */
export let lastBatchId: u32 = 0;
/**
 * The live state cannot be trusted: STATE_WRITE overwrote part of it, or a restore failed
 * half way. Training, evaluation and checkpoints wait for STATE_COMMIT or INIT.
 */
export let dirty = false;
/** Result of boot(): 0 fresh, 1 restored from flash, <0 why the checkpoint was refused. */
export let bootStatus: i32 = 0;

export function setLastBatchId(id: u32): void { lastBatchId = id; }
// @ts-ignore: decorator
@inline export function setDirty(d: bool): void { dirty = d; }
export function setBootStatus(s: i32): void { bootStatus = s; }

/** REBOOT mode: the board's USB boot loader (assembly/shared/frame.ts). */
export const REBOOT_USB_BOOT: u8 = <u8>F.REBOOT_USB_BOOT;
/** A reboot the host asked for, read by the firmware through io_reboot; 0 = none. */
export let rebootRequest: u8 = 0;
export function setRebootRequest(mode: u8): void { rebootRequest = mode; }

/** No model any more (failed INIT, commit or restore): the summary is all zeros. */
export function forgetModel(): void {
  dropModel();
  dirty = false;
  lastBatchId = 0;
}
