/*
 * tests/sut/test_placement.c - where the CPU SUT's workers run (sut/cpu/place.c):
 * --cpus and --pin through sut_options, checked against the OS itself, not only
 * against sut_info. Each worker's affinity is read here with sched_getaffinity on
 * the thread id the SUT reports (which must be a thread of this process); the CPUs
 * left to the loadgen are compared with hwloc's view of the machine, and
 * sut_pin_caller_off is checked on the test's own thread (whose affinity is restored
 * afterwards). Bad CPU lists must fail with the value and the machine's CPUs.
 * Expectations are computed from the machine's topology, so the tests hold on any
 * machine; those that need two CPUs or working hwloc pinning SKIP without them.
 * The no-hwloc fallback is driven directly through sut/cpu/place.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <hwloc.h>
#include <sched.h>
#include <unistd.h>

#include "sut/cpu/place.h"
#include "sut/sut.h"

typedef struct fixture {
  wl_model *model;
  hwloc_topology_t topo;
  hwloc_const_cpuset_t machine;  /* every CPU this process may use */
  char machine_list[64];         /* as a list: "0-1" */
} fixture;

static int setup(void **state)
{
  fixture *f = calloc(1, sizeof *f);
  char err[256];
  if (!f || wl_open(&f->model, "null", NULL, err, sizeof err) != WL_OK)
    return -1;
  if (hwloc_topology_init(&f->topo) != 0 || hwloc_topology_load(f->topo) != 0)
    return -1;
  f->machine = hwloc_topology_get_allowed_cpuset(f->topo);
  hwloc_bitmap_list_snprintf(f->machine_list, sizeof f->machine_list, f->machine);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;
  hwloc_topology_destroy(f->topo);
  wl_close(f->model);
  free(f);
  return 0;
}

/* ---- helpers ----------------------------------------------------------------- */
static int try_open(const fixture *f, const char *cpus, const char *pin, int threads,
                    sut **s, char *err, size_t errlen)
{
  sut_options o;
  sut_options_default(&o);
  o.cpus = cpus;
  o.pin = pin;
  o.threads = threads;
  return sut_open(s, &o, f->model, err, errlen);
}

/* Open with workers (threads 0 = the default count) and describe; fails on error. */
static sut *open_placed(const fixture *f, const char *cpus, const char *pin,
                        int threads, sut_info *info)
{
  sut *s = NULL;
  char err[256] = "";
  int rc = try_open(f, cpus, pin, threads, &s, err, sizeof err);
  if (rc != SUT_OK)
    fail_msg("sut_open(--cpus %s --pin %s): %s: %s", cpus ? cpus : "(all)",
             pin ? pin : "(default)", sut_strerror(rc), err);
  sut_describe(s, info);
  return s;
}

/* SKIP (closing s) unless the SUT reports the pinning policy `want`. */
static void require_pinning(sut *s, const sut_info *info, const char *want)
{
  if (strncmp(info->pinning, want, strlen(want)) == 0)
    return;
  fprintf(stderr, "SKIP: pinning here is '%s', not '%s'\n", info->pinning, want);
  sut_close(s);
  skip();
}

/* The CPUs thread tid may run on, read from the OS. */
static void affinity_of(pid_t tid, hwloc_bitmap_t set)
{
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(tid, sizeof mask, &mask) != 0)
    fail_msg("sched_getaffinity(%d): %s", (int)tid, strerror(errno));
  hwloc_bitmap_zero(set);
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &mask))
      hwloc_bitmap_set(set, (unsigned)c);
}

static void assert_set_equal(hwloc_const_bitmap_t got, hwloc_const_bitmap_t want,
                             const char *what)
{
  char g[64], w[64];
  hwloc_bitmap_list_snprintf(g, sizeof g, got);
  hwloc_bitmap_list_snprintf(w, sizeof w, want);
  if (!hwloc_bitmap_isequal(got, want))
    fail_msg("%s: runs on %s, expected %s", what, g, w);
}

/* Worker w's affinity, read with sched_getaffinity on its reported tid, into got;
 * the tid must be a thread of this process and worker_cpus must say the same. */
static void worker_affinity(const sut_info *info, int w, hwloc_bitmap_t got)
{
  int tid = info->worker_tids[w];
  char path[64], list[64];
  snprintf(path, sizeof path, "/proc/self/task/%d", tid);
  if (tid <= 0 || tid == (int)getpid() || access(path, F_OK) != 0)
    fail_msg("worker %d: tid %d is not a worker thread of this process", w, tid);
  affinity_of(tid, got);
  hwloc_bitmap_list_snprintf(list, sizeof list, got);
  assert_string_equal(list, info->worker_cpus[w]);
}

