/*
 * reports/results.h - the results model (results.json), the contract that compare,
 * submit and the leaderboard read.
 *
 * Schema "mlsysbench.results", version RPT_SCHEMA_VERSION. The harness fills an
 * rpt_results from loadgen's result, the SUT, the workload and the host (this module
 * includes nothing from the rest of the tree), then writes it with
 * rpt_results_write_json(); readers load it back with rpt_results_read_json().
 *
 * Presence: a value that does not apply or is not known is *unset*, never a fake 0.
 * Optional numbers are rpt_opt_u64 / rpt_opt_f64 / rpt_opt_bool (set with rpt_u64(),
 * rpt_f64(), rpt_bool()); optional strings are NULL; a latency block or the accuracy
 * block has a `present` flag. Unset values are JSON null; a block whose every value is
 * unset is written as null. rpt_results_init() starts with everything unset.
 *
 * Ownership: an rpt_results owns every string and list it points to. Set strings only
 * through rpt_set_string() and the rpt_results_add_*() functions (they copy); plain
 * numbers and flags are assigned directly. rpt_results_destroy() frees everything.
 *
 * Thread-safety: none; one rpt_results is used from one thread at a time.
 */
#ifndef RPT_RESULTS_H
#define RPT_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "reports/status.h"

struct json_object;

#define RPT_SCHEMA_NAME "mlsysbench.results"
#define RPT_SCHEMA_VERSION 1

/* ---- optional values ------------------------------------------------------------ */
typedef struct rpt_opt_u64 { bool set; uint64_t v; } rpt_opt_u64;
typedef struct rpt_opt_f64 { bool set; double v; } rpt_opt_f64;
typedef struct rpt_opt_bool { bool set; bool v; } rpt_opt_bool;

static inline rpt_opt_u64 rpt_u64(uint64_t v) { return (rpt_opt_u64){true, v}; }
static inline rpt_opt_f64 rpt_f64(double v) { return (rpt_opt_f64){true, v}; }
static inline rpt_opt_bool rpt_bool(bool v) { return (rpt_opt_bool){true, v}; }

/* ---- lists (count used, cap allocated, items owned) ------------------------------ */
typedef struct rpt_kv { char *key; char *value; } rpt_kv;
typedef struct rpt_setting {
  char *key;     /* loadgen setting name, e.g. "server_target_qps" */
  char *value;   /* as text, e.g. "2000" */
  char *source;  /* "default", "file:line" (e.g. "user.conf:12") or "--set" */
} rpt_setting;
typedef struct rpt_reason {
  char *code;    /* loadgen reason name, e.g. "min_duration" */
  char *text;    /* plain words, e.g. "the run was shorter than min_duration: 9.1 s" */
} rpt_reason;
typedef struct rpt_probe {   /* one find-peak probe run */
  double target_qps;
  bool valid;
  uint64_t p99_ns;           /* latency at the Server percentile */
  uint64_t duration_ms;
} rpt_probe;

typedef struct rpt_strlist { size_t count, cap; char **items; } rpt_strlist;
typedef struct rpt_kvlist { size_t count, cap; rpt_kv *items; } rpt_kvlist;
typedef struct rpt_settinglist { size_t count, cap; rpt_setting *items; } rpt_settinglist;
typedef struct rpt_reasonlist { size_t count, cap; rpt_reason *items; } rpt_reasonlist;
typedef struct rpt_probelist { size_t count, cap; rpt_probe *items; } rpt_probelist;

/* ---- blocks ----------------------------------------------------------------------- */
typedef struct rpt_build {
  char *git_describe;      /* `git describe` of the tool that ran */
  char *tool_version;
  char *created_utc;       /* "2026-11-25T08:15:00Z" (rpt_results_set_created) */
  rpt_strlist command;     /* argv of the run */
} rpt_build;

