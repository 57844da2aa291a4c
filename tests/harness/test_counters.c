/*
 * tests/harness/test_counters.c - harness/counters: the software counters count a
 * worker thread for real (CPU time of a ~50 ms burn, the page faults of fresh
 * memory), attaching to several threads sums them, a PAPI event this machine cannot
 * count is unavailable with PAPI's reason (never a 0) and --counters-required turns
 * that into an error, the non-root case explains kernel.perf_event_paranoid, the
 * phases are checked, and PAPI itself reads the harness's SDE counters back in
 * process (the path an external PAPI tool takes). On a machine with a hardware PMU
 * the PAPI tests check real counts instead of the reasons.
 */
#include <errno.h>
#include <math.h>
#include <papi.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness/counters.h"

/* ---- a worker thread that burns CPU and touches fresh pages on request --------- */

typedef struct worker {
  pthread_t thread;
  pid_t tid;
  sem_t go, done;
  int burn_ms;   /* CPU time to burn on the next go */
  size_t pages;  /* fresh pages to touch on the next go */
  bool quit;
} worker;

static double thread_cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void burn_cpu(int ms) {
  volatile double x = 1;
  double end = thread_cpu_ms() + ms;
  while (thread_cpu_ms() < end)
    for (int i = 0; i < 10000; i++) x = x * 1.0000001 + 1e-9;
}

static void touch_pages(size_t pages) {
  if (pages == 0) return;
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  char *m = mmap(NULL, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                 -1, 0);
  assert_true(m != MAP_FAILED);
  for (size_t i = 0; i < pages; i++) ((volatile char *)m)[i * page] = 1;
  munmap(m, pages * page);
}

static void *worker_main(void *arg) {
  worker *w = arg;
  w->tid = mb_counters_gettid();
  sem_post(&w->done);
  for (;;) {
    sem_wait(&w->go);
    if (w->quit) return NULL;
    burn_cpu(w->burn_ms);
    touch_pages(w->pages);
    sem_post(&w->done);
  }
}

static void worker_start(worker *w) {
  memset(w, 0, sizeof *w);
  sem_init(&w->go, 0, 0);
  sem_init(&w->done, 0, 0);
  assert_int_equal(pthread_create(&w->thread, NULL, worker_main, w), 0);
  sem_wait(&w->done); /* w->tid is set */
}

static void worker_run(worker *w, int burn_ms, size_t pages) {
  w->burn_ms = burn_ms;
  w->pages = pages;
  sem_post(&w->go);
}

static void worker_wait(worker *w) { sem_wait(&w->done); }

static void worker_stop(worker *w) {
  w->quit = true;
  sem_post(&w->go);
  pthread_join(w->thread, NULL);
  sem_destroy(&w->go);
  sem_destroy(&w->done);
}

/* ---- helpers ---------------------------------------------------------------------- */

static const mb_counter_value *find(const mb_counters_report *r, const char *name) {
  for (size_t i = 0; i < r->count; i++)
    if (strcmp(r->counters[i].name, name) == 0) return &r->counters[i];
  fail_msg("counter %s missing from the result", name);
  return NULL;
}

static mb_counters *open_ok(const char *spec, bool required) {
  mb_counters *c = NULL;
  char err[512];
  int rc = mb_counters_open(&c, spec, required, err, sizeof err);
  if (rc != MB_COUNTERS_OK) fail_msg("open(%s): %s: %s", spec, mb_counters_strerror(rc), err);
  return c;
}

static void attach_ok(mb_counters *c, const pid_t *tids, size_t n) {
  char err[512];
  int rc = mb_counters_attach(c, tids, n, err, sizeof err);
  if (rc != MB_COUNTERS_OK) fail_msg("attach: %s: %s", mb_counters_strerror(rc), err);
}

/* One window around `burn_ms` of CPU and `pages` fresh pages on worker w. */
static void measure(mb_counters *c, worker *w, int burn_ms, size_t pages,
                    mb_counters_report *r) {
  assert_int_equal(mb_counters_start(c), MB_COUNTERS_OK);
  worker_run(w, burn_ms, pages);
  worker_wait(w);
  assert_int_equal(mb_counters_stop(c), MB_COUNTERS_OK);
  assert_int_equal(mb_counters_result(c, 10, r), MB_COUNTERS_OK);
}