/* The logical index of the object of `type` whose cpuset is exactly set, or -1. */
static int object_equal_to(const fixture *f, hwloc_obj_type_t type,
                           hwloc_const_bitmap_t set)
{
  for (hwloc_obj_t o = hwloc_get_next_obj_by_type(f->topo, type, NULL); o;
       o = hwloc_get_next_obj_by_type(f->topo, type, o))
    if (hwloc_bitmap_isequal(o->cpuset, set))
      return (int)o->logical_index;
  return -1;
}

/* Every worker's affinity must equal the cpuset of a distinct object of `type`
 * (PUs for a machine without core objects). */
static void assert_one_per_object(const fixture *f, const sut_info *info,
                                  hwloc_obj_type_t type)
{
  int n = hwloc_get_nbobjs_by_type(f->topo, type);
  if (n <= 0)
    n = hwloc_get_nbobjs_by_type(f->topo, type = HWLOC_OBJ_PU);
  assert_int_equal(info->threads, n);
  hwloc_bitmap_t got = hwloc_bitmap_alloc(), seen = hwloc_bitmap_alloc();
  for (int w = 0; w < info->threads; w++) {
    worker_affinity(info, w, got);
    int o = object_equal_to(f, type, got);
    if (o < 0)
      fail_msg("worker %d runs on %s, not exactly one %s", w, info->worker_cpus[w],
               hwloc_obj_type_string(type));
    assert_false(hwloc_bitmap_isset(seen, (unsigned)o)); /* distinct */
    hwloc_bitmap_set(seen, (unsigned)o);
  }
  hwloc_bitmap_free(got);
  hwloc_bitmap_free(seen);
}

/* sut_pin_caller_off on this thread: returns the affinity it left (read with
 * sched_getaffinity(0)) in got and `where` in where, and restores the thread. */
static void pin_caller_off(const sut *s, hwloc_bitmap_t got, char *where, size_t len)
{
  cpu_set_t saved;
  CPU_ZERO(&saved);
  assert_int_equal(sched_getaffinity(0, sizeof saved, &saved), 0);
  int rc = sut_pin_caller_off(s, where, len);
  affinity_of(0, got);
  int restored = sched_setaffinity(0, sizeof saved, &saved);
  assert_int_equal(rc, SUT_OK);
  assert_int_equal(restored, 0);
}

/* ---- policies ------------------------------------------------------------------ */
/* --cpus <last CPU> --pin core: one worker on that CPU; the loadgen gets the rest. */
static void test_cpus_one_cpu_loadgen_gets_rest(void **state)
{
  fixture *f = *state;
  if (hwloc_bitmap_weight(f->machine) < 2) {
    fprintf(stderr, "SKIP: one CPU: nothing to leave to the loadgen\n");
    skip();
  }
  int last = hwloc_bitmap_last(f->machine);
  char cpus[16], rest_list[64], where[128];
  snprintf(cpus, sizeof cpus, "%d", last); /* "1" on a 2-CPU machine */
  sut_info info;
  sut *s = open_placed(f, cpus, "core", 0, &info);
  require_pinning(s, &info, "core");
  hwloc_bitmap_t got = hwloc_bitmap_alloc(), want = hwloc_bitmap_alloc();
  hwloc_bitmap_only(want, (unsigned)last);
  assert_int_equal(info.threads, 1);
  worker_affinity(&info, 0, got);
  assert_set_equal(got, want, "the worker");
  hwloc_bitmap_andnot(want, f->machine, want); /* the rest: "0" */
  hwloc_bitmap_list_snprintf(rest_list, sizeof rest_list, want);
  assert_string_equal(info.loadgen_cpus, rest_list);
  pin_caller_off(s, got, where, sizeof where);
  assert_set_equal(got, want, "the caller after sut_pin_caller_off");
  assert_string_equal(where, rest_list);
  hwloc_bitmap_free(got);
  hwloc_bitmap_free(want);
  sut_close(s);
}

