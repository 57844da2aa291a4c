/*
 * loadgen/loadgen.h - libloadgen, the MLPerf-style load generator (public API).
 *
 * This is the only header a program that drives its own system under test (SUT)
 * needs: it depends on nothing else in the mlsysbench tree. Semantics follow MLPerf
 * Inference LoadGen (scenarios, test modes, settings names and defaults, validity and
 * early stopping); where we differ it is on purpose and documented here.
 *
 * Shape of a test (compare MLPerf's C API: ConstructSUT / ConstructQSL / StartTest):
 *
 *     lg_settings s;  lg_settings_default(&s, LG_SERVER);
 *     s.server_target_qps = 2000;
 *     lg_test *t;
 *     lg_test_init(&t, &s, &sut_ops, sut_ctx, &qsl_ops, qsl_ctx, NULL);
 *     lg_test_run(t);                    // calls qsl load, sut issue/flush, unload
 *     const lg_result *r = lg_test_result(t);
 *     ...                                // records, stats, validity
 *     lg_test_destroy(t);
 *
 * The SUT's issue callback receives the lg_test pointer and completes samples, from any
 * thread, with lg_complete(). Completion is lock-free and allocation-free.
 *
 * Token latencies (MLPerf's use_token_latencies, for generators such as LLMs): with
 * lg_settings.use_token_latencies the SUT also reports each sample's first token with
 * lg_first_token() (MLPerf's FirstTokenComplete) and its token count in
 * lg_response.n_tokens at completion; loadgen then reports TTFT (first token -
 * scheduled), TPOT ((completion - first token) / (n_tokens - 1)) and tokens/s, and a
 * Server run is VALID only if TTFT and TPOT hold their bounds at the percentile.
 *
 * Thread-safety: lg_complete(), lg_complete_at(), lg_first_token(),
 * lg_first_token_at() and lg_test_request_stop() may be called from any thread (lg_test_request_stop also from a signal handler). Everything
 * else on one lg_test must be called from one thread. There are no globals: any number
 * of tests may exist one after another or side by side.
 *
 * Units are in names: _ns nanoseconds (CLOCK_MONOTONIC), _ms milliseconds, _qps per second.
 */
#ifndef LG_LOADGEN_H
#define LG_LOADGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status codes: one table makes the enum and lg_strerror() ---------------- */
#define LG_STATUS_MAP(X)                                                        \
  X(OK, 0, "success")                                                           \
  X(EINVAL, -1, "invalid argument")                                             \
  X(ENOMEM, -2, "out of memory")                                                \
  X(ECONFIG, -3, "invalid configuration")                                       \
  X(EIO, -4, "cannot read file")                                                \
  X(EPHASE, -5, "call not allowed in this phase of the test")                   \
  X(EQSL, -6, "the query sample library failed to load or unload samples")     \
  X(ERANGE, -7, "value out of range")

typedef enum {
#define LG_STATUS_ENUM_(name, value, text) LG_##name = (value),
  LG_STATUS_MAP(LG_STATUS_ENUM_)
#undef LG_STATUS_ENUM_
} lg_status;

/* Message for a status code; never NULL ("unknown status" for foreign codes). */
const char *lg_strerror(int status);

/* ---- scenarios and modes ------------------------------------------------------ */
typedef enum {
  LG_SINGLE_STREAM = 0,
  LG_MULTI_STREAM,
  LG_SERVER,
  LG_OFFLINE,
  LG_SCENARIO_COUNT
} lg_scenario;

typedef enum {
  LG_MODE_PERFORMANCE = 0,
  LG_MODE_ACCURACY,
  LG_MODE_FIND_PEAK, /* Server only: highest valid target QPS */
  LG_MODE_COUNT
} lg_mode;

/* MLPerf spelling: "SingleStream", "MultiStream", "Server", "Offline". */
const char *lg_scenario_name(lg_scenario s);
/* "performance", "accuracy", "find-peak". */
const char *lg_mode_name(lg_mode m);
/* Case-insensitive; accepts MLPerf spelling and forms like "single-stream",
 * "singlestream", "ss". Returns LG_OK or LG_EINVAL. */
