/*
 * reports/internal.h - private helpers shared by the reports sources (prefix rpt__).
 * Not part of the public API: nothing outside reports/ includes this file.
 */
#ifndef RPT_INTERNAL_H
#define RPT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <time.h>

#include "reports/status.h"

struct json_object;

#if defined(__GNUC__)
#define RPT__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define RPT__PRINTF(f, a)
#endif

/* Write a printf-style message into err (when err is non-NULL) and return status. */
int rpt__errf(char *err, size_t errlen, int status, const char *fmt, ...) RPT__PRINTF(4, 5);

/* Make room for `need` elements of `elem` bytes in a realloc'd array of *cap elements;
 * new elements are zeroed. Returns the (maybe moved) array, or NULL when out of memory
 * (the old array is then untouched). */
void *rpt__grow(void *items, size_t *cap, size_t need, size_t elem);

/* strftime of t in UTC into buf; RPT_OK or RPT_EINVAL when it does not fit. */
int rpt__utc_format(char *buf, size_t len, time_t t, const char *fmt);

/* A json-c double that prints in the shortest form that reads back exactly; NULL
 * (JSON null) for NaN and infinities. */
struct json_object *rpt__json_double(double d);

/* fopen(path, mode); on failure NULL with "path: cannot open|create: why" in err. */
FILE *rpt__fopen(const char *path, const char *mode, char *err, size_t errlen);

/* Close a file written with rpt__fopen. `ok` says whether every write succeeded.
 * RPT_OK, or RPT_EIO with "path: cannot write: why" in err. */
int rpt__fclose(FILE *f, bool ok, const char *path, char *err, size_t errlen);

/* Write doc to path pretty-printed with a trailing newline. RPT_OK or RPT_EIO with
 * "path: why" in err. */
int rpt__json_write_file(const char *path, struct json_object *doc, char *err, size_t errlen);

/* The accuracy block as results.json writes it (same field table) into *out; NULL
 * when the block is not present. RPT_OK or RPT_ENOMEM. Defined in results.c. */
struct rpt_accuracy;
int rpt__accuracy_json(const struct rpt_accuracy *a, struct json_object **out);

/* Decimal digits of v written backwards ending just before `end`; returns the first. */
char *rpt__u64_text(char *end, uint64_t v);

/* A double as a reader wants it (summary.txt, report.html): integers without
 * decimals, others with 3 decimals (6 significant digits when small), non-finite
 * values as "unavailable". Returns buf. */
const char *rpt__num(char *buf, size_t len, double v);

#endif /* RPT_INTERNAL_H */
