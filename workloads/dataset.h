/*
 * workloads/dataset.h - input datasets read from disk (prefix wl_dataset_), the
 * accuracy math against their labels (wl_argmax, wl_top1_accuracy, wl_roc_auc; the
 * anomaly score itself is wl_anomaly_score in workload.h), and a generator that
 * writes an MLPerf Tiny dataset folder from a workload's own deterministic samples.
 *
 * Two on-disk forms, told apart by what the path is:
 *
 * (a) A folder in the MLPerf Tiny format (mlcommons/tiny benchmark/evaluation/datasets):
 *     one .bin file per input and y_labels.csv, no header, one row per file:
 *         file,n_classes,label                          (kws, ic, vww)
 *         file,n_classes,label,window_bytes,stride_bytes (ad: file,2,label,2560,512)
 *     file names a file in the same folder (no '/'); n_classes >= 1 and the same on
 *     every row; 0 <= label < n_classes. A 3-field row's .bin holds exactly one input:
 *     its size must equal the workload's input bytes. A 5-field row (anomaly detection)
 *     names a longer recording that is cut into windows: window_bytes is the size of
 *     one window (it must equal the workload's input bytes), stride_bytes (>= 1) the
 *     step from one window to the next; the windows start at 0, stride, 2 * stride, ...
 *     for as long as a whole window fits (a shorter tail is ignored, as the reference
 *     runner does), so the file must hold at least one window. Every window is one
 *     sample with its file's label; the reference runner scores a file by the mean of
 *     its windows' outputs (wl_dataset_file_scores). Rows of either kind may mix.
 *     The bytes are the raw input tensor as the workload defines it and are copied
 *     verbatim: for kws, ic, vww and ad that is f32 little-endian, in the workload's
 *     element order (NHWC). (The MLPerf Tiny reference files hold int8 / uint8 for kws,
 *     ic and vww; those are rejected by the byte-count check, not converted.)
 *
 * (b) Any other path is read as a CSV file: one sample per row, each row the input's
 *     input_bytes / 4 f32 values (decimal text, finite), optionally followed by one
 *     label column (an integer >= 0). Which form is decided by the first row's column
 *     count (values, or values + 1); every later row must have the same count. There is
 *     no header row and no n_classes (wl_dataset_classes() is 0).
 *
 * Reading: y_labels.csv and CSV files are parsed with libcsv at open time; every .bin
 * is checked at open time too (exists, readable, regular file, size), so every error
 * is reported before a run starts, as "path:line: what" (and the column where it
 * helps). The .bin contents are read lazily, by wl_dataset_load (the harness loads the
 * performance set outside the timed region); CSV values are held in memory.
 *
 * Labels in a generated folder (wl_dataset_write_tiny): no trained weights exist, so
 * a classifier's labels are the fp32 reference model's own predictions (its argmax):
 * a SUT that computes the model correctly scores 100 % top-1, and the figure measures
 * agreement with the reference, not real-world accuracy. Shipped: workloads/datasets/
 * kws-tiny (kws samples 0..63, 128 kB), written by it; tests/workloads/test_dataset
 * checks it against the current model and rewrites it with MLSB_WRITE_DATASETS=1.
 *
 * Thread-safety: a wl_dataset is immutable after wl_dataset_open(); wl_dataset_load,
 * _label, _name and the other getters may run on many threads at once. The math
 * functions keep no state. Ownership: wl_dataset_open() hands out a dataset the caller
 * frees with wl_dataset_close(); strings it returns live as long as the dataset.
 */
#ifndef WL_DATASET_H
#define WL_DATASET_H

#include <stdbool.h>
#include <stddef.h>

#include "workloads/workload.h"