int lg_scenario_parse(const char *text, lg_scenario *out);
int lg_mode_parse(const char *text, lg_mode *out);

/* ---- settings (names and defaults of MLPerf's test_settings.h) ---------------- */
typedef struct lg_settings {
  lg_scenario scenario;
  lg_mode mode;

  /* SingleStream */
  uint64_t single_stream_expected_latency_ns;       /* 1,000,000 */
  double single_stream_target_latency_percentile;   /* 0.90 */
  /* MultiStream */
  uint64_t multi_stream_expected_latency_ns;        /* 8,000,000 */
  double multi_stream_target_latency_percentile;    /* 0.99 */
  uint64_t multi_stream_samples_per_query;          /* 8 */
  /* Server */
  double server_target_qps;                         /* 1 */
  uint64_t server_target_latency_ns;                /* 100,000,000 */
  double server_target_latency_percentile;          /* 0.99 */
  bool server_coalesce_queries;                     /* false */
  uint64_t server_max_async_queries;                /* 0 = unlimited */
  /* Offline */
  double offline_expected_qps;                      /* 1 */
  /* token latencies (MLPerf test_settings.h; config keys use_token_latencies,
   * Server.ttft_latency and Server.tpot_latency in ms) */
  bool use_token_latencies;                         /* false */
  uint64_t server_ttft_latency_ns;                  /* 100,000,000: Server bound on
                                                       TTFT at the Server percentile */
  uint64_t server_tpot_latency_ns;                  /* 100,000,000: the same for TPOT */

  /* all scenarios */
  uint64_t min_duration_ms;                         /* 10,000 */
  uint64_t max_duration_ms;                         /* 0 = unlimited */
  uint64_t min_query_count;                         /* 100 (MultiStream 662) */
  uint64_t max_query_count;                         /* 0 = unlimited */
  uint64_t qsl_rng_seed;
  uint64_t sample_index_rng_seed;
  uint64_t schedule_rng_seed;
  uint64_t accuracy_log_rng_seed;
  double accuracy_log_probability;
  uint64_t accuracy_log_sampling_target;
  bool print_timestamps;
  bool performance_issue_unique;
  bool performance_issue_same;
  uint64_t performance_issue_same_index;
  uint64_t performance_sample_count_override;       /* 0 = the QSL's own count */
  uint64_t accuracy_sample_count_override;          /* 0 = all samples */

  /* mlsysbench additions (not in MLPerf) */
  uint64_t drain_timeout_ms;  /* how long to wait for outstanding samples after the
                                 last issue (and for one SingleStream/MultiStream
                                 query) before declaring them lost; 10,000 */
  bool early_stopping;        /* apply MLPerf's early-stopping check; true */
  uint64_t find_peak_probe_ms;/* duration of each find-peak probe run; 0 = a quarter
                                 of min_duration_ms */
  double find_peak_precision; /* relative precision of the peak search; 0.01 */
  double until_stable;        /* 0 = off; else keep a performance run going, past its
                                 minimums, until the headline metric's 99 % interval
                                 is within this fraction of it (0.01 = 1 %), checked
                                 as queries complete (SingleStream, MultiStream,
                                 Server; Offline is checked at the end). Without a
                                 max_duration the run stops at 600 s; a run that
                                 ends unstable is INVALID (reason "unstable") */
} lg_settings;

/* Fill *s with MLPerf's defaults for the scenario (mode = performance). */
void lg_settings_default(lg_settings *s, lg_scenario scenario);

/* Check ranges and combinations; on error writes "key: value: why" into err. */
int lg_settings_validate(const lg_settings *s, char *err, size_t errlen);

/* Field i of *s for reports: its name ("min_duration_ms"), the config key that sets
 * it ("min_duration") and its value as text. False past the last field. */
bool lg_settings_field(const lg_settings *s, size_t i, const char **name,
                       const char **config_key, char *value, size_t len);