/* ---- software counters -------------------------------------------------------------- */

static void test_software_counters_count_a_worker(void **state) {
  (void)state;
  worker w;
  worker_start(&w);
  mb_counters *c = open_ok(NULL, true);
  attach_ok(c, &w.tid, 1);
  mb_counters_report r;
  measure(c, &w, 50, 256, &r);
  const mb_counter_value *clock = find(&r, "task-clock");
  const mb_counter_value *faults = find(&r, "page-faults");
  const mb_counter_value *switches = find(&r, "context-switches");
  fprintf(stderr, "    worker: task-clock %.0f ns, page-faults %.0f, context-switches "
          "%.0f, cpu-migrations %.0f, window %.3f s\n", clock->total, faults->total,
          switches->total, find(&r, "cpu-migrations")->total, r.interval_s);
  assert_true(clock->available);
  assert_string_equal(clock->source, "perf");
  assert_string_equal(clock->unit, "ns");
  assert_true(clock->total >= 30e6 && clock->total <= 2e9);
  assert_true(fabs(clock->per_inference - clock->total / 10) < 1e-6);
  assert_true(faults->available);
  assert_true(faults->total >= 256 / 2);
  assert_true(switches->available && switches->total >= 0);
  assert_int_equal(r.count, 4); /* no PAPI events asked for */
  assert_int_equal(r.threads, 1);
  assert_false(r.ipc_available);
  assert_true(isnan(r.ipc));
  assert_non_null(strstr(r.ipc_reason, "PAPI_TOT_INS"));
  mb_counters_close(c);
  worker_stop(&w);
}

/* Three collectors over the same window: both workers, and each alone. */
static void test_attach_sums_over_threads(void **state) {
  (void)state;
  worker w[2];
  worker_start(&w[0]);
  worker_start(&w[1]);
  pid_t tids[2] = {w[0].tid, w[1].tid};
  mb_counters *both = open_ok("none", false), *one[2];
  attach_ok(both, tids, 2);
  for (int i = 0; i < 2; i++) {
    one[i] = open_ok(NULL, false);
    attach_ok(one[i], &tids[i], 1);
    assert_int_equal(mb_counters_start(one[i]), MB_COUNTERS_OK);
  }
  assert_int_equal(mb_counters_start(both), MB_COUNTERS_OK);
  worker_run(&w[0], 30, 100);
  worker_run(&w[1], 40, 200);
  worker_wait(&w[0]);
  worker_wait(&w[1]);
  assert_int_equal(mb_counters_stop(both), MB_COUNTERS_OK);
  mb_counters_report rb, r1[2];
  assert_int_equal(mb_counters_result(both, 1, &rb), MB_COUNTERS_OK);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(mb_counters_stop(one[i]), MB_COUNTERS_OK);
    assert_int_equal(mb_counters_result(one[i], 1, &r1[i]), MB_COUNTERS_OK);
  }
  double sum = find(&r1[0], "task-clock")->total + find(&r1[1], "task-clock")->total;
  double all = find(&rb, "task-clock")->total;
  fprintf(stderr, "    task-clock: both %.0f ns, alone %.0f + %.0f ns\n", all,
          find(&r1[0], "task-clock")->total, find(&r1[1], "task-clock")->total);
  assert_int_equal(rb.threads, 2);
  assert_true(all >= 60e6);
  assert_true(fabs(all - sum) <= 0.05 * sum);
  assert_true(find(&rb, "page-faults")->total >= 150);
  double faults = find(&r1[0], "page-faults")->total + find(&r1[1], "page-faults")->total;
  assert_true(fabs(find(&rb, "page-faults")->total - faults) <= 2);
  for (int i = 0; i < 2; i++) mb_counters_close(one[i]);
  mb_counters_close(both);
  worker_stop(&w[0]);
  worker_stop(&w[1]);
}