/* Status codes of this module, beside wl_status (WL_OK, WL_EINVAL, WL_ENOMEM). */
#define WL_DATASET_STATUS_MAP(X)                                                   \
  X(DATASET_EIO, -10, "dataset file cannot be opened, read or written")            \
  X(DATASET_EFORMAT, -11, "malformed dataset file")                                \
  X(DATASET_ESIZE, -12, "dataset input size differs from the workload's input")   \
  X(DATASET_EEMPTY, -13, "dataset has no samples")

typedef enum {
#define WL_DATASET_STATUS_ENUM_(name, value, text) WL_##name = (value),
  WL_DATASET_STATUS_MAP(WL_DATASET_STATUS_ENUM_)
#undef WL_DATASET_STATUS_ENUM_
} wl_dataset_status;

/* Text of a status of this module, or wl_strerror(status) for the others. */
const char *wl_dataset_strerror(int status);

typedef struct wl_dataset wl_dataset;

/*
 * Open the dataset at path (a folder, form (a), or a CSV file, form (b)) for a workload
 * whose input tensor is input_bytes bytes (wl_tensor_bytes of its info->input).
 * Returns WL_OK and the dataset in *out, or (with *out = NULL and "path:line: what" in
 * err, which may be NULL):
 *   WL_EINVAL            path or out NULL, input_bytes 0
 *   WL_DATASET_EIO       path, y_labels.csv or a .bin missing or unreadable (errno text)
 *   WL_DATASET_EFORMAT   a malformed row: column count, file name, non-integer or
 *                        out-of-range n_classes / label / window / stride, a value that
 *                        is not a finite number, a libcsv parse error
 *   WL_DATASET_ESIZE     a .bin or window of another size than input_bytes, or (CSV)
 *                        input_bytes not a multiple of 4
 *   WL_DATASET_EEMPTY    no rows
 *   WL_ENOMEM
 */
int wl_dataset_open(wl_dataset **out, const char *path, size_t input_bytes, char *err,
                    size_t errlen);

/* Free the dataset; accepts NULL. */
void wl_dataset_close(wl_dataset *ds);

/* Number of samples: rows of a CSV file, .bin files of a folder, where a windowed
 * (5-field) row counts one sample per window. Always >= 1. */
size_t wl_dataset_count(const wl_dataset *ds);

/*
 * Copy sample `index`'s input_bytes bytes into input. Returns WL_OK; WL_EINVAL when
 * index >= count; WL_DATASET_EIO with "path: what" in err (may be NULL) when the .bin
 * can no longer be read whole (it changed after wl_dataset_open). A folder's sample
 * is read from disk on each call (one open, one pread, one close).
 */
int wl_dataset_load(const wl_dataset *ds, size_t index, void *input, char *err,
                    size_t errlen);

/* The label of sample `index` in *label; false (and *label untouched) when the sample
 * has none (a CSV file without a label column) or index >= count. */
bool wl_dataset_label(const wl_dataset *ds, size_t index, int *label);

/* The sample's name: its .bin file name (shared by the windows of one file), or
 * "row N" for a CSV file, N the line number (1-based). NULL when index >= count. */
const char *wl_dataset_name(const wl_dataset *ds, size_t index);

/* n_classes of y_labels.csv (the same on every row); 0 for a CSV file. */
int wl_dataset_classes(const wl_dataset *ds);

/* Number of files (rows of y_labels.csv or of the CSV file): equal to count unless
 * windowed rows give several samples per file. */
size_t wl_dataset_files(const wl_dataset *ds);

/* The file (row, 0-based) that sample `index` comes from; index must be < count. */
size_t wl_dataset_file_of(const wl_dataset *ds, size_t index);

/*
 * Per-file scores as the MLPerf Tiny runner makes them for anomaly detection:
 * file_scores[f] = mean of sample_scores[i] over the samples (windows) i of file f,
 * and file_labels[f] = the file's label, or -1 when it has none. sample_scores has
 * wl_dataset_count() entries; file_scores and file_labels (may be NULL) have
 * wl_dataset_files(). Returns WL_OK or WL_EINVAL (a NULL argument).
 */