/* The inverse for reports read back: set the field `name` (as lg_settings_field names
 * it, or "scenario" / "mode") from its text. LG_OK; LG_EINVAL (NULL argument);
 * LG_ECONFIG with "name: 'value': why" in err (unknown name, value that does not
 * parse). Does not validate combinations: call lg_settings_validate after. */
int lg_settings_set_field(lg_settings *s, const char *name, const char *value, char *err,
                          size_t errlen);

/* The percentile the scenario's metric is read at (0.90 SS, 0.99 MS/Server, 0.90 Offline). */
double lg_settings_percentile(const lg_settings *s);

/* ---- config files (mlperf.conf / user.conf, unchanged) ------------------------ */
/*
 * Syntax: `model.Scenario.key = value`, `#` comments, one per line. Lookup precedence
 * model.Scenario > *.Scenario > model.* > *.*. Unlike upstream, unknown keys, lines
 * without ` = `, values that do not parse and out-of-range values are errors that name
 * file:line and the key.
 */
typedef enum {
  LG_KEY_APPLIED = 0, /* the key changed a setting */
  LG_KEY_IGNORED,     /* a valid MLPerf key that mlsysbench does not act on */
} lg_key_use;

/* Called once for each key that an entry set for the model and scenario (the entry
 * that won the lookup).
 * `where` is "file:line". */
typedef void (*lg_config_note_fn)(void *ctx, const char *where, const char *key,
                                  const char *value, lg_key_use use);

/*
 * Apply one config file to *s for `model` (the workload name or --model). Entries for
 * other models are syntax-checked too and every value is range-checked. On error
 * returns LG_ECONFIG / LG_EIO and writes "file:line: key 'k': value 'v': why; what to
 * do" into err; *s is left unchanged. Rules between keys (max_duration >= min_duration,
 * find-peak needs Server, ...) are not judged here, since a later file or --set may
 * complete them: call lg_settings_validate (lg_test_init does) once all are applied.
 */
int lg_config_apply_file(lg_settings *s, const char *path, const char *model,
                         lg_config_note_fn note, void *note_ctx, char *err,
                         size_t errlen);

/* Same, for one "key=value" or "key = value" string (from --set); `where` names its
 * origin in messages. The key may be bare ("min_duration") or fully qualified.
 * Returns LG_ECONFIG with err empty when the key is not a loadgen key at all, so the
 * caller can offer it to other modules. */
int lg_config_apply_string(lg_settings *s, const char *where, const char *text,
                           const char *model, lg_config_note_fn note, void *note_ctx,
                           char *err, size_t errlen);

/* The i-th key loadgen's config accepts (NULL past the last), with the scenario part
 * it is looked up under ("*" = the run's own) in *scenario when not NULL; for
 * `mlsysbench list`. */
typedef struct lg_key_info {
  const char *name;
  const char *unit;    /* "ms", "percent", "qps", "count", "seed", "bool", "" */
  const char *help;
  bool acted_on;       /* false: accepted and listed as ignored */
} lg_key_info;
const lg_key_info *lg_config_key(size_t i, const char **scenario);

/* ---- SUT and QSL interfaces ---------------------------------------------------- */
typedef struct lg_test lg_test;

typedef struct lg_sample {
  uint64_t id;     /* response id: pass it back in lg_response.id */
  uint64_t index;  /* sample index in the QSL */
} lg_sample;

typedef struct lg_response {
  uint64_t id;        /* the lg_sample.id being completed */
  const void *data;   /* output bytes (accuracy mode copies them); may be NULL */
  size_t size;
  uint64_t n_tokens;  /* tokens of this sample's output, read at completion when
                         use_token_latencies is on (MLPerf's n_tokens); 0 = none */
} lg_response;

typedef struct lg_sut_ops {
  const char *name;
  /* Issue n samples. May complete inline or later from any thread. `samples` stays
   * valid until every one of them is completed or the test ends. */
  void (*issue)(void *ctx, lg_test *test, const lg_sample *samples, size_t n);
  /* Called after the last query of a series; may be NULL. */
  void (*flush)(void *ctx);
} lg_sut_ops;