/* Starting again resets; phases are checked. */
static void test_phases_and_restart(void **state) {
  (void)state;
  worker w;
  worker_start(&w);
  mb_counters *c = open_ok(NULL, false);
  mb_counters_report r;
  assert_int_equal(mb_counters_start(c), MB_COUNTERS_EPHASE);
  assert_int_equal(mb_counters_stop(c), MB_COUNTERS_EPHASE);
  assert_int_equal(mb_counters_result(c, 1, &r), MB_COUNTERS_EPHASE);
  attach_ok(c, &w.tid, 1);
  assert_int_equal(mb_counters_attach(c, &w.tid, 1, NULL, 0), MB_COUNTERS_EPHASE);
  assert_int_equal(mb_counters_result(c, 1, &r), MB_COUNTERS_EPHASE);
  measure(c, &w, 40, 0, &r);
  double first = find(&r, "task-clock")->total;
  assert_int_equal(mb_counters_start(c), MB_COUNTERS_OK);
  assert_int_equal(mb_counters_start(c), MB_COUNTERS_EPHASE);
  assert_int_equal(mb_counters_result(c, 1, &r), MB_COUNTERS_EPHASE);
  worker_run(&w, 1, 0);
  worker_wait(&w);
  assert_int_equal(mb_counters_stop(c), MB_COUNTERS_OK);
  assert_int_equal(mb_counters_stop(c), MB_COUNTERS_EPHASE);
  assert_int_equal(mb_counters_result(c, 0, &r), MB_COUNTERS_OK);
  double second = find(&r, "task-clock")->total;
  assert_true(second < first / 2); /* reset, not accumulated */
  assert_true(isnan(find(&r, "task-clock")->per_inference)); /* 0 inferences */
  mb_counters_close(c);
  mb_counters_close(NULL);
  worker_stop(&w);
}

/* tids == NULL: the calling thread (an inline SUT). */
static void test_attach_calling_thread(void **state) {
  (void)state;
  mb_counters *c = open_ok(NULL, false);
  attach_ok(c, NULL, 0);
  assert_int_equal(mb_counters_start(c), MB_COUNTERS_OK);
  burn_cpu(20);
  touch_pages(64);
  assert_int_equal(mb_counters_stop(c), MB_COUNTERS_OK);
  mb_counters_report r;
  assert_int_equal(mb_counters_result(c, 4, &r), MB_COUNTERS_OK);
  assert_true(find(&r, "task-clock")->total >= 10e6);
  assert_true(find(&r, "page-faults")->total >= 32);
  mb_counters_close(c);
}

/* A thread id that does not exist: every counter unavailable with the errno text. */
static void test_missing_thread_is_unavailable(void **state) {
  (void)state;
  pid_t bogus = 0x3ffffff0;
  mb_counters *c = open_ok(NULL, false);
  attach_ok(c, &bogus, 1);
  assert_int_equal(mb_counters_start(c), MB_COUNTERS_OK);
  assert_int_equal(mb_counters_stop(c), MB_COUNTERS_OK);
  mb_counters_report r;
  assert_int_equal(mb_counters_result(c, 1, &r), MB_COUNTERS_OK);
  for (size_t i = 0; i < r.count; i++) {
    assert_false(r.counters[i].available);
    assert_true(isnan(r.counters[i].total));
    assert_non_null(strstr(r.counters[i].reason, "perf_event_open("));
    assert_non_null(strstr(r.counters[i].reason, strerror(ESRCH)));
  }
  mb_counters_close(c);
}

/* Not root: the kernel refuses kernel-mode counting at perf_event_paranoid >= 2, and
 * everything at >= 3. Run in a child that drops to nobody. */
static int paranoid_level(void) {
  int v = -1;
  FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
  if (f) {
    if (fscanf(f, "%d", &v) != 1) v = -1;
    fclose(f);
  }
  return v;
}