typedef struct rpt_workload {
  char *name;              /* "kws" */
  char *description;
  char *input_shape;       /* "49x10x1 f32" */
  char *output_shape;
  rpt_kvlist params;       /* workload parameters, key -> value */
  rpt_opt_u64 macs, flops, bytes_moved; /* per inference */
  rpt_opt_u64 weight_seed;
  /* token generators (decoder) only: tokens per inference, the KV-cache length, the
   * FLOPs of the prompt pass (through the first token) and of the later steps, and the
   * KV-cache bytes one worker holds */
  rpt_opt_u64 prompt_tokens, output_tokens, context_tokens;
  rpt_opt_u64 prefill_flops, decode_flops, kv_cache_bytes;
} rpt_workload;

/* An accelerator SUT's device and batch timings (sut.accelerator; null for the
 * others). Means are per batch over every batch the SUT ran (warm-up included);
 * device times come from events on the device's own clock, host time from taking a
 * batch off the queue to its outputs in host memory, so their difference is the
 * launch and synchronisation overhead. */
typedef struct rpt_accelerator {
  bool present;
  char *api;                  /* "CUDA" */
  char *name;                 /* "NVIDIA H100 80GB HBM3" */
  char *pci_bus_id;           /* "0000:65:00.0" */
  char *compute_capability;   /* "9.0" */
  rpt_opt_u64 sm_count, memory_bytes, sm_clock_mhz, memory_clock_mhz;
  char *driver_version;       /* CUDA version the driver supports, "13.0" */
  char *runtime_version;      /* CUDA runtime built in, "13.0" */
  char *precision;            /* "fp32", "tf32", "fp16", "bf16" */
  rpt_opt_u64 streams, max_batch, max_delay_us;
  rpt_opt_u64 batches, samples, samples_failed;
  rpt_opt_f64 samples_per_batch_mean;
  rpt_opt_f64 host_batch_ns_mean, device_batch_ns_mean, overhead_ns_mean;
  rpt_opt_u64 device_batch_ns_min, device_batch_ns_max;
  rpt_opt_f64 copy_in_ns_mean, compute_ns_mean, copy_out_ns_mean;
  char *last_error;           /* the last device error, NULL when none */
} rpt_accelerator;

typedef struct rpt_sut {
  char *name;              /* "cpu" */
  char *device;            /* "cpu", "cuda:0", "/dev/ttyACM0" */
  rpt_opt_u64 threads, batch;
  rpt_opt_bool inline_completion; /* completes on the issuing thread */
  char *pinning;           /* pinning policy, e.g. "cores", "none" */
  rpt_strlist worker_cpus; /* per worker: its cpuset as a list, e.g. "0" or "0,16" */
  char *loadgen_cpus;      /* where the loadgen's own thread ran, or why not pinned */
  rpt_accelerator accelerator;
} rpt_sut;

typedef struct rpt_topology {  /* hwloc summary */
  rpt_opt_u64 packages, cores, pus, numa_nodes;
  rpt_opt_u64 l1d_bytes, l2_bytes, l3_bytes;
} rpt_topology;

typedef struct rpt_host {
  char *hostname, *os, *kernel, *cpu_model;
  char *hardware_profile;  /* name of the hardware profile used */
  rpt_topology topology;
} rpt_host;

typedef struct rpt_seeds {
  rpt_opt_u64 qsl_rng_seed, sample_index_rng_seed, schedule_rng_seed,
      accuracy_log_rng_seed;
} rpt_seeds;

typedef struct rpt_latency {   /* nanoseconds; MLPerf percentiles (no interpolation) */
  bool present;
  uint64_t count, min_ns, max_ns;
  double mean_ns;
  uint64_t p50_ns, p90_ns, p95_ns, p97_ns, p99_ns, p999_ns;
} rpt_latency;

typedef struct rpt_counts {
  uint64_t queries_issued, samples_issued, samples_completed, samples_lost;
  uint64_t duplicate_completions, unknown_completions, late_completions;
  uint64_t oversized_responses;
  rpt_opt_u64 min_queries_required, min_samples_required;
} rpt_counts;

