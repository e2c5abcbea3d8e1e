import test from "ava";
import { Gen } from "./gen.ts";
import { Rng, Xorshift128 } from "./oracle.ts";
import { fresh, k, rngLoad, rngState, sameArray } from "./wasm.ts";

test.beforeEach(() => fresh());

const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;

test("xorshift128 from the words (1, 2, 3, 4) gives 2061, 6175, 4, 8224", (t) => {
  // By hand: t = 1 ^ (1 << 11) = 0x801; w = 4 ^ (4 >>> 19) ^ 0x801 ^ (0x801 >>> 8) = 0x80D = 2061.
  // Then t = 2 ^ 0x1000 = 0x1002; w = 0x80D ^ 0x1002 ^ 0x10 = 0x181F = 6175.
  // Then t = 3 ^ 0x1800 = 0x1803; w = 0x181F ^ 0x1803 ^ 0x18 = 0x4.
  // Then t = 4 ^ 0x2000 = 0x2004; w = 0x4 ^ 0x2004 ^ 0x20 = 0x2020 = 8224.
  const want = [2061, 6175, 4, 8224];
  rngLoad([1, 2, 3, 4]);
  t.deepEqual([0, 1, 2, 3].map(() => k.rng_next() >>> 0), want);
  const o = new Xorshift128();
  o.load([1, 2, 3, 4]);
  t.deepEqual([0, 1, 2, 3].map(() => o.next()), want);
  t.deepEqual(rngState(), [2061, 6175, 4, 8224]);
});

test("xorshift128 from Marsaglia's example words gives his first output 3701687786", (t) => {
  // Marsaglia (2003), xor128 with x=123456789, y=362436069, z=521288629, w=88675123.
  rngLoad([123456789, 362436069, 521288629, 88675123]);
  t.is(k.rng_next() >>> 0, 3701687786);
  const o = new Xorshift128();
  o.load([123456789, 362436069, 521288629, 88675123]);
  t.is(o.next(), 3701687786);
});

test("rng_seed(lo, hi) is the documented words advanced by 16 outputs", (t) => {
  // seed(0, 0): x = 0x9E3779B9, y = 0x243F6A88, z = ~0 ^ 0xB7E15162 = 0x481EAE9D,
  // w = ~0 ^ 0x85A308D3 = 0x7A5CF72C, checked against the module's own generator.
  k.rng_seed(0, 0);
  const seeded = rngState();
  rngLoad([0x9E3779B9, 0x243F6A88, 0x481EAE9D, 0x7A5CF72C]);
  for (let i = 0; i < 16; i++) k.rng_next();
  t.deepEqual(seeded.map(hex), rngState().map(hex));
  const o = new Xorshift128();
  o.seed(0, 0);
  t.deepEqual(o.state().map(hex), seeded.map(hex));
});

test("rng_seed and the first 1000 outputs match the oracle for many seeds", (t) => {
  const g = new Gen(1);
  const seeds: [number, number][] = [[0, 0], [1, 0], [0, 1], [0xFFFFFFFF, 0xFFFFFFFF], [0x9E3779B9, 0x243F6A88]];
  for (let i = 0; i < 20; i++) seeds.push([g.u32(), g.u32()]);
  for (const [lo, hi] of seeds) {
    k.rng_seed(lo, hi);
    const o = new Xorshift128();
    o.seed(lo, hi);
    const got: number[] = [], want: number[] = [];
    for (let i = 0; i < 1000; i++) { got.push(k.rng_next() >>> 0); want.push(o.next()); }
    sameArray(t, got, want, `seed (${hex(lo)}, ${hex(hi)})`);
  }
});

test("field streams cut 1, 2, 4, 8 and 16 bit fields lowest bits first from (1, 2, 3, 4)", (t) => {
  // Words 0x80D, 0x181F, 0x4, 0x2020 (first test), split by hand:
  const z = (n: number) => new Array(n).fill(0);
  const want: Record<number, number[]> = {
    1: [1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, ...z(20), 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, ...z(19)],
    2: [1, 3, 0, 0, 0, 2, ...z(10), 3, 3, 1, 0, 0, 2, 1, ...z(9)],
    4: [0xD, 0, 8, 0, 0, 0, 0, 0, 0xF, 1, 8, 1, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0],
    8: [0x0D, 0x08, 0, 0, 0x1F, 0x18, 0, 0, 4, 0, 0, 0, 0x20, 0x20, 0, 0],
    16: [0x080D, 0, 0x181F, 0, 4, 0, 0x2020, 0],
  };
  for (const bits of [1, 2, 4, 8, 16]) {
    k.rng_field_bits(bits);
    rngLoad([1, 2, 3, 4]);
    const got = want[bits].map(() => k.rng_field());
    t.deepEqual(got, want[bits], `randbits ${bits}`);
    const o = new Rng().setFieldBits(bits).load([1, 2, 3, 4]);
    t.deepEqual(want[bits].map(() => o.field()), want[bits], `oracle randbits ${bits}`);
  }
});

test("byte and half streams draw their own words, lowest bits first", (t) => {
  // byte takes word 0x80D -> 0x0D; half takes the next word 0x181F -> 0x181F; byte goes on
  // in its own word -> 0x08; field (8 bits) takes word 0x4 -> 0x04; half -> 0 (top of 0x181F);
  // half needs a fresh word 0x2020 -> 0x2020.
  k.rng_field_bits(8);
  rngLoad([1, 2, 3, 4]);
  const got = [k.rng_byte(), k.rng_half(), k.rng_byte(), k.rng_field(), k.rng_half(), k.rng_half()];
  t.deepEqual(got, [0x0D, 0x181F, 0x08, 0x04, 0, 0x2020]);
});

test("interleaved field, byte, half and raw draws match the oracle for every field width", (t) => {
  const g = new Gen(2);
  for (const bits of [1, 2, 4, 8, 16]) {
    for (let round = 0; round < 4; round++) {
      const lo = g.u32(), hi = g.u32();
      k.rng_field_bits(bits);
      k.rng_seed(lo, hi);
      const o = new Rng().setFieldBits(bits).seed(lo, hi);
      const got: number[] = [], want: number[] = [];
      for (let i = 0; i < 3000; i++) {
        const which = g.int(0, 9);
        if (which < 5) { got.push(k.rng_field()); want.push(o.field()); }
        else if (which < 7) { got.push(k.rng_byte()); want.push(o.byte()); }
        else if (which < 9) { got.push(k.rng_half()); want.push(o.half()); }
        else { got.push(k.rng_next() >>> 0); want.push(o.next()); }
      }
      sameArray(t, got, want, `randbits ${bits} seed ${hex(lo)}`);
      t.deepEqual(rngState(), o.gen.state());
    }
  }
});

test("reseeding empties the three streams: the next draws start on fresh words", (t) => {
  k.rng_field_bits(4);
  rngLoad([1, 2, 3, 4]);
  k.rng_field(); k.rng_byte(); k.rng_half(); // three partly used words
  rngLoad([1, 2, 3, 4]);
  t.deepEqual([k.rng_half(), k.rng_byte(), k.rng_field()], [0x080D, 0x1F, 0x4]);
  k.rng_seed(5, 6);
  k.rng_field(); k.rng_byte(); k.rng_half();
  k.rng_seed(5, 6);
  const o = new Rng().setFieldBits(4).seed(5, 6);
  t.deepEqual([k.rng_half(), k.rng_byte(), k.rng_field()], [o.half(), o.byte(), o.field()]);
});