/* The checks, in the unprivileged child: 0 when they hold, else a line number. */
static int unprivileged_checks(int paranoid) {
  mb_counters *c = NULL;
  mb_counters_report r;
  if (mb_counters_open(&c, NULL, false, NULL, 0) || mb_counters_attach(c, NULL, 0, NULL, 0))
    return __LINE__;
  if (mb_counters_start(c)) return __LINE__;
  burn_cpu(20);
  touch_pages(64);
  if (mb_counters_stop(c) || mb_counters_result(c, 1, &r)) return __LINE__;
  const mb_counter_value *clock = &r.counters[0], *sw = &r.counters[1],
                         *faults = &r.counters[3];
  if (strcmp(clock->name, "task-clock") || strcmp(faults->name, "page-faults"))
    return __LINE__;
  if (paranoid >= 3) {
    if (clock->available || !strstr(clock->reason, "perf_event_paranoid")) return __LINE__;
  } else if (paranoid == 2) {
    if (!clock->available || clock->total < 10e6 || clock->reason[0]) return __LINE__;
    if (!faults->available || faults->total < 32 || !strstr(faults->reason, "user-space"))
      return __LINE__;
    if (sw->available || !strstr(sw->reason, "Permission denied") ||
        !strstr(sw->reason, "kernel.perf_event_paranoid = 2"))
      return __LINE__;
  } else if (!clock->available || !sw->available) {
    return __LINE__;
  }
  fprintf(stderr, "    as nobody (paranoid %d): task-clock %s %.0f ns, %s: %s\n", paranoid,
          clock->available ? "available" : "unavailable", clock->total, sw->name,
          sw->available ? "available" : sw->reason);
  mb_counters_close(c);
  return 0;
}

static void test_unprivileged_explains_paranoid(void **state) {
  (void)state;
  if (geteuid() != 0) {
    assert_int_equal(unprivileged_checks(paranoid_level()), 0);
    return;
  }
  fflush(stderr);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)) _exit(99);
    _exit(unprivileged_checks(paranoid_level()) ? 1 : 0);
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  if (WEXITSTATUS(status) == 99) {
    fprintf(stderr, "SKIP: cannot drop to uid 65534 here\n");
    skip();
  }
  assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- PAPI events ------------------------------------------------------------------ */

/* PAPI_TOT_INS: counted for real with a PMU; otherwise unavailable with the reason. */
static void test_papi_instructions(void **state) {
  (void)state;
  worker w;
  worker_start(&w);
  mb_counters *c = open_ok("PAPI_TOT_INS", false);
  attach_ok(c, &w.tid, 1);
  mb_counters_report r;
  measure(c, &w, 30, 0, &r);
  const mb_counter_value *ins = find(&r, "PAPI_TOT_INS");
  assert_string_equal(ins->source, "papi");
  assert_int_equal(r.count, 5);
  assert_ptr_equal(ins, &r.counters[0]); /* PAPI events come first */
  if (ins->available) {
    fprintf(stderr, "    PAPI_TOT_INS = %.0f over a 30 ms burn\n", ins->total);
    assert_true(ins->total > 1e6);
  } else {
    fprintf(stderr, "    PAPI_TOT_INS unavailable: %s\n", ins->reason);
    assert_true(isnan(ins->total) && isnan(ins->per_inference));
    assert_true(strlen(ins->reason) > 20);
    assert_non_null(strstr(ins->reason, "PAPI_TOT_INS"));
    assert_non_null(strstr(ins->reason, "perf_event"));
  }
  assert_true(find(&r, "task-clock")->available); /* software counters still count */
  mb_counters_close(c);
  worker_stop(&w);
}

/* --counters-required: an event this machine cannot count fails open with a message. */
static void test_required_fails_with_message(void **state) {
  (void)state;
  mb_counters *c = (mb_counters *)&c;
  char err[512];
  int rc = mb_counters_open(&c, "PAPI_TOT_INS,NO_SUCH_EVENT_XYZ", true, err, sizeof err);
  fprintf(stderr, "    required: %s\n", err);
  assert_int_equal(rc, MB_COUNTERS_EUNAVAILABLE);
  assert_null(c);
  assert_non_null(strstr(err, "cannot be counted"));
  assert_non_null(strstr(err, "--counters-required"));
  assert_non_null(strstr(err, "papi_avail"));
  assert_non_null(strstr(err, "does not exist")); /* PAPI_strerror(PAPI_ENOEVNT) */
  /* The same spec without required: open succeeds and reports them. */
  c = open_ok("PAPI_TOT_INS,NO_SUCH_EVENT_XYZ", false);
  mb_counters_close(c);
}

/* A PAPI native software event: with PAPI_attach working it counts the worker;
 * where PAPI cannot attach (no PMU: its permission check opens a hardware event) it
 * is unavailable with PAPI_attach's error, and required makes attach fail. */
