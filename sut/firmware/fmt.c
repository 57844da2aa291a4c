/*
 * sut/firmware/fmt.c - number formatting and parsing for the device side (fmt.h). The
 * binary32 formatter expands the value exactly in base-10^9 limbs (a binary32 is
 * m x 2^e with m < 2^24, -149 <= e <= 104: at most 112 decimal digits), then rounds to
 * 9 significant digits and lays them out as "%.9g" does.
 */
#include "sut/firmware/fmt.h"

#include <string.h>

#define FMT_LIMB 1000000000u  /* base of a limb: 9 decimal digits */
#define FMT_LIMBS 14          /* enough for 2^24 x 5^149 (112 digits) */
#define FMT_DIGITS (FMT_LIMBS * 9)
#define FMT_SIG 9             /* significant digits printed */

/* A non-negative integer in base 10^9, least significant limb first. */
typedef struct fmt_big {
  uint32_t limb[FMT_LIMBS];
  int n;
} fmt_big;

/* b *= f, with f < 2^31 and the product within FMT_LIMBS limbs. */
static void big_mul(fmt_big *b, uint32_t f)
{
  uint64_t carry = 0;
  for (int i = 0; i < b->n; i++) {
    uint64_t v = (uint64_t)b->limb[i] * f + carry;
    b->limb[i] = (uint32_t)(v % FMT_LIMB);
    carry = v / FMT_LIMB;
  }
  while (carry && b->n < FMT_LIMBS) {
    b->limb[b->n++] = (uint32_t)(carry % FMT_LIMB);
    carry /= FMT_LIMB;
  }
}

/* b *= base^count, in steps of base^step (a power below 2^31). */
static void big_mul_pow(fmt_big *b, uint32_t base, int count, int step)
{
  uint32_t big = 1;
  for (int i = 0; i < step; i++)
    big *= base;
  for (; count >= step; count -= step)
    big_mul(b, big);
  uint32_t rest = 1;
  for (int i = 0; i < count; i++)
    rest *= base;
  big_mul(b, rest);
}

/* The decimal digits of b (no leading zeros; b > 0) into d; returns their count. */
static int big_digits(const fmt_big *b, char *d)
{
  int len = 0;
  for (int i = b->n - 1; i >= 0; i--) {
    char tmp[9];
    uint32_t v = b->limb[i];
    for (int k = 8; k >= 0; k--, v /= 10)
      tmp[k] = (char)('0' + v % 10);
    int k = 0;
    if (len == 0)
      while (k < 8 && tmp[k] == '0')
        k++;
    for (; k < 9; k++)
      d[len++] = tmp[k];
  }
  return len;
}

/* Round the len digits of d to FMT_SIG (ties to even); returns 1 when the rounding
 * carried into a new leading digit (d is then "100000000"). */
static int round_digits(char *d, int len)
{
  if (len <= FMT_SIG) {
    for (int i = len; i < FMT_SIG; i++)
      d[i] = '0';
    return 0;
  }
  int up = d[FMT_SIG] > '5';
  if (d[FMT_SIG] == '5') {
    int rest = 0;
    for (int i = FMT_SIG + 1; i < len; i++)
      rest |= d[i] != '0';
    up = rest || ((d[FMT_SIG - 1] - '0') & 1);
  }
  for (int i = FMT_SIG - 1; up && i >= 0; i--) {
    if (d[i] == '9') {
      d[i] = '0';
    } else {
      d[i]++;
      up = 0;
    }
  }
  if (!up)
    return 0;
  d[0] = '1';
  for (int i = 1; i < FMT_SIG; i++)
    d[i] = '0';
  return 1;
}

/* Digits d[0..n) without trailing zeros: the count kept. */
static int trim_zeros(const char *d, int n)
{
  while (n > 0 && d[n - 1] == '0')
    n--;
  return n;
}

/* Lay out FMT_SIG digits with decimal exponent x (value = d.ddd x 10^x) as %g does. */
static size_t layout(char *out, const char *d, int x)
{
  size_t o = 0;
  if (x >= -4 && x < FMT_SIG) {
    if (x < 0) {
      out[o++] = '0';
      out[o++] = '.';
      for (int i = 0; i < -x - 1; i++)
        out[o++] = '0';
      int n = trim_zeros(d, FMT_SIG);
      memcpy(out + o, d, (size_t)n);
      return o + (size_t)n;
    }
    memcpy(out, d, (size_t)x + 1);
    o = (size_t)x + 1;
    int n = trim_zeros(d + x + 1, FMT_SIG - x - 1);
    if (n > 0) {
      out[o++] = '.';
      memcpy(out + o, d + x + 1, (size_t)n);
      o += (size_t)n;
    }
    return o;
  }
  out[o++] = d[0];
  int n = trim_zeros(d + 1, FMT_SIG - 1);
  if (n > 0) {
    out[o++] = '.';
    memcpy(out + o, d + 1, (size_t)n);
    o += (size_t)n;
  }
  out[o++] = 'e';
  out[o++] = x < 0 ? '-' : '+';
  unsigned ax = (unsigned)(x < 0 ? -x : x);
  if (ax >= 10) {
    out[o++] = (char)('0' + ax / 10);
  } else {
    out[o++] = '0';
  }
  out[o++] = (char)('0' + ax % 10);
  return o;
}

size_t sut_fw_fmt_f32(char *buf, float v)
{
  uint32_t bits;
  memcpy(&bits, &v, sizeof bits);
  size_t o = 0;
  uint32_t biased = (bits >> 23) & 0xFF, frac = bits & 0x7FFFFF;
  if (biased == 0xFF && frac) {
    memcpy(buf, "nan", 4);
    return 3;
  }
  if (bits >> 31)
    buf[o++] = '-';
  if (biased == 0xFF) {
    memcpy(buf + o, "inf", 4);
    return o + 3;
  }
  if (biased == 0 && frac == 0) {
    buf[o++] = '0';
    buf[o] = '\0';
    return o;
  }
  uint32_t m = biased ? frac | 0x800000 : frac;
  int e = biased ? (int)biased - 150 : -149;
  fmt_big b = {{m % FMT_LIMB, m / FMT_LIMB}, m >= FMT_LIMB ? 2 : 1};
  int frac_digits = 0;
  if (e >= 0) {
    big_mul_pow(&b, 2, e, 30);
  } else {
    big_mul_pow(&b, 5, -e, 13); /* m x 2^e = m x 5^-e / 10^-e */
    frac_digits = -e;
  }
  char d[FMT_DIGITS + 1];
  int len = big_digits(&b, d);
  int x = len - 1 - frac_digits;
  x += round_digits(d, len);
  o += layout(buf + o, d, x);
  buf[o] = '\0';
  return o;
}

size_t sut_fw_fmt_u32(char *buf, uint32_t v)
{
  char tmp[10];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; i++)
    buf[i] = tmp[n - 1 - i];
  buf[n] = '\0';
  return n;
}

int sut_fw_hex_digit(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

void sut_fw_fmt_hex8(char *buf, uint8_t b)
{
  static const char hex[] = "0123456789abcdef";
  buf[0] = hex[b >> 4];
  buf[1] = hex[b & 15];
}

int sut_fw_parse_u32(const char *s, uint32_t *out)
{
  uint32_t v = 0;
  size_t n = 0;
  for (; s[n]; n++) {
    if (s[n] < '0' || s[n] > '9' || n >= 9)
      return -1;
    v = v * 10 + (uint32_t)(s[n] - '0');
  }
  if (n == 0)
    return -1;
  *out = v;
  return 0;
}