typedef struct rpt_durations {  /* relative to the start of the timed region */
  rpt_opt_u64 duration_ns;      /* what the min-duration rule measures */
  rpt_opt_u64 last_issue_ns, last_scheduled_ns, last_completion_ns;
} rpt_durations;

typedef struct rpt_metric {     /* the headline number */
  char *name;                   /* "90th percentile latency (ns)" */
  char *unit;                   /* "ns", "samples/s", "qps" */
  rpt_opt_f64 value;
  rpt_opt_f64 ci_low, ci_high;  /* 99 % confidence interval */
  char *ci_method;              /* e.g. "binomial order statistic" */
} rpt_metric;

typedef struct rpt_checks {     /* unset: the check does not apply */
  rpt_opt_bool min_duration_met, min_queries_met, min_samples_met;
  rpt_opt_bool latency_bound_met, early_stopping_met;
  rpt_opt_f64 percentile;       /* 0.90, 0.99 */
  rpt_opt_u64 latency_at_percentile_ns;
} rpt_checks;

typedef struct rpt_early_stopping {
  rpt_opt_u64 overlatency_count;  /* Server: samples over the bound */
  rpt_opt_u64 min_queries;        /* queries needed for the check to pass */
  rpt_opt_u64 estimate_ns;        /* SingleStream/MultiStream percentile estimate */
} rpt_early_stopping;

typedef struct rpt_until_stable { /* unset unless the run asked for until_stable */
  rpt_opt_f64 target;             /* 0.01 = the interval within 1 % of the metric */
  rpt_opt_f64 ci_relative;        /* reached at the end: largest distance of the 99 %
                                     interval from the metric, relative to it */
  rpt_opt_bool met;
  rpt_opt_u64 checks;             /* interim checks during the run */
} rpt_until_stable;

typedef struct rpt_find_peak {
  rpt_opt_f64 peak_qps;
  rpt_probelist probes;
} rpt_find_peak;

/* Token latencies (loadgen use_token_latencies): TTFT = first token - scheduled, TPOT =
 * (completed - first token) / (tokens - 1), per sample, nanoseconds. */
typedef struct rpt_tokens {
  bool present;
  uint64_t tokens;                /* output tokens of the completed samples */
  rpt_opt_f64 tokens_per_s;       /* tokens / last completion */
  rpt_opt_f64 tokens_per_s_ci_low, tokens_per_s_ci_high; /* Offline: 99 % interval */
  rpt_latency ttft, tpot;
  rpt_opt_f64 percentile;         /* the scenario's percentile */
  rpt_opt_u64 ttft_at_percentile_ns, ttft_ci_low_ns, ttft_ci_high_ns;
  rpt_opt_u64 tpot_at_percentile_ns, tpot_ci_low_ns, tpot_ci_high_ns;
  rpt_opt_u64 ttft_bound_ns, tpot_bound_ns;        /* Server */
  rpt_opt_bool ttft_bound_met, tpot_bound_met;     /* Server */
  rpt_opt_u64 ttft_overlatency_count, tpot_overlatency_count; /* Server */
  uint64_t missing_first_token, missing_tokens, first_token_errors;
} rpt_tokens;

typedef struct rpt_run_result {
  char *scenario;                 /* "SingleStream", "MultiStream", "Server", "Offline" */
  char *mode;                     /* "performance", "accuracy", "find-peak" */
  rpt_opt_bool valid;             /* unset in accuracy mode */
  rpt_reasonlist reasons;         /* why INVALID */
  rpt_counts counts;
  rpt_durations durations;
  rpt_latency latency;            /* per sample, from the scheduled time */
  rpt_latency query_latency;      /* MultiStream: per query */
  rpt_latency issue_delay;        /* issued - scheduled */
  rpt_opt_f64 samples_per_s, queries_per_s;
  rpt_metric metric;
  rpt_checks checks;
  rpt_early_stopping early_stopping;
  rpt_until_stable until_stable;
  rpt_find_peak find_peak;
  rpt_tokens tokens;              /* present when token latencies were measured */
} rpt_run_result;

