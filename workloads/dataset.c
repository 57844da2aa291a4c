/*
 * workloads/dataset.c - datasets from disk (MLPerf Tiny folders and CSV files, both
 * parsed with libcsv and checked whole at open time), the accuracy math against
 * labels (argmax, top-1, ROC AUC by rank sum) and the MLPerf Tiny folder generator.
 * Formats, rules and messages are documented in workloads/dataset.h.
 */
#include "workloads/dataset.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <csv.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "dataset files hold little-endian values and are copied verbatim: add byte swapping"
#endif

#define LABELS_FILE "y_labels.csv"
#define FIELD_MAX 256 /* longest field kept, NUL included (NAME_MAX + 1) */
#define LABEL_COLS 5  /* file,n_classes,label[,window_bytes,stride_bytes] */
#define PATH_LEN 4096

#if defined(__GNUC__)
#define DS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define DS_PRINTF(f, a)
#endif

static const char *const label_column[LABEL_COLS] = {"file", "n_classes", "label",
                                                     "window_bytes", "stride_bytes"};
enum { COL_FILE, COL_CLASSES, COL_LABEL, COL_WINDOW, COL_STRIDE };

/* One row of y_labels.csv or of a CSV file: a file and its samples. */
typedef struct ds_row {
  char *name;     /* .bin file name, or "row N" */
  size_t line;    /* its line in y_labels.csv or the CSV file */
  int label;      /* -1 when none */
  size_t first;   /* index of its first sample */
  size_t windows; /* its samples (>= 1 once checked) */
  size_t stride;  /* bytes between windows; 0 for a one-input (3-field) row */
} ds_row;

struct wl_dataset {
  char *dir;             /* the folder (form a); NULL for a CSV file */
  size_t input_bytes;
  int classes;           /* n_classes of y_labels.csv; 0 for a CSV file */
  size_t classes_line;   /* the line that set it */
  ds_row *rows;
  size_t nrows, rows_cap;
  size_t count;          /* samples */
  unsigned char *values; /* CSV file: count * input_bytes bytes */
  size_t values_cap;     /* in samples */
};

/* ---- status and small helpers ----------------------------------------------------- */

const char *wl_dataset_strerror(int status)
{
#define WL_DATASET_TEXT_(name, value, text) \
  if (status == (value))                    \
    return text;
  WL_DATASET_STATUS_MAP(WL_DATASET_TEXT_)
#undef WL_DATASET_TEXT_
  return wl_strerror(status);
}

static int ds_errf(char *err, size_t errlen, int status, const char *fmt, ...) DS_PRINTF(4, 5);

