/*
 * loadgen/lg_internal.h - private declarations shared by libloadgen's .c files.
 * Nothing here is part of the public API (loadgen/loadgen.h is).
 */
#ifndef LG_INTERNAL_H
#define LG_INTERNAL_H

#include <stdatomic.h>
#include <stdio.h>

#include "loadgen/loadgen.h"

/* ---- MT19937-64 (the engine family MLPerf uses), seeded like std::mt19937_64 ---- */
#define LG_MT_N 312
typedef struct lg_rng {
  uint64_t mt[LG_MT_N];
  unsigned idx;
} lg_rng;

void lg_rng_seed(lg_rng *r, uint64_t seed);
uint64_t lg_rng_next(lg_rng *r);
/* Uniform in [0, n) without modulo bias; n > 0. */
uint64_t lg_rng_below(lg_rng *r, uint64_t n);
/* Uniform in (0, 1]. */
double lg_rng_unit(lg_rng *r);

/* until_stable without max_duration stops here (MLPerf's usual minimum) */
#define LG_STABLE_MAX_MS 600000ULL

/* ---- record states (lg_record.state) ------------------------------------------- */
enum {
  LG_REC_ISSUED = 0,     /* waiting for completion */
  LG_REC_COMPLETING = 1, /* a completer is writing completed_ns */
  LG_REC_DONE = 2,
  LG_REC_LOST = 3        /* frozen at the end of the run without completion */
};

/* ---- sample selection (QSL contract) ------------------------------------------- */
typedef struct lg_selector {
  uint64_t *loaded;      /* the loaded performance set, in load order */
  size_t loaded_count;
  uint64_t *perm;        /* performance_issue_unique: a shuffle of loaded */
  size_t perm_pos;
  size_t offline_pos;    /* Offline: position in load order */
  lg_rng rng;            /* sample_index_rng_seed */
} lg_selector;

/* Build the loaded set: the first `count` of a shuffle of [0, total) (qsl_rng_seed).
 * Returns LG_OK or LG_ENOMEM. */
int lg_selector_init(lg_selector *sel, const lg_settings *s, uint64_t total,
                     uint64_t count);
void lg_selector_destroy(lg_selector *sel);
/* Fill n sample indices for one query of the scenario. */
void lg_selector_next(lg_selector *sel, const lg_settings *s, uint32_t *out, size_t n);

/* ---- the test object -------------------------------------------------------------- */
struct lg_test {
  lg_settings s;            /* settings of the run in progress */
  lg_settings requested;    /* as given to lg_test_init */
  lg_sut_ops sut;
  void *sut_ctx;
  lg_qsl_ops qsl;
  void *qsl_ctx;
  lg_hooks hooks;
  char error[256];

  /* records and the samples handed to the SUT: one virtual reservation each */
  lg_record *rec;
  lg_sample *smp;
  size_t cap;               /* records reserved */
  size_t map_bytes_rec, map_bytes_smp;
  size_t count;             /* records written by the issuing thread */
  unsigned char *resp;      /* accuracy: response_bytes_max per record */
  uint32_t *resp_size;
  lg_token_record *tok;     /* use_token_latencies: one per record, else NULL */
  size_t map_bytes_tok;

  /* shared with completers */
  _Atomic uint64_t published;  /* ids below this may be completed */
  _Atomic uint64_t completed;
  _Atomic uint64_t dropped;     /* lg_test_drop: given up by the SUT after a stop */
  _Atomic uint64_t duplicates, unknown, late, oversized;
  _Atomic uint64_t first_token_errors;
  _Atomic uint32_t stop;
  _Atomic uint32_t waiting;
  _Atomic uint32_t wake_seq;
  _Atomic uint32_t frozen;
  _Atomic uint32_t failed;  /* lg_test_fail: 0 no, 1 text being written, 2 text done */
  char fail_text[LG_REASON_TEXT];

  uint64_t t0_ns;           /* absolute start of the timed region */
  uint64_t next_progress_ns;
  uint64_t progress_last_completed, progress_last_ns;
  bool hung;                /* a drain or a query wait timed out */
  bool capacity_hit;
  uint64_t queries;
  lg_result result;

  /* until_stable: interim checks (stable.c) */
  uint64_t stable_next;     /* queries at which the next check runs */
  uint64_t stable_checks;
  uint64_t *stable_buf;     /* latencies of the check, stable_cap of them */
  size_t stable_cap;
  lg_result *stable_scratch;
};

/* test.c */
int lg_test_reserve(lg_test *t, size_t count);
void lg_test_reset_run(lg_test *t);
/* Append n records with the given scheduled time (relative) and indices; returns the
 * first id, or SIZE_MAX when the reservation is full. Does not publish. */
size_t lg_test_append(lg_test *t, uint64_t scheduled_ns, const uint32_t *indices,
                      size_t n);
/* Make records [first, first+n) completable, stamp issued_ns (relative) and call the
 * SUT once with them; they count as `queries` queries. */
void lg_test_issue(lg_test *t, size_t first, size_t n, uint64_t issued_ns,
                   uint64_t queries);
/* Wait until `completed` reaches target; false when no completion arrived for
 * drain_timeout_ms (the SUT hung: t->hung is set), when a stop was requested and
 * `interruptible`, or when the absolute deadline_ns (0 = none) passed. */
bool lg_test_wait(lg_test *t, uint64_t target, bool interruptible, uint64_t deadline_ns);
void lg_test_log(lg_test *t, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void lg_test_progress(lg_test *t, uint64_t now_rel_ns);
/* Freeze all records: mark the ones never completed as lost. */
void lg_test_freeze(lg_test *t);

/* issue.c: one scenario run in performance mode, and accuracy mode */
int lg_run_performance(lg_test *t);
int lg_run_accuracy(lg_test *t);
/* Expected number of records for sizing the reservation. */
size_t lg_expected_records(const lg_settings *s);
uint64_t lg_offline_query_size(const lg_settings *s);

/* results.c: statistics and validity of the run in t->rec */
int lg_compute_result(lg_test *t);
/* Counts, latency statistics and the headline metric with its interval of the records
 * so far (completed ones; may run while the SUT completes others) into *r, which the
 * caller zeroed. buf holds t->count values. */
void lg_metric_snapshot(lg_test *t, lg_result *r, uint64_t *buf);
/* How far the metric's 99 % interval reaches from it, relative to it (Server: the
 * larger of the arrival rate's and the latency percentile's); INFINITY if unknown. */
double lg_stable_rel(const lg_result *r);

/* stable.c: until_stable. True when until_stable is off, or when the interval of the
 * records so far is narrow enough; checks run at geometrically spaced query counts
 * (every 25 % more queries), so their cost stays a fraction of the run's. */
bool lg_stable_enough(lg_test *t);
/* Free the check's buffers (lg_test_destroy). */
void lg_stable_release(lg_test *t);

/* peak.c */
int lg_run_find_peak(lg_test *t);

/* settings.c */
uint64_t lg_settings_samples_per_query(const lg_settings *s);
uint64_t lg_performance_sample_count(const lg_settings *s, const lg_qsl_ops *q);
/* max_duration in ns; with until_stable and no max_duration, 600 s; 0 = none. */
uint64_t lg_max_duration_ns(const lg_settings *s);

/* Format into a fixed buffer, always NUL-terminated. */
void lg_fmt(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif /* LG_INTERNAL_H */
