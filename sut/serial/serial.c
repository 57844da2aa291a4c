/*
 * sut/serial/serial.c - the serial SUT adapter: spec parsing, the host-side queue in
 * front of the single DUT, the worker thread that drives it (per-sample `infer 1 0`,
 * Offline windows), the fault policy (one re-sync and retry, then lg_test_fail), and
 * the DUT-timed figures. See serial.h; the protocol itself is in dut.c.
 */
#include "sut/serial/serial.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sut/serial/dut.h"

#define DEFAULT_WINDOW_MS 10000
#define DEFAULT_WINDOWS 5
#define DEFAULT_WARMUP 10

typedef struct ser_opts {
  char path[512];
  sut_serial_config cfg;
  unsigned window_ms, windows, warmup;
} ser_opts;

typedef struct ser_input { /* one resident sample, encoded for the wire */
  uint64_t index;
  unsigned char *bytes;
} ser_input;

typedef struct ser_job { /* one issue call: n samples, or an Offline window set */
  lg_test *t;
  const lg_sample *s;
  size_t n;
  bool windows;
} ser_job;

typedef struct serial {
  ser_opts o;
  const wl_model *m;
  const sut_samples *samples;
  size_t in_bytes, out_elems;
  bool offline_windows;          /* Offline performance: MLPerf Tiny windows */
  sut_serial_dut *dut;
  char name[96], model[32];

  ser_input *inputs;             /* sorted by index */
  size_t n_inputs, cap_inputs;

  pthread_mutex_t mu;            /* guards the queue, the counters and the figures */
  pthread_cond_t cv, idle;
  ser_job *q;
  size_t q_head, q_len, q_cap;
  bool busy, quit;
  bool stale;                    /* a canceled command may still be answering: re-sync */
  pthread_t worker;
  uint64_t discarded, not_loaded;

  /* worker only */
  bool on_dut;                   /* dut_index is in the DUT's buffer */
  uint64_t dut_index;
  bool failed;
  float *out;                    /* out_elems, the completion's data */

  /* figures (under mu) */
  uint64_t *lat_ns;
  size_t n_lat, cap_lat;
  sut_device_window win[SUT_MAX_WINDOWS];
  size_t n_win;
  uint64_t wraps, recoveries;
  char last_fault[512], failure[1024];
  uint64_t gap_ms;
} serial;

static const struct {
  const char *workload, *model;
} MODELS[] = {{"kws", "kws01"}, {"vww", "vww01"}, {"ic", "ic01"}, {"ad", "ad01"}};

const char *sut_serial_model_for(const char *workload) {
  for (size_t i = 0; workload && i < sizeof MODELS / sizeof MODELS[0]; i++)
    if (!strcmp(MODELS[i].workload, workload)) return MODELS[i].model;
  return NULL;
}

/* ---- spec ----------------------------------------------------------------------------- */
static int parse_uint(const char *key, const char *v, unsigned min, unsigned max,
                      unsigned *out, char *err, size_t errlen) {
  char *end;
  errno = 0;
  unsigned long x = strtoul(v, &end, 10);
  if (!*v || *end || errno || x < min || x > max || *v == '-') {
    snprintf(err, errlen, "serial option %s=%s: want a whole number %u..%u", key, v, min, max);
    return SUT_EINVAL;
  }
  *out = (unsigned)x;
  return SUT_OK;
}

static int parse_option(ser_opts *o, char *opt, char *err, size_t errlen) {
  char *eq = strchr(opt, '=');
  const char *v = eq ? eq + 1 : "";
  if (eq) *eq = '\0';
  unsigned timeout = 0;
  if (!strcmp(opt, "io-manager") && !eq) {
    o->cfg.io_manager = true;
    return SUT_OK;
  }
  if (!strcmp(opt, "baud")) return parse_uint(opt, v, 50, 12000000, &o->cfg.baud, err, errlen);
  if (!strcmp(opt, "window_ms")) return parse_uint(opt, v, 1, 3600000, &o->window_ms, err, errlen);
  if (!strcmp(opt, "windows"))
    return parse_uint(opt, v, 1, SUT_MAX_WINDOWS, &o->windows, err, errlen);
  if (!strcmp(opt, "warmup")) return parse_uint(opt, v, 0, 1000000, &o->warmup, err, errlen);
  if (!strcmp(opt, "timeout_ms")) {
    int rc = parse_uint(opt, v, 1, 3600000, &timeout, err, errlen);
    o->cfg.timeout_ms = (int)timeout;
    return rc;
  }
  snprintf(err, errlen, "serial option '%s%s%s': unknown; use baud=N, io-manager, "
           "timeout_ms=N, window_ms=N, windows=N, warmup=N", opt, eq ? "=" : "", v);
  return SUT_EINVAL;
}

