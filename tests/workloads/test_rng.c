/*
 * tests/workloads/test_rng.c - wl_rng against published reference outputs and against
 * an independent inline reimplementation of splitmix64 and xoshiro256**, plus the
 * float recipes of workloads/rng.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "workloads/rng.h"

/* ---- independent reference: written from the algorithm text, not from rng.c ---- */

static uint64_t ref_splitmix(uint64_t *x)
{
  uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static uint64_t ref_rotl(uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

static uint64_t ref_xoshiro(uint64_t s[4])
{
  uint64_t result = ref_rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = ref_rotl(s[3], 45);
  return result;
}

static void ref_seed(uint64_t s[4], uint64_t seed)
{
  for (int i = 0; i < 4; i++)
    s[i] = ref_splitmix(&seed);
}

/* ---- tests ------------------------------------------------------------------------ */

/* splitmix64 from 0: the widely published first outputs. */
static void test_splitmix64_known(void **state)
{
  uint64_t x = 0;
  assert_int_equal(wl_rng_splitmix64(&x), 0xE220A8397B1DCDAFULL);
  assert_int_equal(wl_rng_splitmix64(&x), 0x6E789E6AA1B965F4ULL);
  assert_int_equal(wl_rng_splitmix64(&x), 0x06C45D188009454FULL);
}

/* xoshiro256** from state {1, 2, 3, 4}: the reference sequence of its authors' code. */
static void test_xoshiro_known(void **state)
{
  static const uint64_t expect[] = {11520u, 0u, 1509978240u, 1215971899390074240u,
                                    1216172134540287360u, 607988272756665600u};
  wl_rng r = {{1, 2, 3, 4}};
  for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++)
    assert_int_equal(wl_rng_next(&r), expect[i]);
}

/* The pinned first outputs after wl_rng_seed(1), cross-checked by the reference. */
static void test_seed_pinned(void **state)
{
  static const uint64_t expect[4] = {0xB3F2AF6D0FC710C5ULL, 0x853B559647364CEAULL,
                                     0x92F89756082A4514ULL, 0x642E1C7BC266A3A7ULL};
  uint64_t s[4];
  wl_rng r;
  ref_seed(s, 1);
  wl_rng_seed(&r, 1);
  for (int i = 0; i < 4; i++) {
    assert_int_equal(ref_xoshiro(s), expect[i]);
    assert_int_equal(wl_rng_next(&r), expect[i]);
  }
}

static void test_matches_reference_stream(void **state)
{
  static const uint64_t seeds[] = {0, 1, 42, 0xFFFFFFFFFFFFFFFFULL, 0x123456789ULL};
  for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
    uint64_t s[4];
    wl_rng r;
    ref_seed(s, seeds[k]);
    wl_rng_seed(&r, seeds[k]);
    for (int i = 0; i < 10000; i++)
      assert_int_equal(wl_rng_next(&r), ref_xoshiro(s));
  }
}

/* derive(seed, i) is output i of splitmix64 started at seed. */
static void test_derive(void **state)
{
  uint64_t x = 77;
  for (uint64_t i = 0; i < 100; i++)
    assert_int_equal(wl_rng_derive(77, i), ref_splitmix(&x));
  assert_int_not_equal(wl_rng_derive(77, 0), wl_rng_derive(78, 0));
}

/* f32: exactly (top24 - 2^23) / 2^23, so within [-1, 1) and a multiple of 2^-23. */
static void test_f32_recipe(void **state)
{
  static const float pinned[4] = {0.405843616f, 0.0408731699f, 0.14821136f,
                                  -0.217342854f};
  uint64_t s[4];
  wl_rng r;
  ref_seed(s, 1);
  wl_rng_seed(&r, 1);
  for (int i = 0; i < 100000; i++) {
    int64_t top = (int64_t)(ref_xoshiro(s) >> 40);
    float f = wl_rng_f32(&r);
    assert_true(f >= -1.0f && f < 1.0f);
    assert_true((double)f == (double)(top - 8388608) / 8388608.0);
    if (i < 4)
      assert_true(f == pinned[i]);
  }
}

static void test_f32_scaled_and_fill(void **state)
{
  wl_rng a, b;
  float buf[64];
  wl_rng_seed(&a, 9);
  wl_rng_seed(&b, 9);
  wl_rng_fill_f32(&a, buf, 64, 0.25f);
  for (int i = 0; i < 64; i++) {
    float want = wl_rng_f32(&b) * 0.25f;
    assert_true(buf[i] == want);
    assert_true(buf[i] >= -0.25f && buf[i] < 0.25f);
  }
  wl_rng_seed(&a, 9);
  wl_rng_seed(&b, 9);
  assert_true(wl_rng_f32_scaled(&a, 3.0f) == wl_rng_f32(&b) * 3.0f);
}

static void test_unit_f64(void **state)
{
  uint64_t s[4];
  wl_rng r;
  double sum = 0;
  ref_seed(s, 5);
  wl_rng_seed(&r, 5);
  for (int i = 0; i < 100000; i++) {
    double u = wl_rng_unit_f64(&r);
    assert_true(u >= 0.0 && u < 1.0);
    assert_true(u == (double)(ref_xoshiro(s) >> 11) / 9007199254740992.0);
    sum += u;
  }
  assert_true(sum / 100000 > 0.49 && sum / 100000 < 0.51);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_splitmix64_known),
      cmocka_unit_test(test_xoshiro_known),
      cmocka_unit_test(test_seed_pinned),
      cmocka_unit_test(test_matches_reference_stream),
      cmocka_unit_test(test_derive),
      cmocka_unit_test(test_f32_recipe),
      cmocka_unit_test(test_f32_scaled_and_fill),
      cmocka_unit_test(test_unit_f64),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
