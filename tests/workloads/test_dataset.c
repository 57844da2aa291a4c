/*
 * tests/workloads/test_dataset.c - workloads/dataset.c: the MLPerf Tiny folder and CSV
 * readers (round trips, AD windows, every open/load error with its file:line message),
 * the generator (classifier labels = reference argmax; autoencoder halves with the
 * anomaly gain), the shipped workloads/datasets/kws-tiny folder, and the accuracy math
 * (argmax, top-1, ROC AUC over wl_anomaly_score).
 *
 * Run from the repository root (tests/run.sh does). To regenerate the shipped folder
 * after the kws weights or samples change:
 *     MLSB_WRITE_DATASETS=1 build/tests/workloads/test_dataset
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "workloads/dataset.h"
#include "workloads/wl_private.h"
#include "workloads/workload.h"

#define SHIPPED_KWS "workloads/datasets/kws-tiny"
#define SHIPPED_KWS_COUNT 64
#define SHIPPED_MAX_BYTES 200000
#define KWS_CLASSES 12

/* ---- helpers ------------------------------------------------------------------------ */

typedef struct fixture {
  char dir[64]; /* a fresh temporary folder per test */
} fixture;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  return remove(path);
}

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/test_dataset_XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;
  nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  free(f);
  return 0;
}

/* dir/name into a static-free caller buffer. */
static char *path_of(char *buf, size_t len, const char *dir, const char *name)
{
  snprintf(buf, len, "%s/%s", dir, name);
  return buf;
}

static void put_bytes(const char *dir, const char *name, const void *data, size_t n)
{
  char path[512];
  FILE *fp = fopen(path_of(path, sizeof path, dir, name), "wb");
  assert_non_null(fp);
  assert_int_equal(fwrite(data, 1, n, fp), n);
  assert_int_equal(fclose(fp), 0);
}

static void put_text(const char *dir, const char *name, const char *text)
{
  put_bytes(dir, name, text, strlen(text));
}

/* A file of n bytes 0, 1, 2, ...; n = -1 makes a folder, -2 a symbolic link loop. */
static void put_entry(const char *dir, const char *name, int n)
{
  char path[512];
  unsigned char bytes[64];
  path_of(path, sizeof path, dir, name);
  if (n == -1) {
    assert_int_equal(mkdir(path, 0777), 0);
  } else if (n == -2) {
    assert_int_equal(symlink(name, path), 0);
  } else {
    for (int i = 0; i < n; i++)
      bytes[i] = (unsigned char)i;
    put_bytes(dir, name, bytes, (size_t)n);
  }
}

/* template with every "{D}" replaced by dir. */
static void expand(char *out, size_t len, const char *template, const char *dir)
{
  size_t used = 0;
  for (const char *t = template; *t && used + 1 < len; t++) {
    if (strncmp(t, "{D}", 3) == 0) {
      used += (size_t)snprintf(out + used, len - used, "%s", dir);
      t += 2;
    } else {
      out[used++] = *t;
    }
  }
  out[used < len ? used : len - 1] = '\0';
}

/* Opening path must fail with status and exactly the message (after "{D}" -> dir). */
static void expect_open_error(const char *path, size_t in_bytes, int status,
                              const char *template, const char *dir)
{
  wl_dataset *ds = (wl_dataset *)&ds; /* must come back NULL */
  char err[1024], want[1024];
  expand(want, sizeof want, template, dir);
  int rc = wl_dataset_open(&ds, path, in_bytes, err, sizeof err);
  if (rc != status || strcmp(err, want) != 0)
    fail_msg("open %s: got %d '%s'\nwant %d '%s'", path, rc, err, status, want);
  assert_null(ds);
}

static wl_dataset *open_ok(const char *path, size_t in_bytes)
{
  wl_dataset *ds = NULL;
  char err[1024];
  int rc = wl_dataset_open(&ds, path, in_bytes, err, sizeof err);
  if (rc != WL_OK)
    fail_msg("open %s: %d %s", path, rc, err);
  return ds;
}

static wl_model *open_model(const char *name)
{
  wl_model *m = NULL;
  char err[256];
  if (wl_open(&m, name, NULL, err, sizeof err) != WL_OK)
    fail_msg("%s", err);
  return m;
}

static void load_ok(const wl_dataset *ds, size_t i, void *input)
{
  char err[512];
  int rc = wl_dataset_load(ds, i, input, err, sizeof err);
  if (rc != WL_OK)
    fail_msg("load %zu: %d %s", i, rc, err);
}