typedef struct lg_qsl_ops {
  const char *name;
  uint64_t total_sample_count;
  uint64_t performance_sample_count; /* how many fit in memory */
  /* Untimed. Return 0 on success, non-zero to abort the test (LG_EQSL). May be NULL.
   * After unload returns, the SUT must not read lg_sample arrays it was issued. */
  int (*load)(void *ctx, const uint64_t *indices, size_t n);
  int (*unload)(void *ctx, const uint64_t *indices, size_t n);
} lg_qsl_ops;

/* Optional hooks, all called from the thread that runs lg_test_run. */
typedef struct lg_progress {
  uint64_t elapsed_ns;
  uint64_t target_ns;          /* min_duration */
  uint64_t samples_issued;
  uint64_t samples_completed;
  double completed_per_s;      /* over the last interval */
} lg_progress;

typedef struct lg_hooks {
  void *ctx;
  /* ~4 times a second during a run; may be NULL. */
  void (*progress)(void *ctx, const lg_progress *p);
  /* Events worth a line in a detail log (key and message); may be NULL. */
  void (*log)(void *ctx, const char *key, const char *message);
  /* Accuracy mode: bytes kept per response (larger responses are counted as
   * errors); 0 = responses are not kept. */
  size_t response_bytes_max;
  /* Called with start = true just before the timed region (after the QSL load) and
   * with false right after it (after the drain, before the unload), so collectors
   * (counters, energy) measure the same window as the metric; may be NULL. In
   * find-peak mode it brackets every probe; the last window is the confirming run. */
  void (*timed)(void *ctx, bool start);
} lg_hooks;

/* ---- running a test ------------------------------------------------------------ */
/*
 * Create a test. Validates settings (LG_ECONFIG with the reason in lg_test_error()).
 * `hooks` may be NULL. *out is NULL on failure except for LG_ECONFIG, where a test is
 * still returned so the caller can read the message; destroy it either way.
 */
int lg_test_init(lg_test **out, const lg_settings *settings, const lg_sut_ops *sut,
                 void *sut_ctx, const lg_qsl_ops *qsl, void *qsl_ctx,
                 const lg_hooks *hooks);

/* Run the whole test (load, timed region, drain, unload, statistics). Returns LG_OK when
 * a result exists (VALID or INVALID); an error status when the test could not run. */
int lg_test_run(lg_test *t);

/* Stop issuing as soon as possible; the run drains and ends INVALID "interrupted".
 * Async-signal-safe. */
void lg_test_request_stop(lg_test *t);

/* The SUT failed for good (its device went away or stopped answering): record why,
 * stop issuing, and end the run INVALID with reason "sut_failed" and this text
 * (copied, cut to LG_REASON_TEXT). Samples never completed count as lost; the drain
 * does not wait for them. The first call's text wins. Thread-safe (any thread),
 * lock-free, allocation-free; not async-signal-safe. */
void lg_test_fail(lg_test *t, const char *why);

/* Whether a stop was requested (lg_test_request_stop, lg_test_fail): a SUT whose work
 * per query is long (a microcontroller's MLPerf Tiny window) polls it to give up early;
 * what it gives up on counts as lost. Thread-safe, lock-free. */
bool lg_test_stopping(const lg_test *t);

/* After a stop request, the SUT gives up n issued samples it will never complete (the
 * rest of a long window it abandoned): waits stop counting on them, so an interrupted
 * run ends at once instead of after drain_timeout; they are recorded as lost.
 * Thread-safe, lock-free, allocation-free. */
void lg_test_drop(lg_test *t, uint64_t n);

/* The last error message (empty when none). */
const char *lg_test_error(const lg_test *t);

/* Destroy; accepts NULL. The SUT must not complete anything after this. */
void lg_test_destroy(lg_test *t);

/* Complete samples: one CLOCK_MONOTONIC timestamp taken at entry serves all n, so
 * pass several only when they truly finished together. Thread-safe, lock-free,
 * allocation-free. Unknown ids and duplicates are counted, never fatal. */
