// Training progress: a live bar on a terminal (cli-progress), one line per epoch elsewhere.
import cliProgress from "cli-progress";
import { logger } from "./output.ts";

export interface ProgressState { epoch: number; epochs: number; loss: number; accuracy: number; samplesPerS: number; linkKBs: number }

export class TrainingProgress {
  private bar?: cliProgress.SingleBar;
  private readonly started = performance.now();
  private samples = 0;
  private correct = 0;
  private loss = 0;
  private seen = 0;

  constructor(private readonly epochs: number, private readonly perEpoch: number, private readonly batch: number,
    private readonly bytesPerBatch: number, enabled: boolean) {
    if (enabled && process.stderr.isTTY) {
      this.bar = new cliProgress.SingleBar({
        stream: process.stderr,
        format: "epoch {epoch}/{epochs} {bar} {percentage}% | loss {loss} | acc {acc}% | {sps} samples/s | {kbs} kB/s",
        barCompleteChar: "█", barIncompleteChar: "░", hideCursor: true, clearOnComplete: false,
      });
      this.bar.start(epochs * perEpoch, 0, this.payload(0));
    }
  }

  private payload(epoch: number) {
    const s = (performance.now() - this.started) / 1000 || 1e-9;
    return {
      epoch: epoch + 1, epochs: this.epochs,
      loss: this.seen ? (this.loss / this.seen).toFixed(3) : "-",
      acc: this.seen ? ((100 * this.correct) / this.seen).toFixed(1) : "-",
      sps: Math.round(this.samples / s), kbs: ((this.samples / this.batch) * this.bytesPerBatch / 1024 / s).toFixed(1),
    };
  }

  batchDone(id: number, epoch: number, correct: number, loss: number): void {
    this.samples += this.batch;
    this.seen += this.batch;
    this.correct += correct;
    this.loss += loss;
    this.bar?.update(id, this.payload(epoch));
  }

  epochDone(epoch: number, testAccuracy: number | undefined): void {
    const p = this.payload(epoch);
    const test = testAccuracy === undefined ? "" : ` | test ${(100 * testAccuracy).toFixed(2)}%`;
    if (this.bar) this.bar.update(this.payload(epoch));
    else logger.info(`epoch ${epoch + 1}/${this.epochs} | loss ${p.loss} | train acc ${p.acc}% | ${p.sps} samples/s${test}`);
    if (this.bar && testAccuracy !== undefined) { this.bar.stop(); logger.info(`  epoch ${epoch + 1}: test accuracy ${(100 * testAccuracy).toFixed(2)}%`); if (epoch + 1 < this.epochs) this.bar.start(this.epochs * this.perEpoch, (epoch + 1) * this.perEpoch, this.payload(epoch + 1)); }
    this.seen = this.correct = this.loss = 0;
  }

  stop(): void { this.bar?.stop(); }
}