/* The fp32 reference argmax of one input. */
static int reference_label(const wl_model *m, const void *input, float *out, void *scratch)
{
  wl_infer(m, input, out, scratch);
  return (int)wl_argmax(out, wl_tensor_elems(&wl_model_info(m)->output));
}

/*
 * Every sample of ds equals wl_make_sample (anomalies: times the gain when
 * `autoencoder`) and every label equals the reference argmax (classifiers) or the
 * half rule (autoencoders). Returns the number of distinct labels.
 */
static int check_generated(const wl_dataset *ds, const wl_model *m, size_t count,
                           bool autoencoder)
{
  const wl_info *info = wl_model_info(m);
  size_t in_b = wl_tensor_bytes(&info->input);
  float *want = malloc(in_b), *got = malloc(in_b);
  float *out = malloc(wl_tensor_bytes(&info->output));
  void *scratch = malloc(wl_scratch_bytes(m) + 1);
  bool seen[64] = {false};
  int distinct = 0;
  wl_scratch_init(m, scratch, 0);
  assert_int_equal(wl_dataset_count(ds), count);
  for (size_t i = 0; i < count; i++) {
    int label = -1, want_label;
    wl_make_sample(m, i, want);
    load_ok(ds, i, got);
    assert_true(wl_dataset_label(ds, i, &label));
    if (autoencoder) {
      want_label = i >= count / 2;
      for (size_t k = 0; want_label && k < in_b / sizeof(float); k++)
        want[k] *= WL_DATASET_ANOMALY_GAIN;
    } else {
      want_label = reference_label(m, want, out, scratch);
    }
    assert_memory_equal(got, want, in_b);
    assert_int_equal(label, want_label);
    distinct += !seen[label];
    seen[label] = true;
  }
  free(want), free(got), free(out), free(scratch);
  return distinct;
}

/* ---- generator round trips ---------------------------------------------------------- */

static void test_round_trip_kws(void **state)
{
  fixture *f = *state;
  char err[512], name[32];
  wl_model *m = open_model("kws");
  size_t in_b = wl_tensor_bytes(&wl_model_info(m)->input);
  assert_int_equal(wl_dataset_write_tiny(f->dir, m, 8, KWS_CLASSES, NULL, err, sizeof err),
                   WL_OK);
  wl_dataset *ds = open_ok(f->dir, in_b);
  check_generated(ds, m, 8, false);
  assert_int_equal(wl_dataset_files(ds), 8);
  assert_int_equal(wl_dataset_classes(ds), KWS_CLASSES);
  for (size_t i = 0; i < 8; i++) {
    snprintf(name, sizeof name, "kws_%06zu.bin", i);
    assert_string_equal(wl_dataset_name(ds, i), name);
    assert_int_equal(wl_dataset_file_of(ds, i), i);
  }
  assert_null(wl_dataset_name(ds, 8));
  assert_false(wl_dataset_label(ds, 8, NULL));
  wl_dataset_close(ds);
  wl_close(m);
}

/* The reference model scores 100 % top-1 on its own labels. */
static void test_reference_top1_is_100(void **state)
{
  fixture *f = *state;
  char err[512];
  wl_model *m = open_model("kws");
  const wl_info *info = wl_model_info(m);
  assert_int_equal(wl_dataset_write_tiny(f->dir, m, 16, KWS_CLASSES, NULL, err, sizeof err),
                   WL_OK);
  wl_dataset *ds = open_ok(f->dir, wl_tensor_bytes(&info->input));
  float in[490], out[16][KWS_CLASSES];
  const float *outs[16];
  int labels[16];
  void *scratch = malloc(wl_scratch_bytes(m) + 1);
  wl_scratch_init(m, scratch, 0);
  for (size_t i = 0; i < 16; i++) {
    load_ok(ds, i, in);
    wl_infer(m, in, out[i], scratch);
    outs[i] = out[i];
    assert_true(wl_dataset_label(ds, i, &labels[i]));
  }
  size_t correct = 0;
  assert_true(wl_top1_accuracy(outs, labels, 16, KWS_CLASSES, &correct) == 1.0);
  assert_int_equal(correct, 16);
  free(scratch);
  wl_dataset_close(ds);
  wl_close(m);
}

/* Bytes of every file in dir. */
static size_t folder_bytes(const char *dir)
{
  char path[512];
  FILE *fp = fopen(path_of(path, sizeof path, dir, "y_labels.csv"), "r");
  size_t total = 0;
  char line[256];
  struct stat st;
  assert_non_null(fp);
  assert_int_equal(stat(path, &st), 0);
  total += (size_t)st.st_size;
  while (fgets(line, sizeof line, fp)) {
    line[strcspn(line, ",")] = '\0';
    assert_int_equal(stat(path_of(path, sizeof path, dir, line), &st), 0);
    total += (size_t)st.st_size;
  }
  fclose(fp);
  return total;
}