/* --threads 3 on one CPU: round-robin over one unit, all three on it. */
static void test_cpus_one_cpu_three_threads(void **state)
{
  fixture *f = *state;
  int last = hwloc_bitmap_last(f->machine);
  char cpus[16];
  snprintf(cpus, sizeof cpus, "%d", last);
  sut_info info;
  sut *s = open_placed(f, cpus, NULL, 3, &info);
  require_pinning(s, &info, "core");
  assert_int_equal(info.threads, 3);
  hwloc_bitmap_t got = hwloc_bitmap_alloc(), want = hwloc_bitmap_alloc();
  hwloc_bitmap_only(want, (unsigned)last);
  for (int w = 0; w < 3; w++) {
    worker_affinity(&info, w, got);
    assert_set_equal(got, want, "a worker");
  }
  hwloc_bitmap_free(got);
  hwloc_bitmap_free(want);
  sut_close(s);
}

/* The default: one worker per core, each on its whole core, with distinct real
 * thread ids; nothing is left over, so the caller is not pinned. */
static void test_default_one_worker_per_core(void **state)
{
  fixture *f = *state;
  sut_info info;
  sut *s = open_placed(f, NULL, NULL, 0, &info);
  require_pinning(s, &info, "core");
  assert_one_per_object(f, &info, HWLOC_OBJ_CORE);
  for (int a = 0; a < info.threads; a++)
    for (int b = a + 1; b < info.threads; b++)
      assert_int_not_equal(info.worker_tids[a], info.worker_tids[b]);
  assert_string_equal(info.loadgen_cpus, "");
  hwloc_bitmap_t before = hwloc_bitmap_alloc(), after = hwloc_bitmap_alloc();
  char where[128];
  affinity_of(0, before);
  pin_caller_off(s, after, where, sizeof where);
  assert_string_equal(where, "not pinned: the SUT uses every core");
  assert_set_equal(after, before, "the caller");
  hwloc_bitmap_free(before);
  hwloc_bitmap_free(after);
  sut_close(s);
}

static void test_pin_pu_one_worker_per_pu(void **state)
{
  fixture *f = *state;
  sut_info info;
  sut *s = open_placed(f, NULL, "pu", 0, &info);
  require_pinning(s, &info, "pu");
  assert_one_per_object(f, &info, HWLOC_OBJ_PU);
  assert_string_equal(info.loadgen_cpus, "");
  sut_close(s);
}

/* --pin none: counted per core, every worker may run anywhere. The spec's pin=core
 * loses to sut_options.pin. */
static void test_pin_none_not_bound(void **state)
{
  fixture *f = *state;
  sut *s = NULL;
  sut_options o;
  sut_options_default(&o);
  o.spec = "cpu:pin=core";
  o.pin = "none";
  o.threads = 0;
  char err[256] = "";
  assert_int_equal(sut_open(&s, &o, f->model, err, sizeof err), SUT_OK);
  sut_info info;
  sut_describe(s, &info);
  require_pinning(s, &info, "none (pin=none)");
  int cores = hwloc_get_nbobjs_by_type(f->topo, HWLOC_OBJ_CORE);
  int units = cores > 0 ? cores : hwloc_bitmap_weight(f->machine);
  assert_int_equal(info.threads, units);
  hwloc_bitmap_t got = hwloc_bitmap_alloc();
  for (int w = 0; w < info.threads; w++) {
    worker_affinity(&info, w, got);
    assert_set_equal(got, f->machine, "an unbound worker");
  }
  assert_string_equal(info.loadgen_cpus, "");
  hwloc_bitmap_free(got);
  sut_close(s);
}

/* Inline: no workers, and the caller (which runs the samples) is left alone. */
static void test_inline_caller_not_pinned(void **state)
{
  fixture *f = *state;
  sut_info info;
  sut *s = open_placed(f, NULL, NULL, SUT_THREADS_AUTO, &info); /* null: inline */
  assert_true(info.inline_completion);
  assert_string_equal(info.loadgen_cpus, "");
  char where[128];
  assert_int_equal(sut_pin_caller_off(s, where, sizeof where), SUT_OK);
  assert_non_null(strstr(where, "not pinned"));
  assert_int_equal(sut_pin_caller_off(NULL, where, sizeof where), SUT_EINVAL);
  assert_int_equal(sut_pin_caller_off(s, NULL, 0), SUT_EINVAL);
  sut_close(s);
}