/* Write the message into err (when there is one) and return status. */
static int ds_errf(char *err, size_t errlen, int status, const char *fmt, ...)
{
  if (err && errlen > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return status;
}

/* dir/name into buf; false when it does not fit. */
static bool join_path(char *buf, size_t len, const char *dir, const char *name)
{
  size_t n = strlen(dir);
  const char *sep = n > 0 && dir[n - 1] == '/' ? "" : "/";
  int w = snprintf(buf, len, "%s%s%s", dir, sep, name);
  return w >= 0 && (size_t)w < len;
}

/* Make room for `need` items of `size` bytes in *items (capacity *cap). */
static bool grow(void **items, size_t *cap, size_t need, size_t size)
{
  if (need <= *cap)
    return true;
  size_t n = *cap ? *cap * 2 : 16;
  while (n < need)
    n *= 2;
  void *p = realloc(*items, n * size);
  if (!p)
    return false;
  *items = p;
  *cap = n;
  return true;
}

/* Decimal integer filling all of s. */
static bool parse_int(const char *s, long long *out)
{
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (end == s || *end != '\0' || errno != 0)
    return false;
  *out = v;
  return true;
}

/* ---- parsing: one reader for y_labels.csv and CSV files --------------------------- */

typedef struct reader {
  wl_dataset *ds;
  const char *path;          /* the file being parsed, for messages */
  size_t line;               /* line being parsed (1-based) */
  size_t nfields;            /* fields seen in this row */
  char text[LABEL_COLS][FIELD_MAX]; /* y_labels.csv: this row's fields; CSV: the label */
  size_t elems;              /* CSV: f32 values per row */
  int labeled;               /* CSV: -1 before the first row, then 0 or 1 */
  size_t first_line;         /* CSV: line of the first row */
  float *row;                /* CSV: this row's values */
  int rc;
  char *err;
  size_t errlen;
} reader;

static void fail(reader *r, int status, const char *fmt, ...) DS_PRINTF(3, 4);

/* Keep the first error, as "path:line: what". */
static void fail(reader *r, int status, const char *fmt, ...)
{
  if (r->rc != WL_OK)
    return;
  char what[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  r->rc = ds_errf(r->err, r->errlen, status, "%s:%zu: %s", r->path, r->line, what);
}

/* Copy field `col` (0-based) into slot as a string; a field too long fails. */
static bool keep_field(reader *r, size_t col, const void *data, size_t len, char *slot)
{
  if (len >= FIELD_MAX) {
    fail(r, WL_DATASET_EFORMAT, "column %zu: longer than %d characters", col + 1,
         FIELD_MAX - 1);
    return false;
  }
  if (len > 0)
    memcpy(slot, data, len);
  slot[len] = '\0';
  return true;
}

/* Integer in column col (0-based, named `what`) in [min, max]. */
static bool column_int(reader *r, size_t col, const char *what, const char *s,
                       long long min, long long max, long long *out)
{
  if (!parse_int(s, out)) {
    fail(r, WL_DATASET_EFORMAT, "column %zu (%s): '%s' is not an integer", col + 1, what, s);
    return false;
  }
  if (*out < min && min == 0)
    fail(r, WL_DATASET_EFORMAT, "column %zu (%s): %lld is negative", col + 1, what, *out);
  else if (*out < min)
    fail(r, WL_DATASET_EFORMAT, "column %zu (%s): %lld is below %lld", col + 1, what, *out,
         min);
  else if (*out > max)
    fail(r, WL_DATASET_EFORMAT, "column %zu (%s): %lld is too large (at most %lld)", col + 1,
         what, *out, max);
  return *out >= min && *out <= max;
}

/* Append a row (name copied) with its samples still to count; false on error. */
static bool add_row(reader *r, const ds_row *row, const char *name)
{
  wl_dataset *ds = r->ds;
  char *copy = strdup(name);
  if (!copy || !grow((void **)&ds->rows, &ds->rows_cap, ds->nrows + 1, sizeof *ds->rows)) {
    free(copy);
    fail(r, WL_ENOMEM, "out of memory");
    return false;
  }
  ds->rows[ds->nrows] = *row;
  ds->rows[ds->nrows].name = copy;
  ds->nrows++;
  return true;
}

/* Feed the file to the parser one line at a time, so messages know the line. */
static void parse_lines(reader *r, FILE *f, struct csv_parser *p,
                        void (*on_field)(void *, size_t, void *), void (*on_row)(int, void *))
{
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  errno = 0;
  while (r->rc == WL_OK && (len = getline(&line, &cap, f)) > 0) {
    r->line++;
    if (csv_parse(p, line, (size_t)len, on_field, on_row, r) != (size_t)len)
      fail(r, WL_DATASET_EFORMAT, "%s", csv_strerror(csv_error(p)));
  }
  int e = errno;
  free(line);
  if (r->rc == WL_OK && ferror(f))
    r->rc = ds_errf(r->err, r->errlen, WL_DATASET_EIO, "%s: cannot read: %s", r->path,
                    strerror(e));
  if (r->rc == WL_OK && csv_fini(p, on_field, on_row, r) != 0)
    fail(r, WL_DATASET_EFORMAT, "%s", csv_strerror(csv_error(p)));
}

/* Parse r->path with the given callbacks; an empty file is WL_DATASET_EEMPTY. */
static int parse_file(reader *r, void (*on_field)(void *, size_t, void *),
                      void (*on_row)(int, void *), const char *missing_hint)
{
  FILE *f = fopen(r->path, "r");
  if (!f)
    return ds_errf(r->err, r->errlen, WL_DATASET_EIO, "%s: cannot open: %s%s", r->path,
                   strerror(errno), missing_hint);
  struct csv_parser p;
  if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
    fclose(f);
    return ds_errf(r->err, r->errlen, WL_ENOMEM, "%s: out of memory", r->path);
  }
  parse_lines(r, f, &p, on_field, on_row);
  csv_free(&p);
  fclose(f);
  if (r->rc == WL_OK && r->ds->nrows == 0)
    r->rc = ds_errf(r->err, r->errlen, WL_DATASET_EEMPTY, "%s: no samples: the file has no rows",
                    r->path);
  return r->rc;
}

/* ---- form (a): y_labels.csv rows ------------------------------------------------- */

static void on_label_field(void *data, size_t len, void *ctx)
{
  reader *r = ctx;
  size_t col = r->nfields++;
  if (r->rc == WL_OK && col < LABEL_COLS)
    keep_field(r, col, data, len, r->text[col]);
}

static bool check_file_name(reader *r)
{
  const char *name = r->text[COL_FILE];
  if (name[0] == '\0')
    fail(r, WL_DATASET_EFORMAT, "column 1 (file): empty file name");
  else if (strchr(name, '/'))
    fail(r, WL_DATASET_EFORMAT,
         "column 1 (file): '%s' must name a file in the dataset folder (no '/')", name);
  return r->rc == WL_OK;
}

/* n_classes (the same on every row) and the label below it. */
static bool check_classes_label(reader *r, ds_row *row)
{
  wl_dataset *ds = r->ds;
  long long classes, label;
  if (!column_int(r, COL_CLASSES, label_column[COL_CLASSES], r->text[COL_CLASSES], 1, INT_MAX,
                  &classes))
    return false;
  if (ds->classes == 0) {
    ds->classes = (int)classes;
    ds->classes_line = r->line;
  } else if (classes != ds->classes) {
    fail(r, WL_DATASET_EFORMAT, "column 2 (n_classes): %lld differs from %d on line %zu",
         classes, ds->classes, ds->classes_line);
    return false;
  }
  if (!column_int(r, COL_LABEL, label_column[COL_LABEL], r->text[COL_LABEL], 0, INT_MAX, &label))
    return false;
  if (label >= classes) {
    fail(r, WL_DATASET_EFORMAT, "column 3 (label): %lld is not below n_classes %lld", label,
         classes);
    return false;
  }
  row->label = (int)label;
  return true;
}

/* window_bytes (the workload's input) and stride_bytes of an AD row. */
static bool check_window(reader *r, ds_row *row)
{
  long long window, stride;
  if (!column_int(r, COL_WINDOW, label_column[COL_WINDOW], r->text[COL_WINDOW], 1, LLONG_MAX,
                  &window))
    return false;
  if ((unsigned long long)window != r->ds->input_bytes) {
    fail(r, WL_DATASET_ESIZE,
         "column 4 (window_bytes): a window of %lld bytes, the workload's input is %zu bytes",
         window, r->ds->input_bytes);
    return false;
  }
  if (!column_int(r, COL_STRIDE, label_column[COL_STRIDE], r->text[COL_STRIDE], 1, LLONG_MAX,
                  &stride))
    return false;
  row->stride = (size_t)stride;
  return true;
}

static void on_label_row(int terminator, void *ctx)
{
  reader *r = ctx;
  size_t n = r->nfields;
  r->nfields = 0;
  if (r->rc != WL_OK)
    return;
  if (n != 3 && n != LABEL_COLS) {
    fail(r, WL_DATASET_EFORMAT,
         "expected 3 fields (file,n_classes,label) or 5 "
         "(file,n_classes,label,window_bytes,stride_bytes), found %zu",
         n);
    return;
  }
  ds_row row = {.line = r->line};
  if (check_file_name(r) && check_classes_label(r, &row) &&
      (n == 3 || check_window(r, &row)))
    add_row(r, &row, r->text[COL_FILE]);
}

/* How many windows a file of `size` bytes holds; 0 (and a message) when it does not fit. */
static size_t count_windows(reader *r, const ds_row *row, const char *path, off_t size)
{
  size_t in = r->ds->input_bytes;
  if (row->stride == 0 && (unsigned long long)size != in)
    fail(r, WL_DATASET_ESIZE, "%s: %lld bytes, the workload's input is %zu bytes", path,
         (long long)size, in);
  else if (row->stride != 0 && (unsigned long long)size < in)
    fail(r, WL_DATASET_ESIZE,
         "%s: %lld bytes, less than one window of %zu bytes (the workload's input)", path,
         (long long)size, in);
  if (r->rc != WL_OK)
    return 0;
  return row->stride == 0 ? 1 : ((size_t)size - in) / row->stride + 1;
}

/* The .bin of row exists, is a readable regular file and holds whole inputs. */
static bool check_bin(reader *r, ds_row *row)
{
  char path[PATH_LEN];
  struct stat st;
  r->line = row->line;
  if (!join_path(path, sizeof path, r->ds->dir, row->name)) {
    fail(r, WL_EINVAL, "%s: path too long", row->name);
    return false;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fail(r, WL_DATASET_EIO, "%s: cannot open: %s", path, strerror(errno));
    return false;
  }
  int rc = fstat(fd, &st), e = errno;
  close(fd);
  if (rc != 0) {
    fail(r, WL_DATASET_EIO, "%s: cannot read: %s", path, strerror(e));
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    fail(r, WL_DATASET_EIO, "%s: not a regular file", path);
    return false;
  }
  row->windows = count_windows(r, row, path, st.st_size);
  row->first = r->ds->count;
  r->ds->count += row->windows;
  return row->windows > 0;
}

static int open_folder(wl_dataset *ds, const char *dir, char *err, size_t errlen)
{
  char path[PATH_LEN];
  ds->dir = strdup(dir);
  if (!ds->dir)
    return ds_errf(err, errlen, WL_ENOMEM, "%s: out of memory", dir);
  if (!join_path(path, sizeof path, dir, LABELS_FILE))
    return ds_errf(err, errlen, WL_EINVAL, "%s: path too long", dir);
  reader r = {.ds = ds, .path = path, .rc = WL_OK, .err = err, .errlen = errlen};
  int rc = parse_file(&r, on_label_field, on_label_row,
                      " (a dataset folder holds y_labels.csv and one .bin file per input)");
  for (size_t i = 0; rc == WL_OK && i < ds->nrows; i++)
    rc = check_bin(&r, &ds->rows[i]) ? WL_OK : r.rc;
  return rc;
}

/* ---- form (b): a CSV file of f32 values ------------------------------------------ */

static void on_value_field(void *data, size_t len, void *ctx)
{
  reader *r = ctx;
  size_t col = r->nfields++;
  char *text = r->text[0];
  if (r->rc != WL_OK || col > r->elems || !keep_field(r, col, data, len, text))
    return;
  if (col == r->elems)
    return; /* a label, parsed once the row's column count is known */
  char *end;
  float v = strtof(text, &end);
  if (end == text || *end != '\0' || !isfinite(v))
    fail(r, WL_DATASET_EFORMAT, "column %zu: '%s' is not a finite number", col + 1, text);
  r->row[col] = v;
}

/* n columns: the values, or the values and a label, the same form as the first row. */
static bool check_value_columns(reader *r, size_t n)
{
  static const char *const form[2] = {"values only", "values and a label"};
  bool with_label = n == r->elems + 1;
  if (n != r->elems && !with_label) {
    fail(r, WL_DATASET_EFORMAT, "expected %zu values, or %zu with a trailing label, found %zu",
         r->elems, r->elems + 1, n);
    return false;
  }
  if (r->labeled < 0) {
    r->labeled = with_label;
    r->first_line = r->line;
  } else if (r->labeled != with_label) {
    fail(r, WL_DATASET_EFORMAT, "%zu columns (%s), line %zu has %zu (%s)", n, form[with_label],
         r->first_line, r->elems + (size_t)r->labeled, form[r->labeled]);
    return false;
  }
  return true;
}

static void on_value_row(int terminator, void *ctx)
{
  reader *r = ctx;
  wl_dataset *ds = r->ds;
  size_t n = r->nfields;
  long long label = -1;
  char name[32];
  r->nfields = 0;
  if (r->rc != WL_OK || !check_value_columns(r, n))
    return;
  if (r->labeled && !column_int(r, r->elems, "label", r->text[0], 0, INT_MAX, &label))
    return;
  if (!grow((void **)&ds->values, &ds->values_cap, ds->count + 1, ds->input_bytes)) {
    fail(r, WL_ENOMEM, "out of memory");
    return;
  }
  snprintf(name, sizeof name, "row %zu", r->line);
  ds_row row = {.line = r->line, .label = (int)label, .first = ds->count, .windows = 1};
  if (!add_row(r, &row, name))
    return;
  memcpy(ds->values + ds->count * ds->input_bytes, r->row, ds->input_bytes);
  ds->count++;
}

static int open_csv(wl_dataset *ds, const char *path, char *err, size_t errlen)
{
  if (ds->input_bytes % sizeof(float) != 0)
    return ds_errf(err, errlen, WL_DATASET_ESIZE,
                   "%s: the workload's input is %zu bytes, not a whole number of f32 values "
                   "(a CSV dataset holds f32 values)",
                   path, ds->input_bytes);
  reader r = {.ds = ds, .path = path, .elems = ds->input_bytes / sizeof(float),
              .labeled = -1, .rc = WL_OK, .err = err, .errlen = errlen};
  r.row = malloc(ds->input_bytes);
  if (!r.row)
    return ds_errf(err, errlen, WL_ENOMEM, "%s: out of memory", path);
  int rc = parse_file(&r, on_value_field, on_value_row, "");
  free(r.row);
  return rc;
}

/* ---- the dataset ------------------------------------------------------------------ */

int wl_dataset_open(wl_dataset **out, const char *path, size_t input_bytes, char *err,
                    size_t errlen)
{
  struct stat st;
  ds_errf(err, errlen, WL_OK, "%s", "");
  if (!out || !path || input_bytes == 0)
    return ds_errf(err, errlen, WL_EINVAL, "wl_dataset_open: no output, path or input size");
  *out = NULL;
  if (stat(path, &st) != 0)
    return ds_errf(err, errlen, WL_DATASET_EIO, "%s: cannot open: %s", path, strerror(errno));
  wl_dataset *ds = calloc(1, sizeof *ds);
  if (!ds)
    return ds_errf(err, errlen, WL_ENOMEM, "%s: out of memory", path);
  ds->input_bytes = input_bytes;
  int rc = S_ISDIR(st.st_mode) ? open_folder(ds, path, err, errlen)
                               : open_csv(ds, path, err, errlen);
  if (rc != WL_OK) {
    wl_dataset_close(ds);
    return rc;
  }
  *out = ds;
  return WL_OK;
}

void wl_dataset_close(wl_dataset *ds)
{
  if (!ds)
    return;
  for (size_t i = 0; i < ds->nrows; i++)
    free(ds->rows[i].name);
  free(ds->rows);
  free(ds->values);
  free(ds->dir);
  free(ds);
}

size_t wl_dataset_count(const wl_dataset *ds)
{
  return ds->count;
}

size_t wl_dataset_files(const wl_dataset *ds)
{
  return ds->nrows;
}

int wl_dataset_classes(const wl_dataset *ds)
{
  return ds->classes;
}

/* The row that sample index (< count) comes from: the last row whose first <= index. */
static const ds_row *row_of(const wl_dataset *ds, size_t index)
{
  size_t lo = 0, hi = ds->nrows;
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (ds->rows[mid].first <= index)
      lo = mid;
    else
      hi = mid;
  }
  return &ds->rows[lo];
}

