/*
 * reports/samples.c - samples.csv writer (streamed, formatted by hand because every
 * field is a number and needs no quoting) and reader (libcsv parser, checked rows).
 */
#include "reports/samples.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "reports/internal.h"

#define NCOLS 7
#define NCOLS_TOKENS 11
static const char *const column[NCOLS_TOKENS] = {
    "index",          "sample_index",   "scheduled_ns", "issued_ns", "completed_ns", "latency_ns",
    "issue_delay_ns", "first_token_ns", "ttft_ns",      "tokens",    "tpot_ns"};
enum { C_INDEX, C_SAMPLE, C_SCHED, C_ISSUED, C_DONE, C_LATENCY, C_DELAY, C_FIRST, C_TTFT,
       C_TOKENS, C_TPOT };

const char rpt_samples_header[] =
    "index,sample_index,scheduled_ns,issued_ns,completed_ns,latency_ns,issue_delay_ns";
const char rpt_samples_header_tokens[] =
    "index,sample_index,scheduled_ns,issued_ns,completed_ns,latency_ns,issue_delay_ns,"
    "first_token_ns,ttft_ns,tokens,tpot_ns";

/* ---- writing ---------------------------------------------------------------------- */
/* Append v and a separator at *pos. */
static char *put_u64(char *pos, uint64_t v, char sep) {
  char tmp[24], *end = tmp + sizeof tmp;
  char *start = rpt__u64_text(end, v);
  size_t n = (size_t)(end - start);
  memcpy(pos, start, n);
  pos[n] = sep;
  return pos + n + 1;
}

/* a - b as a signed decimal. */
static char *put_diff(char *pos, uint64_t a, uint64_t b, char sep) {
  if (a >= b) return put_u64(pos, a - b, sep);
  *pos++ = '-';
  return put_u64(pos, b - a, sep);
}

/* TPOT of a row: (completed - first token) / (tokens - 1); false when undefined. */
static bool row_tpot(const rpt_sample *s, uint64_t *tpot) {
  if (s->lost || !s->first_token_ns || s->n_tokens < 2) return false;
  *tpot = (s->completed_ns > s->first_token_ns ? s->completed_ns - s->first_token_ns : 0) /
          (s->n_tokens - 1);
  return true;
}

/* The token columns after the issue delay (which ends with a comma here). */
static char *put_tokens(char *p, const rpt_sample *s) {
  uint64_t tpot;
  if (s->first_token_ns) {
    p = put_u64(p, s->first_token_ns, ',');
    p = put_diff(p, s->first_token_ns, s->scheduled_ns, ',');
  } else {
    *p++ = ',';
    *p++ = ',';
  }
  if (s->lost)
    *p++ = ',';
  else
    p = put_u64(p, s->n_tokens, ',');
  if (row_tpot(s, &tpot)) return put_u64(p, tpot, '\n');
  *p++ = '\n';
  return p;
}

/* One CSV line for record i into buf (at least 256 bytes); returns its length. */
static size_t format_row(char *buf, uint64_t i, const rpt_sample *s, bool tokens) {
  char *p = put_u64(buf, i, ',');
  p = put_u64(p, s->sample_index, ',');
  p = put_u64(p, s->scheduled_ns, ',');
  p = put_u64(p, s->issued_ns, ',');
  if (s->lost) {
    *p++ = ',';
    *p++ = ',';
  } else {
    p = put_u64(p, s->completed_ns, ',');
    p = put_diff(p, s->completed_ns, s->scheduled_ns, ',');
  }
  p = put_diff(p, s->issued_ns, s->scheduled_ns, tokens ? ',' : '\n');
  if (tokens) p = put_tokens(p, s);
  return (size_t)(p - buf);
}

static int write_rows(const char *path, size_t n, rpt_sample_fn get, void *ctx, bool tokens,
                      char *err, size_t errlen) {
  if (path == NULL || get == NULL) return rpt__errf(err, errlen, RPT_EINVAL, "no path or rows");
  FILE *f = rpt__fopen(path, "w", err, errlen);
  if (f == NULL) return RPT_EIO;
  setvbuf(f, NULL, _IOFBF, 1 << 20);
  bool ok = fprintf(f, "%s\n", tokens ? rpt_samples_header_tokens : rpt_samples_header) > 0;
  char row[320];
  for (size_t i = 0; ok && i < n; i++) {
    rpt_sample s;
    get(ctx, i, &s);
    size_t len = format_row(row, i, &s, tokens);
    ok = fwrite(row, 1, len, f) == len;
  }
  return rpt__fclose(f, ok, path, err, errlen);
}

int rpt_samples_write(const char *path, size_t n, rpt_sample_fn get, void *ctx,
                      char *err, size_t errlen) {
  return write_rows(path, n, get, ctx, false, err, errlen);
}

int rpt_samples_write_tokens(const char *path, size_t n, rpt_sample_fn get, void *ctx,
                             char *err, size_t errlen) {
  return write_rows(path, n, get, ctx, true, err, errlen);
}