/* "serial:PATH,opt,opt=v" into *o. */
static int parse_spec(const char *spec, ser_opts *o, char *err, size_t errlen) {
  memset(o, 0, sizeof *o);
  o->cfg.baud = 115200;
  o->window_ms = DEFAULT_WINDOW_MS;
  o->windows = DEFAULT_WINDOWS;
  o->warmup = DEFAULT_WARMUP;
  const char *colon = strchr(spec, ':');
  if (!colon || !colon[1] || colon[1] == ',') {
    snprintf(err, errlen, "serial needs the device: --sut serial:/dev/ttyACM0[,baud=115200]"
             "[,io-manager]");
    return SUT_EINVAL;
  }
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", colon + 1);
  char *save, *tok = strtok_r(buf, ",", &save);
  snprintf(o->path, sizeof o->path, "%s", tok);
  int rc = SUT_OK;
  while (!rc && (tok = strtok_r(NULL, ",", &save))) rc = parse_option(o, tok, err, errlen);
  o->cfg.path = o->path;
  return rc;
}

/* ---- resident inputs ------------------------------------------------------------------ */
static int cmp_input(const void *a, const void *b) {
  uint64_t x = ((const ser_input *)a)->index, y = ((const ser_input *)b)->index;
  return (x > y) - (x < y);
}

static ser_input *find_input(serial *s, uint64_t index) {
  ser_input key = {index, NULL};
  return bsearch(&key, s->inputs, s->n_inputs, sizeof key, cmp_input);
}

/* The wire format of an input: the firmware's f32 form (sut/firmware/fw.h), i.e. the
 * tensor exactly as the CPU SUT's wl_infer() receives it, little-endian binary32. The
 * one place to change when another encoding is wanted. */
static void encode_input(const void *tensor, size_t bytes, unsigned char *wire) {
  memcpy(wire, tensor, bytes);
}

static int ser_load(void *self, const uint64_t *idx, size_t n) {
  serial *s = self;
  void *tensor = malloc(s->in_bytes);
  if (!tensor) return SUT_ENOMEM;
  int rc = SUT_OK;
  pthread_mutex_lock(&s->mu);
  if (s->n_inputs + n > s->cap_inputs) {
    size_t cap = s->n_inputs + n;
    ser_input *p = realloc(s->inputs, cap * sizeof *p);
    if (!p) rc = SUT_ENOMEM;
    else s->inputs = p, s->cap_inputs = cap;
  }
  size_t sorted = s->n_inputs;
  for (size_t i = 0; !rc && i < n; i++) {
    char err[256];
    ser_input key = {idx[i], NULL};
    if (bsearch(&key, s->inputs, sorted, sizeof key, cmp_input)) continue;
    unsigned char *wire = malloc(s->in_bytes);
    if (!wire) rc = SUT_ENOMEM;
    else if (sut_samples_load(s->samples, s->m, idx[i], tensor, err, sizeof err)) rc = SUT_ESAMPLE;
    if (rc) {
      free(wire);
      break;
    }
    encode_input(tensor, s->in_bytes, wire);
    s->inputs[s->n_inputs++] = (ser_input){idx[i], wire};
  }
  qsort(s->inputs, s->n_inputs, sizeof *s->inputs, cmp_input);
  size_t kept = 0; /* an index given twice in one load: keep one copy */
  for (size_t i = 0; i < s->n_inputs; i++) {
    if (kept && s->inputs[kept - 1].index == s->inputs[i].index) free(s->inputs[i].bytes);
    else s->inputs[kept++] = s->inputs[i];
  }
  s->n_inputs = kept;
  pthread_mutex_unlock(&s->mu);
  free(tensor);
  return rc;
}