static void test_shipped_kws_tiny(void **state)
{
  char err[512];
  wl_model *m = open_model("kws");
  const wl_info *info = wl_model_info(m);
  if (getenv("MLSB_WRITE_DATASETS"))
    assert_int_equal(wl_dataset_write_tiny(SHIPPED_KWS, m, SHIPPED_KWS_COUNT, KWS_CLASSES,
                                           NULL, err, sizeof err),
                     WL_OK);
  wl_dataset *ds = NULL;
  if (wl_dataset_open(&ds, SHIPPED_KWS, wl_tensor_bytes(&info->input), err, sizeof err))
    fail_msg("%s (run from the repository root)", err);
  print_message("shipped %s: if this fails after a change to the kws weights or samples, "
                "regenerate it: MLSB_WRITE_DATASETS=1 %s\n", SHIPPED_KWS,
                "build/tests/workloads/test_dataset");
  int distinct = check_generated(ds, m, SHIPPED_KWS_COUNT, false);
  assert_true(distinct >= 3); /* labels spread over the classes */
  assert_true(folder_bytes(SHIPPED_KWS) < SHIPPED_MAX_BYTES);
  wl_dataset_close(ds);
  wl_close(m);
}

/* ---- a fake autoencoder: output = input / 2 ------------------------------------------ */

#define FAKE_ELEMS 16

static void fake_close(wl_model *m) {}
static size_t fake_scratch_bytes(const wl_model *m) { return 0; }
static void fake_scratch_init(const wl_model *m, void *scratch, unsigned worker) {}

static void fake_make_sample(const wl_model *m, uint64_t index, void *input)
{
  float *x = input;
  for (int k = 0; k < FAKE_ELEMS; k++)
    x[k] = sinf((float)(index * 7 + (uint64_t)k)) * (1.0f + (float)(index % 3));
}

static void fake_infer(const wl_model *m, const void *input, void *output, void *scratch)
{
  const float *x = input;
  float *y = output;
  for (int k = 0; k < FAKE_ELEMS; k++)
    y[k] = x[k] * 0.5f;
}

static const wl_ops fake_ops = {NULL, fake_close, fake_scratch_bytes, fake_scratch_init,
                                fake_make_sample, fake_infer, NULL, NULL}; /* no batch path */

static wl_model fake_autoencoder(void)
{
  wl_model m = {.ops = &fake_ops};
  m.info.name = "fake";
  m.info.input = (wl_tensor){WL_F32, 1, {FAKE_ELEMS, 0, 0, 0}};
  m.info.output = m.info.input;
  m.info.reconstruction = true;
  return m;
}

/* AUC of the reconstruction MSE over the files of ds, as the AD runner scores. */
static double reconstruction_auc(const wl_dataset *ds, const wl_model *m)
{
  const wl_info *info = wl_model_info(m);
  size_t n = wl_dataset_count(ds), files = wl_dataset_files(ds);
  size_t elems = wl_tensor_elems(&info->input);
  float *in = malloc(elems * sizeof *in), *out = malloc(elems * sizeof *out);
  double *scores = malloc(n * sizeof *scores), *file_scores = malloc(files * sizeof(double));
  int *labels = malloc(files * sizeof *labels);
  void *scratch = malloc(wl_scratch_bytes(m) + 1);
  double auc = -1.0;
  wl_scratch_init(m, scratch, 0);
  for (size_t i = 0; i < n; i++) {
    load_ok(ds, i, in);
    wl_infer(m, in, out, scratch);
    scores[i] = wl_anomaly_score(m, in, out);
  }
  assert_int_equal(wl_dataset_file_scores(ds, scores, file_scores, labels), WL_OK);
  assert_int_equal(wl_roc_auc(file_scores, labels, files, &auc), WL_OK);
  free(in), free(out), free(scores), free(file_scores), free(labels), free(scratch);
  return auc;
}

static void test_autoencoder_generator(void **state)
{
  fixture *f = *state;
  char err[512], path[512], line[128];
  wl_model m = fake_autoencoder();
  assert_int_equal(wl_dataset_write_tiny(f->dir, &m, 10, 2, NULL, err, sizeof err), WL_OK);
  FILE *fp = fopen(path_of(path, sizeof path, f->dir, "y_labels.csv"), "r");
  assert_non_null(fp);
  assert_non_null(fgets(line, sizeof line, fp));
  assert_string_equal(line, "fake_000000.bin,2,0,64,64\n");
  fclose(fp);
  wl_dataset *ds = open_ok(f->dir, FAKE_ELEMS * sizeof(float));
  check_generated(ds, &m, 10, true);
  assert_true(reconstruction_auc(ds, &m) == 1.0);
  wl_dataset_close(ds);
}

