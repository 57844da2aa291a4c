/*
 * sut/serial/line.h - the MLPerf Tiny / EEMBC line parser of the serial SUT (prefix
 * sut_serial_): bytes from the DUT -> lines -> classified protocol messages.
 *
 * No I/O and no allocation: the serial adapter, the tests and the libFuzzer target
 * (tests/serial/fuzz_line.c) all drive these functions on plain buffers.
 *
 * Framing (shared/SERIAL_PROTOCOL.md): the DUT ends lines with "\r\n"; '\r' and '\0'
 * are dropped. A line longer than SUT_SERIAL_LINE_MAX is cut and reported `truncated`
 * (it is then garbage, never half-parsed). Through an IO manager every DUT line comes
 * prefixed "[dut]: "; the prefix is stripped and reported in `from_dut`.
 *
 * Thread-safety: none needed; an assembler belongs to one reader.
 */
#ifndef SUT_SERIAL_LINE_H
#define SUT_SERIAL_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest line kept whole: m-results of 640 floats fit with room to spare. */
#define SUT_SERIAL_LINE_MAX 16384

/* What a line is: one table makes the enum and sut_serial_line_kind_name(). */
#define SUT_SERIAL_LINE_MAP(X)                                                   \
  X(READY, "ready")             /* m-ready: the end of every answer */           \
  X(NAME, "name")               /* m-name-dut-[text] (or m-name-[text]) */       \
  X(PROFILE, "profile")         /* m-profile-[text] */                           \
  X(MODEL, "model")             /* m-model-[text] */                             \
  X(LAP_US, "lap_us")           /* m-lap-us-N: value = N (32-bit counter) */     \
  X(RESULTS, "results")         /* m-results-[v0,v1,...]: text = inside [] */    \
  X(EXPECTING, "expecting")     /* m-[Expecting N bytes]: value = N */           \
  X(LOAD_DONE, "load_done")     /* m-load-done */                                \
  X(INFER_DONE, "infer_done")   /* m-infer-done */                               \
  X(BANNER, "banner")           /* m-timestamp-mode-..., m-init-done: a boot */  \
  X(PASSTHROUGH, "passthrough") /* m-dut-passthrough(cmd): IO manager echo */    \
  X(ERROR, "error")             /* e-[text]: text = inside [] */                 \
  X(MESSAGE, "message")         /* any other well-formed m-... line */           \
  X(EMPTY, "empty")             /* nothing left after dropping \r and \0 */      \
  X(GARBAGE, "garbage")         /* not a protocol line (noise, cut or merged) */

typedef enum {
#define SUT_SERIAL_LINE_ENUM_(id, name) SUT_SERIAL_LINE_##id,
  SUT_SERIAL_LINE_MAP(SUT_SERIAL_LINE_ENUM_)
#undef SUT_SERIAL_LINE_ENUM_
      SUT_SERIAL_LINE_KIND_COUNT
} sut_serial_line_kind;

/* "ready", "lap_us", ...; "?" for values outside the enum. */
const char *sut_serial_line_kind_name(sut_serial_line_kind k);

typedef struct sut_serial_line {
  sut_serial_line_kind kind;
  bool from_dut;        /* had the "[dut]: " prefix */
  const char *text;     /* the argument (inside [] or after the prefix), NOT
                           terminated: text_len bytes; points into the parsed buffer */
  size_t text_len;
  uint64_t value;       /* LAP_US: the counter; EXPECTING: the byte count */
} sut_serial_line;

/* Classify one line (no line end; '\r' and '\0' already removed or not: they are
 * skipped). Never fails: anything unrecognised is GARBAGE. `out->text` points into
 * buf, which must outlive its use. */
void sut_serial_line_parse(const char *buf, size_t len, sut_serial_line *out);

/* Parse the inside of m-results-[...] ("0.1,-2,3e-3" with optional spaces) into up to
 * max floats. Returns the number of values (may exceed max: only max are stored), or
 * -1 when the text is not a comma-separated list of finite decimal numbers (an empty
 * list is 0 values). */
long sut_serial_results_parse(const char *text, size_t len, float *out, size_t max);

/* ---- bytes -> lines ------------------------------------------------------------------ */
typedef struct sut_serial_assembler {
  char line[SUT_SERIAL_LINE_MAX + 1]; /* the line being built, '\r' '\0' dropped */
  size_t len;
  bool truncated;                    /* the line being built overflowed */
} sut_serial_assembler;

void sut_serial_assembler_init(sut_serial_assembler *a);

/* Consume bytes from *data (advancing *data and *n) until one line is complete; then
 * return true with the line (terminated) in *line / *len, valid until the next call, and
 * *truncated when it was longer than SUT_SERIAL_LINE_MAX (the rest up to its '\n' is
 * discarded). False when the bytes ran out first (the partial line is kept). */
bool sut_serial_assembler_next(sut_serial_assembler *a, const char **data, size_t *n,
                               const char **line, size_t *len, bool *truncated);

/* Bytes of an unfinished line held back (a partial line when the DUT stops talking). */
size_t sut_serial_assembler_pending(const sut_serial_assembler *a);

#endif /* SUT_SERIAL_LINE_H */