/* Wait until the worker is idle (every wait inside it is bounded by a timeout). */
static void wait_idle(serial *s) {
  while (s->busy || s->q_len) pthread_cond_wait(&s->idle, &s->mu);
}

/* Drop the queue and stop the job in flight (an interrupted run: loadgen gave up on its
 * samples) at the DUT's next line or within 50 ms. */
static void cancel_all(serial *s) {
  s->discarded += s->q_len;
  s->q_len = 0;
  if (!s->busy) return;
  sut_serial_dut_cancel(s->dut, true);
  wait_idle(s);
  sut_serial_dut_cancel(s->dut, false);
  s->stale = true;
}

static int ser_unload(void *self, const uint64_t *idx, size_t n) {
  serial *s = self;
  pthread_mutex_lock(&s->mu);
  cancel_all(s);
  for (size_t i = 0; i < n; i++) {
    ser_input *in = find_input(s, idx[i]);
    if (!in) continue;
    free(in->bytes);
    *in = s->inputs[--s->n_inputs];
    qsort(s->inputs, s->n_inputs, sizeof *s->inputs, cmp_input);
  }
  pthread_mutex_unlock(&s->mu);
  return SUT_OK;
}

/* ---- the fault policy ------------------------------------------------------------------ */
static void note_fault(serial *s, const char *what) {
  pthread_mutex_lock(&s->mu);
  snprintf(s->last_fault, sizeof s->last_fault, "%.511s", what);
  pthread_mutex_unlock(&s->mu);
}

/* End the run: the device failed for good. */
static void give_up(serial *s, lg_test *t, const char *what) {
  char why[1024];
  snprintf(why, sizeof why, "serial DUT %s", what);
  pthread_mutex_lock(&s->mu);
  snprintf(s->failure, sizeof s->failure, "%s", why);
  snprintf(s->last_fault, sizeof s->last_fault, "%.511s", what);
  s->failed = true;
  pthread_mutex_unlock(&s->mu);
  lg_test_fail(t, why);
}

/* Re-open the device after a hang-up (a USB serial adapter that re-enumerated). */
static bool test_stopping(void *t) { return lg_test_stopping(t); }

static int reopen(serial *s, lg_test *t) {
  char err[512];
  sut_serial_dut *d = NULL;
  int rc = sut_serial_dut_open(&d, &s->o.cfg, err, sizeof err);
  pthread_mutex_lock(&s->mu); /* cancel_all reads s->dut from another thread */
  sut_serial_dut_close(s->dut);
  s->dut = d;
  pthread_mutex_unlock(&s->mu);
  if (rc) note_fault(s, err);
  else sut_serial_dut_watch(d, test_stopping, t);
  return rc;
}

typedef int (*ser_step)(serial *s, void *arg);

/* Run step; on a fault re-sync (or re-open after a hang-up) and run it once more.
 * SUT_SERIAL_OK, or the second failure's status with the run ended. */
static int with_retry(serial *s, lg_test *t, ser_step step, void *arg) {
  int rc = step(s, arg);
  if (rc == SUT_SERIAL_OK || rc == SUT_SERIAL_ECANCELED) return rc; /* canceled: unloading */
  char first[1024];
  snprintf(first, sizeof first, "%s", sut_serial_dut_error(s->dut));
  note_fault(s, first);
  s->on_dut = false; /* a reset or a half-sent input: send it again */
  int rr = rc == SUT_SERIAL_EHUP ? reopen(s, t) : SUT_SERIAL_OK;
  if (!rr) rr = sut_serial_dut_resync(s->dut);
  if (!rr) rc = step(s, arg);
  if (rr == SUT_SERIAL_ECANCELED || rc == SUT_SERIAL_ECANCELED) return SUT_SERIAL_ECANCELED;
  if (!rr && rc == SUT_SERIAL_OK) {
    pthread_mutex_lock(&s->mu);
    s->recoveries++;
    pthread_mutex_unlock(&s->mu);
    return SUT_SERIAL_OK;
  }
  char why[1024];
  snprintf(why, sizeof why, "failed: %.480s; then %s: %.480s", first,
           rr ? (rc == SUT_SERIAL_EHUP ? "re-opening the device failed" : "the re-sync failed")
              : "the retry failed too",
           s->dut ? sut_serial_dut_error(s->dut) : s->last_fault);
  give_up(s, t, why);
  return rr ? rr : rc;
}