/* The real ad workload, once it is registered: its own MSE separates the halves. */
static void test_ad_workload_auc(void **state)
{
  fixture *f = *state;
  char err[512];
  wl_model *m = NULL;
  if (wl_open(&m, "ad", NULL, err, sizeof err) != WL_OK) {
    print_message("SKIP: no 'ad' workload in this build: %s\n", err);
    skip();
  }
  assert_int_equal(wl_dataset_write_tiny(f->dir, m, 32, 2, NULL, err, sizeof err), WL_OK);
  wl_dataset *ds = open_ok(f->dir, wl_tensor_bytes(&wl_model_info(m)->input));
  check_generated(ds, m, 32, true);
  double auc = reconstruction_auc(ds, m);
  print_message("ad: AUC of the reference model's reconstruction MSE = %.4f\n", auc);
  assert_true(auc > 0.5);
  wl_dataset_close(ds);
  wl_close(m);
}

static void expect_write_error(const char *dir, const wl_model *m, int classes,
                               const int *labels, int status, const char *template)
{
  char err[512], want[512];
  expand(want, sizeof want, template, dir);
  int rc = wl_dataset_write_tiny(dir, m, 4, classes, labels, err, sizeof err);
  if (rc != status || strcmp(err, want) != 0)
    fail_msg("write: got %d '%s'\nwant %d '%s'", rc, err, status, want);
}

static void test_generator_labels_and_errors(void **state)
{
  fixture *f = *state;
  char err[512], path[512];
  wl_model *null = open_model("null"), fake = fake_autoencoder();
  const int labels[4] = {1, 0, 2, 1}, bad[4] = {0, 0, 3, 0};
  expect_write_error(f->dir, null, 3, NULL, WL_EINVAL,
                     "{D}: workload 'null' is neither a classifier nor an autoencoder: "
                     "pass labels");
  expect_write_error(f->dir, null, 3, bad, WL_EINVAL, "{D}: label 3 of sample 2 is not in [0, 3)");
  expect_write_error(f->dir, &fake, 3, NULL, WL_EINVAL,
                     "{D}: workload 'fake' is an autoencoder: classes must be 2 (normal, "
                     "anomaly), not 3");
  put_entry(f->dir, "file", 1);
  expect_write_error(path_of(path, sizeof path, f->dir, "file"), null, 3, labels,
                     WL_DATASET_EIO, "{D}: cannot create the folder: a file of that name exists");
  /* A failed write leaves no y_labels.csv behind; given labels are written as given. */
  expect_open_error(f->dir, 1, WL_DATASET_EIO,
                    "{D}/y_labels.csv: cannot open: No such file or directory (a dataset "
                    "folder holds y_labels.csv and one .bin file per input)",
                    f->dir);
  assert_int_equal(wl_dataset_write_tiny(f->dir, null, 4, 3, labels, err, sizeof err), WL_OK);
  wl_dataset *ds = open_ok(f->dir, 1);
  for (size_t i = 0; i < 4; i++) {
    int label = -1;
    unsigned char byte = 0xAA;
    assert_true(wl_dataset_label(ds, i, &label));
    assert_int_equal(label, labels[i]);
    load_ok(ds, i, &byte);
    assert_int_equal(byte, i); /* null's sample i is the byte i */
  }
  wl_dataset_close(ds);
  wl_close(null);
}

/* ---- reading folders ------------------------------------------------------------------ */

