/*
 * sut/firmware/fmt.h - number formatting and parsing for the device side (prefix
 * sut_fw_), without printf or libm: decimal integers, hex bytes, and binary32 values
 * printed so they read back exactly.
 *
 * Thread-safety: every function only touches its arguments. Nothing allocates.
 */
#ifndef SUT_FW_FMT_H
#define SUT_FW_FMT_H

#include <stddef.h>
#include <stdint.h>

/* Characters sut_fw_fmt_f32 may write, terminating NUL included. */
#define SUT_FW_F32_CHARS 24

/*
 * v as printf's "%.9g" would print it (9 significant digits, correctly rounded from
 * the exact binary value, ties to even; fixed notation for decimal exponents -4..8,
 * else d.dddde+XX; trailing zeros dropped), "nan", "inf", "-inf", "-0". Nine digits
 * are enough for strtof() to give back the same binary32. buf has SUT_FW_F32_CHARS
 * bytes; returns the length written (without the NUL).
 */
size_t sut_fw_fmt_f32(char *buf, float v);

/* v in decimal into buf (at least 11 bytes); returns the length. */
size_t sut_fw_fmt_u32(char *buf, uint32_t v);

/* The value of hex digit c (0-9, a-f, A-F), or -1. */
int sut_fw_hex_digit(char c);

/* Two lower-case hex digits of b into buf (no NUL). */
void sut_fw_fmt_hex8(char *buf, uint8_t b);

/*
 * s (NUL-terminated, the whole string) as a decimal unsigned integer: digits only, at
 * most 9 of them (values below 10^9). Returns 0 and sets *out, or -1.
 */
int sut_fw_parse_u32(const char *s, uint32_t *out);

#endif /* SUT_FW_FMT_H */
