/*
 * hardware_profiles/hwp.h - hardware profiles (prefix hwp_): what a device can do at
 * best - peak operations per second by precision, its memory levels with bandwidth and
 * capacity, TDP, clock and cores - every figure with its source. The harness uses a
 * profile to place a run on a roofline and to estimate energy as TDP x time.
 *
 * A profile is a JSON file, schema "mlsysbench.hardware_profile" version 1, documented
 * field by field in hardware_profiles/README.md; one file per device ships in this
 * folder and `mlsysbench profile` writes the local machine's.
 *
 * Status codes: 0 is success, every error is negative (HWP_STATUS_MAP). Functions that
 * can fail also write a message naming the file and the field into the caller's
 * (char *err, size_t errlen); err may be NULL.
 *
 * Thread-safety: no function keeps global state. The finders read the environment
 * ($MLSB_PROFILE_DIR, $XDG_CONFIG_HOME, $HOME), which must not change meanwhile. One
 * profile may be read from many threads; changing it needs the caller's lock.
 */
#ifndef HWP_HWP_H
#define HWP_HWP_H

#include <stdbool.h>
#include <stddef.h>

#define HWP_SCHEMA "mlsysbench.hardware_profile"
#define HWP_SCHEMA_VERSION 1
/* The profile hwp_auto() falls back to when no local one was measured. */
#define HWP_DEFAULT_PROFILE "x86-64-server"
/* The file name a local measured profile has in a profile folder or ~/.config/mlsysbench. */
#define HWP_LOCAL_FILE "local.json"

#define HWP_STATUS_MAP(X)                                                      \
  X(OK, 0, "success")                                                          \
  X(EINVAL, -1, "invalid argument")                                            \
  X(ENOMEM, -2, "out of memory")                                               \
  X(EIO, -3, "cannot read or write file")                                      \
  X(EFORMAT, -4, "malformed hardware profile")                                 \
  X(ESCHEMA, -5, "wrong schema or unsupported schema version")                 \
  X(ENOTFOUND, -6, "no such hardware profile")                                 \
  X(EUNAVAILABLE, -7, "the profile does not have this figure")

typedef enum {
#define HWP_STATUS_ENUM_(name, value, text) HWP_##name = (value),
  HWP_STATUS_MAP(HWP_STATUS_ENUM_)
#undef HWP_STATUS_ENUM_
} hwp_status;

/* Message for a status code; never NULL ("unknown status" for foreign codes). */
const char *hwp_strerror(int status);

/* The names these tables give are the ones the JSON file uses. */
#define HWP_KIND_MAP(X) X(CPU, "cpu") X(GPU, "gpu") X(MCU, "mcu")
#define HWP_PRECISION_MAP(X) X(FP32, "fp32") X(FP16, "fp16") X(BF16, "bf16") X(INT8, "int8")
#define HWP_MEM_LEVEL_MAP(X)                                                    \
  X(L1, "L1") X(L2, "L2") X(L3, "L3") X(DRAM, "DRAM") X(HBM, "HBM") X(SRAM, "SRAM")     \
  X(FLASH, "flash")

/* HWP_KIND_CPU, ...; HWP_FP32, ...; HWP_MEM_L1, ..., HWP_MEM_FLASH. */
#define HWP_KIND_ENUM_(name, text) HWP_KIND_##name,
#define HWP_PRECISION_ENUM_(name, text) HWP_##name,
#define HWP_MEM_ENUM_(name, text) HWP_MEM_##name,
typedef enum { HWP_KIND_MAP(HWP_KIND_ENUM_) HWP_KIND_COUNT } hwp_kind;
typedef enum { HWP_PRECISION_MAP(HWP_PRECISION_ENUM_) HWP_PRECISION_COUNT } hwp_precision;
typedef enum { HWP_MEM_LEVEL_MAP(HWP_MEM_ENUM_) HWP_MEM_LEVEL_COUNT } hwp_mem_level;
#undef HWP_KIND_ENUM_
#undef HWP_PRECISION_ENUM_
#undef HWP_MEM_ENUM_

/* Names ("cpu", "fp32", "DRAM"); "?" for a value out of range. */
const char *hwp_kind_name(hwp_kind kind);
const char *hwp_precision_name(hwp_precision precision);
const char *hwp_mem_level_name(hwp_mem_level level);
/* Parse a name (exact spelling as above) into *out. HWP_OK, or HWP_EINVAL when unknown. */
int hwp_kind_parse(const char *name, hwp_kind *out);
int hwp_precision_parse(const char *name, hwp_precision *out);
int hwp_mem_level_parse(const char *name, hwp_mem_level *out);

