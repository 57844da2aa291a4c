/*
 * reports/detail.c - detail.log writer: one json-c object per line, timestamped with
 * milliseconds since the log was opened, serialized by a mutex.
 */
#include "reports/detail.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "reports/internal.h"

struct rpt_detail {
  FILE *f;
  char *path;
  struct timespec start;  /* CLOCK_MONOTONIC at open */
  pthread_mutex_t lock;
  int status;             /* first write error, for rpt_detail_close */
};

static double elapsed_ms(const rpt_detail *d) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - d->start.tv_sec) * 1e3 +
         (double)(now.tv_nsec - d->start.tv_nsec) / 1e6;
}

/* Build {"time_ms", "key", "value"} (value borrowed) and write it as one line. */
static int write_line(rpt_detail *d, const char *key, json_object *value) {
  json_object *o = json_object_new_object();
  if (o == NULL) return RPT_ENOMEM;
  int rc = RPT_ENOMEM;
  pthread_mutex_lock(&d->lock);
  json_object *t = rpt__json_double(elapsed_ms(d)), *k = json_object_new_string(key);
  if (json_object_object_add(o, "time_ms", t) == 0 && json_object_object_add(o, "key", k) == 0 &&
      json_object_object_add(o, "value", json_object_get(value)) == 0) {
    const char *text = json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
    rc = text && fputs(text, d->f) >= 0 && fputc('\n', d->f) != EOF && fflush(d->f) == 0
             ? RPT_OK
             : RPT_EIO;
  }
  if (rc != RPT_OK && d->status == RPT_OK) d->status = rc;
  pthread_mutex_unlock(&d->lock);
  json_object_put(o);
  return rc;
}

int rpt_detail_log_json(rpt_detail *d, const char *key, json_object *value) {
  if (d == NULL || key == NULL) return RPT_EINVAL;
  return write_line(d, key, value);
}

int rpt_detail_log(rpt_detail *d, const char *key, const char *value) {
  if (d == NULL || key == NULL) return RPT_EINVAL;
  json_object *v = NULL;
  if (value != NULL && (v = json_object_new_string(value)) == NULL) return RPT_ENOMEM;
  int rc = write_line(d, key, v);
  json_object_put(v);
  return rc;
}

int rpt_detail_logf(rpt_detail *d, const char *key, const char *fmt, ...) {
  if (d == NULL || key == NULL || fmt == NULL) return RPT_EINVAL;
  char *text = NULL;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&text, fmt, ap);
  va_end(ap);
  if (n < 0) return RPT_ENOMEM;
  int rc = rpt_detail_log(d, key, text);
  free(text);
  return rc;
}

int rpt_detail_log_setting(rpt_detail *d, const char *key, const char *value,
                           const char *source) {
  if (d == NULL || key == NULL) return RPT_EINVAL;
  json_object *o = json_object_new_object();
  if (o == NULL) return RPT_ENOMEM;
  int rc = RPT_ENOMEM;
  if (json_object_object_add(o, "key", json_object_new_string(key)) == 0 &&
      json_object_object_add(o, "value", value ? json_object_new_string(value) : NULL) == 0 &&
      json_object_object_add(o, "source", source ? json_object_new_string(source) : NULL) == 0)
    rc = write_line(d, "setting", o);
  json_object_put(o);
  return rc;
}

int rpt_detail_open(rpt_detail **out, const char *path, char *err, size_t errlen) {
  if (out == NULL || path == NULL) return rpt__errf(err, errlen, RPT_EINVAL, "no log path");
  *out = NULL;
  rpt_detail *d = calloc(1, sizeof *d);
  if (d == NULL || (d->path = strdup(path)) == NULL) goto fail_alloc;
  if ((d->f = rpt__fopen(path, "w", err, errlen)) == NULL) goto fail_open;
  pthread_mutex_init(&d->lock, NULL);
  clock_gettime(CLOCK_MONOTONIC, &d->start);
  char now[32];
  rpt__utc_format(now, sizeof now, time(NULL), "%Y-%m-%dT%H:%M:%SZ");
  if (rpt_detail_log(d, "log_start", now) != RPT_OK) {
    rpt_detail_close(d);
    return rpt__errf(err, errlen, RPT_EIO, "%s: cannot write", path);
  }
  *out = d;
  return RPT_OK;
fail_open:
  free(d->path);
  free(d);
  return RPT_EIO;
fail_alloc:
  free(d);
  return rpt__errf(err, errlen, RPT_ENOMEM, "%s: out of memory", path);
}

int rpt_detail_close(rpt_detail *d) {
  if (d == NULL) return RPT_OK;
  int rc = d->status;
  if (fclose(d->f) != 0) rc = RPT_EIO;
  pthread_mutex_destroy(&d->lock);
  free(d->path);
  free(d);
  return rc;
}

const char *rpt_detail_path(const rpt_detail *d) { return d ? d->path : NULL; }