static void from_array(void *ctx, size_t i, rpt_sample *out) {
  *out = ((const rpt_sample *)ctx)[i];
}

int rpt_samples_write_array(const char *path, const rpt_sample *samples, size_t n,
                            char *err, size_t errlen) {
  if (samples == NULL && n > 0) return rpt__errf(err, errlen, RPT_EINVAL, "no samples");
  return rpt_samples_write(path, n, from_array, (void *)samples, err, errlen);
}

/* ---- reading ---------------------------------------------------------------------- */
typedef struct reader {
  const char *path;
  size_t line;               /* line being parsed, 1 = header */
  size_t nfields;            /* fields seen in this row */
  size_t ncols;              /* NCOLS or NCOLS_TOKENS, from the header */
  char text[NCOLS_TOKENS][24]; /* this row's fields (longer ones are cut and rejected) */
  size_t len[NCOLS_TOKENS];
  rpt_sample *rows;
  size_t count, cap;
  int rc;
  char *err;
  size_t errlen;
} reader;

/* Keep the first error as "path:line: why". */
static void fail(reader *r, int status, const char *fmt, ...) RPT__PRINTF(3, 4);

static void fail(reader *r, int status, const char *fmt, ...) {
  if (r->rc != RPT_OK) return;
  char why[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  r->rc = rpt__errf(r->err, r->errlen, status, "%s:%zu: %s", r->path, r->line, why);
}

static void on_field(void *data, size_t len, void *ctx) {
  reader *r = ctx;
  size_t i = r->nfields++;
  if (i >= NCOLS_TOKENS) return;
  size_t keep = len < sizeof r->text[i] ? len : sizeof r->text[i] - 1;
  memcpy(r->text[i], data, keep);
  r->text[i][keep] = '\0';
  r->len[i] = len;
}

/* Parse column c as an unsigned (or, when negative_ok, signed) integer. */
static bool parse_num(reader *r, int c, bool negative_ok, int64_t *sv, uint64_t *uv) {
  const char *s = r->text[c];
  bool neg = negative_ok && s[0] == '-';
  const char *d = s + neg;
  char *end;
  errno = 0;
  uint64_t v = strtoull(d, &end, 10);
  bool ok = r->len[c] < sizeof r->text[c] && *d >= '0' && *d <= '9' && *end == '\0' &&
            errno == 0 && (!negative_ok || v <= (uint64_t)INT64_MAX);
  if (!ok) {
    fail(r, RPT_EFORMAT, "field '%s': '%s' is not an integer in range", column[c], s);
    return false;
  }
  if (uv) *uv = v;
  if (sv) *sv = neg ? -(int64_t)v : (int64_t)v;
  return true;
}

/* Check that column c (signed) equals a - b. */
static bool check_diff(reader *r, int c, uint64_t a, uint64_t b) {
  int64_t v;
  if (!parse_num(r, c, true, &v, NULL)) return false;
  int64_t want = a >= b ? (int64_t)(a - b) : -(int64_t)(b - a);
  if (v != want)
    fail(r, RPT_EFORMAT, "field '%s' is %s, expected %lld from the times in the row", column[c],
         r->text[c], (long long)want);
  return v == want;
}

/* Column c holds expect (or is empty when !present). */
static bool check_optional(reader *r, int c, bool present, uint64_t expect) {
  uint64_t v;
  if (!present || r->len[c] == 0) {
    if (present != (r->len[c] != 0))
      fail(r, RPT_EFORMAT, "field '%s' is %s, expected %s", column[c],
           r->len[c] ? r->text[c] : "empty", present ? "a value from the row" : "empty");
    return present == (r->len[c] != 0);
  }
  if (!parse_num(r, c, false, NULL, &v)) return false;
  if (v != expect)
    fail(r, RPT_EFORMAT, "field '%s' is %s, expected %llu from the row", column[c], r->text[c],
         (unsigned long long)expect);
  return v == expect;
}

/* The token columns: first_token_ns, then the derived ttft_ns, tokens and tpot_ns. */
static bool parse_tokens(reader *r, rpt_sample *s) {
  uint64_t tpot = 0;
  if (r->len[C_FIRST] && !parse_num(r, C_FIRST, false, NULL, &s->first_token_ns)) return false;
  if (r->len[C_TOKENS] && !parse_num(r, C_TOKENS, false, NULL, &s->n_tokens)) return false;
  if (s->first_token_ns && !check_diff(r, C_TTFT, s->first_token_ns, s->scheduled_ns)) return false;
  if (!s->first_token_ns && !check_optional(r, C_TTFT, false, 0)) return false;
  if (!check_optional(r, C_TOKENS, !s->lost, s->n_tokens)) return false;
  bool has = row_tpot(s, &tpot);
  return check_optional(r, C_TPOT, has, tpot);
}

static bool parse_row(reader *r, rpt_sample *s) {
  uint64_t index, sample;
  if (!parse_num(r, C_INDEX, false, NULL, &index) ||
      !parse_num(r, C_SAMPLE, false, NULL, &sample) ||
      !parse_num(r, C_SCHED, false, NULL, &s->scheduled_ns) ||
      !parse_num(r, C_ISSUED, false, NULL, &s->issued_ns))
    return false;
  if (index != r->count) {
    fail(r, RPT_EFORMAT, "field 'index' is %s, expected %zu (rows are numbered 0, 1, 2, ...)",
         r->text[C_INDEX], r->count);
    return false;
  }
  if (sample > UINT32_MAX) {
    fail(r, RPT_EFORMAT, "field 'sample_index': %s is too large", r->text[C_SAMPLE]);
    return false;
  }
  s->sample_index = (uint32_t)sample;
  s->lost = r->len[C_DONE] == 0;
  if (s->lost != (r->len[C_LATENCY] == 0)) {
    fail(r, RPT_EFORMAT, "fields 'completed_ns' and 'latency_ns' must both be empty (lost) "
                         "or both be set");
    return false;
  }
  s->completed_ns = 0;
  if (!s->lost && (!parse_num(r, C_DONE, false, NULL, &s->completed_ns) ||
                   !check_diff(r, C_LATENCY, s->completed_ns, s->scheduled_ns)))
    return false;
  s->first_token_ns = s->n_tokens = 0;
  if (!check_diff(r, C_DELAY, s->issued_ns, s->scheduled_ns)) return false;
  return r->ncols == NCOLS || parse_tokens(r, s);
}

static void check_header(reader *r) {
  for (size_t c = 0; c < r->ncols; c++) {
    if (strcmp(r->text[c], column[c]) != 0) {
      fail(r, RPT_EFORMAT, "expected the header '%s', found column '%s'",
           r->ncols == NCOLS ? rpt_samples_header : rpt_samples_header_tokens, r->text[c]);
      return;
    }
  }
}

static void on_row(int terminator, void *ctx) {
  reader *r = ctx;
  size_t n = r->nfields;
  r->nfields = 0;
  if (r->rc != RPT_OK) return;
  if (r->line == 1 && (n == NCOLS || n == NCOLS_TOKENS)) r->ncols = n;
  if (n != r->ncols) {
    if (r->line == 1)
      fail(r, RPT_EFORMAT, "expected the header '%s', found %zu columns", rpt_samples_header, n);
    else
      fail(r, RPT_EFORMAT, "expected %zu fields, found %zu", r->ncols, n);
    return;
  }
  if (r->line == 1) {
    check_header(r);
    return;
  }
  rpt_sample *rows = rpt__grow(r->rows, &r->cap, r->count + 1, sizeof *rows);
  if (rows == NULL) {
    fail(r, RPT_ENOMEM, "out of memory");
    return;
  }
  r->rows = rows;
  if (parse_row(r, &rows[r->count])) r->count++;
}

/* Feed the file to the parser one line at a time, so messages know the line. */
static void parse_lines(reader *r, FILE *f, struct csv_parser *p) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  while (r->rc == RPT_OK && (len = getline(&line, &cap, f)) > 0) {
    r->line++;
    if (csv_parse(p, line, (size_t)len, on_field, on_row, r) != (size_t)len)
      fail(r, RPT_EFORMAT, "%s", csv_strerror(csv_error(p)));
  }
  free(line);
  if (r->rc == RPT_OK && ferror(f))
    r->rc = rpt__errf(r->err, r->errlen, RPT_EIO, "%s: cannot read: %s", r->path,
                      strerror(errno));
  if (r->rc == RPT_OK && csv_fini(p, on_field, on_row, r) != 0)
    fail(r, RPT_EFORMAT, "%s", csv_strerror(csv_error(p)));
  if (r->rc == RPT_OK && r->line == 0)
    r->rc = rpt__errf(r->err, r->errlen, RPT_EFORMAT, "%s: empty file, expected the header '%s'",
                      r->path, rpt_samples_header);
}

int rpt_samples_read(const char *path, rpt_sample **out, size_t *count, char *err,
                     size_t errlen) {
  if (path == NULL || out == NULL || count == NULL)
    return rpt__errf(err, errlen, RPT_EINVAL, "no path or output");
  *out = NULL;
  *count = 0;
  FILE *f = rpt__fopen(path, "r", err, errlen);
  if (f == NULL) return RPT_EIO;
  struct csv_parser p;
  if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
    fclose(f);
    return rpt__errf(err, errlen, RPT_ENOMEM, "%s: out of memory", path);
  }
  reader r = {.path = path, .rc = RPT_OK, .err = err, .errlen = errlen};
  parse_lines(&r, f, &p);
  csv_free(&p);
  fclose(f);
  if (r.rc != RPT_OK) {
    free(r.rows);
    return r.rc;
  }
  *out = r.rows;
  *count = r.count;
  return RPT_OK;
}