/* Whether name can name a profile: 1-63 characters of a-z 0-9 . _ -, starting with a
 * letter or digit (so <name>.json is a safe file name). */
bool hwp_name_valid(const char *name);

/* One figure and where it comes from. Absent figures have present == false. */
typedef struct hwp_figure {
  bool present;
  double value;  /* > 0 and finite when present; unit given by the field's name */
  char *source;  /* owned; non-empty when present: a datasheet, "measured by ...",
                    "derived: ..." or "estimate: ..." */
} hwp_figure;

/* One level of the memory hierarchy; at least one of its figures is present. */
typedef struct hwp_memory {
  hwp_mem_level level;
  hwp_figure bandwidth_bytes_per_s; /* sustained or peak bytes per second, all cores */
  hwp_figure capacity_bytes;        /* one instance (L1: per core/SM; L2, L3: one cache;
                                       main memory and flash: total) */
} hwp_memory;

typedef struct hwp_profile {
  char *name;         /* owned; lower-case id, the file name without .json */
  hwp_kind kind;
  char *description;  /* owned */
  hwp_figure peak_flops[HWP_PRECISION_COUNT];          /* whole device, ops/s */
  hwp_figure peak_flops_per_core[HWP_PRECISION_COUNT]; /* one core (optional) */
  hwp_memory memory[HWP_MEM_LEVEL_COUNT];              /* each level at most once */
  size_t n_memory;
  hwp_figure tdp_watts;
  hwp_figure clock_hz;
  hwp_figure cores;   /* CPU/MCU cores, GPU streaming multiprocessors */
  char *path;         /* owned; the file it was loaded from, NULL if built in memory */
} hwp_profile;

/* An empty profile (kind cpu, nothing present). No allocation; never fails. */
void hwp_profile_init(hwp_profile *p);
/* Free what p owns and leave it empty as after hwp_profile_init. p may be NULL. */
void hwp_destroy(hwp_profile *p);

/* Replace an owned string field of a profile (name, description, path) with a copy of
 * text. HWP_OK or HWP_ENOMEM (the field is then unchanged). */
int hwp_set_text(char **field, const char *text);
/* Make a figure present with value and a copy of source. HWP_OK, HWP_ENOMEM. The
 * value is checked by hwp_validate, not here. */
int hwp_set_figure(hwp_figure *f, double value, const char *source);
/* Append an empty level to p->memory; *out points at it (owned by p). HWP_OK, or
 * HWP_EINVAL when the level is already there or out of range. */
int hwp_add_memory(hwp_profile *p, hwp_mem_level level, hwp_memory **out);
/* The entry for a level, or NULL when the profile has none. */
const hwp_memory *hwp_memory_find(const hwp_profile *p, hwp_mem_level level);

/* Check every rule of the format (see README.md). HWP_OK, or HWP_EFORMAT with a
 * message naming the field, e.g. "h100.json: field 'peak_flops.fp16.value': must be a
 * positive number". The message starts with p->path, else the name, else "profile". */
int hwp_validate(const hwp_profile *p, char *err, size_t errlen);

/* Read and validate a profile file into *p (initialised here; on success the caller
 * owns it and calls hwp_destroy; on failure *p is left empty). Returns HWP_OK, HWP_EIO
 * (cannot read), HWP_EFORMAT (JSON syntax with line:column, a missing, unknown or
 * mistyped field, a bad value), HWP_ESCHEMA (schema name or version), HWP_ENOMEM.
 * Every message names the file, and the field where there is one. */
int hwp_load_file(const char *path, hwp_profile *p, char *err, size_t errlen);
/* The same from text in memory; origin names it in messages (e.g. a file name). */
int hwp_load_string(const char *text, const char *origin, hwp_profile *p, char *err,
                    size_t errlen);
/* Validate p and write it as pretty JSON to path (through a temporary file and a
 * rename, so a reader never sees half a file). HWP_OK, HWP_EFORMAT, HWP_EIO, HWP_ENOMEM. */
int hwp_write_file(const hwp_profile *p, const char *path, char *err, size_t errlen);