size_t wl_dataset_file_of(const wl_dataset *ds, size_t index)
{
  return (size_t)(row_of(ds, index) - ds->rows);
}

bool wl_dataset_label(const wl_dataset *ds, size_t index, int *label)
{
  if (!ds || index >= ds->count)
    return false;
  const ds_row *row = row_of(ds, index);
  if (row->label < 0)
    return false;
  if (label)
    *label = row->label;
  return true;
}

const char *wl_dataset_name(const wl_dataset *ds, size_t index)
{
  return ds && index < ds->count ? row_of(ds, index)->name : NULL;
}

/* Read n bytes at offset off of path into buf. */
static int read_at(const char *path, void *buf, size_t n, off_t off, char *err, size_t errlen)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return ds_errf(err, errlen, WL_DATASET_EIO, "%s: cannot open: %s", path, strerror(errno));
  size_t got = 0;
  ssize_t k = 1;
  while (got < n && k > 0) {
    k = pread(fd, (char *)buf + got, n - got, off + (off_t)got);
    if (k < 0 && errno == EINTR)
      k = 1;
    else if (k > 0)
      got += (size_t)k;
  }
  int e = errno;
  close(fd);
  if (k < 0)
    return ds_errf(err, errlen, WL_DATASET_EIO, "%s: cannot read: %s", path, strerror(e));
  if (got < n)
    return ds_errf(err, errlen, WL_DATASET_EIO,
                   "%s: ended after %zu of %zu bytes at offset %lld (changed since the dataset "
                   "was opened?)",
                   path, got, n, (long long)off);
  return WL_OK;
}

