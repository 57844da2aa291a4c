/*
 * harness/counters.h - hardware and software counters over the timed region, counted
 * on each SUT worker thread and summed (prefix mb_counters_), and the harness's own
 * progress counters published as PAPI software-defined events (mb_counters_sde_).
 *
 * Two sources are counted per worker thread:
 *   "papi" the events of the --counters spec (PAPI presets such as PAPI_TOT_INS, or
 *          native names such as perf::TASK-CLOCK), one PAPI event set per worker,
 *          attached to the worker with PAPI_attach;
 *   "perf" software counters that every Linux kernel has, opened directly with
 *          perf_event_open(PERF_TYPE_SOFTWARE, pid = the worker's thread id, cpu = -1):
 *          task-clock (ns), context-switches, cpu-migrations, page-faults.
 * A counter this machine cannot count is reported with available = false and the
 * reason (PAPI's component disabled_reason, PAPI_strerror of the failing call, or
 * perf_event_open's errno text), never as 0.
 *
 * Order of calls (the harness):
 *
 *     mb_counters *c;
 *     mb_counters_open(&c, opts->counters, opts->counters_required, err, sizeof err);
 *     ... open the SUT, get its worker thread ids (or mb_counters_gettid() for an
 *         inline SUT, whose work runs on the thread that runs lg_test_run) ...
 *     mb_counters_attach(c, tids, n, err, sizeof err);
 *     lg_hooks.timed(ctx, true)  -> mb_counters_start(c);
 *     lg_hooks.timed(ctx, false) -> mb_counters_stop(c);   (start again resets)
 *     mb_counters_result(c, samples_completed, &report);     copy into results.json
 *     mb_counters_close(c);
 *
 * Thread-safety: one mb_counters must be used by one thread at a time (open, attach,
 * start, stop may each come from a different thread). PAPI itself is one library per
 * process: mb_counters_open initializes it (PAPI_library_init, PAPI_thread_init) when
 * nobody has, and never shuts it down, so other PAPI users in the process keep working.
 */
#ifndef MB_COUNTERS_H
#define MB_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- status codes: one table makes the enum and mb_counters_strerror() -------- */
#define MB_COUNTERS_STATUS_MAP(X)                                                   \
  X(OK, 0, "success")                                                               \
  X(EINVAL, -1, "invalid argument")                                                 \
  X(ENOMEM, -2, "out of memory")                                                    \
  X(EPHASE, -3, "call not allowed in this phase")                                   \
  X(EUNAVAILABLE, -4, "a required counter cannot be counted on this machine")       \
  X(ESYS, -5, "a system or library call failed")

typedef enum {
#define MB_COUNTERS_ENUM_(name, value, text) MB_COUNTERS_##name = (value),
  MB_COUNTERS_STATUS_MAP(MB_COUNTERS_ENUM_)
#undef MB_COUNTERS_ENUM_
} mb_counters_status;

/* Message for a status code; never NULL ("unknown status" for foreign codes). */
const char *mb_counters_strerror(int status);

/* The events `--counters default` asks PAPI for: instructions, cycles, L1 and L2 data
 * cache misses and last-level (L3) cache misses, as PAPI presets. */
#define MB_COUNTERS_DEFAULT "PAPI_TOT_INS,PAPI_TOT_CYC,PAPI_L1_DCM,PAPI_L2_DCM,PAPI_L3_TCM"

#define MB_COUNTERS_MAX_PAPI 16 /* PAPI events in one spec */
#define MB_COUNTERS_MAX 24      /* counters in one result: PAPI events + software */

/* One counter over the timed region, summed over the worker threads. Plain data: the
 * harness copies it into results.json. */
typedef struct mb_counter_value {
  char name[64];        /* "PAPI_TOT_INS", "task-clock" */
  bool available;       /* false: total and per_inference are NAN, reason says why */
  double total;         /* summed over worker threads */
  double per_inference; /* total / inferences (instructions/inference, misses/inference);
                           NAN when inferences was 0 */
  char unit[16];        /* "count", "ns" */
  char source[16];      /* "papi", "perf", "sde" */
  char reason[256];     /* why it is unavailable; for an available counter a caveat
                           ("user-space page faults only: ...") or empty */
} mb_counter_value;

typedef struct mb_counters_report {
  size_t count;                              /* entries used in counters[] */
  mb_counter_value counters[MB_COUNTERS_MAX]; /* PAPI events in spec order, then the
                                               software counters */
  bool ipc_available;                        /* both PAPI_TOT_INS and PAPI_TOT_CYC */
  double ipc;                                /* instructions per cycle; NAN if not */
  char ipc_reason[256];                      /* why IPC is missing */
  size_t threads;                            /* worker threads counted */
  double interval_s;                         /* start..stop of the last window */
} mb_counters_report;

typedef struct mb_counters mb_counters;

/*
 * Create a collector. spec: NULL, "" or "none" = software counters only; "default" =
 * MB_COUNTERS_DEFAULT; otherwise a comma-separated list of PAPI event names (the word
 * default may appear in it; a name listed twice is counted once; names of the
 * software counters are accepted and ignored, they are always counted). Each PAPI event is checked here, on the calling thread;
 * one that cannot be counted is kept, unavailable, with its reason.
 * required: every requested PAPI event must be countable, or this (or attach) fails.
 * Returns MB_COUNTERS_OK; MB_COUNTERS_EINVAL for a malformed spec (more than
 * MB_COUNTERS_MAX_PAPI events, a name of 64 characters or more);
 * MB_COUNTERS_EUNAVAILABLE when required and an event is unavailable (err says
 * which, why and what to do); MB_COUNTERS_ENOMEM. err (may be NULL) gets the message.
 * On error *out is NULL. The caller owns *out: mb_counters_close frees it.
 */