typedef struct rpt_accuracy {
  bool present;
  uint64_t samples;               /* samples checked, missing ones included */
  rpt_opt_f64 top1_agreement;     /* fraction of samples whose top-1 matches */
  rpt_opt_f64 max_abs_error;      /* over all outputs that came back */
  uint64_t missing;               /* samples without an output */
  /* against a labelled dataset (--dataset), unset otherwise */
  char *dataset;                  /* the dataset path */
  rpt_opt_f64 top1_accuracy;      /* classifiers: fraction whose argmax is the label */
  rpt_opt_f64 auc;                /* anomaly detection (ad): ROC AUC over files */
  rpt_opt_f64 token_agreement;    /* token generators: generated tokens equal to the
                                     reference's before the first divergence / all */
} rpt_accuracy;

/* Hardware and software counters over the timed region, summed over SUT workers. */
typedef struct rpt_counter {
  char *name;                     /* "PAPI_TOT_INS", "task-clock" */
  char *source;                   /* "papi", "perf", "sde" */
  char *unit;                     /* "count", "ns" */
  bool available;                 /* false: reason says why; values unset */
  rpt_opt_f64 total, per_inference;
  char *reason;
} rpt_counter;
typedef struct rpt_counterlist { size_t count, cap; rpt_counter *items; } rpt_counterlist;

typedef struct rpt_counters {
  bool present;
  char *requested;                /* the --counters spec */
  rpt_counterlist items;
  rpt_opt_f64 ipc;                /* instructions per cycle when both were counted */
} rpt_counters;

typedef struct rpt_energy_domain {
  char *name;                     /* "package-0", "dram", "gpu-0" */
  double joules;
} rpt_energy_domain;
typedef struct rpt_domainlist { size_t count, cap; rpt_energy_domain *items; } rpt_domainlist;

/* Energy over the same timed region as the metric. */
typedef struct rpt_energy {
  bool present;
  bool available;                 /* false: reason says why; values unset */
  char *requested;                /* the --energy spec */
  char *source;                   /* "rapl", "nvml", "estimate" */
  char *method;                   /* how it was measured or estimated */
  rpt_opt_bool estimate;          /* true for TDP x time */
  rpt_opt_f64 joules, avg_watts, joules_per_inference, interval_s, sampling_interval_s;
  rpt_domainlist domains;
  char *reason;
} rpt_energy;

/* The run on the hardware profile's roofline. */
typedef struct rpt_roofline {
  bool present;
  char *profile;                  /* hardware profile name */
  char *precision;                /* "fp32" */
  rpt_opt_f64 achieved_flops, arithmetic_intensity, peak_flops, bandwidth_bytes_per_s;
  rpt_opt_f64 attainable_flops, fraction;
  char *bound;                    /* "compute" or "memory" */
  /* against the cores the SUT ran on (one worker per core; inline = 1 core):
   * peak_flops_per_core (profile's, else peak_flops / cores) x cores_used */
  rpt_opt_f64 peak_flops_per_core;
  rpt_opt_u64 cores_used;
  rpt_opt_f64 peak_flops_cores_used, fraction_of_peak_cores_used;
  char *reason;                   /* when it could not be placed */
} rpt_roofline;

/* A SUT with its own clock (the serial DUT): what the device timed. */
typedef struct rpt_device_window { /* one MLPerf Tiny window: infer N W on one input */
  uint64_t sample_index, inferences, dut_us;
  double samples_per_s;
} rpt_device_window;
typedef struct rpt_windowlist { size_t count, cap; rpt_device_window *items; } rpt_windowlist;

typedef struct rpt_device {
  bool present;
  char *name;                     /* the DUT's name (m-name-dut-[...]) */
  char *model;                    /* "kws01" */
  char *timing;                   /* how it was timed */
  rpt_latency latency;            /* device-timed latency per inference */
  rpt_opt_f64 samples_per_s;      /* Offline: median over the windows */
  rpt_windowlist windows;
  rpt_opt_u64 counter_wraps, recoveries, garbage_lines;
  char *last_fault;               /* the last link fault, recovered or not */
  char *failure;                  /* the fault that ended the run */
} rpt_device;