void lg_complete(lg_test *t, const lg_response *responses, size_t n);

/* Complete samples with a completion time the caller measured (lg_now_ns clock). */
void lg_complete_at(lg_test *t, const lg_response *responses, size_t n,
                    uint64_t completed_ns);

/* Report the first token of samples (MLPerf's FirstTokenComplete): one CLOCK_MONOTONIC
 * timestamp at entry serves all n; only responses[i].id is read. Call it before the
 * sample's lg_complete. A no-op unless use_token_latencies is on. Thread-safe,
 * lock-free, allocation-free; a second first token, an unknown id or one after the
 * completion is counted (lg_token_result.first_token_errors), never fatal. */
void lg_first_token(lg_test *t, const lg_response *responses, size_t n);
/* The same with a time the caller measured (lg_now_ns clock). */
void lg_first_token_at(lg_test *t, const lg_response *responses, size_t n,
                       uint64_t first_token_ns);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t lg_now_ns(void);

/* ---- results -------------------------------------------------------------------- */
/* One record per issued sample, in issue order (record i has response id i).
 * scheduled_ns: when the sample should have been issued (Server: the Poisson arrival;
 *               others: the moment just before issue); latency counts from here.
 * issued_ns:    just before the SUT's issue callback was called.
 * completed_ns: completion time; 0 when the sample was lost.
 * All times are relative to the start of the timed region. */
typedef struct lg_record {
  uint64_t scheduled_ns;
  uint64_t issued_ns;
  uint64_t completed_ns;
  uint32_t sample_index;
  uint32_t state; /* internal; lg_record_lost() tells lost samples */
} lg_record;

bool lg_record_lost(const lg_record *r);
/* Mark a record rebuilt from a file (samples.csv) lost or completed. */
void lg_record_set_lost(lg_record *r, bool lost);

typedef struct lg_latency_stats {
  uint64_t count;
  uint64_t min_ns, max_ns;
  double mean_ns;
  uint64_t p50_ns, p90_ns, p95_ns, p97_ns, p99_ns, p999_ns;
} lg_latency_stats;

/* Why a run is INVALID: one table makes the enum and lg_reason_name(). */
#define LG_REASON_MAP(X)                                                       \
  X(MIN_DURATION, "min_duration", "the run was shorter than min_duration")     \
  X(MIN_QUERIES, "min_queries", "fewer queries than min_query_count")          \
  X(MIN_SAMPLES, "min_samples", "fewer samples than required")                 \
  X(LATENCY_BOUND, "latency_bound", "latency bound missed at the percentile")  \
  X(EARLY_STOPPING, "early_stopping", "early stopping not satisfied")          \
  X(SAMPLES_LOST, "samples_lost", "samples were never completed")              \
  X(SUT_ERRORS, "sut_errors", "the SUT completed unknown or duplicate ids")    \
  X(INTERRUPTED, "interrupted", "the run was interrupted")                     \
  X(MAX_DURATION, "max_duration", "max_duration was reached before the minimums") \
  X(RESPONSES, "responses", "responses larger than response_bytes_max")      \
  X(SUT_FAILED, "sut_failed", "the SUT reported a failure of its device")      \
  X(UNSTABLE, "unstable", "until_stable: the metric's interval stayed too wide") \
  X(TTFT_BOUND, "ttft_bound", "time to first token bound missed at the percentile") \
  X(TPOT_BOUND, "tpot_bound", "time per output token bound missed at the percentile") \
  X(TOKENS, "tokens", "token latencies requested but the SUT did not report them")

typedef enum {
#define LG_REASON_ENUM_(id, name, text) LG_REASON_##id,
  LG_REASON_MAP(LG_REASON_ENUM_)
#undef LG_REASON_ENUM_
  LG_REASON_COUNT
} lg_reason;

const char *lg_reason_name(lg_reason r);

#define LG_MAX_REASONS 12
#define LG_REASON_TEXT 512
#define LG_MAX_PROBES 64

typedef struct lg_peak_probe {
  double target_qps;
  bool valid;
  uint64_t p99_ns;       /* latency at the Server percentile */
  uint64_t duration_ms;  /* length of that probe */
} lg_peak_probe;

