/*
 * sut/serial/line.c - bytes -> lines -> classified MLPerf Tiny protocol messages, and
 * the m-results-[...] number list. Pure functions on buffers; see line.h. This is the
 * code tests/serial/fuzz_line.c fuzzes.
 */
#include "sut/serial/line.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *sut_serial_line_kind_name(sut_serial_line_kind k) {
  switch (k) {
#define SUT_SERIAL_LINE_NAME_(id, name) \
  case SUT_SERIAL_LINE_##id:            \
    return name;
    SUT_SERIAL_LINE_MAP(SUT_SERIAL_LINE_NAME_)
#undef SUT_SERIAL_LINE_NAME_
    default:
      break;
  }
  return "?";
}

/* ---- one line ------------------------------------------------------------------------ */
#define DUT_PREFIX "[dut]: "

static bool has_prefix(const char *s, size_t len, const char *p) {
  size_t n = strlen(p);
  return len >= n && memcmp(s, p, n) == 0;
}

/* "<prefix>[text]" exactly: text and tlen get the inside of the brackets. */
static bool bracketed(const char *s, size_t len, const char *prefix, const char **text,
                      size_t *tlen) {
  size_t n = strlen(prefix);
  if (!has_prefix(s, len, prefix) || len < n + 2 || s[n] != '[' || s[len - 1] != ']')
    return false;
  *text = s + n + 1;
  *tlen = len - n - 2;
  return true;
}

/* A decimal number of 1..20 digits, nothing else; false on overflow past max. */
static bool decimal(const char *s, size_t len, uint64_t max, uint64_t *out) {
  if (len == 0 || len > 20) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

static bool printable(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) return false;
  return true;
}

/* The m- and e- forms; s is a printable line without the [dut] prefix. */
static sut_serial_line_kind classify(const char *s, size_t len, sut_serial_line *out) {
  const char *t;
  size_t tl;
  static const char expecting[] = "m-[Expecting ", bytes[] = " bytes]";
  if (len == 7 && memcmp(s, "m-ready", 7) == 0) return SUT_SERIAL_LINE_READY;
  static const struct {
    const char *prefix;
    sut_serial_line_kind kind;
  } BRACKETED[] = {{"m-name-dut-", SUT_SERIAL_LINE_NAME},   {"m-name-", SUT_SERIAL_LINE_NAME},
                   {"m-profile-", SUT_SERIAL_LINE_PROFILE}, {"m-model-", SUT_SERIAL_LINE_MODEL},
                   {"m-results-", SUT_SERIAL_LINE_RESULTS}, {"e-", SUT_SERIAL_LINE_ERROR}};
  for (size_t i = 0; i < sizeof BRACKETED / sizeof BRACKETED[0]; i++)
    if (bracketed(s, len, BRACKETED[i].prefix, &t, &tl)) {
      out->text = t, out->text_len = tl;
      return BRACKETED[i].kind;
    }
  if (has_prefix(s, len, "m-lap-us-"))
    return decimal(s + 9, len - 9, UINT32_MAX, &out->value) ? SUT_SERIAL_LINE_LAP_US
                                                             : SUT_SERIAL_LINE_GARBAGE;
  size_t el = sizeof expecting - 1, bl = sizeof bytes - 1;
  if (has_prefix(s, len, expecting) && len > el + bl && memcmp(s + len - bl, bytes, bl) == 0)
    return decimal(s + el, len - el - bl, UINT32_MAX, &out->value) ? SUT_SERIAL_LINE_EXPECTING
                                                                    : SUT_SERIAL_LINE_GARBAGE;
  if (len == 11 && memcmp(s, "m-load-done", 11) == 0) return SUT_SERIAL_LINE_LOAD_DONE;
  if (len == 12 && memcmp(s, "m-infer-done", 12) == 0) return SUT_SERIAL_LINE_INFER_DONE;
  if ((len == 11 && memcmp(s, "m-init-done", 11) == 0) || has_prefix(s, len, "m-timestamp-mode-"))
    return SUT_SERIAL_LINE_BANNER;
  if (has_prefix(s, len, "m-dut-passthrough(") && s[len - 1] == ')') {
    out->text = s + 18, out->text_len = len - 19;
    return SUT_SERIAL_LINE_PASSTHROUGH;
  }
  /* any other message: "m-" and a name part; a merged line ("m-lap-us-1m-ready") has
   * already failed the checks above */
  if (len > 2 && s[0] == 'm' && s[1] == '-' && s[2] != '-') {
    out->text = s + 2, out->text_len = len - 2;
    return SUT_SERIAL_LINE_MESSAGE;
  }
  return SUT_SERIAL_LINE_GARBAGE;
}