static void test_papi_attach_native_event(void **state) {
  (void)state;
  const char *spec = "perf::TASK-CLOCK";
  worker w;
  worker_start(&w);
  mb_counters *c = open_ok(spec, false);
  attach_ok(c, &w.tid, 1);
  mb_counters_report r;
  measure(c, &w, 30, 0, &r);
  const mb_counter_value *k = find(&r, spec);
  if (k->available) {
    fprintf(stderr, "    %s = %.0f ns\n", spec, k->total);
    assert_true(k->total >= 20e6);
  } else {
    fprintf(stderr, "    %s unavailable: %s\n", spec, k->reason);
    assert_non_null(strstr(k->reason, "thread"));
    assert_true(isnan(k->total));
  }
  mb_counters_close(c);
  c = open_ok(spec, true); /* the probe on this thread works */
  char err[512] = "";
  int rc = mb_counters_attach(c, &w.tid, 1, err, sizeof err);
  assert_int_equal(rc, k->available ? MB_COUNTERS_OK : MB_COUNTERS_EUNAVAILABLE);
  if (rc) assert_non_null(strstr(err, "--counters-required"));
  assert_int_equal(mb_counters_start(c), rc ? MB_COUNTERS_EPHASE : MB_COUNTERS_OK);
  mb_counters_close(c);
  worker_stop(&w);
}

static void test_spec_parsing(void **state) {
  (void)state;
  mb_counters *c = open_ok("default", false);
  attach_ok(c, NULL, 0);
  assert_int_equal(mb_counters_start(c), MB_COUNTERS_OK);
  assert_int_equal(mb_counters_stop(c), MB_COUNTERS_OK);
  mb_counters_report r;
  assert_int_equal(mb_counters_result(c, 1, &r), MB_COUNTERS_OK);
  const char *want[] = {"PAPI_TOT_INS", "PAPI_TOT_CYC", "PAPI_L1_DCM", "PAPI_L2_DCM",
                        "PAPI_L3_TCM", "task-clock", "context-switches",
                        "cpu-migrations", "page-faults"};
  assert_int_equal(r.count, 9);
  for (size_t i = 0; i < 9; i++) {
    assert_string_equal(r.counters[i].name, want[i]);
    if (!r.counters[i].available) assert_true(r.counters[i].reason[0] != '\0');
  }
  if (!r.ipc_available) fprintf(stderr, "    ipc: %s\n", r.ipc_reason);
  else fprintf(stderr, "    ipc: %.3f\n", r.ipc);
  mb_counters_close(c);

  /* spaces trimmed, duplicates and software counter names merged */
  c = open_ok(" PAPI_TOT_CYC , task-clock,default,,PAPI_TOT_CYC ", false);
  attach_ok(c, NULL, 0);
  assert_int_equal(mb_counters_start(c), MB_COUNTERS_OK);
  assert_int_equal(mb_counters_stop(c), MB_COUNTERS_OK);
  assert_int_equal(mb_counters_result(c, 1, &r), MB_COUNTERS_OK);
  assert_int_equal(r.count, 9);
  assert_string_equal(r.counters[0].name, "PAPI_TOT_CYC");
  assert_string_equal(r.counters[1].name, "PAPI_TOT_INS");
  mb_counters_close(c);
  char err[256];
  char many[1024] = "";
  for (int i = 0; i <= MB_COUNTERS_MAX_PAPI; i++)
    snprintf(many + strlen(many), sizeof many - strlen(many), "E%d,", i);
  assert_int_equal(mb_counters_open(&c, many, false, err, sizeof err), MB_COUNTERS_EINVAL);
  assert_non_null(strstr(err, "more than 16 events"));
  char longname[100];
  memset(longname, 'A', 80);
  longname[80] = '\0';
  assert_int_equal(mb_counters_open(&c, longname, false, err, sizeof err),
                   MB_COUNTERS_EINVAL);
  assert_non_null(strstr(err, "too long"));
  assert_int_equal(mb_counters_open(NULL, "none", false, NULL, 0), MB_COUNTERS_EINVAL);
  assert_string_equal(mb_counters_strerror(MB_COUNTERS_EUNAVAILABLE),
                      "a required counter cannot be counted on this machine");
  assert_string_equal(mb_counters_strerror(12345), "unknown status");
}

