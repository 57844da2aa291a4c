/*
 * loadgen/rng.c - MT19937-64, the generator behind every loadgen random choice:
 * the loaded sample set (qsl_rng_seed), sample indices (sample_index_rng_seed) and
 * Server arrival times (schedule_rng_seed). Same algorithm and seeding as C++'s
 * std::mt19937_64 (Matsumoto & Nishimura, 2000), written from the published
 * parameters, so a sequence can be reproduced anywhere.
 */
#include "loadgen/lg_internal.h"

#define LG_MT_M 156
#define LG_MT_MATRIX 0xB5026F5AA96619E9ULL
#define LG_MT_UPPER 0xFFFFFFFF80000000ULL
#define LG_MT_LOWER 0x000000007FFFFFFFULL

void lg_rng_seed(lg_rng *r, uint64_t seed) {
  r->mt[0] = seed;
  for (unsigned i = 1; i < LG_MT_N; i++)
    r->mt[i] = 6364136223846793005ULL * (r->mt[i - 1] ^ (r->mt[i - 1] >> 62)) + i;
  r->idx = LG_MT_N;
}

static void lg_rng_twist(lg_rng *r) {
  for (unsigned i = 0; i < LG_MT_N; i++) {
    uint64_t x = (r->mt[i] & LG_MT_UPPER) | (r->mt[(i + 1) % LG_MT_N] & LG_MT_LOWER);
    uint64_t xa = x >> 1;
    if (x & 1) xa ^= LG_MT_MATRIX;
    r->mt[i] = r->mt[(i + LG_MT_M) % LG_MT_N] ^ xa;
  }
  r->idx = 0;
}

uint64_t lg_rng_next(lg_rng *r) {
  if (r->idx >= LG_MT_N) lg_rng_twist(r);
  uint64_t x = r->mt[r->idx++];
  x ^= (x >> 29) & 0x5555555555555555ULL;
  x ^= (x << 17) & 0x71D67FFFEDA60000ULL;
  x ^= (x << 37) & 0xFFF7EEE000000000ULL;
  x ^= x >> 43;
  return x;
}

uint64_t lg_rng_below(lg_rng *r, uint64_t n) {
  /* reject the top partial bucket so every value is equally likely */
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do x = lg_rng_next(r);
  while (x >= limit);
  return x % n;
}

double lg_rng_unit(lg_rng *r) {
  /* 53 random bits -> (0, 1]: never 0, so -log(u) is finite */
  return (double)((lg_rng_next(r) >> 11) + 1) * (1.0 / 9007199254740992.0);
}