int wl_dataset_load(const wl_dataset *ds, size_t index, void *input, char *err, size_t errlen)
{
  if (!ds || !input || index >= ds->count)
    return ds_errf(err, errlen, WL_EINVAL, "sample %zu is out of range (the dataset has %zu)",
                   index, ds ? ds->count : 0);
  if (!ds->dir) {
    memcpy(input, ds->values + index * ds->input_bytes, ds->input_bytes);
    return WL_OK;
  }
  const ds_row *row = row_of(ds, index);
  char path[PATH_LEN];
  join_path(path, sizeof path, ds->dir, row->name); /* fitted at open time */
  off_t off = (off_t)((index - row->first) * row->stride);
  return read_at(path, input, ds->input_bytes, off, err, errlen);
}

int wl_dataset_file_scores(const wl_dataset *ds, const double *sample_scores,
                           double *file_scores, int *file_labels)
{
  if (!ds || !sample_scores || !file_scores)
    return WL_EINVAL;
  for (size_t f = 0; f < ds->nrows; f++) {
    const ds_row *row = &ds->rows[f];
    double sum = 0.0;
    for (size_t i = 0; i < row->windows; i++)
      sum += sample_scores[row->first + i];
    file_scores[f] = sum / (double)row->windows;
    if (file_labels)
      file_labels[f] = row->label;
  }
  return WL_OK;
}