typedef struct rpt_results {
  rpt_build build;
  rpt_workload workload;
  rpt_sut sut;
  rpt_host host;
  rpt_settinglist settings;       /* every loadgen setting with its source */
  rpt_seeds seeds;
  rpt_run_result result;
  rpt_accuracy accuracy;
  rpt_counters counters;
  rpt_energy energy;
  rpt_roofline roofline;
  rpt_device device;
} rpt_results;

/* ---- life cycle and setters --------------------------------------------------------- */
/* Start empty: every value unset, every list empty. RPT_OK, or RPT_EINVAL for NULL. */
int rpt_results_init(rpt_results *r);

/* Free every string and list and leave *r empty (as after init). Accepts NULL. */
void rpt_results_destroy(rpt_results *r);

/* Replace the string in *slot (a char * inside an rpt_results, e.g. &r->sut.name) by
 * a copy of value; the old one is freed. value NULL makes it unset. RPT_OK,
 * RPT_EINVAL (slot NULL) or RPT_ENOMEM (then *slot is unchanged). */
int rpt_set_string(char **slot, const char *value);

/* build.created_utc from t (UTC ISO-8601, "2026-11-25T08:15:00Z"). */
int rpt_results_set_created(rpt_results *r, time_t t);
/* build.command from argv[0..argc) (copied). */
int rpt_results_set_command(rpt_results *r, int argc, const char *const argv[]);

/* Append a copy to a list. RPT_OK, RPT_EINVAL (NULL key/code), RPT_ENOMEM. */
int rpt_results_add_param(rpt_results *r, const char *key, const char *value);
int rpt_results_add_worker_cpus(rpt_results *r, const char *cpus);
int rpt_results_add_setting(rpt_results *r, const char *key, const char *value,
                            const char *source);
int rpt_results_add_reason(rpt_results *r, const char *code, const char *text);
int rpt_results_add_probe(rpt_results *r, const rpt_probe *probe);
/* Append a copy of *c (its strings copied) to counters.items / of *d to
 * energy.domains, and set the block's present flag. */
int rpt_results_add_counter(rpt_results *r, const rpt_counter *c);
int rpt_results_add_energy_domain(rpt_results *r, const rpt_energy_domain *d);
/* Append a copy of *w to device.windows and set the device block's present flag. */
int rpt_results_add_device_window(rpt_results *r, const rpt_device_window *w);

/* The setting named key, or NULL. The pointer lives as long as r is unchanged. */
const rpt_setting *rpt_results_find_setting(const rpt_results *r, const char *key);

/* ---- JSON ------------------------------------------------------------------------------ */
/* A new json-c object for r (caller releases it with json_object_put), or NULL when
 * out of memory. Non-finite doubles become null. */
struct json_object *rpt_results_to_json(const rpt_results *r);

/* Write r to path (pretty-printed, trailing newline). RPT_OK, RPT_ENOMEM or RPT_EIO
 * with "path: why" in err. */
int rpt_results_write_json(const char *path, const rpt_results *r, char *err,
                           size_t errlen);

/*
 * Fill *out (initialized here; any old contents are NOT freed) from a parsed document.
 * `name` names the source in messages (a path, "request body"). Rejects a wrong
 * "schema", a "schema_version" other than 1..RPT_SCHEMA_VERSION, and fields of the
 * wrong type, with RPT_ESCHEMA / RPT_EFORMAT and "name: field 'a.b': why" in err.
 * Unknown fields are ignored. On failure *out is left empty (destroying it is safe).
 */
int rpt_results_from_json(const struct json_object *doc, const char *name,
                          rpt_results *out, char *err, size_t errlen);

/* Read and parse path, then rpt_results_from_json. Also RPT_EIO (cannot read) and
 * RPT_EFORMAT (not JSON, with the line). On failure *out is left empty. */
int rpt_results_read_json(const char *path, rpt_results *out, char *err,
                          size_t errlen);

#endif /* RPT_RESULTS_H */
