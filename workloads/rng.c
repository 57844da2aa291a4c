/*
 * workloads/rng.c - splitmix64 + xoshiro256**, written from the published algorithm
 * descriptions; the exact recipe (and why it is portable) is in workloads/rng.h.
 */
#include "workloads/rng.h"

#define WL_RNG_GOLDEN 0x9E3779B97F4A7C15ULL

/* The splitmix64 output function applied to an already advanced state value. */
static uint64_t splitmix64_mix(uint64_t z)
{
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static uint64_t rotl64(uint64_t x, unsigned k)
{
  return (x << k) | (x >> (64u - k));
}

uint64_t wl_rng_splitmix64(uint64_t *state)
{
  *state += WL_RNG_GOLDEN;
  return splitmix64_mix(*state);
}

uint64_t wl_rng_derive(uint64_t seed, uint64_t index)
{
  return splitmix64_mix(seed + (index + 1u) * WL_RNG_GOLDEN);
}

void wl_rng_seed(wl_rng *r, uint64_t seed)
{
  uint64_t x = seed;
  for (int i = 0; i < 4; i++)
    r->s[i] = wl_rng_splitmix64(&x);
}

uint64_t wl_rng_next(wl_rng *r)
{
  uint64_t *s = r->s;
  uint64_t out = rotl64(s[1] * 5u, 7) * 9u;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl64(s[3], 45);
  return out;
}

float wl_rng_f32(wl_rng *r)
{
  int32_t u = (int32_t)(wl_rng_next(r) >> 40); /* 0 .. 2^24 - 1 */
  return (float)(u - 8388608) * (1.0f / 8388608.0f);
}

float wl_rng_f32_scaled(wl_rng *r, float scale)
{
  return wl_rng_f32(r) * scale;
}

void wl_rng_fill_f32(wl_rng *r, float *dst, size_t n, float scale)
{
  for (size_t i = 0; i < n; i++)
    dst[i] = wl_rng_f32_scaled(r, scale);
}

double wl_rng_unit_f64(wl_rng *r)
{
  return (double)(wl_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}