/* ---- SDE ------------------------------------------------------------------------------ */

/* PAPI reads the harness's counter the way an external PAPI tool would. */
static void test_sde_read_back_by_papi(void **state) {
  (void)state;
  mb_counters_sde *s = NULL;
  char err[256];
  assert_int_equal(mb_counters_sde_open(&s, err, sizeof err), MB_COUNTERS_OK);
  if (PAPI_is_initialized() == PAPI_NOT_INITED)
    assert_int_equal(PAPI_library_init(PAPI_VER_CURRENT), PAPI_VER_CURRENT);
  int es = PAPI_NULL;
  assert_int_equal(PAPI_create_eventset(&es), PAPI_OK);
  int rc = PAPI_add_named_event(es, "sde:::mlsysbench::samples_completed");
  if (rc != PAPI_OK)
    fail_msg("PAPI_add_named_event(sde:::mlsysbench::samples_completed): %s (sde: %s)",
             PAPI_strerror(rc),
             PAPI_get_component_info(PAPI_get_component_index("sde"))->disabled_reason);
  mb_counters_sde_update(s, 10, 7, 1000, 70);
  assert_int_equal(PAPI_start(es), PAPI_OK);
  mb_counters_sde_update(s, 60, 49, 6000, 490);
  long long v = -1;
  assert_int_equal(PAPI_read(es, &v), PAPI_OK);
  fprintf(stderr, "    PAPI_read(sde:::mlsysbench::samples_completed) = %lld\n", v);
  assert_int_equal(v, 42); /* growth since PAPI_start: 49 - 7 */
  mb_counters_sde_update(s, 100, 100, 10000, 1000);
  assert_int_equal(PAPI_stop(es, &v), PAPI_OK);
  assert_int_equal(v, 93);
  PAPI_cleanup_eventset(es);
  PAPI_destroy_eventset(&es);

  mb_counter_value out[MB_COUNTERS_SDE_COUNT];
  assert_int_equal(mb_counters_sde_values(s, 100, out), MB_COUNTERS_SDE_COUNT);
  assert_string_equal(out[1].name, "samples_completed");
  assert_string_equal(out[1].source, "sde");
  assert_true(out[1].available && out[1].total == 100 && out[1].per_inference == 1);
  assert_string_equal(out[2].unit, "bytes");
  assert_true(out[3].total == 1000 && out[3].per_inference == 10);
  mb_counters_sde_close(s);

  /* A later run registers them again and PAPI reads the new variables. */
  assert_int_equal(mb_counters_sde_open(&s, err, sizeof err), MB_COUNTERS_OK);
  assert_int_equal(PAPI_create_eventset(&es), PAPI_OK);
  assert_int_equal(PAPI_add_named_event(es, "sde:::mlsysbench::bytes_out"), PAPI_OK);
  assert_int_equal(PAPI_start(es), PAPI_OK);
  mb_counters_sde_update(s, 1, 1, 100, 12);
  assert_int_equal(PAPI_stop(es, &v), PAPI_OK);
  assert_int_equal(v, 12);
  PAPI_cleanup_eventset(es);
  PAPI_destroy_eventset(&es);
  mb_counters_sde_close(s);
  mb_counters_sde_update(NULL, 1, 1, 1, 1); /* no-op */
  assert_int_equal(mb_counters_sde_values(NULL, 1, out), 0);
  mb_counters_sde_close(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_software_counters_count_a_worker),
      cmocka_unit_test(test_attach_sums_over_threads),
      cmocka_unit_test(test_phases_and_restart),
      cmocka_unit_test(test_attach_calling_thread),
      cmocka_unit_test(test_missing_thread_is_unavailable),
      cmocka_unit_test(test_unprivileged_explains_paranoid),
      cmocka_unit_test(test_papi_instructions),
      cmocka_unit_test(test_required_fails_with_message),
      cmocka_unit_test(test_papi_attach_native_event),
      cmocka_unit_test(test_spec_parsing),
      cmocka_unit_test(test_sde_read_back_by_papi),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