/* AD rows: windows of 8 bytes every 4; a short tail is ignored. */
static void test_windows(void **state)
{
  fixture *f = *state;
  unsigned char got[8];
  put_text(f->dir, "y_labels.csv", "rec.bin,2,1,8,4\none.bin,2,0,8,8\n");
  put_entry(f->dir, "rec.bin", 18); /* windows at 0, 4, 8; 12..19 does not fit */
  put_entry(f->dir, "one.bin", 8);
  wl_dataset *ds = open_ok(f->dir, 8);
  assert_int_equal(wl_dataset_count(ds), 4);
  assert_int_equal(wl_dataset_files(ds), 2);
  assert_int_equal(wl_dataset_classes(ds), 2);
  for (size_t i = 0; i < 3; i++) {
    load_ok(ds, i, got);
    for (size_t k = 0; k < 8; k++)
      assert_int_equal(got[k], 4 * i + k);
    assert_int_equal(wl_dataset_file_of(ds, i), 0);
    assert_string_equal(wl_dataset_name(ds, i), "rec.bin");
  }
  assert_int_equal(wl_dataset_file_of(ds, 3), 1);
  int label = -1;
  assert_true(wl_dataset_label(ds, 2, &label));
  assert_int_equal(label, 1);
  assert_true(wl_dataset_label(ds, 3, &label));
  assert_int_equal(label, 0);
  const double scores[4] = {1.0, 2.0, 6.0, 10.0};
  double file_scores[2];
  int file_labels[2];
  assert_int_equal(wl_dataset_file_scores(ds, scores, file_scores, file_labels), WL_OK);
  assert_true(file_scores[0] == 3.0 && file_scores[1] == 10.0);
  assert_int_equal(file_labels[0], 1);
  assert_int_equal(file_labels[1], 0);
  wl_dataset_close(ds);
}

typedef struct folder_case {
  const char *labels;  /* y_labels.csv text; NULL: no file */
  const char *file1;   /* entries to create (put_entry) */
  int size1;
  const char *file2;
  int size2;
  int status;
  const char *message; /* "{D}" = the folder */
} folder_case;

static const folder_case folder_cases[] = {
    {NULL, NULL, 0, NULL, 0, WL_DATASET_EIO,
     "{D}/y_labels.csv: cannot open: No such file or directory (a dataset folder holds "
     "y_labels.csv and one .bin file per input)"},
    {NULL, "y_labels.csv", -1, NULL, 0, WL_DATASET_EIO,
     "{D}/y_labels.csv: cannot read: Is a directory"},
    {"", NULL, 0, NULL, 0, WL_DATASET_EEMPTY, "{D}/y_labels.csv: no samples: the file has no rows"},
    {"\n\n", NULL, 0, NULL, 0, WL_DATASET_EEMPTY,
     "{D}/y_labels.csv: no samples: the file has no rows"},
    {"a.bin,12\n", NULL, 0, NULL, 0, WL_DATASET_EFORMAT,
     "{D}/y_labels.csv:1: expected 3 fields (file,n_classes,label) or 5 "
     "(file,n_classes,label,window_bytes,stride_bytes), found 2"},
    {"a.bin,12,1\nb.bin,12,1,8\n", NULL, 0, NULL, 0, WL_DATASET_EFORMAT,
     "{D}/y_labels.csv:2: expected 3 fields (file,n_classes,label) or 5 "
     "(file,n_classes,label,window_bytes,stride_bytes), found 4"},
    {"a.bin,12,1\nb.bin,12,x\n", NULL, 0, NULL, 0, WL_DATASET_EFORMAT,
     "{D}/y_labels.csv:2: column 3 (label): 'x' is not an integer"},
    {"a.bin,12,1.5\n", NULL, 0, NULL, 0, WL_DATASET_EFORMAT,
     "{D}/y_labels.csv:1: column 3 (label): '1.5' is not an integer"},
    {"a.bin,12,-1\n", NULL, 0, NULL, 0, WL_DATASET_EFORMAT,
     "{D}/y_labels.csv:1: column 3 (label): -1 is negative"},
    {"a.bin,12,12\n", NULL, 0, NULL, 0, WL_DATASET_EFORMAT,
     "{D}/y_labels.csv:1: column 3 (label): 12 is not below n_classes 12"},
    {"a.bin,0,0\n", NULL, 0, NULL, 0, WL_DATASET_EFORMAT,
     "{D}/y_labels.csv:1: column 2 (n_classes): 0 is below 1"},
    {"a.bin,twelve,0\n", NULL, 0, NULL, 0, WL_DATASET_EFORMAT,
     "{D}/y_labels.csv:1: column 2 (n_classes): 'twelve' is not an integer"},
    {"a.bin,12,0\n\nb.bin,10,0\n", NULL, 0, NULL, 0, WL_DATASET_EFORMAT,
     "{D}/y_labels.csv:3: column 2 (n_classes): 10 differs from 12 on line 1"},
    {"../a.bin,12,0\n", NULL, 0, NULL, 0, WL_DATASET_EFORMAT,
     "{D}/y_labels.csv:1: column 1 (file): '../a.bin' must name a file in the dataset "
     "folder (no '/')"},
    {",12,0\n", NULL, 0, NULL, 0, WL_DATASET_EFORMAT,
     "{D}/y_labels.csv:1: column 1 (file): empty file name"},
    {"\"a.bin,12,0\n", NULL, 0, NULL, 0, WL_DATASET_EFORMAT,
     "{D}/y_labels.csv:1: error parsing data while strict checking enabled"},
    {"a.bin,2,0,16,4\n", NULL, 0, NULL, 0, WL_DATASET_ESIZE,
     "{D}/y_labels.csv:1: column 4 (window_bytes): a window of 16 bytes, the workload's "
     "input is 8 bytes"},
    {"a.bin,2,0,8,0\n", NULL, 0, NULL, 0, WL_DATASET_EFORMAT,
     "{D}/y_labels.csv:1: column 5 (stride_bytes): 0 is below 1"},
    {"a.bin,12,0\nb.bin,12,3\n", "a.bin", 8, NULL, 0, WL_DATASET_EIO,
     "{D}/y_labels.csv:2: {D}/b.bin: cannot open: No such file or directory"},
    {"a.bin,12,0\n", "a.bin", -2, NULL, 0, WL_DATASET_EIO,
     "{D}/y_labels.csv:1: {D}/a.bin: cannot open: Too many levels of symbolic links"},
    {"a.bin,12,0\n", "a.bin", -1, NULL, 0, WL_DATASET_EIO,
     "{D}/y_labels.csv:1: {D}/a.bin: not a regular file"},
    {"a.bin,12,0\nb.bin,12,0\n", "a.bin", 8, "b.bin", 7, WL_DATASET_ESIZE,
     "{D}/y_labels.csv:2: {D}/b.bin: 7 bytes, the workload's input is 8 bytes"},
    {"a.bin,2,1,8,4\n", "a.bin", 4, NULL, 0, WL_DATASET_ESIZE,
     "{D}/y_labels.csv:1: {D}/a.bin: 4 bytes, less than one window of 8 bytes (the "
     "workload's input)"},
};

