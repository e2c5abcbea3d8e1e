// Typed access to a model inside an instantiated device module (direct calls, no protocol).
import { UserError } from "../errors.ts";
import { instantiate, type LoadOptions, type LoadedModule } from "./loader.ts";
import { STATE_O_LAYERS } from "../../assembly/shared/state.ts";
import { encodeSpec, decodeSpec, type ModelSpec } from "./spec.ts";
import { stateSpecBytes } from "./state-layout.ts";
import { statusMessage } from "./status.ts";

export interface StepResult { correct: number; loss: number }

function check(code: number, what: string): number {
  if (code < 0) throw new UserError(`${what}: ${statusMessage(code)}`, "E_DEVICE");
  return code;
}

export class DeviceModel {
  readonly mod: LoadedModule;
  spec!: ModelSpec;
  private features = 0;

  constructor(options: LoadOptions = {}) { this.mod = instantiate(options); }

  private get x() { return this.mod.exports; }

  /** Linear memory (bytes) the spec needs, checked against the module's own planner. */
  requiredBytes(spec: ModelSpec): number {
    this.mod.mem.write(this.x.spec_ptr(), encodeSpec(spec));
    return check(this.x.required_bytes(), "plan");
  }

  init(spec: ModelSpec, seed: number | bigint): void {
    const s = BigInt(seed);
    this.mod.mem.write(this.x.spec_ptr(), encodeSpec(spec));
    check(this.x.init(Number(s & 0xffffffffn) | 0, Number((s >> 32n) & 0xffffffffn) | 0), "init");
    this.spec = spec;
    this.features = spec.sizes[0];
  }

  private put(images: Uint8Array, labels: Uint8Array, n: number) {
    this.mod.mem.write(this.x.batch_inputs_ptr(), images.subarray(0, n * this.features));
    this.mod.mem.write(this.x.batch_labels_ptr(), labels.subarray(0, n));
  }

  /** One step on exactly `spec.batch` samples (images row-major uint8, labels uint8). */
  train(images: Uint8Array, labels: Uint8Array): StepResult {
    this.put(images, labels, this.spec.batch);
    const correct = check(this.x.train(this.spec.batch), "train");
    return { correct, loss: this.x.last_loss() / 256 };
  }

  /** Correct count of the deterministic network on up to `spec.batch` samples. */
  evaluate(images: Uint8Array, labels: Uint8Array, n: number): number {
    this.put(images, labels, n);
    return check(this.x.evaluate(n), "evaluate");
  }

  /** Re-estimates inference statistics with the deterministic weights on full batches. */
  calibrate(images: Uint8Array, labels: Uint8Array, count: number): void {
    const B = this.spec.batch;
    for (let at = 0; at + B <= count; at += B) {
      this.put(images.subarray(at * this.features), labels.subarray(at), B);
      check(this.x.calibrate(B, at === 0 ? 1 : 0), "calibrate");
    }
  }

  /** Accuracy over a whole set, batch by batch. */
  accuracy(images: Uint8Array, labels: Uint8Array, count: number): number {
    let correct = 0;
    for (let at = 0; at < count; at += this.spec.batch) {
      const n = Math.min(this.spec.batch, count - at);
      correct += this.evaluate(images.subarray(at * this.features), labels.subarray(at), n);
    }
    return correct / count;
  }

  get step(): number { return this.x.step() >>> 0; }
  digest(): number { return this.x.state_digest() >>> 0; }

  /** A copy of the whole state blob (digest sealed in its header). */
  saveState(): Uint8Array {
    this.digest();
    return this.mod.mem.read(this.x.state_ptr(), this.x.state_len());
  }

  /** Adopts a blob from saveState (any DeviceModel with room for its spec). */
  loadState(blob: Uint8Array): void {
    if (blob.length < STATE_O_LAYERS) throw new UserError(`state blob too short (${blob.length} bytes)`, "E_STATE");
    const spec = decodeSpec(stateSpecBytes(blob));
    this.mod.mem.write(this.x.spec_ptr(), stateSpecBytes(blob));
    check(this.x.init(0, 0), "load state");
    if (blob.length !== this.x.state_len()) {
      throw new UserError(`state blob is ${blob.length} bytes, its spec needs ${this.x.state_len()}`, "E_STATE");
    }
    this.mod.mem.write(this.x.state_ptr(), blob);
    check(this.x.state_commit(), "load state");
    this.spec = spec;
    this.features = spec.sizes[0];
  }
}
