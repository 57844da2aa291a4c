/*
 * tests/serial/fuzz_line.c - libFuzzer target for the serial line parser
 * (sut/serial/line.c). Built and run by `make fuzz` (clang -fsanitize=fuzzer,address,
 * bounded time); its seeds and kept findings live in tests/serial/corpus/, which
 * test_line.c replays in every `make test`.
 */
#include <stddef.h>
#include <stdint.h>

#include "line_exercise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  line_exercise(data, size);
  return 0;
}
