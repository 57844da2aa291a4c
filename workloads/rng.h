/*
 * workloads/rng.h - THE seeded generator of mlsysbench (prefix wl_rng_).
 *
 * Every SUT - the CPU reference, CUDA, the microcontroller firmware - derives the
 * weights and samples of a workload from this generator, so they all compute the same
 * model on the same inputs. The recipe below is the specification; it uses only 64-bit
 * integer arithmetic (wrapping mod 2^64) plus one exact int->float conversion, so it
 * gives the same bits on every platform. Reimplement it exactly as written.
 *
 * 1. splitmix64 (Steele, Lea, Flood 2014), state x (uint64):
 *        x  = x + 0x9E3779B97F4A7C15
 *        z  = x
 *        z  = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
 *        z  = (z ^ (z >> 27)) * 0x94D049BB133111EB
 *        out = z ^ (z >> 31)
 *
 * 2. Seeding (wl_rng_seed(seed)): start splitmix64 at x = seed and take its first four
 *    outputs as s[0], s[1], s[2], s[3] of xoshiro256** (in that order). These are
 *    never all zero for any seed.
 *
 * 3. xoshiro256** (Blackman, Vigna 2018), one step (wl_rng_next), rotl = rotate left:
 *        out  = rotl(s[1] * 5, 7) * 9
 *        t    = s[1] << 17
 *        s[2] ^= s[0];  s[3] ^= s[1];  s[1] ^= s[2];  s[0] ^= s[3]
 *        s[2] ^= t
 *        s[3] = rotl(s[3], 45)
 *        return out
 *
 * 4. Derived seeds (wl_rng_derive(seed, i)): output number i (0-based) of splitmix64
 *    started at x = seed, i.e. the mix above applied to x = seed + (i + 1) *
 *    0x9E3779B97F4A7C15. Workloads seed one generator per layer (weights) and per
 *    sample index (inputs) this way, so any layer or sample can be produced alone.
 *
 * 5. Floats:
 *    wl_rng_f32 (uniform in [-1, 1)): u = wl_rng_next() >> 40 (the top 24 bits, an
 *        integer 0 .. 2^24-1); result = (float)((int32)u - 2^23) * 2^-23. Every step
 *        is exact in IEEE-754 binary32, so the value is exactly (u - 8388608) / 8388608.
 *    wl_rng_f32_scaled(scale): wl_rng_f32() * scale, one binary32 multiply rounded to
 *        nearest (no fused multiply-add).
 *    wl_rng_unit_f64 (uniform in [0, 1), for service times, not for model data):
 *        (wl_rng_next() >> 11) * 2^-53.
 *
 * Thread-safety: a wl_rng is plain state; use one per thread. No allocation.
 */
#ifndef WL_RNG_H
#define WL_RNG_H

#include <stddef.h>
#include <stdint.h>

/* xoshiro256** state. Fill it with wl_rng_seed(); any other all-nonzero state works. */
typedef struct wl_rng {
  uint64_t s[4];
} wl_rng;

/* One splitmix64 step: advances *state and returns the next output (recipe 1). */
uint64_t wl_rng_splitmix64(uint64_t *state);

/* Output number `index` (0-based) of splitmix64 started at `seed` (recipe 4). */
uint64_t wl_rng_derive(uint64_t seed, uint64_t index);

/* Seed r from a 64-bit seed (recipe 2). */
void wl_rng_seed(wl_rng *r, uint64_t seed);

/* Next 64-bit output of xoshiro256** (recipe 3). */
uint64_t wl_rng_next(wl_rng *r);

/* Uniform float in [-1, 1) from the top 24 bits of one output (recipe 5). */
float wl_rng_f32(wl_rng *r);

/* wl_rng_f32(r) * scale, rounded once (recipe 5). */
float wl_rng_f32_scaled(wl_rng *r, float scale);

/* Fill dst[0..n) with wl_rng_f32_scaled(r, scale), in index order. */
void wl_rng_fill_f32(wl_rng *r, float *dst, size_t n, float scale);

/* Uniform double in [0, 1) from the top 53 bits of one output (recipe 5). */
double wl_rng_unit_f64(wl_rng *r);

#endif /* WL_RNG_H */
