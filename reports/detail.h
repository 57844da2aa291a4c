/*
 * reports/detail.h - detail.log, the run's event log as JSON lines.
 *
 * Every line is one JSON object written by json-c:
 *
 *     {"time_ms": 12.345, "key": "setting", "value": {...}}
 *
 * time_ms is CLOCK_MONOTONIC milliseconds since rpt_detail_open(); value is any JSON
 * value (a string, a number, an object, or null). The first line has key "log_start"
 * and the UTC wall-clock time as its value, so relative times can be placed in the
 * day. The harness writes settings, ignored config keys, events and errors through
 * this API (MLPerf's mlperf_log_detail.txt without the ":::MLLOG" prefix).
 *
 * Each line is flushed as it is written, so a crash keeps what was logged.
 * Thread-safety: rpt_detail_log*() may be called from any thread (a mutex serializes
 * lines); open and close from one thread, with no log call in flight.
 */
#ifndef RPT_DETAIL_H
#define RPT_DETAIL_H

#include <stddef.h>

#include "reports/status.h"

struct json_object;

typedef struct rpt_detail rpt_detail;

/*
 * Create (or truncate) the log at path and write the "log_start" line. On RPT_OK *out
 * is a log the caller closes with rpt_detail_close(). Errors: RPT_EINVAL, RPT_ENOMEM,
 * RPT_EIO with "path: why" in err; *out is then NULL.
 */
int rpt_detail_open(rpt_detail **out, const char *path, char *err, size_t errlen);

/* Log a string value (NULL gives null). RPT_OK, RPT_EINVAL (d or key NULL), RPT_ENOMEM,
 * RPT_EIO (the line could not be written; also remembered for rpt_detail_close). */
int rpt_detail_log(rpt_detail *d, const char *key, const char *value);

/* Log a printf-formatted string value. Same returns as rpt_detail_log. */
int rpt_detail_logf(rpt_detail *d, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Log any JSON value; value is borrowed (the caller still owns and releases it) and
 * may be NULL for null. Same returns as rpt_detail_log. */
int rpt_detail_log_json(rpt_detail *d, const char *key, struct json_object *value);

/* Log a setting as {"key": key, "value": value, "source": source} under key "setting"
 * (source: "default", "file:line" or "--set"). Same returns as rpt_detail_log. */
int rpt_detail_log_setting(rpt_detail *d, const char *key, const char *value,
                           const char *source);

/* Close the log and free d. Returns RPT_OK, or RPT_EIO when any line or the close
 * failed. Accepts NULL (RPT_OK). */
int rpt_detail_close(rpt_detail *d);

/* The path the log was opened with (owned by d). */
const char *rpt_detail_path(const rpt_detail *d);

#endif /* RPT_DETAIL_H */