static void test_folder_errors(void **state)
{
  fixture *f = *state;
  char dir[256];
  for (size_t i = 0; i < sizeof folder_cases / sizeof folder_cases[0]; i++) {
    const folder_case *c = &folder_cases[i];
    snprintf(dir, sizeof dir, "%s/case%zu", f->dir, i);
    assert_int_equal(mkdir(dir, 0777), 0);
    if (c->labels)
      put_text(dir, "y_labels.csv", c->labels);
    if (c->file1)
      put_entry(dir, c->file1, c->size1);
    if (c->file2)
      put_entry(dir, c->file2, c->size2);
    expect_open_error(dir, 8, c->status, c->message, dir);
  }
}

static void test_long_field(void **state)
{
  fixture *f = *state;
  char text[400];
  memset(text, 'a', 300);
  snprintf(text + 300, sizeof text - 300, ",12,0\n");
  put_text(f->dir, "y_labels.csv", text);
  expect_open_error(f->dir, 8, WL_DATASET_EFORMAT,
                    "{D}/y_labels.csv:1: column 1: longer than 255 characters", f->dir);
}

static void test_missing_path(void **state)
{
  fixture *f = *state;
  char path[512];
  path_of(path, sizeof path, f->dir, "nowhere");
  expect_open_error(path, 8, WL_DATASET_EIO, "{D}/nowhere: cannot open: No such file or directory",
                    f->dir);
  wl_dataset *ds = NULL;
  assert_int_equal(wl_dataset_open(&ds, f->dir, 0, NULL, 0), WL_EINVAL);
  assert_int_equal(wl_dataset_open(NULL, f->dir, 8, NULL, 0), WL_EINVAL);
  wl_dataset_close(NULL);
}

/* Files that change after open: load reports them. */
static void test_load_errors(void **state)
{
  fixture *f = *state;
  char err[512], want[512], path[512];
  unsigned char buf[8];
  put_text(f->dir, "y_labels.csv", "a.bin,12,0\nb.bin,12,1\n");
  put_entry(f->dir, "a.bin", 8);
  put_entry(f->dir, "b.bin", 8);
  wl_dataset *ds = open_ok(f->dir, 8);
  assert_int_equal(wl_dataset_load(ds, 2, buf, err, sizeof err), WL_EINVAL);
  assert_string_equal(err, "sample 2 is out of range (the dataset has 2)");
  assert_int_equal(remove(path_of(path, sizeof path, f->dir, "a.bin")), 0);
  assert_int_equal(wl_dataset_load(ds, 0, buf, err, sizeof err), WL_DATASET_EIO);
  expand(want, sizeof want, "{D}/a.bin: cannot open: No such file or directory", f->dir);
  assert_string_equal(err, want);
  put_entry(f->dir, "b.bin", 4);
  assert_int_equal(wl_dataset_load(ds, 1, buf, err, sizeof err), WL_DATASET_EIO);
  expand(want, sizeof want,
         "{D}/b.bin: ended after 4 of 8 bytes at offset 0 (changed since the dataset was "
         "opened?)",
         f->dir);
  assert_string_equal(err, want);
  wl_dataset_close(ds);
}

