/*
 * reports/status.c - rpt_strerror() and the private helpers every reports file shares
 * (error messages, growing arrays, UTC time stamps, JSON numbers).
 */
#include "reports/internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

const char *rpt_strerror(int status) {
  switch (status) {
#define RPT_STATUS_TEXT_(name, value, text) \
  case RPT_##name:                          \
    return text;
    RPT_STATUS_MAP(RPT_STATUS_TEXT_)
#undef RPT_STATUS_TEXT_
  }
  return "unknown status";
}

int rpt__errf(char *err, size_t errlen, int status, const char *fmt, ...) {
  if (err != NULL && errlen > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return status;
}

void *rpt__grow(void *items, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return items;
  size_t n = *cap ? *cap : 8;
  while (n < need) n *= 2;
  if (n > SIZE_MAX / elem) return NULL;
  void *p = realloc(items, n * elem);
  if (p == NULL) return NULL;
  memset((char *)p + *cap * elem, 0, (n - *cap) * elem);
  *cap = n;
  return p;
}

int rpt__utc_format(char *buf, size_t len, time_t t, const char *fmt) {
  struct tm tm;
  if (gmtime_r(&t, &tm) == NULL) return RPT_EINVAL;
  return strftime(buf, len, fmt, &tm) > 0 ? RPT_OK : RPT_EINVAL;
}

struct json_object *rpt__json_double(double d) {
  if (!isfinite(d)) return NULL; /* JSON has no NaN or infinity: null */
  char buf[40];
  for (int prec = 15; prec <= 17; prec++) { /* shortest text that reads back exactly */
    snprintf(buf, sizeof buf, "%.*g", prec, d);
    if (strtod(buf, NULL) == d) break;
  }
  if (strpbrk(buf, ".eE") == NULL) strcat(buf, ".0"); /* stays a double when read */
  return json_object_new_double_s(d, buf);
}

char *rpt__u64_text(char *end, uint64_t v) {
  do {
    *--end = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  return end;
}

FILE *rpt__fopen(const char *path, const char *mode, char *err, size_t errlen) {
  FILE *f = fopen(path, mode);
  if (f == NULL)
    rpt__errf(err, errlen, RPT_EIO, "%s: cannot %s: %s", path, mode[0] == 'r' ? "open" : "create",
              strerror(errno));
  return f;
}

int rpt__fclose(FILE *f, bool ok, const char *path, char *err, size_t errlen) {
  int saved = errno;
  if (fclose(f) != 0 && ok) {
    ok = false;
    saved = errno;
  }
  if (!ok) return rpt__errf(err, errlen, RPT_EIO, "%s: cannot write: %s", path, strerror(saved));
  return RPT_OK;
}

int rpt__json_write_file(const char *path, struct json_object *doc, char *err, size_t errlen) {
  const char *text = json_object_to_json_string_ext(
      doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
  if (text == NULL) return rpt__errf(err, errlen, RPT_ENOMEM, "%s: out of memory", path);
  FILE *f = rpt__fopen(path, "w", err, errlen);
  if (f == NULL) return RPT_EIO;
  bool ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
  return rpt__fclose(f, ok, path, err, errlen);
}

const char *rpt__num(char *buf, size_t len, double v) {
  if (!isfinite(v))
    snprintf(buf, len, "unavailable");
  else if (v == floor(v) && fabs(v) < 1e15)
    snprintf(buf, len, "%.0f", v);
  else if (fabs(v) >= 1)
    snprintf(buf, len, "%.3f", v);
  else
    snprintf(buf, len, "%.6g", v);
  return buf;
}