/* The profile search path, colon-separated, into buf: $MLSB_PROFILE_DIR when set and
 * not empty, else the build's MB_PROFILE_DIRS (the source folder, then
 * PREFIX/share/mlsysbench/hardware_profiles). HWP_OK, or HWP_EINVAL when it does not fit. */
int hwp_search_path(char *buf, size_t len);
/* Load profile `name` (<dir>/<name>.json, the first folder of the search path that has
 * it). A name holding '/' is taken as a file path instead, and "auto" means hwp_auto.
 * HWP_OK, HWP_ENOTFOUND (the message lists the folders searched), HWP_EINVAL (a name
 * that is not an id), or what hwp_load_file returns. Ownership as hwp_load_file. */
int hwp_find(const char *name, hwp_profile *p, char *err, size_t errlen);

typedef struct hwp_name_entry {
  char *name;  /* owned; what hwp_find takes */
  char *path;  /* owned; the file that name finds */
} hwp_name_entry;
typedef struct hwp_name_list {
  hwp_name_entry *items; /* owned; sorted by name, each name once (first folder wins) */
  size_t n;
} hwp_name_list;
/* Every <name>.json in the search path's folders (folders that do not exist are
 * skipped; files are not opened). The caller frees with hwp_name_list_destroy.
 * HWP_OK or HWP_ENOMEM; on failure *out is empty. */
int hwp_list(hwp_name_list *out, char *err, size_t errlen);
/* Free a list and leave it empty; l may be NULL. */
void hwp_name_list_destroy(hwp_name_list *l);

/* Where hwp_auto looks for this machine's measured profile, into buf:
 * $MLSB_PROFILE_DIR/local.json when that variable is set, else
 * $XDG_CONFIG_HOME/mlsysbench/local.json, else $HOME/.config/mlsysbench/local.json.
 * HWP_OK, HWP_ENOTFOUND (no variable to build it from), HWP_EINVAL (does not fit). */
int hwp_local_path(char *buf, size_t len);
/* This machine's profile: the local measured one when that file exists (an error when
 * it exists but does not load), else HWP_DEFAULT_PROFILE through hwp_find. p->path
 * tells which was taken. Returns and ownership as hwp_find. */
int hwp_auto(hwp_profile *p, char *err, size_t errlen);

typedef enum { HWP_BOUND_MEMORY, HWP_BOUND_COMPUTE } hwp_bound;
/* "memory" or "compute". */
const char *hwp_bound_name(hwp_bound bound);

/* Where a run sits on the device's roofline. On failure every number is NaN (never 0)
 * and error says why. */
typedef struct hwp_roofline_point {
  hwp_precision precision;
  double achieved_flops_per_s;   /* flops_per_inference x inferences_per_s */
  double arithmetic_intensity;   /* flops_per_inference / bytes_per_inference, FLOP/byte */
  double peak_flops_per_s;       /* the compute roof: the profile's peak_flops */
  double bandwidth_bytes_per_s;  /* the memory roof: main memory's bandwidth */
  hwp_mem_level memory_level;    /* which level that is: DRAM, else HBM, else SRAM */
  double ridge_intensity;        /* peak / bandwidth: where the two roofs meet */
  double attainable_flops_per_s; /* min(peak, intensity x bandwidth) */
  double fraction_of_attainable; /* achieved / attainable */
  hwp_bound bound;               /* memory below the ridge, compute at or above it */
  char error[256];               /* "" on success */
} hwp_roofline_point;

/* Place a run: precision is "fp32", "fp16", "bf16" or "int8"; the three figures are
 * the workload's FLOPs (ops for int8) and bytes moved per inference and the measured
 * inferences per second, all > 0 and finite. Returns HWP_OK; HWP_EINVAL for an unknown
 * precision or a figure that is not positive; HWP_EUNAVAILABLE when the profile lacks
 * the precision's peak or a main-memory bandwidth. out->error names the cause. */
int hwp_roofline(const hwp_profile *p, const char *precision, double flops_per_inference,
                 double bytes_per_inference, double inferences_per_s,
                 hwp_roofline_point *out);

/* The device's TDP in watts into *watts, for energy estimates (label them "estimate";
 * the figure's source is p->tdp_watts.source). HWP_OK, HWP_EUNAVAILABLE when the
 * profile has no TDP (*watts is then NaN), HWP_EINVAL for NULL arguments. */
int hwp_tdp_watts(const hwp_profile *p, double *watts);

#endif /* HWP_HWP_H */