/* ---- accuracy math ---------------------------------------------------------------- */

size_t wl_argmax(const float *v, size_t n)
{
  size_t best = 0;
  for (size_t i = 1; i < n; i++)
    if (v[i] > v[best] || (isnan(v[best]) && !isnan(v[i])))
      best = i;
  return best;
}

double wl_top1_accuracy(const float *const *outputs, const int *labels, size_t n,
                        size_t classes, size_t *correct)
{
  size_t ok = 0;
  for (size_t i = 0; i < n; i++)
    if (outputs[i] && labels[i] >= 0 && classes > 0 &&
        wl_argmax(outputs[i], classes) == (size_t)labels[i])
      ok++;
  if (correct)
    *correct = ok;
  return n ? (double)ok / (double)n : NAN;
}

typedef struct scored {
  double score;
  int label;
} scored;

static int by_score(const void *a, const void *b)
{
  double x = ((const scored *)a)->score, y = ((const scored *)b)->score;
  return (x > y) - (x < y);
}

/* Count positives; false when a label is not 0/1 or a score is NaN. */
static bool count_positives(const double *scores, const int *labels, size_t n, size_t *pos)
{
  *pos = 0;
  for (size_t i = 0; i < n; i++) {
    if ((labels[i] != 0 && labels[i] != 1) || isnan(scores[i]))
      return false;
    *pos += (size_t)labels[i];
  }
  return true;
}