/* ---- errors -------------------------------------------------------------------- */
/* sut_open must fail with rc, and err must name the value and the machine's CPUs. */
static void expect_bad_cpus(const fixture *f, const char *cpus, int rc)
{
  sut *s = (sut *)f; /* must be reset to NULL */
  char err[256] = "", named[64];
  int got = try_open(f, cpus, NULL, 0, &s, err, sizeof err);
  if (got != rc)
    fail_msg("--cpus '%s': %s, expected %s (%s)", cpus, sut_strerror(got),
             sut_strerror(rc), err);
  assert_null(s);
  snprintf(named, sizeof named, "--cpus %s:", *cpus ? cpus : "''");
  if (!strstr(err, named) || !strstr(err, "this machine has CPUs ") ||
      !strstr(err, f->machine_list))
    fail_msg("--cpus '%s': message '%s' lacks the value or the machine's CPUs %s", cpus,
             err, f->machine_list);
  printf("# %s\n", err);
}

static void test_bad_cpu_lists(void **state)
{
  fixture *f = *state;
  int past = hwloc_bitmap_last(f->machine) + 1;
  char beyond[32], range[32];
  snprintf(range, sizeof range, "0-%d", past + 5); /* "0-7" on a 2-CPU machine */
  snprintf(beyond, sizeof beyond, "%d", past + 1); /* "3" */
  expect_bad_cpus(f, range, SUT_ENOTSUP);
  expect_bad_cpus(f, beyond, SUT_ENOTSUP);
  expect_bad_cpus(f, "99999999999999999999", SUT_ENOTSUP);
  static const char *const malformed[] = {"x", "", "1x", "-1", "0-", "1-0", "0,", ",0",
                                          "0,,1", " 0", "0 - 1"};
  for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
    expect_bad_cpus(f, malformed[i], SUT_EINVAL);
}

static void test_bad_pin(void **state)
{
  fixture *f = *state;
  sut *s = NULL;
  char err[256] = "";
  assert_int_equal(try_open(f, NULL, "sideways", 0, &s, err, sizeof err), SUT_EINVAL);
  assert_null(s);
  assert_non_null(strstr(err, "sideways"));
  assert_non_null(strstr(err, "core, pu or none"));
}

/* Lists in hwloc syntax that name existing CPUs are accepted. */
static void test_good_cpu_lists(void **state)
{
  fixture *f = *state;
  char all[80];
  int first = hwloc_bitmap_first(f->machine);
  snprintf(all, sizeof all, "%d,%s", first, f->machine_list); /* overlap is fine */
  const char *lists[] = {f->machine_list, all};
  for (size_t i = 0; i < 2; i++) {
    sut_info info;
    sut *s = open_placed(f, lists[i], NULL, 0, &info);
    assert_true(info.threads >= 1);
    sut_close(s);
  }
}

/* ---- without a topology (hwloc failed) ----------------------------------------- */
static void test_no_topology(void **state)
{
  sut_place *p = (sut_place *)state; /* must be reset to NULL */
  char err[256] = "", buf[128];
  sut_place_request r = {.cpus = "0", .pin = SUT_PIN_CORE, .threads = 0};
  assert_int_equal(sut_place_init(&p, NULL, &r, err, sizeof err), SUT_ENOTSUP);
  assert_null(p);
  assert_non_null(strstr(err, "--cpus 0: "));
  assert_non_null(strstr(err, "hwloc"));
  r.cpus = NULL;
  assert_int_equal(sut_place_init(&p, NULL, &r, err, sizeof err), SUT_OK);
  assert_int_equal(sut_place_workers(p), sysconf(_SC_NPROCESSORS_ONLN));
  assert_int_equal(sut_place_bind_self(p, 0, buf, sizeof buf), SUT_ENOTSUP);
  sut_place_spare(p, buf, sizeof buf);
  assert_string_equal(buf, "");
  assert_int_equal(sut_place_bind_spare(p, buf, sizeof buf), SUT_OK);
  assert_string_equal(buf, "not pinned: no hwloc topology");
  sut_place_cpus_self(p, buf, sizeof buf); /* sched_getaffinity fallback */
  assert_true(buf[0] >= '0' && buf[0] <= '9');
  sut_place_destroy(p);
  sut_place_destroy(NULL);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cpus_one_cpu_loadgen_gets_rest),
      cmocka_unit_test(test_cpus_one_cpu_three_threads),
      cmocka_unit_test(test_default_one_worker_per_core),
      cmocka_unit_test(test_pin_pu_one_worker_per_pu),
      cmocka_unit_test(test_pin_none_not_bound),
      cmocka_unit_test(test_inline_caller_not_pinned),
      cmocka_unit_test(test_bad_cpu_lists),
      cmocka_unit_test(test_bad_pin),
      cmocka_unit_test(test_good_cpu_lists),
      cmocka_unit_test(test_no_topology),
  };
  return cmocka_run_group_tests_name("sut/placement", tests, setup, teardown);
}