int wl_dataset_file_scores(const wl_dataset *ds, const double *sample_scores,
                           double *file_scores, int *file_labels);

/* ---- accuracy math --------------------------------------------------------------- */

/* Index of the largest of n floats (n >= 1): the first one on ties; NaN never wins. */
size_t wl_argmax(const float *v, size_t n);

/*
 * Top-1 accuracy: outputs[i] points to sample i's `classes` f32 outputs, or is NULL
 * when the SUT returned none; labels[i] is its label, negative when it has none. A
 * sample is correct when its output is present, its label >= 0 and wl_argmax of the
 * output equals the label. Returns correct / n (NaN when n = 0) and the count in
 * *correct (may be NULL).
 */
double wl_top1_accuracy(const float *const *outputs, const int *labels, size_t n,
                        size_t classes, size_t *correct);

/*
 * ROC AUC of n scores (for ad: wl_anomaly_score, per file via wl_dataset_file_scores)
 * against labels (1 = positive / anomaly, 0 = negative / normal),
 * higher score = more likely positive, by the rank-sum (Mann-Whitney U) formula:
 * sort by score, give tied scores the mean of their ranks (1-based), R1 = sum of the
 * positives' ranks, AUC = (R1 - n1 (n1 + 1) / 2) / (n1 n0). So a positive ranked above
 * a negative counts 1, a tie 1/2. Returns WL_OK and *auc in [0, 1]; WL_EINVAL when an
 * argument is NULL, a label is not 0 or 1, a score is NaN, or either class is absent
 * (AUC undefined); WL_ENOMEM (it allocates n pairs for the sort).
 */
int wl_roc_auc(const double *scores, const int *labels, size_t n, double *auc);

/* ---- generator ------------------------------------------------------------------- */

/* The perturbation that makes an anomaly: every input value multiplied by this gain
 * (about +12 dB). A ReLU network with small biases is close to positively homogeneous,
 * so an autoencoder's reconstruction error grows about with the square of the gain and
 * the reference model's score (wl_anomaly_score) separates the two halves: the tests
 * require AUC > 0.5; the ad workload gives 1.0 on 32 generated samples. */
#define WL_DATASET_ANOMALY_GAIN 4.0f

/*
 * Write an MLPerf Tiny dataset folder (form (a)) at dir from samples 0..count-1 of
 * workload m (wl_make_sample): files "<workload>_<index, 6 digits>.bin" and
 * y_labels.csv, written last (through y_labels.csv.tmp and a rename) so a folder
 * whose writing failed does not open. dir is created if missing (not its parents);
 * existing files of the same names are replaced.
 *
 * What kind of model decides the rows and the default labels (labels == NULL):
 *   autoencoder  (info->reconstruction, e.g. ad; f32 input and output):
 *                classes must be 2; rows "file,2,label,W,W" with W = the input bytes
 *                (one window per file); label 0 (normal) for index < count / 2 and 1
 *                (anomaly) for the rest; an anomaly's input is the sample times
 *                WL_DATASET_ANOMALY_GAIN.
 *   classifier   (otherwise, an f32 vector of class scores, rank 1 with more than one
 *                element: kws, ic, vww):
 *                rows "file,classes,label"; label = wl_argmax of the fp32 reference
 *                output (wl_infer), which must be < classes.
 *   other        (null, delay; gemm, whose output is no class score): labels must be
 *                given.
 * labels (may be NULL) gives count labels in [0, classes) instead; an autoencoder
 * still perturbs the samples labelled 1.
 * Returns WL_OK; WL_EINVAL (bad argument, a label out of range, labels missing for a
 * model that is neither kind) or WL_DATASET_EIO with "path: what" in err; WL_ENOMEM.
 * Runs the reference model on one thread; not for a timed path.
 */
int wl_dataset_write_tiny(const char *dir, const wl_model *m, size_t count, int classes,
                          const int *labels, char *err, size_t errlen);

#endif /* WL_DATASET_H */
