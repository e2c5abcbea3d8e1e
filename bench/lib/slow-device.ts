// A model of a board for the link bench: a UART paced at `baud` each way, a receive ring that
// holds what arrives while the device computes, and a training step that keeps the device
// busy for `stepMs` (replies included). Event-driven: nothing blocks the event loop.
import { InProcessTransport } from "../../host/transports/in-process.ts";
import type { Transport } from "../../host/transports/transport.ts";

export class SlowDevice implements Transport {
  busyMs = 0;
  bytesToDevice = 0;
  private readonly msPerByte: number;
  private toDeviceFree = 0;
  private toHostFree = 0;
  private busyUntil = 0;
  private ring: Uint8Array[] = [];
  private draining = false;
  private listeners: ((c: Uint8Array) => void)[] = [];
  /** When the first step began and the last one ended: the window idle time is measured in. */
  firstStepAt = 0;
  lastStepEnd = 0;

  private constructor(private readonly device: InProcessTransport, baud: number, private readonly stepMs: number) {
    this.msPerByte = 10_000 / baud;
    // Replies leave once the device is free again (a step's reply after the step), paced.
    device.onData((c) => {
      const r = Uint8Array.from(c);
      this.toHostFree = Math.max(performance.now(), this.busyUntil, this.toHostFree) + r.length * this.msPerByte;
      this.back.push({ due: this.toHostFree, bytes: r });
      if (this.back.length === 1) this.replyLater();
    });
  }

  private back: { due: number; bytes: Uint8Array }[] = [];

  private replyLater(): void {
    setTimeout(() => {
      while (this.back.length > 0 && this.back[0].due <= performance.now() + 0.5) {
        const r = this.back.shift()!.bytes;
        this.listeners.forEach((l) => l(r));
      }
      if (this.back.length > 0) this.replyLater();
    }, Math.max(0, this.back[0].due - performance.now()));
  }

  static async open(baud: number, stepMs: number): Promise<SlowDevice> {
    return new SlowDevice(await InProcessTransport.open({ flashSize: 1 << 20 }), baud, stepMs);
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.bytesToDevice += bytes.length;
    const now = performance.now();
    this.toDeviceFree = Math.max(now, this.toDeviceFree) + bytes.length * this.msPerByte;
    // One queue in line order: separate timers could fire out of order within a millisecond.
    this.line.push({ due: this.toDeviceFree, bytes: Uint8Array.from(bytes) });
    if (this.line.length === 1) this.deliverLater();
  }

  private line: { due: number; bytes: Uint8Array }[] = [];

  private deliverLater(): void {
    setTimeout(() => {
      while (this.line.length > 0 && this.line[0].due <= performance.now() + 0.5) this.ring.push(this.line.shift()!.bytes);
      this.drain();
      if (this.line.length > 0) this.deliverLater();
    }, Math.max(0, this.line[0].due - performance.now()));
  }

  /** Feeds the ring to the module unless a step is computing; a step makes the device busy. */
  private drain(): void {
    if (this.draining || this.closed) return;
    const now = performance.now();
    if (now < this.busyUntil) { setTimeout(() => this.drain(), this.busyUntil - now); return; }
    this.draining = true;
    while (this.ring.length > 0) {
      const step = (this.device.exports as any).step();
      this.device.write(this.ring.shift()!).catch(() => {}); // closed at the end of a run
      if ((this.device.exports as any).step() !== step) {
        const now = performance.now();
        if (this.firstStepAt === 0) this.firstStepAt = now;
        this.busyUntil = now + this.stepMs;
        this.lastStepEnd = this.busyUntil;
        this.busyMs += this.stepMs;
        break;
      }
    }
    this.draining = false;
    if (this.ring.length > 0) this.drain();
  }

  onData(cb: (c: Uint8Array) => void): () => void {
    this.listeners.push(cb);
    return () => { this.listeners = this.listeners.filter((l) => l !== cb); };
  }

  private closed = false;
  close(): Promise<void> { this.closed = true; return this.device.close(); }
}