/* ---- one inference on one input -------------------------------------------------------- */
typedef struct infer_arg {
  uint64_t index;
  unsigned n, warmup;
  int timeout_ms;
  sut_serial_timing timing;
} infer_arg;

static int send_input(serial *s, uint64_t index) {
  if (s->on_dut && s->dut_index == index) return SUT_SERIAL_OK;
  pthread_mutex_lock(&s->mu);
  ser_input *in = find_input(s, index);
  const unsigned char *bytes = in ? in->bytes : NULL;
  pthread_mutex_unlock(&s->mu);
  if (!bytes) return SUT_SERIAL_EINVAL;
  int rc = sut_serial_dut_load(s->dut, bytes, s->in_bytes);
  s->on_dut = rc == SUT_SERIAL_OK;
  s->dut_index = index;
  return rc;
}

static int infer_step(serial *s, void *arg) {
  infer_arg *a = arg;
  int rc = send_input(s, a->index);
  if (!rc) rc = sut_serial_dut_infer(s->dut, a->n, a->warmup, a->timeout_ms, &a->timing);
  return rc;
}

/* The answer's m-results as the completion's output; false (run ended) when the DUT
 * printed another number of values than the workload has outputs. */
static bool take_outputs(serial *s, lg_test *t) {
  const sut_serial_answer *a = sut_serial_dut_answer(s->dut);
  if (a->results_n == s->out_elems) {
    memcpy(s->out, a->results, s->out_elems * sizeof *s->out);
    return true;
  }
  char why[256];
  snprintf(why, sizeof why, "printed %zu values in m-results-[...], the workload has %zu "
           "outputs: the firmware runs another model build", a->results_n, s->out_elems);
  give_up(s, t, why);
  return false;
}

static void record_timing(serial *s, const sut_serial_timing *tm, bool latency) {
  pthread_mutex_lock(&s->mu);
  s->wraps += tm->wrapped;
  if (latency && s->n_lat == s->cap_lat) {
    size_t cap = s->cap_lat ? 2 * s->cap_lat : 1024;
    uint64_t *p = realloc(s->lat_ns, cap * sizeof *p);
    if (p) s->lat_ns = p, s->cap_lat = cap;
  }
  if (latency && s->n_lat < s->cap_lat) s->lat_ns[s->n_lat++] = tm->dut_us * 1000;
  pthread_mutex_unlock(&s->mu);
}

/* Timeout of an answer expected to take dut_us of DUT time: three times that, plus
 * the ordinary timeout for the link. */
static int infer_timeout(const serial *s, double dut_us) {
  double ms = 3 * dut_us / 1000 + (s->o.cfg.timeout_ms ? s->o.cfg.timeout_ms : 2000);
  return ms > 2e9 ? 2000000000 : (int)ms;
}

/* Each sample on its own: input, infer 1 0, complete with the outputs. Returns the
 * samples completed. */
static size_t run_samples(serial *s, const ser_job *j) {
  size_t done = 0;
  for (size_t i = 0; i < j->n && !s->failed; i++) {
    infer_arg a = {j->s[i].index, 1, 0, infer_timeout(s, 0), {0}};
    pthread_mutex_lock(&s->mu);
    bool resident = find_input(s, a.index) != NULL;
    s->not_loaded += !resident;
    pthread_mutex_unlock(&s->mu);
    if (!resident) continue; /* never completed: loadgen counts it lost */
    if (with_retry(s, j->t, infer_step, &a) || !take_outputs(s, j->t)) break;
    record_timing(s, &a.timing, true);
    lg_response r = {j->s[i].id, s->out, s->out_elems * sizeof *s->out, 0};
    lg_complete(j->t, &r, 1);
    done++;
  }
  return done;
}