int wl_roc_auc(const double *scores, const int *labels, size_t n, double *auc)
{
  size_t n1;
  if (!scores || !labels || !auc || !count_positives(scores, labels, n, &n1) || n1 == 0 ||
      n1 == n)
    return WL_EINVAL;
  scored *v = malloc(n * sizeof *v);
  if (!v)
    return WL_ENOMEM;
  for (size_t i = 0; i < n; i++)
    v[i] = (scored){scores[i], labels[i]};
  qsort(v, n, sizeof *v, by_score);
  double rank_sum = 0.0; /* of the positives */
  for (size_t i = 0, j; i < n; i = j) {
    size_t pos = 0;
    for (j = i; j < n && v[j].score == v[i].score; j++)
      pos += (size_t)v[j].label;
    rank_sum += (double)pos * (double)(i + 1 + j) / 2.0; /* mean of ranks i+1 .. j */
  }
  free(v);
  double n0 = (double)(n - n1);
  *auc = (rank_sum - (double)n1 * ((double)n1 + 1.0) / 2.0) / ((double)n1 * n0);
  return WL_OK;
}

/* ---- generator -------------------------------------------------------------------- */

typedef enum { KIND_OTHER, KIND_CLASSIFIER, KIND_AUTOENCODER } model_kind;

/* What a model's tensors say it is (rules in dataset.h). */
static model_kind kind_of(const wl_info *info)
{
  const wl_tensor *in = &info->input, *out = &info->output;
  if (out->dtype != WL_F32)
    return KIND_OTHER;
  if (info->reconstruction && in->dtype == WL_F32 &&
      wl_tensor_elems(in) == wl_tensor_elems(out))
    return KIND_AUTOENCODER;
  return out->rank == 1 && out->dims[0] > 1 ? KIND_CLASSIFIER : KIND_OTHER;
}

