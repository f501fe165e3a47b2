/**
 * Seeded pseudo-random numbers used everywhere a result must be reproducible (randomized positions,
 * parameter initialisation, data sampling, dropout-free training order).
 *
 * Generator: xoshiro128** (Blackman & Vigna 2018), state seeded from one 32-bit integer through
 * splitmix32. Gaussians by Box–Muller in float64. Same seed → same sequence on every platform.
 *
 * Example: `const r = new Rng(42); r.float(); r.int(10); r.gaussian();`
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | undefined;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Uniform 32-bit unsigned integer. */
  uint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0; this.s1 >>>= 0; this.s2 >>>= 0; this.s3 >>>= 0;
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.uint32() >>> 5; // 27 bits
    const lo = this.uint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n) without modulo bias; n ≤ 2^32. */
  int(n: number): number {
    if (!(n > 0) || n > 4294967296 || !Number.isInteger(n)) throw new RangeError(`Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const v = this.uint32();
      if (v < limit) return v % n;
    }
  }

  /** Standard normal (Box–Muller, float64). */
  gaussian(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.float();
    const v = this.float();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** JSON-serialisable state (for resumable runs): four 32-bit words and the spare gaussian or null. */
  state(): [number, number, number, number, number | null] {
    return [this.s0, this.s1, this.s2, this.s3, this.spare ?? null];
  }

  static fromState(st: readonly (number | null)[]): Rng {
    if (st.length !== 5 || st.slice(0, 4).some((x) => typeof x !== "number" || !Number.isInteger(x))) {
      throw new RangeError(`Rng.fromState: expected [s0, s1, s2, s3, spare|null], got ${JSON.stringify(st)}`);
    }
    const r = new Rng(0);
    [r.s0, r.s1, r.s2, r.s3] = st.slice(0, 4).map((x) => (x as number) >>> 0) as [number, number, number, number];
    const spare = st[4];
    r.spare = typeof spare === "number" && Number.isFinite(spare) ? spare : undefined;
    return r;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