/* ---- reading CSV files ------------------------------------------------------------------ */

static void test_csv_values(void **state)
{
  fixture *f = *state;
  char path[512];
  float got[2];
  int label = 99;
  put_text(f->dir, "d.csv", "1,2\n\n3.5, -4e-1\n");
  wl_dataset *ds = open_ok(path_of(path, sizeof path, f->dir, "d.csv"), 8);
  assert_int_equal(wl_dataset_count(ds), 2);
  assert_int_equal(wl_dataset_classes(ds), 0);
  load_ok(ds, 1, got);
  assert_true(got[0] == 3.5f && got[1] == -0.4f);
  load_ok(ds, 0, got);
  assert_true(got[0] == 1.0f && got[1] == 2.0f);
  assert_false(wl_dataset_label(ds, 0, &label));
  assert_int_equal(label, 99);
  assert_string_equal(wl_dataset_name(ds, 0), "row 1");
  assert_string_equal(wl_dataset_name(ds, 1), "row 3");
  wl_dataset_close(ds);
}

static void test_csv_labels(void **state)
{
  fixture *f = *state;
  char path[512];
  float got[2];
  int label = -1;
  put_text(f->dir, "d.csv", "1,2,0\r\n3,4,7\r\n");
  wl_dataset *ds = open_ok(path_of(path, sizeof path, f->dir, "d.csv"), 8);
  assert_int_equal(wl_dataset_count(ds), 2);
  assert_int_equal(wl_dataset_files(ds), 2);
  load_ok(ds, 1, got);
  assert_true(got[0] == 3.0f && got[1] == 4.0f);
  assert_true(wl_dataset_label(ds, 0, &label));
  assert_int_equal(label, 0);
  assert_true(wl_dataset_label(ds, 1, &label));
  assert_int_equal(label, 7);
  wl_dataset_close(ds);
}

typedef struct csv_case {
  const char *text;
  size_t in_bytes;
  int status;
  const char *message; /* "{D}" = the file */
} csv_case;

static const csv_case csv_cases[] = {
    {"", 8, WL_DATASET_EEMPTY, "{D}: no samples: the file has no rows"},
    {"1,2\n", 7, WL_DATASET_ESIZE,
     "{D}: the workload's input is 7 bytes, not a whole number of f32 values (a CSV dataset "
     "holds f32 values)"},
    {"1,2\n1,2,3,4\n", 8, WL_DATASET_EFORMAT,
     "{D}:2: expected 2 values, or 3 with a trailing label, found 4"},
    {"1\n", 8, WL_DATASET_EFORMAT, "{D}:1: expected 2 values, or 3 with a trailing label, found 1"},
    {"1,2,0\n3,4\n", 8, WL_DATASET_EFORMAT,
     "{D}:2: 2 columns (values only), line 1 has 3 (values and a label)"},
    {"1,2\n3,4,1\n", 8, WL_DATASET_EFORMAT,
     "{D}:2: 3 columns (values and a label), line 1 has 2 (values only)"},
    {"1,abc\n", 8, WL_DATASET_EFORMAT, "{D}:1: column 2: 'abc' is not a finite number"},
    {"1,2\n1e999,2\n", 8, WL_DATASET_EFORMAT, "{D}:2: column 1: '1e999' is not a finite number"},
    {"1,,0\n", 8, WL_DATASET_EFORMAT, "{D}:1: column 2: '' is not a finite number"},
    {"1,2,x\n", 8, WL_DATASET_EFORMAT, "{D}:1: column 3 (label): 'x' is not an integer"},
    {"1,2,-2\n", 8, WL_DATASET_EFORMAT, "{D}:1: column 3 (label): -2 is negative"},
    {"1,2\n\"3,4\n", 8, WL_DATASET_EFORMAT,
     "{D}:2: error parsing data while strict checking enabled"},
};

static void test_csv_errors(void **state)
{
  fixture *f = *state;
  char name[32], path[512];
  for (size_t i = 0; i < sizeof csv_cases / sizeof csv_cases[0]; i++) {
    snprintf(name, sizeof name, "case%zu.csv", i);
    put_text(f->dir, name, csv_cases[i].text);
    path_of(path, sizeof path, f->dir, name);
    expect_open_error(path, csv_cases[i].in_bytes, csv_cases[i].status, csv_cases[i].message,
                      path);
  }
}