int mb_counters_open(mb_counters **out, const char *spec, bool required, char *err,
                     size_t errlen);

/*
 * Count on the n threads whose kernel thread ids are tids[] (the SUT's workers): one
 * PAPI event set per thread (PAPI_attach) and one perf_event_open fd per software
 * counter per thread. tids == NULL or n == 0 means the calling thread. Allowed once,
 * after open. A counter that fails on any thread becomes unavailable with the reason
 * (a sum over some of the threads would be wrong). Returns MB_COUNTERS_OK,
 * MB_COUNTERS_EUNAVAILABLE when required and a PAPI event failed (err says why;
 * nothing stays attached), MB_COUNTERS_EPHASE, MB_COUNTERS_EINVAL, MB_COUNTERS_ENOMEM.
 * tids is copied.
 */
int mb_counters_attach(mb_counters *c, const pid_t *tids, size_t n, char *err,
                       size_t errlen);

/* Zero and start every counter (call right before the timed region). Allowed after
 * attach and after stop (a new window). A counter whose start fails becomes
 * unavailable with the reason. Returns MB_COUNTERS_OK, MB_COUNTERS_EPHASE (not
 * attached, or already running), MB_COUNTERS_EUNAVAILABLE when required and a PAPI
 * event failed to start. */
int mb_counters_start(mb_counters *c);

/* Stop and read every counter (call right after the timed region). Returns
 * MB_COUNTERS_OK, MB_COUNTERS_EPHASE when not running, MB_COUNTERS_EUNAVAILABLE when
 * required and a PAPI event failed to stop. */
int mb_counters_stop(mb_counters *c);

/* The counters of the last start..stop window into *out (zeroed first), per_inference
 * = total / inferences. Returns MB_COUNTERS_OK, MB_COUNTERS_EPHASE before the first
 * stop or while running, MB_COUNTERS_EINVAL for NULL arguments. */
int mb_counters_result(const mb_counters *c, uint64_t inferences,
                       mb_counters_report *out);

/* Stop if running, release event sets and fds, free. Accepts NULL. */
void mb_counters_close(mb_counters *c);

/* The calling thread's kernel thread id (what attach takes). */
pid_t mb_counters_gettid(void);

/* ---- the harness's own counters as PAPI software-defined events (SDE) ----------
 *
 * While the handle is open, any PAPI tool in the process (linked with libpapi, e.g.
 * a PAPI_hl region, TAU, HPCToolkit, or a test) reads them as
 *
 *     sde:::mlsysbench::samples_issued      samples handed to the SUT
 *     sde:::mlsysbench::samples_completed   samples completed
 *     sde:::mlsysbench::bytes_in            input bytes handed to the SUT
 *     sde:::mlsysbench::bytes_out           output bytes that came back
 *
 *     int es = PAPI_NULL; long long v;
 *     PAPI_library_init(PAPI_VER_CURRENT); PAPI_create_eventset(&es);
 *     PAPI_add_named_event(es, "sde:::mlsysbench::samples_completed");
 *     PAPI_start(es); ... PAPI_read(es, &v);   // completed since PAPI_start
 *
 * They are registered PAPI_SDE_RO | PAPI_SDE_DELTA: like hardware counters, a reading
 * is the growth since the tool's PAPI_start. `papi_native_avail` lists them only while
 * a process has them registered (SDE is in-process; the binary must be linked with
 * libsde, which the Makefile does).
 *
 * The four values are process-wide, as SDE names are: libsde 7.0 cannot take a
 * registration back (re-registering keeps the first address, unregistering then
 * registering again reads freed memory, init after shutdown crashes), so they live in
 * static storage registered once and never unregistered. Open and close may be
 * repeated (one run after another in a suite); have one handle open at a time, as
 * every handle writes the same four values. Once registered, a PAPI tool keeps
 * reading the last values published, also after close.
 */
typedef struct mb_counters_sde mb_counters_sde;

#define MB_COUNTERS_SDE_LIBRARY "mlsysbench"
#define MB_COUNTERS_SDE_COUNT 4 /* samples_issued, samples_completed, bytes_in, bytes_out */

/* Set the four counters to 0 and register them with libsde under
 * MB_COUNTERS_SDE_LIBRARY (the first time in the process; later opens find them
 * registered). Returns MB_COUNTERS_OK, MB_COUNTERS_ESYS (err names the counter libsde
 * refused), MB_COUNTERS_ENOMEM. On error *out is NULL. mb_counters_sde_close frees. */
int mb_counters_sde_open(mb_counters_sde **out, char *err, size_t errlen);

/* Publish the current totals: four relaxed atomic stores, no lock, no allocation;
 * safe from any thread, concurrently with PAPI reading them. s == NULL is a no-op. */
void mb_counters_sde_update(mb_counters_sde *s, uint64_t samples_issued,
                            uint64_t samples_completed, uint64_t bytes_in,
                            uint64_t bytes_out);

/* The four values as counters (source "sde", unit "count" or "bytes") into out[0..3],
 * per_inference = value / inferences. Returns how many were written (4, or 0 when s
 * or out is NULL). */
size_t mb_counters_sde_values(const mb_counters_sde *s, uint64_t inferences,
                              mb_counter_value out[MB_COUNTERS_SDE_COUNT]);

/* Free the handle (the registration stays, see above). Accepts NULL. */
void mb_counters_sde_close(mb_counters_sde *s);

#endif /* MB_COUNTERS_H */