static int cmp_f64(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Offline: calibrate, then `windows` windows of >= window_ms DUT time each on different
 * inputs; the query's samples complete window by window (block k with window k).
 * Returns the samples completed. */
static size_t run_windows(serial *s, const ser_job *j) {
  size_t w = s->o.windows < j->n ? s->o.windows : j->n, done = 0;
  infer_arg cal = {j->s[0].index, 1, 0, infer_timeout(s, 0), {0}};
  if (with_retry(s, j->t, infer_step, &cal)) return 0;
  double per_us = cal.timing.dut_us ? (double)cal.timing.dut_us : 1;
  double want = ceil(s->o.window_ms * 1000.0 / per_us);
  unsigned n = want < 1 ? 1 : want > 1e9 ? 1000000000u : (unsigned)want;
  lg_response *resp = malloc(j->n * sizeof *resp);
  if (!resp) {
    give_up(s, j->t, "out of memory for the Offline completions");
    return 0;
  }
  for (size_t k = 0; k < w && !s->failed; k++) {
    size_t first = k * j->n / w, end = (k + 1) * j->n / w;
    infer_arg a = {j->s[first].index, n, s->o.warmup,
                   infer_timeout(s, per_us * (n + s->o.warmup)), {0}};
    if (with_retry(s, j->t, infer_step, &a) || !take_outputs(s, j->t)) break;
    record_timing(s, &a.timing, false);
    pthread_mutex_lock(&s->mu);
    if (s->n_win < SUT_MAX_WINDOWS)
      s->win[s->n_win++] = (sut_device_window){a.index, n, a.timing.dut_us,
                                               a.timing.dut_us ? n * 1e6 / (double)a.timing.dut_us : 0};
    pthread_mutex_unlock(&s->mu);
    for (size_t i = first; i < end; i++)
      resp[i - first] = (lg_response){j->s[i].id, s->out, s->out_elems * sizeof *s->out, 0};
    lg_complete(j->t, resp, end - first);
    done += end - first;
  }
  free(resp);
  return done;
}

/* ---- the worker and the queue ------------------------------------------------------------ */
/* One job with loadgen's stop request watched: an interrupted run gives up the window in
 * flight within 50 ms instead of finishing it. */
static void run_job(serial *s, const ser_job *j) {
  if (s->failed) return;
  sut_serial_dut_watch(s->dut, test_stopping, j->t);
  size_t done = j->windows ? run_windows(s, j) : run_samples(s, j);
  if (s->dut) sut_serial_dut_watch(s->dut, NULL, NULL);
  if (lg_test_stopping(j->t)) { /* a canceled command may still be answering */
    lg_test_drop(j->t, j->n - done);
    pthread_mutex_lock(&s->mu);
    s->stale = true;
    pthread_mutex_unlock(&s->mu);
  }
}

static void *worker_main(void *arg) {
  serial *s = arg;
  pthread_mutex_lock(&s->mu);
  for (;;) {
    while (!s->quit && !s->q_len) pthread_cond_wait(&s->cv, &s->mu);
    if (s->quit) break;
    ser_job j = s->q[s->q_head];
    s->q_head = (s->q_head + 1) % s->q_cap;
    s->q_len--;
    s->busy = true;
    bool stale = s->stale;
    s->stale = false;
    pthread_mutex_unlock(&s->mu);
    if (stale && s->dut) { /* what a canceled command left on the line: not a fault */
      s->on_dut = false;
      sut_serial_dut_resync(s->dut);
    }
    run_job(s, &j);
    pthread_mutex_lock(&s->mu);
    s->busy = false;
    if (!s->q_len) pthread_cond_broadcast(&s->idle);
  }
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

static bool grow_queue(serial *s) {
  size_t cap = s->q_cap ? 2 * s->q_cap : 256;
  ser_job *q = malloc(cap * sizeof *q);
  if (!q) return false;
  for (size_t i = 0; i < s->q_len; i++) q[i] = s->q[(s->q_head + i) % s->q_cap];
  free(s->q);
  s->q = q, s->q_cap = cap, s->q_head = 0;
  return true;
}

static void ser_issue(void *self, lg_test *t, const lg_sample *smp, size_t n) {
  serial *s = self;
  pthread_mutex_lock(&s->mu);
  if (s->failed || (s->q_len == s->q_cap && !grow_queue(s))) {
    s->discarded += n; /* never completed: loadgen counts them lost */
  } else {
    s->q[(s->q_head + s->q_len++) % s->q_cap] = (ser_job){t, smp, n, s->offline_windows};
    pthread_cond_signal(&s->cv);
  }
  pthread_mutex_unlock(&s->mu);
}

static void ser_flush(void *self) { (void)self; }

/* ---- open / describe / close --------------------------------------------------------------- */
static void ser_close(void *self) {
  serial *s = self;
  if (!s) return;
  pthread_mutex_lock(&s->mu);
  cancel_all(s);
  s->quit = true;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  pthread_join(s->worker, NULL);
  sut_serial_dut_close(s->dut);
  for (size_t i = 0; i < s->n_inputs; i++) free(s->inputs[i].bytes);
  free(s->inputs);
  free(s->q);
  free(s->lat_ns);
  free(s->out);
  pthread_cond_destroy(&s->cv);
  pthread_cond_destroy(&s->idle);
  pthread_mutex_destroy(&s->mu);
  free(s);
}

/* The longest the worker may take over one sample (one Offline window) before it either
 * completes it or ends the run with lg_test_fail: every command of it timing out once and
 * its retry too. Every wait here is bounded by its own timeout, so loadgen's drain_timeout
 * (raised to this by the harness) must not declare the SUT hung first: on a slow link (an
 * emulator, a large vww input) a sample can legitimately take longer than 10 s. */
static uint64_t completion_gap_ms(const serial *s) {
  uint64_t timeout = s->o.cfg.timeout_ms > 0 ? (uint64_t)s->o.cfg.timeout_ms : 2000;
  uint64_t commands = 3 + (s->in_bytes + SUT_SERIAL_DB_CHUNK - 1) / SUT_SERIAL_DB_CHUNK;
  uint64_t window = s->offline_windows ? 3ull * s->o.window_ms * (1 + s->o.warmup) + timeout : 0;
  return 2 * (commands * timeout + window);
}

/* name% (one re-sync if the first try fails: the board may still be booting), then
 * profile% and the model check. */
static int handshake(serial *s, const char *want, char *err, size_t errlen) {
  int rc = sut_serial_dut_name(s->dut, s->name, sizeof s->name);
  if (rc && rc != SUT_SERIAL_EHUP) rc = sut_serial_dut_resync(s->dut);
  if (!rc && !s->name[0]) rc = sut_serial_dut_name(s->dut, s->name, sizeof s->name);
  if (!rc) rc = sut_serial_dut_profile(s->dut, s->model, sizeof s->model);
  if (rc) {
    snprintf(err, errlen, "%s (is the board running MLPerf Tiny benchmark firmware%s?)",
             sut_serial_dut_error(s->dut), s->o.cfg.io_manager ? " behind an IO manager"
                                                               : "; an IO manager needs "
                                                                 ",io-manager");
    return SUT_EDEVICE;
  }
  if (strcmp(s->model, want)) {
    snprintf(err, errlen, "%s: the DUT '%s' runs model '%s', the workload needs '%s': flash "
             "the %s firmware or pick the workload that matches", s->o.path, s->name,
             s->model, want, want);
    return SUT_EDEVICE;
  }
  return SUT_OK;
}

static int ser_open(void **self, const sut_options *o, const wl_model *m, char *err,
                    size_t errlen) {
  const wl_info *info = wl_model_info(m);
  const char *want = sut_serial_model_for(info->name);
  if (!want) {
    snprintf(err, errlen, "workload '%s' has no MLPerf Tiny model; the serial SUT runs kws "
             "(kws01), vww (vww01), ic (ic01) and ad (ad01)", info->name);
    return SUT_EINVAL;
  }
  serial *s = calloc(1, sizeof *s);
  if (!s) return SUT_ENOMEM;
  int rc = parse_spec(o->spec, &s->o, err, errlen);
  if (rc) goto fail_spec;
  s->m = m;
  s->samples = o->samples;
  s->in_bytes = wl_tensor_bytes(&info->input);
  s->out_elems = wl_tensor_elems(&info->output);
  s->offline_windows = o->settings && o->settings->scenario == LG_OFFLINE &&
                       o->settings->mode == LG_MODE_PERFORMANCE;
  s->out = calloc(s->out_elems, sizeof *s->out);
  if (!s->out) {
    rc = SUT_ENOMEM;
    goto fail_spec;
  }
  rc = sut_serial_dut_open(&s->dut, &s->o.cfg, err, errlen);
  if (rc) {
    rc = rc == SUT_SERIAL_ENOMEM ? SUT_ENOMEM : SUT_EDEVICE;
    goto fail_spec;
  }
  rc = handshake(s, want, err, errlen);
  if (rc) goto fail_dut;
  s->gap_ms = completion_gap_ms(s);
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  pthread_cond_init(&s->idle, NULL);
  if (pthread_create(&s->worker, NULL, worker_main, s)) {
    snprintf(err, errlen, "serial: cannot start the worker thread");
    rc = SUT_ENOMEM;
    goto fail_thread;
  }
  *self = s;
  return SUT_OK;
fail_thread:
  pthread_cond_destroy(&s->cv);
  pthread_cond_destroy(&s->idle);
  pthread_mutex_destroy(&s->mu);
fail_dut:
  sut_serial_dut_close(s->dut);
fail_spec:
  free(s->out);
  free(s);
  return rc;
}

static void describe_device(serial *s, sut_device_info *d) {
  d->present = true;
  snprintf(d->name, sizeof d->name, "%s", s->name);
  snprintf(d->model, sizeof d->model, "%s", s->model);
  snprintf(d->timing, sizeof d->timing, "DUT microsecond counter (m-lap-us, 32-bit, "
           "wrap-corrected)%s", s->offline_windows ? "; Offline: median of windows" : "");
  uint64_t *copy = s->n_lat ? malloc(s->n_lat * sizeof *copy) : NULL;
  if (copy) {
    memcpy(copy, s->lat_ns, s->n_lat * sizeof *copy);
    lg_latency_stats_compute(copy, s->n_lat, &d->latency);
    free(copy);
  }
  d->windows = s->n_win;
  double rates[SUT_MAX_WINDOWS];
  for (size_t i = 0; i < s->n_win; i++) d->window[i] = s->win[i], rates[i] = s->win[i].samples_per_s;
  qsort(rates, s->n_win, sizeof rates[0], cmp_f64);
  if (s->n_win) /* the median; the mean of the middle two for an even count */
    d->samples_per_s = s->n_win % 2 ? rates[s->n_win / 2]
                                    : (rates[s->n_win / 2 - 1] + rates[s->n_win / 2]) / 2;
  d->counter_wraps = s->wraps;
  d->recoveries = s->recoveries;
  d->garbage_lines = sut_serial_dut_garbage(s->dut);
  snprintf(d->last_fault, sizeof d->last_fault, "%s", s->last_fault);
  snprintf(d->failure, sizeof d->failure, "%s", s->failure);
}

static void ser_describe(void *self, sut_info *out) {
  serial *s = self;
  snprintf(out->name, sizeof out->name, "serial");
  pthread_mutex_lock(&s->mu);
  snprintf(out->device, sizeof out->device, "%.60s (%.40s, %.20s)", s->o.path, s->name,
           s->model);
  out->threads = 0;
  out->batch = 1;
  snprintf(out->pinning, sizeof out->pinning, "none (one DUT behind a serial link)");
  out->samples_not_loaded = s->not_loaded;
  out->samples_discarded = s->discarded;
  out->completion_gap_ms = s->gap_ms;
  describe_device(s, &out->device_timing);
  pthread_mutex_unlock(&s->mu);
}

const sut_backend sut_serial_backend = {
    .name = "serial",
    .help = "a microcontroller speaking the MLPerf Tiny protocol over a serial port "
            "(serial:/dev/ttyACM0[,baud=115200][,io-manager][,timeout_ms=N][,window_ms=N]"
            "[,windows=N][,warmup=N])",
    .open = ser_open,
    .load = ser_load,
    .unload = ser_unload,
    .issue = ser_issue,
    .flush = ser_flush,
    .describe = ser_describe,
    .close = ser_close,
    .pin_caller_off = NULL,
};
