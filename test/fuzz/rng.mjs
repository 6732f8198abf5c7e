// A small seeded PRNG (sfc32) so every fuzz run is reproducible from its seed.

/** Seeded random source: `u32()`, `int(n)`, `range(a, b)`, `chance(p)`, `pick(list)`. */
export class Rng {
  constructor(seed) {
    // Spread the seed over the four state words with splitmix32, then warm up.
    let s = Number(BigInt.asUintN(32, BigInt(seed))) >>> 0;
    const split = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** A uniform 32-bit unsigned integer. */
  u32() {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** A uniform integer in [0, n). */
  int(n) {
    if (n <= 0) return 0;
    if (n <= 0x100000000) return Math.floor((this.u32() / 0x100000000) * n);
    return Math.floor((this.u32() * 0x100000000 + this.u32()) / 2 ** 64 * n);
  }

  /** A uniform integer in [a, b]. */
  range(a, b) {
    return a + this.int(b - a + 1);
  }

  /** True with probability p. */
  chance(p) {
    return this.u32() / 0x100000000 < p;
  }

  /** One element of `list`. */
  pick(list) {
    return list[this.int(list.length)];
  }

  /** A size biased towards small values (1 … max): most mutations are small, a few are large. */
  size(max) {
    const bits = this.int(Math.max(1, Math.ceil(Math.log2(max + 1))) + 1);
    return Math.min(max, 1 + this.int(2 ** bits));
  }

  /** `n` random bytes. */
  bytes(n) {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}
