/**
 * Seeded xorshift128 (Marsaglia 2003, the [11, 19, 8] variant), the reference's only
 * source of randomness:
 *   t = x ^ (x << 11); x = y; y = z; z = w; w = w ^ (w >>> 19) ^ t ^ (t >>> 8); output w.
 * Seeding: four successive splitmix32 outputs of the seed fill x, y, z, w (an all-zero
 * state is replaced by w = 1). Everything is 32-bit integer arithmetic, so a seed
 * reproduces the stream bit for bit.
 *
 * The state lives in an Int32Array so hot loops can copy it into locals, step the
 * generator inline (see quantize.ts) and store it back without boxing numbers.
 */
export class Xorshift128 {
  /** State words [x, y, z, w]. Hot loops may read and write them directly. */
  readonly s = new Int32Array(4);

  constructor(seed: number) {
    let st = seed >>> 0;
    for (let k = 0; k < 4; k++) {
      st = (st + 0x9e3779b9) | 0;
      let t = st;
      t ^= t >>> 16;
      t = Math.imul(t, 0x85ebca6b);
      t ^= t >>> 13;
      t = Math.imul(t, 0xc2b2ae35);
      t ^= t >>> 16;
      this.s[k] = t;
    }
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[3] = 1;
  }

  /** Next uniform uint32 in [0, 2^32). */
  nextU32(): number {
    const s = this.s;
    const x = s[0];
    const t = x ^ (x << 11);
    const w = s[3];
    s[0] = s[1];
    s[1] = s[2];
    s[2] = w;
    const nw = w ^ (w >>> 19) ^ t ^ (t >>> 8);
    s[3] = nw;
    return nw >>> 0;
  }

  /** Next uniform double in [0, 1), a multiple of 2^-32. */
  nextFloat(): number {
    return this.nextU32() * 2.3283064365386963e-10;
  }

  /** Snapshot of the four state words (for cloning or checkpointing). */
  getState(): [number, number, number, number] {
    return [this.s[0], this.s[1], this.s[2], this.s[3]];
  }

  setState(st: readonly [number, number, number, number]): void {
    if ((st[0] | st[1] | st[2] | st[3]) === 0) throw new RangeError("xorshift128 state must not be all zero");
    for (let k = 0; k < 4; k++) this.s[k] = st[k];
  }
}