/* ---- accuracy math ---------------------------------------------------------------------- */

static double auc_of(const double *scores, const int *labels, size_t n)
{
  double auc = -1.0;
  assert_int_equal(wl_roc_auc(scores, labels, n, &auc), WL_OK);
  return auc;
}

static void test_auc(void **state)
{
  const int labels[4] = {0, 0, 1, 1};
  const double perfect[4] = {0.1, 0.2, 0.3, 0.4}, reversed[4] = {0.4, 0.3, 0.2, 0.1};
  const double ties[4] = {1.0, 1.0, 1.0, 1.0};
  const double hand[4] = {0.1, 0.4, 0.35, 0.8};    /* pairs: 0.35>0.1, 0.35<0.4, 0.8>both */
  const double hand_ties[4] = {1.0, 2.0, 2.0, 3.0}; /* 2>1, 2=2 (1/2), 3>both */
  assert_true(auc_of(perfect, labels, 4) == 1.0);
  assert_true(auc_of(reversed, labels, 4) == 0.0);
  assert_true(auc_of(ties, labels, 4) == 0.5);
  assert_true(auc_of(hand, labels, 4) == 0.75);
  assert_true(auc_of(hand_ties, labels, 4) == 0.875);
  const int unsorted[5] = {1, 0, 1, 0, 0};
  const double s5[5] = {0.9, 0.1, 0.5, 0.5, 0.7}; /* 0.9: 3 wins; 0.5: 1 win + 1 tie */
  assert_true(fabs(auc_of(s5, unsorted, 5) - 4.5 / 6.0) < 1e-15);
  double auc;
  const int no_pos[2] = {0, 0}, bad[2] = {0, 2};
  const double nan_score[4] = {0.1, NAN, 0.3, 0.4};
  assert_int_equal(wl_roc_auc(perfect, no_pos, 2, &auc), WL_EINVAL);
  assert_int_equal(wl_roc_auc(perfect, bad, 2, &auc), WL_EINVAL);
  assert_int_equal(wl_roc_auc(nan_score, labels, 4, &auc), WL_EINVAL);
  assert_int_equal(wl_roc_auc(NULL, labels, 4, &auc), WL_EINVAL);
}

static void test_top1_and_argmax(void **state)
{
  const float a[3] = {0.1f, 0.9f, 0.2f}, tie[3] = {0.5f, 0.5f, 0.1f};
  const float nan_first[3] = {NAN, 0.1f, 0.3f};
  const float *outputs[5] = {a, tie, nan_first, NULL, a};
  const int labels[5] = {1, 0, 2, 0, -1}; /* right, right (first on ties), right, missing,
                                             unlabelled */
  size_t correct = 0;
  assert_int_equal(wl_argmax(a, 3), 1);
  assert_int_equal(wl_argmax(tie, 3), 0);
  assert_int_equal(wl_argmax(nan_first, 3), 2);
  assert_true(wl_top1_accuracy(outputs, labels, 5, 3, &correct) == 3.0 / 5.0);
  assert_int_equal(correct, 3);
  assert_true(isnan(wl_top1_accuracy(outputs, labels, 0, 3, NULL)));
}

static void test_strerror(void **state)
{
  assert_string_equal(wl_dataset_strerror(WL_DATASET_ESIZE),
                      "dataset input size differs from the workload's input");
  assert_string_equal(wl_dataset_strerror(WL_ENOMEM), wl_strerror(WL_ENOMEM));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_round_trip_kws, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reference_top1_is_100, setup, teardown),
      cmocka_unit_test(test_shipped_kws_tiny),
      cmocka_unit_test_setup_teardown(test_autoencoder_generator, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ad_workload_auc, setup, teardown),
      cmocka_unit_test_setup_teardown(test_generator_labels_and_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_windows, setup, teardown),
      cmocka_unit_test_setup_teardown(test_folder_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_long_field, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missing_path, setup, teardown),
      cmocka_unit_test_setup_teardown(test_load_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_csv_values, setup, teardown),
      cmocka_unit_test_setup_teardown(test_csv_labels, setup, teardown),
      cmocka_unit_test_setup_teardown(test_csv_errors, setup, teardown),
      cmocka_unit_test(test_auc),
      cmocka_unit_test(test_top1_and_argmax),
      cmocka_unit_test(test_strerror),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