void sut_serial_line_parse(const char *buf, size_t len, sut_serial_line *out) {
  memset(out, 0, sizeof *out);
  out->text = buf;
  /* callers normally strip \r and \0; tolerate a trailing \r anyway */
  while (len && (buf[len - 1] == '\r' || buf[len - 1] == '\0')) len--;
  if (has_prefix(buf, len, DUT_PREFIX)) {
    out->from_dut = true;
    buf += strlen(DUT_PREFIX);
    len -= strlen(DUT_PREFIX);
  }
  out->text = buf;
  out->text_len = len;
  if (len == 0) {
    out->kind = SUT_SERIAL_LINE_EMPTY;
    return;
  }
  out->kind = printable(buf, len) ? classify(buf, len, out) : SUT_SERIAL_LINE_GARBAGE;
  if (out->kind == SUT_SERIAL_LINE_GARBAGE) out->text = buf, out->text_len = len;
}

/* ---- m-results-[...] ------------------------------------------------------------------ */
#define NUMBER_MAX 64 /* longest single number accepted */

long sut_serial_results_parse(const char *text, size_t len, float *out, size_t max) {
  long count = 0;
  size_t i = 0;
  while (i < len && text[i] == ' ') i++;
  if (i == len) return 0;
  for (;;) {
    size_t start = i;
    while (i < len && text[i] != ',') i++;
    size_t end = i;
    while (start < end && text[start] == ' ') start++;
    while (end > start && text[end - 1] == ' ') end--;
    if (end == start || end - start >= NUMBER_MAX) return -1;
    char num[NUMBER_MAX], *stop;
    memcpy(num, text + start, end - start);
    num[end - start] = '\0';
    /* decimal only: strtof would also take "nan", "inf" and hex floats */
    for (size_t k = 0; num[k]; k++)
      if (!strchr("0123456789+-.eE", num[k])) return -1;
    /* strtof, not strtod then a cast: a 9-digit decimal reads back as the exact
     * binary32 the DUT printed, without double rounding */
    float v = strtof(num, &stop);
    if (*stop || !isfinite(v)) return -1;
    if ((size_t)count < max) out[count] = v;
    count++;
    if (i == len) return count;
    i++; /* the comma */
  }
}

/* ---- bytes -> lines ------------------------------------------------------------------- */
void sut_serial_assembler_init(sut_serial_assembler *a) {
  a->len = 0;
  a->truncated = false;
  a->line[0] = '\0';
}

bool sut_serial_assembler_next(sut_serial_assembler *a, const char **data, size_t *n,
                               const char **line, size_t *len, bool *truncated) {
  while (*n) {
    char c = **data;
    (*data)++, (*n)--;
    if (c == '\n') {
      a->line[a->len] = '\0';
      *line = a->line;
      *len = a->len;
      *truncated = a->truncated;
      a->len = 0;
      a->truncated = false;
      return true;
    }
    if (c == '\r' || c == '\0') continue;
    if (a->len < SUT_SERIAL_LINE_MAX) a->line[a->len++] = c;
    else a->truncated = true;
  }
  return false;
}

size_t sut_serial_assembler_pending(const sut_serial_assembler *a) { return a->len; }