/* Token latencies of a run with use_token_latencies (all zero otherwise). Per sample:
 * TTFT = first token - scheduled; TPOT = (completed - first token) / (n_tokens - 1),
 * integer nanoseconds as MLPerf computes them. Percentiles as for latency. */
typedef struct lg_token_result {
  bool enabled;                  /* use_token_latencies was on */
  uint64_t tokens;               /* sum of n_tokens over completed samples */
  double tokens_per_s;           /* tokens / last completion */
  double tokens_per_s_ci_low, tokens_per_s_ci_high; /* Offline: 99 % interval */
  lg_latency_stats ttft;         /* samples with a first token */
  lg_latency_stats tpot;         /* samples with a first token and n_tokens >= 2 */
  double percentile;             /* the scenario's percentile (Server: the bound's) */
  uint64_t ttft_at_percentile_ns, tpot_at_percentile_ns;
  uint64_t ttft_ci_low_ns, ttft_ci_high_ns; /* 99 % order-statistic intervals */
  uint64_t tpot_ci_low_ns, tpot_ci_high_ns;
  bool ttft_bound_met, tpot_bound_met;      /* Server */
  uint64_t ttft_overlatency_count, tpot_overlatency_count; /* Server: over the bound */
  uint64_t es_min_queries;       /* Server: queries the token early stopping needs */
  uint64_t missing_first_token;  /* completed without a first token (not Offline) */
  uint64_t missing_tokens;       /* completed with n_tokens < 2: no TPOT */
  uint64_t first_token_errors;   /* duplicate, unknown or after completion */
} lg_token_result;

typedef struct lg_result {
  lg_scenario scenario;
  lg_mode mode;
  bool valid;                      /* performance / find-peak only */
  size_t reason_count;
  lg_reason reasons[LG_MAX_REASONS];
  char reason_text[LG_MAX_REASONS][LG_REASON_TEXT];

  /* counts */
  uint64_t queries_issued;
  uint64_t samples_issued;
  uint64_t samples_completed;
  uint64_t samples_lost;
  uint64_t duplicate_completions;
  uint64_t unknown_completions;
  uint64_t late_completions;     /* arrived after the drain timeout */
  uint64_t oversized_responses;

  /* time, relative to the start of the timed region */
  uint64_t duration_ns;            /* what the validity rule measures */
  uint64_t last_issue_ns;
  uint64_t last_scheduled_ns;
  uint64_t last_completion_ns;

  /* statistics */
  lg_latency_stats latency;        /* per sample, from scheduled time */
  lg_latency_stats query_latency;  /* MultiStream: per query (last sample done - start) */
  lg_latency_stats issue_delay;    /* issued - scheduled */
  double samples_per_s;            /* samples completed / (last completion) */
  double queries_per_s;
  uint64_t min_queries_required;   /* after scenario adjustments (Offline: 1) */
  uint64_t min_samples_required;

  /* the headline metric */
  const char *metric_name;         /* e.g. "90th percentile latency (ns)" */
  const char *metric_unit;         /* "ns", "samples/s", "qps" */
  double metric;
  double metric_ci_low, metric_ci_high; /* 99 % confidence interval */
  const char *metric_ci_method;

  /* checks (all that apply to the scenario) */
  bool min_duration_met, min_queries_met, min_samples_met;
  bool latency_bound_met;          /* Server */
  bool early_stopping_met;
  double latency_percentile;       /* the metric's percentile */
  uint64_t latency_at_percentile_ns;

  /* early stopping (MLPerf early_stopping.cc, confidence 0.99, tolerance 0) */
  uint64_t es_overlatency_count;   /* Server: samples over the bound */
  uint64_t es_min_queries;         /* queries needed for the check to pass */
  uint64_t es_estimate_ns;         /* SS/MS: the early-stopping percentile estimate */

  /* Server: the order-statistic 99 % interval of latency_at_percentile_ns */
  uint64_t latency_ci_low_ns, latency_ci_high_ns;

  /* until_stable (settings.until_stable > 0) */
  double stable_target;            /* the setting: 0.01 = within 1 % */
  double stable_rel;               /* the interval's largest distance from the metric,
                                      relative to it, at the end (Server: the larger of
                                      the arrival rate's and the latency's) */
  bool stable_met;                 /* stable_rel <= stable_target */
  uint64_t stable_checks;          /* interim checks made during the run */

  /* token latencies (use_token_latencies) */
  lg_token_result tokens;

  /* find-peak */
  double peak_qps;
  size_t probe_count;
  lg_peak_probe probes[LG_MAX_PROBES];
} lg_result;

