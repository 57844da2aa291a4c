/*
 * tests/serial/line_exercise.h - one pass of arbitrary bytes through the serial line
 * parser (assembler -> line classification -> m-results numbers), with its invariants
 * checked by abort(). Shared by the libFuzzer target (fuzz_line.c, `make fuzz`) and the
 * corpus replay in test_line.c (`make test`), so both run exactly the same code.
 * Header-only (one static function); no state between calls.
 */
#ifndef TESTS_SERIAL_LINE_EXERCISE_H
#define TESTS_SERIAL_LINE_EXERCISE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sut/serial/line.h"

/* Feed data in two pieces (split at its first byte's value) so lines cross reads, as
 * they do on a serial port. Returns the number of complete lines. */
static size_t line_exercise(const uint8_t *data, size_t size) {
  static sut_serial_assembler a; /* 16 KB: not on the fuzzer's stack */
  sut_serial_assembler_init(&a);
  size_t split = size ? data[0] % (size + 1) : 0, lines = 0;
  const char *parts[2] = {(const char *)data, (const char *)data + split};
  size_t lens[2] = {split, size - split};
  float vals[64];
  for (int p = 0; p < 2; p++) {
    const char *d = parts[p];
    size_t n = lens[p], len;
    const char *line;
    bool cut;
    while (sut_serial_assembler_next(&a, &d, &n, &line, &len, &cut)) {
      lines++;
      if (len > SUT_SERIAL_LINE_MAX || strlen(line) > len) abort();
      sut_serial_line l;
      sut_serial_line_parse(line, len, &l);
      if ((int)l.kind < 0 || l.kind >= SUT_SERIAL_LINE_KIND_COUNT) abort();
      if (l.text < line || l.text + l.text_len > line + len) abort();
      if (l.kind == SUT_SERIAL_LINE_LAP_US && l.value > UINT32_MAX) abort();
      if (l.kind == SUT_SERIAL_LINE_RESULTS) {
        long k = sut_serial_results_parse(l.text, l.text_len, vals, 64);
        if (k > (long)l.text_len / 1 + 1) abort(); /* at most one value per character */
      }
    }
  }
  if (sut_serial_assembler_pending(&a) > SUT_SERIAL_LINE_MAX) abort();
  return lines;
}

#endif /* TESTS_SERIAL_LINE_EXERCISE_H */