typedef struct tiny_writer {
  const char *dir;
  const wl_model *m;
  model_kind kind;
  int classes;
  const int *labels; /* NULL: the defaults */
  size_t count;
  size_t in_bytes;
  void *input, *output, *scratch;
  FILE *csv;
  char *err;
  size_t errlen;
} tiny_writer;

static int tiny_check(const tiny_writer *w)
{
  const char *name = wl_model_info(w->m)->name;
  if (w->count == 0 || w->classes < 1)
    return ds_errf(w->err, w->errlen, WL_EINVAL,
                   "%s: need at least one sample and one class", w->dir);
  if (w->kind == KIND_AUTOENCODER && w->classes != 2)
    return ds_errf(w->err, w->errlen, WL_EINVAL,
                   "%s: workload '%s' is an autoencoder: classes must be 2 (normal, anomaly), "
                   "not %d", w->dir, name, w->classes);
  if (w->kind == KIND_OTHER && !w->labels)
    return ds_errf(w->err, w->errlen, WL_EINVAL,
                   "%s: workload '%s' is neither a classifier nor an autoencoder: pass labels",
                   w->dir, name);
  return WL_OK;
}

static int tiny_alloc(tiny_writer *w)
{
  const wl_info *info = wl_model_info(w->m);
  w->in_bytes = wl_tensor_bytes(&info->input);
  w->input = malloc(w->in_bytes);
  w->output = malloc(wl_tensor_bytes(&info->output));
  w->scratch = malloc(wl_scratch_bytes(w->m) + 1);
  if (!w->input || !w->output || !w->scratch)
    return ds_errf(w->err, w->errlen, WL_ENOMEM, "%s: out of memory", w->dir);
  wl_scratch_init(w->m, w->scratch, 0);
  return WL_OK;
}

static int tiny_make_dir(const tiny_writer *w)
{
  struct stat st;
  if (mkdir(w->dir, 0777) == 0 || (errno == EEXIST && stat(w->dir, &st) == 0 &&
                                   S_ISDIR(st.st_mode)))
    return WL_OK;
  return ds_errf(w->err, w->errlen, WL_DATASET_EIO, "%s: cannot create the folder: %s", w->dir,
                 errno == EEXIST ? "a file of that name exists" : strerror(errno));
}

/* Sample i into w->input and its label: given, the reference argmax, or by half. */
static int tiny_sample(tiny_writer *w, size_t i, int *label)
{
  wl_make_sample(w->m, i, w->input);
  if (w->labels) {
    *label = w->labels[i];
  } else if (w->kind == KIND_CLASSIFIER) {
    wl_infer(w->m, w->input, w->output, w->scratch);
    *label = (int)wl_argmax(w->output, wl_tensor_elems(&wl_model_info(w->m)->output));
  } else {
    *label = i >= w->count / 2;
  }
  if (*label < 0 || *label >= w->classes)
    return ds_errf(w->err, w->errlen, WL_EINVAL, "%s: label %d of sample %zu is not in [0, %d)",
                   w->dir, *label, i, w->classes);
  if (w->kind == KIND_AUTOENCODER && *label == 1) {
    float *x = w->input;
    for (size_t k = 0; k < w->in_bytes / sizeof *x; k++)
      x[k] *= WL_DATASET_ANOMALY_GAIN;
  }
  return WL_OK;
}