const lg_result *lg_test_result(const lg_test *t);
const lg_settings *lg_test_settings(const lg_test *t);
/* Per-sample records of the last (for find-peak: the confirming) run. */
const lg_record *lg_test_records(const lg_test *t, size_t *count);
/* Token data of record i (same order as lg_test_records): first token relative to the
 * timed region (0 = not reported) and n_tokens at completion. NULL when
 * use_token_latencies is off. */
typedef struct lg_token_record {
  uint64_t first_token_ns;
  uint64_t n_tokens;
} lg_token_record;
const lg_token_record *lg_test_token_records(const lg_test *t, size_t *count);
/* Accuracy mode: the kept response of record i (NULL when none). */
const void *lg_test_response(const lg_test *t, size_t record, size_t *size);

/* ---- statistics helpers (exported for reports and tests) ----------------------- */
/* MLPerf percentile: sorted[floor(n * p)] (no interpolation); n > 0. */
uint64_t lg_percentile(const uint64_t *sorted, size_t n, double p);
/* Fill stats from an unsorted array (sorted in place). */
void lg_latency_stats_compute(uint64_t *values, size_t n, lg_latency_stats *out);
/* Early stopping: the minimum h with BetaRegularized(p; h, 1+t) < 1 - confidence. */
uint64_t lg_early_stopping_h(uint64_t t, double p, double confidence);
/* SingleStream/MultiStream: largest t with n >= h(t)+t; returns false when
 * n < h(1)+1 (then *t_out = 0). */
bool lg_early_stopping_t(uint64_t n, double p, double confidence, uint64_t *t_out);
/* Distribution-free confidence interval of the p-quantile of n sorted values:
 * indices [*lo, *hi] from the binomial order-statistic method. */
void lg_quantile_ci(size_t n, double p, double confidence, size_t *lo, size_t *hi);

/* ---- recomputing a result from records read back (submission checkers) ---------- */
/* What the records do not carry: taken from the run's own report. */
typedef struct lg_replay_counts {
  uint64_t queries_issued;
  uint64_t duplicate_completions, unknown_completions, late_completions;
  uint64_t oversized_responses;
  bool interrupted;             /* the run was stopped early (Ctrl-C) */
  const char *sut_failure;      /* the SUT's lg_test_fail reason, NULL when none */
  /* token latencies (settings use_token_latencies): the n token records in record
   * order (samples.csv's token columns), NULL when the run had none */
  const lg_token_record *tokens;
  uint64_t first_token_errors;
} lg_replay_counts;

/* Statistics, headline metric and validity of a finished run, computed from its n
 * records (in issue order, lost ones marked with lg_record_set_lost) under settings s
 * by the same code that judges a live run, so a checker reading samples.csv back
 * derives exactly what the run reported. rec is only read. Find-peak runs are judged
 * as the performance run of their confirming target (s->mode performance,
 * s->server_target_qps the peak). Returns LG_OK (*out filled; its strings are static),
 * LG_EINVAL (NULL argument) or LG_ENOMEM. The reasons are the run's; a reason text may
 * lack the live run's remark that the SUT stopped completing (records cannot show it).
 * Thread-safe: no shared state. */
int lg_result_recompute(const lg_settings *s, const lg_record *rec, size_t n,
                        const lg_replay_counts *c, lg_result *out);

#ifdef __cplusplus
}
#endif
#endif /* LG_LOADGEN_H */