/* Write n bytes to path, replacing it. */
static int write_file(const char *path, const void *data, size_t n, char *err, size_t errlen)
{
  FILE *f = fopen(path, "wb");
  if (!f)
    return ds_errf(err, errlen, WL_DATASET_EIO, "%s: cannot create: %s", path, strerror(errno));
  bool ok = fwrite(data, 1, n, f) == n;
  int e = errno;
  if (fclose(f) != 0 && ok)
    ok = false, e = errno;
  return ok ? WL_OK
            : ds_errf(err, errlen, WL_DATASET_EIO, "%s: cannot write: %s", path, strerror(e));
}

/* Sample i's .bin and its y_labels.csv row. */
static int tiny_write_one(tiny_writer *w, size_t i)
{
  char name[FIELD_MAX], path[PATH_LEN];
  int label, rc = tiny_sample(w, i, &label);
  if (rc != WL_OK)
    return rc;
  snprintf(name, sizeof name, "%s_%06zu.bin", wl_model_info(w->m)->name, i);
  if (!join_path(path, sizeof path, w->dir, name))
    return ds_errf(w->err, w->errlen, WL_EINVAL, "%s: path too long", w->dir);
  rc = write_file(path, w->input, w->in_bytes, w->err, w->errlen);
  if (rc != WL_OK)
    return rc;
  if (w->kind == KIND_AUTOENCODER)
    fprintf(w->csv, "%s,%d,%d,%zu,%zu\n", name, w->classes, label, w->in_bytes, w->in_bytes);
  else
    fprintf(w->csv, "%s,%d,%d\n", name, w->classes, label);
  return WL_OK;
}

/* Every sample, then y_labels.csv through a temporary file and a rename. */
static int tiny_write_all(tiny_writer *w)
{
  char tmp[PATH_LEN], final[PATH_LEN];
  if (!join_path(tmp, sizeof tmp, w->dir, LABELS_FILE ".tmp") ||
      !join_path(final, sizeof final, w->dir, LABELS_FILE))
    return ds_errf(w->err, w->errlen, WL_EINVAL, "%s: path too long", w->dir);
  w->csv = fopen(tmp, "w");
  if (!w->csv)
    return ds_errf(w->err, w->errlen, WL_DATASET_EIO, "%s: cannot create: %s", tmp,
                   strerror(errno));
  int rc = WL_OK;
  for (size_t i = 0; rc == WL_OK && i < w->count; i++)
    rc = tiny_write_one(w, i);
  bool ok = !ferror(w->csv);
  if (fclose(w->csv) != 0)
    ok = false;
  w->csv = NULL;
  if (rc == WL_OK && !ok)
    rc = ds_errf(w->err, w->errlen, WL_DATASET_EIO, "%s: cannot write: %s", tmp,
                 strerror(errno));
  if (rc == WL_OK && rename(tmp, final) != 0)
    rc = ds_errf(w->err, w->errlen, WL_DATASET_EIO, "%s: cannot rename to %s: %s", tmp, final,
                 strerror(errno));
  if (rc != WL_OK)
    remove(tmp);
  return rc;
}

int wl_dataset_write_tiny(const char *dir, const wl_model *m, size_t count, int classes,
                          const int *labels, char *err, size_t errlen)
{
  if (!dir || !m)
    return ds_errf(err, errlen, WL_EINVAL, "wl_dataset_write_tiny: no folder or model");
  tiny_writer w = {.dir = dir, .m = m, .kind = kind_of(wl_model_info(m)), .classes = classes,
                   .labels = labels, .count = count, .err = err, .errlen = errlen};
  int rc = tiny_check(&w);
  if (rc != WL_OK)
    return rc;
  rc = tiny_alloc(&w);
  if (rc != WL_OK)
    goto cleanup;
  rc = tiny_make_dir(&w);
  if (rc != WL_OK)
    goto cleanup;
  rc = tiny_write_all(&w);
cleanup:
  free(w.input);
  free(w.output);
  free(w.scratch);
  return rc;
}
