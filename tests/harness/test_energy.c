/*
 * tests/harness/test_energy.c - harness/energy: RAPL on a fabricated powercap tree
 * (two packages with subzones; joules exact to the microjoule, a counter wrap between
 * start and stop, several wraps caught by the sampler, per-domain values, the Linux
 * 5.10 permission message both injected and for real as an unprivileged user, files
 * that cannot be read), NVML's "no driver" message on a machine without it and a
 * fake NVML for the energy-counter and power-integration paths, the TDP x time
 * estimate, lpm01a, the spec errors and "auto" on this machine.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness/energy.h"

/* ---- a fabricated powercap tree ------------------------------------------------------ */

#define MAX_UJ 262143328850ULL /* a real max_energy_range_uj */

typedef struct tree {
  char root[256];
} tree;

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Write text to root/rel atomically (a reader never sees a half-written file). */
static void put(const tree *t, const char *rel, const char *fmt, ...) {
  char path[512], tmp[520];
  snprintf(path, sizeof path, "%s/%s", t->root, rel);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  assert_non_null(f);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(f, fmt, ap);
  va_end(ap);
  fputc('\n', f);
  assert_int_equal(fclose(f), 0);
  assert_int_equal(rename(tmp, path), 0);
}

static void put_uj(const tree *t, const char *zone, uint64_t uj) {
  char rel[128];
  snprintf(rel, sizeof rel, "%s/energy_uj", zone);
  put(t, rel, "%llu", (unsigned long long)uj);
}

static void mkdir_in(const tree *t, const char *rel) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", t->root, rel);
  assert_int_equal(mkdir(path, 0755), 0);
}

static void zone(const tree *t, const char *rel, const char *name, uint64_t uj) {
  char p[256];
  mkdir_in(t, rel);
  snprintf(p, sizeof p, "%s/name", rel);
  put(t, p, "%s", name);
  snprintf(p, sizeof p, "%s/max_energy_range_uj", rel);
  put(t, p, "%llu", MAX_UJ);
  put_uj(t, rel, uj);
}

#define PKG0 "intel-rapl:0"
#define DRAM0 "intel-rapl:0/intel-rapl:0:0"
#define CORE0 "intel-rapl:0/intel-rapl:0:1"
#define PKG1 "intel-rapl:1"
#define DRAM1 "intel-rapl:1/intel-rapl:1:0"

/* Two packages, each with a dram subzone, package 0 with a core subzone too; the
 * control-type folder and the top-level links to subzones of the real sysfs. */
static void tree_make(tree *t) {
  snprintf(t->root, sizeof t->root, "/tmp/mlsb-powercap-XXXXXX");
  assert_non_null(mkdtemp(t->root));
  assert_int_equal(chmod(t->root, 0755), 0);
  mkdir_in(t, "intel-rapl");
  put(t, "intel-rapl/enabled", "1");
  zone(t, PKG0, "package-0", 1000000);
  zone(t, DRAM0, "dram", 10);
  zone(t, CORE0, "core", 0);
  zone(t, PKG1, "package-1", MAX_UJ - 1000);
  zone(t, DRAM1, "dram", 0);
  char link[300];
  snprintf(link, sizeof link, "%s/intel-rapl:0:0", t->root);
  assert_int_equal(symlink(PKG0 "/intel-rapl:0:0", link), 0);
}

static void tree_remove(tree *t) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->root);
  assert_int_equal(system(cmd), 0);
}

static mb_energy *open_ok(const char *spec, const mb_energy_options *o) {
  mb_energy *e = NULL;
  char err[256];
  int rc = mb_energy_open(&e, spec, o, err, sizeof err);
  if (rc) fail_msg("mb_energy_open(%s): %s: %s", spec, mb_energy_strerror(rc), err);
  return e;
}

static const mb_energy_domain *domain(const mb_energy_report *r, const char *name) {
  for (size_t i = 0; i < r->n_domains; i++)
    if (strcmp(r->domains[i].name, name) == 0) return &r->domains[i];
  fail_msg("domain %s missing", name);
  return NULL;
}

static void rapl_options(mb_energy_options *o, const tree *t) {
  mb_energy_options_default(o);
  o->powercap_root = t->root;
}

/* ---- RAPL ---------------------------------------------------------------------------- */

static void test_rapl_two_packages_and_a_wrap(void **state) {
  (void)state;
  tree t;
  tree_make(&t);
  mb_energy_options o;
  rapl_options(&o, &t);
  mb_energy *e = open_ok("rapl", &o);
  assert_true(mb_energy_available(e, NULL));
  assert_int_equal(mb_energy_start(e), MB_ENERGY_OK);
  put_uj(&t, PKG0, 3500000);   /* +2.5 J */
  put_uj(&t, DRAM0, 1000010);  /* +1 J */
  put_uj(&t, CORE0, 2000000);  /* +2 J, inside package-0: not added */
  put_uj(&t, PKG1, 500);       /* wrapped: +1000 + 500 uJ */
  put_uj(&t, DRAM1, 250000);   /* +0.25 J */
  sleep_ms(30);
  assert_int_equal(mb_energy_stop(e), MB_ENERGY_OK);
  mb_energy_report r;
  assert_int_equal(mb_energy_result(e, 1000, &r), MB_ENERGY_OK);
  fprintf(stderr, "    rapl (fabricated): %.6f J over %.3f s, %s\n", r.joules, r.interval_s,
          r.method);
  assert_true(r.available);
  assert_false(r.estimate);
  assert_string_equal(r.source, "rapl");
  assert_int_equal(r.n_domains, 5);
  assert_string_equal(r.domains[0].name, "package-0");
  assert_string_equal(r.domains[1].name, "package-0/dram");
  assert_string_equal(r.domains[2].name, "package-0/core");
  assert_string_equal(r.domains[3].name, "package-1");
  assert_string_equal(r.domains[4].name, "package-1/dram");
  assert_true(domain(&r, "package-0")->joules == 2.5);
  assert_true(domain(&r, "package-0/dram")->joules == 1.0);
  assert_true(domain(&r, "package-0/core")->joules == 2.0);
  assert_false(domain(&r, "package-0/core")->in_total);
  assert_true(domain(&r, "package-1")->joules * 1e6 == 1500.0);
  assert_true(domain(&r, "package-1/dram")->joules == 0.25);
  assert_true(llround(r.joules * 1e6) == 3751500); /* to the microjoule */
  assert_true(fabs(r.joules - 3.7515) < 1e-12);
  assert_true(fabs(r.joules_per_inference - r.joules / 1000) < 1e-15);
  assert_true(fabs(r.avg_watts - r.joules / r.interval_s) < 1e-9);
  assert_true(r.interval_s >= 0.02 && r.interval_s < 5);
  assert_true(r.sampling_interval_s == 0.1);
  assert_non_null(strstr(r.method, "RAPL"));
  mb_energy_close(e);
  tree_remove(&t);
}

/* Wait until the sampler has read the meter twice more (a full pass after a write). */
static void wait_samples(const mb_energy *e) {
  uint64_t want = mb_energy_samples(e) + 2;
  for (int i = 0; i < 5000 && mb_energy_samples(e) < want; i++) sleep_ms(1);
  assert_true(mb_energy_samples(e) >= want);
}

/* A long run: the counter wraps three times between start and stop; only the
 * sampler's readings in between can tell. */
static void test_rapl_sampler_catches_every_wrap(void **state) {
  (void)state;
  tree t;
  tree_make(&t);
  mb_energy_options o;
  rapl_options(&o, &t);
  o.sampling_interval_ms = 2;
  mb_energy *e = open_ok("rapl", &o);
  assert_int_equal(mb_energy_start(e), MB_ENERGY_OK);
  uint64_t v = MAX_UJ - 1000, step = MAX_UJ / 10 * 6; /* 0.6 of the range a step */
  for (int k = 0; k < 5; k++) {
    v = (v + step) % MAX_UJ;
    put_uj(&t, PKG1, v);
    wait_samples(e);
  }
  assert_int_equal(mb_energy_stop(e), MB_ENERGY_OK);
  mb_energy_report r;
  assert_int_equal(mb_energy_result(e, 0, &r), MB_ENERGY_OK);
  fprintf(stderr, "    5 steps of %llu uJ (3 wraps), %llu samples: package-1 = %.6f J\n",
          (unsigned long long)step, (unsigned long long)r.samples,
          domain(&r, "package-1")->joules);
  assert_true(r.available);
  assert_true(r.samples >= 10);
  assert_true(r.sampling_interval_s == 0.002);
  assert_true(domain(&r, "package-1")->joules * 1e6 == 5.0 * (double)step);
  assert_true(domain(&r, "package-0")->joules == 0);
  assert_true(isnan(r.joules_per_inference)); /* 0 inferences */
  mb_energy_close(e);
  tree_remove(&t);
}

/* A second window starts from zero. */
static void test_rapl_restart_and_phases(void **state) {
  (void)state;
  tree t;
  tree_make(&t);
  mb_energy_options o;
  rapl_options(&o, &t);
  mb_energy *e = open_ok("rapl", &o);
  mb_energy_report r;
  assert_int_equal(mb_energy_stop(e), MB_ENERGY_EPHASE);
  assert_int_equal(mb_energy_result(e, 1, &r), MB_ENERGY_EPHASE);
  assert_int_equal(mb_energy_start(e), MB_ENERGY_OK);
  assert_int_equal(mb_energy_start(e), MB_ENERGY_EPHASE);
  assert_int_equal(mb_energy_result(e, 1, &r), MB_ENERGY_EPHASE);
  put_uj(&t, PKG0, 2000000);
  assert_int_equal(mb_energy_stop(e), MB_ENERGY_OK);
  assert_int_equal(mb_energy_stop(e), MB_ENERGY_EPHASE);
  assert_int_equal(mb_energy_result(e, 1, &r), MB_ENERGY_OK);
  assert_true(domain(&r, "package-0")->joules == 1.0);
  assert_int_equal(mb_energy_start(e), MB_ENERGY_OK);
  put_uj(&t, PKG0, 2000100);
  assert_int_equal(mb_energy_stop(e), MB_ENERGY_OK);
  assert_int_equal(mb_energy_result(e, 1, &r), MB_ENERGY_OK);
  assert_true(domain(&r, "package-0")->joules * 1e6 == 100.0);
  mb_energy_close(e);
  mb_energy_close(NULL);
  tree_remove(&t);
}

/* The read seam: EACCES on energy_uj, as a non-root user gets since Linux 5.10. */
typedef struct inject {
  int err;           /* errno to inject */
  const char *match; /* paths ending with this fail */
  bool armed;
} inject;

static int injecting_read(void *ctx, const char *path, char *buf, size_t len) {
  inject *in = ctx;
  size_t n = strlen(path), m = strlen(in->match);
  if (in->armed && n >= m && strcmp(path + n - m, in->match) == 0) return -in->err;
  return mb_energy_read_file(NULL, path, buf, len);
}

static void assert_permission_message(const char *reason) {
  assert_non_null(strstr(reason, "energy_uj"));
  assert_non_null(strstr(reason, "Permission denied"));
  assert_non_null(strstr(reason, "Since Linux 5.10"));
  assert_non_null(strstr(reason, "root only"));
  assert_non_null(strstr(reason, "CVE-2020-8694"));
  assert_non_null(strstr(reason, "run mlsysbench as root"));
  assert_non_null(strstr(reason, "chmod o+r"));
  assert_non_null(strstr(reason, "udev rule"));
}

static void test_rapl_permission_injected(void **state) {
  (void)state;
  tree t;
  tree_make(&t);
  inject in = {EACCES, "energy_uj", true};
  mb_energy_options o;
  rapl_options(&o, &t);
  o.read_file = injecting_read;
  o.read_ctx = &in;
  mb_energy *e = open_ok("rapl", &o);
  const char *why;
  assert_false(mb_energy_available(e, &why));
  fprintf(stderr, "    rapl, EACCES: %s\n", why);
  assert_permission_message(why);
  mb_energy_report r;
  assert_int_equal(mb_energy_start(e), MB_ENERGY_OK);
  assert_int_equal(mb_energy_stop(e), MB_ENERGY_OK);
  assert_int_equal(mb_energy_result(e, 10, &r), MB_ENERGY_OK);
  assert_false(r.available);
  assert_true(isnan(r.joules) && isnan(r.avg_watts) && isnan(r.joules_per_inference));
  assert_string_equal(r.source, "rapl");
  assert_permission_message(r.reason);
  mb_energy_close(e);
  tree_remove(&t);
}

/* chmod 000 for real; as root that does not stop reads, so drop to nobody first. */
static int permission_checks(const tree *t) {
  mb_energy_options o;
  rapl_options(&o, t);
  mb_energy *e = NULL;
  const char *why;
  if (mb_energy_open(&e, "rapl", &o, NULL, 0) || mb_energy_available(e, &why)) return 1;
  bool ok = strstr(why, "Permission denied") && strstr(why, "Since Linux 5.10");
  mb_energy_close(e);
  return ok ? 0 : 2;
}

static void test_rapl_permission_real(void **state) {
  (void)state;
  tree t;
  tree_make(&t);
  char path[300];
  snprintf(path, sizeof path, "%s/" PKG1 "/energy_uj", t.root);
  assert_int_equal(chmod(path, 0), 0);
  if (geteuid() != 0) {
    assert_int_equal(permission_checks(&t), 0);
    tree_remove(&t);
    return;
  }
  fflush(stderr);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)) _exit(99);
    _exit(permission_checks(&t));
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  tree_remove(&t);
  assert_true(WIFEXITED(status));
  if (WEXITSTATUS(status) == 99) {
    fprintf(stderr, "SKIP: cannot drop to uid 65534 to test chmod 000\n");
    skip();
  }
  assert_int_equal(WEXITSTATUS(status), 0);
}

/* The reader's own failures: a folder where energy_uj should be, a missing file,
 * text that is not a number. */
static void expect_unavailable(const tree *t, const char *needle) {
  mb_energy_options o;
  rapl_options(&o, t);
  mb_energy *e = open_ok("rapl", &o);
  const char *why;
  assert_false(mb_energy_available(e, &why));
  fprintf(stderr, "    rapl: %s\n", why);
  assert_non_null(strstr(why, needle));
  assert_non_null(strstr(why, t->root));
  mb_energy_close(e);
}

static void test_rapl_unreadable_files(void **state) {
  (void)state;
  tree t;
  tree_make(&t);
  char path[300];
  snprintf(path, sizeof path, "%s/" DRAM1 "/energy_uj", t.root);
  assert_int_equal(unlink(path), 0);
  assert_int_equal(mkdir(path, 0755), 0);
  expect_unavailable(&t, strerror(EISDIR));
  assert_int_equal(rmdir(path), 0);
  expect_unavailable(&t, strerror(ENOENT));
  put(&t, DRAM1 "/energy_uj", "12x");
  expect_unavailable(&t, "not a decimal number");
  put(&t, DRAM1 "/energy_uj", "");
  expect_unavailable(&t, "not a decimal number");
  snprintf(path, sizeof path, "%s/" PKG0 "/max_energy_range_uj", t.root);
  assert_int_equal(unlink(path), 0);
  expect_unavailable(&t, "max_energy_range_uj");
  tree_remove(&t);
}

/* A reading that fails during the run makes the window unavailable, not 0. */
static void test_rapl_read_fails_during_run(void **state) {
  (void)state;
  tree t;
  tree_make(&t);
  inject in = {EIO, PKG1 "/energy_uj", false};
  mb_energy_options o;
  rapl_options(&o, &t);
  o.read_file = injecting_read;
  o.read_ctx = &in;
  mb_energy *e = open_ok("rapl", &o);
  assert_true(mb_energy_available(e, NULL));
  assert_int_equal(mb_energy_start(e), MB_ENERGY_OK);
  in.armed = true;
  assert_int_equal(mb_energy_stop(e), MB_ENERGY_OK);
  mb_energy_report r;
  assert_int_equal(mb_energy_result(e, 1, &r), MB_ENERGY_OK);
  assert_false(r.available);
  assert_true(isnan(r.joules));
  assert_non_null(strstr(r.reason, strerror(EIO)));
  in.armed = false; /* the next window is fine again */
  assert_int_equal(mb_energy_start(e), MB_ENERGY_OK);
  assert_int_equal(mb_energy_stop(e), MB_ENERGY_OK);
  assert_int_equal(mb_energy_result(e, 1, &r), MB_ENERGY_OK);
  assert_true(r.available && r.joules == 0);
  mb_energy_close(e);
  tree_remove(&t);
}

static void test_rapl_no_tree(void **state) {
  (void)state;
  mb_energy_options o;
  mb_energy_options_default(&o);
  o.powercap_root = "/nonexistent/powercap";
  mb_energy *e = open_ok("rapl", &o);
  const char *why;
  assert_false(mb_energy_available(e, &why));
  assert_non_null(strstr(why, "no powercap tree"));
  assert_non_null(strstr(why, "/nonexistent/powercap"));
  mb_energy_close(e);

  tree t;
  snprintf(t.root, sizeof t.root, "/tmp/mlsb-powercap-XXXXXX");
  assert_non_null(mkdtemp(t.root));
  o.powercap_root = t.root;
  e = open_ok("rapl", &o);
  assert_false(mb_energy_available(e, &why));
  assert_non_null(strstr(why, "no RAPL zones"));
  mb_energy_close(e);
  tree_remove(&t);

  /* This machine's own tree. */
  e = open_ok("rapl", NULL);
  if (mb_energy_available(e, &why)) {
    fprintf(stderr, "    rapl works on this machine\n");
  } else {
    fprintf(stderr, "    rapl here: %s\n", why);
    if (access(MB_ENERGY_POWERCAP_ROOT, F_OK) != 0)
      assert_non_null(strstr(why, "no powercap tree: cannot open /sys/class/powercap"));
  }
  mb_energy_close(e);
}

/* ---- NVML ----------------------------------------------------------------------------- */

static void test_nvml_no_driver(void **state) {
  (void)state;
  mb_energy *e = open_ok("nvml", NULL);
  const char *why;
  if (mb_energy_available(e, &why)) {
    mb_energy_close(e);
    fprintf(stderr, "SKIP: this machine has an NVIDIA driver\n");
    skip();
  }
  fprintf(stderr, "    nvml here: %s\n", why);
  if (strstr(why, "not found")) {
    const char *want = "NVIDIA driver library libnvidia-ml.so.1 not found (dlopen: ";
    assert_memory_equal(why, want, strlen(want));
    assert_non_null(strstr(why, "libnvidia-ml.so.1: cannot open shared object file"));
    assert_true(why[strlen(why) - 1] == ')');
  }
  mb_energy_report r;
  assert_int_equal(mb_energy_result(e, 1, &r), MB_ENERGY_OK); /* always for unavailable */
  assert_false(r.available);
  assert_string_equal(r.source, "nvml");
  mb_energy_close(e);

  mb_energy_options o;
  mb_energy_options_default(&o);
  o.nvml_library = "/nonexistent/libnvidia-ml.so.1";
  e = open_ok("nvml", &o);
  assert_false(mb_energy_available(e, &why));
  assert_non_null(strstr(why, "NVIDIA driver library /nonexistent/libnvidia-ml.so.1 not found"));
  mb_energy_close(e);
}

/* A fake NVML: two GPUs, with or without the energy counter. */
#define FAKE_NOT_SUPPORTED 3
#define FAKE_DRIVER_NOT_LOADED 9
static struct {
  int init_rc;
  bool energy_supported;
  unsigned long long mj[2];
  unsigned mw[2];
  int inits, shutdowns;
} fake;

static int fake_init(void) {
  fake.inits++;
  return fake.init_rc;
}
static int fake_shutdown(void) {
  fake.shutdowns++;
  return 0;
}
static const char *fake_error(int rc) {
  return rc == FAKE_NOT_SUPPORTED ? "Not Supported"
         : rc == FAKE_DRIVER_NOT_LOADED ? "Driver Not Loaded" : "Unknown Error";
}
static int fake_count(unsigned *n) {
  *n = 2;
  return 0;
}
static int fake_handle(unsigned i, mb_nvml_device *d) {
  *d = (mb_nvml_device)(uintptr_t)(i + 1);
  return 0;
}
static int fake_energy(mb_nvml_device d, unsigned long long *mj) {
  if (!fake.energy_supported) return FAKE_NOT_SUPPORTED;
  *mj = fake.mj[(uintptr_t)d - 1];
  return 0;
}
static int fake_power(mb_nvml_device d, unsigned *mw) {
  *mw = fake.mw[(uintptr_t)d - 1];
  return 0;
}

/* The second GPU sits on bus 0000:65:00.0; any other bus id is not found (NVML's 6). */
static int fake_by_pci(const char *bus_id, mb_nvml_device *d) {
  if (strcmp(bus_id, "0000:65:00.0")) return 6;
  *d = (mb_nvml_device)(uintptr_t)2;
  return 0;
}

static const mb_energy_nvml_api FAKE_API = {fake_init,  fake_shutdown, fake_error,
                                            fake_count, fake_handle,   fake_energy,
                                            fake_power, fake_by_pci};

static void fake_reset(bool energy_supported) {
  memset(&fake, 0, sizeof fake);
  fake.energy_supported = energy_supported;
}

static void nvml_options(mb_energy_options *o) {
  mb_energy_options_default(o);
  o->nvml_api = &FAKE_API;
}

static void test_nvml_energy_counter(void **state) {
  (void)state;
  fake_reset(true);
  fake.mj[0] = 5000000;
  fake.mj[1] = 7;
  mb_energy_options o;
  nvml_options(&o);
  mb_energy *e = open_ok("nvml", &o);
  assert_true(mb_energy_available(e, NULL));
  assert_int_equal(mb_energy_start(e), MB_ENERGY_OK);
  fake.mj[0] += 12345; /* 12.345 J */
  fake.mj[1] += 500;
  assert_int_equal(mb_energy_stop(e), MB_ENERGY_OK);
  mb_energy_report r;
  assert_int_equal(mb_energy_result(e, 5, &r), MB_ENERGY_OK);
  assert_true(r.available);
  assert_string_equal(r.source, "nvml");
  assert_int_equal(r.n_domains, 2);
  assert_string_equal(r.domains[0].name, "gpu-0");
  assert_true(r.domains[0].joules == 12.345);
  assert_true(r.domains[1].joules == 0.5);
  assert_true(fabs(r.joules - 12.845) < 1e-12);
  assert_true(fabs(r.joules_per_inference - 12.845 / 5) < 1e-12);
  assert_non_null(strstr(r.method, "nvmlDeviceGetTotalEnergyConsumption"));
  assert_true(r.sampling_interval_s == 0 && r.samples == 0); /* read at start and stop */
  mb_energy_close(e);
  assert_int_equal(fake.inits, 1);
  assert_int_equal(fake.shutdowns, 1);
}

/* The CUDA SUT's GPU only, found by its PCI bus id; an unknown bus id is unavailable. */
static void test_nvml_one_gpu_by_bus_id(void **state) {
  (void)state;
  fake_reset(true);
  fake.mj[0] = 1000;
  fake.mj[1] = 2000;
  mb_energy_options o;
  nvml_options(&o);
  o.nvml_pci_bus_id = "0000:65:00.0";
  mb_energy *e = open_ok("nvml", &o);
  assert_true(mb_energy_available(e, NULL));
  assert_int_equal(mb_energy_start(e), MB_ENERGY_OK);
  fake.mj[0] += 9000; /* the other GPU: not counted */
  fake.mj[1] += 2500;
  assert_int_equal(mb_energy_stop(e), MB_ENERGY_OK);
  mb_energy_report r;
  assert_int_equal(mb_energy_result(e, 1, &r), MB_ENERGY_OK);
  assert_int_equal(r.n_domains, 1);
  assert_string_equal(r.domains[0].name, "gpu-0000:65:00.0");
  assert_true(r.joules == 2.5);
  mb_energy_close(e);

  o.nvml_pci_bus_id = "0000:01:00.0";
  e = open_ok("nvml", &o);
  const char *why = NULL;
  assert_false(mb_energy_available(e, &why));
  assert_non_null(strstr(why, "nvmlDeviceGetHandleByPciBusId_v2(0000:01:00.0)"));
  mb_energy_close(e);
}

/* Without the energy counter: power sampled and integrated. */
static void test_nvml_power_integration(void **state) {
  (void)state;
  fake_reset(false);
  fake.mw[0] = 150000; /* 150 W */
  fake.mw[1] = 50000;
  mb_energy_options o;
  nvml_options(&o);
  o.sampling_interval_ms = 10;
  mb_energy *e = open_ok("nvml", &o);
  assert_true(mb_energy_available(e, NULL));
  assert_int_equal(mb_energy_start(e), MB_ENERGY_OK);
  sleep_ms(200);
  assert_int_equal(mb_energy_stop(e), MB_ENERGY_OK);
  mb_energy_report r;
  assert_int_equal(mb_energy_result(e, 1, &r), MB_ENERGY_OK);
  fprintf(stderr, "    nvml power: %.3f J over %.3f s (%llu samples), %s\n", r.joules,
          r.interval_s, (unsigned long long)r.samples, r.method);
  assert_true(r.available);
  assert_true(r.samples >= 5);
  assert_true(r.sampling_interval_s == 0.01);
  assert_true(fabs(r.domains[0].joules - 150 * r.interval_s) < 0.01 * 150 * r.interval_s);
  assert_true(fabs(r.domains[1].joules - 50 * r.interval_s) < 0.01 * 50 * r.interval_s);
  assert_true(fabs(r.avg_watts - 200) < 2);
  assert_non_null(strstr(r.method, "nvmlDeviceGetPowerUsage"));
  assert_non_null(strstr(r.method, "integrated"));
  mb_energy_close(e);
}

static void test_nvml_init_fails(void **state) {
  (void)state;
  fake_reset(true);
  fake.init_rc = FAKE_DRIVER_NOT_LOADED;
  mb_energy_options o;
  nvml_options(&o);
  mb_energy *e = open_ok("nvml", &o);
  const char *why;
  assert_false(mb_energy_available(e, &why));
  assert_string_equal(why, "nvmlInit_v2: Driver Not Loaded");
  mb_energy_close(e);
  assert_int_equal(fake.shutdowns, 0); /* init failed: nothing to shut down */
}

/* ---- estimate, lpm01a, specs, auto ------------------------------------------------------ */

static void test_estimate_math(void **state) {
  (void)state;
  mb_energy_options o;
  mb_energy_options_default(&o);
  o.tdp_watts = 65;
  o.tdp_source = "amd-epyc-vm";
  mb_energy *e = open_ok("estimate", &o);
  o.tdp_source = "changed after open"; /* copied at open */
  assert_int_equal(mb_energy_start(e), MB_ENERGY_OK);
  sleep_ms(50);
  assert_int_equal(mb_energy_stop(e), MB_ENERGY_OK);
  mb_energy_report r;
  assert_int_equal(mb_energy_result(e, 100, &r), MB_ENERGY_OK);
  fprintf(stderr, "    estimate: %.4f J over %.4f s: %s\n", r.joules, r.interval_s, r.method);
  assert_true(r.available && r.estimate);
  assert_string_equal(r.source, "estimate");
  assert_string_equal(r.method, "TDP x time from the hardware profile amd-epyc-vm (65 W)");
  assert_true(r.interval_s >= 0.05 && r.interval_s < 2);
  assert_true(r.joules == 65 * r.interval_s);
  assert_true(fabs(r.avg_watts - 65) < 1e-9);
  assert_true(fabs(r.joules_per_inference - r.joules / 100) < 1e-12);
  assert_int_equal(r.n_domains, 0);
  assert_true(r.sampling_interval_s == 0 && r.samples == 0);
  mb_energy_close(e);

  o.tdp_watts = 0;
  e = open_ok("estimate", &o);
  const char *why;
  assert_false(mb_energy_available(e, &why));
  assert_non_null(strstr(why, "no TDP known"));
  assert_non_null(strstr(why, "changed after open"));
  mb_energy_close(e);
}

static void test_lpm01a_and_bad_specs(void **state) {
  (void)state;
  mb_energy *e = open_ok("lpm01a:/nonexistent/ttyACM0", NULL);
  const char *why;
  assert_false(mb_energy_available(e, &why)); /* a real monitor: tests/serial/test_lpm01a.c */
  assert_non_null(strstr(why, "/nonexistent/ttyACM0: cannot open"));
  assert_int_equal(mb_energy_start(e), MB_ENERGY_OK);
  assert_int_equal(mb_energy_stop(e), MB_ENERGY_OK);
  mb_energy_report r;
  assert_int_equal(mb_energy_result(e, 1, &r), MB_ENERGY_OK);
  assert_false(r.available);
  assert_string_equal(r.source, "lpm01a");
  assert_true(r.interval_s >= 0);
  mb_energy_close(e);

  char err[256];
  e = (mb_energy *)&e;
  assert_int_equal(mb_energy_open(&e, "lpm01a", NULL, err, sizeof err), MB_ENERGY_EINVAL);
  assert_null(e);
  assert_non_null(strstr(err, "lpm01a:/dev/ttyACM0"));
  assert_int_equal(mb_energy_open(&e, "lpm01a:", NULL, err, sizeof err), MB_ENERGY_EINVAL);
  assert_int_equal(mb_energy_open(&e, "joulemeter", NULL, err, sizeof err), MB_ENERGY_EINVAL);
  assert_non_null(strstr(err, "unknown energy source"));
  assert_non_null(strstr(err, "rapl, nvml, estimate, lpm01a:PATH or auto"));
  assert_int_equal(mb_energy_open(&e, "rapl:x", NULL, err, sizeof err), MB_ENERGY_EINVAL);
  assert_string_equal(err, "--energy rapl:x: rapl takes no ':' argument");
  assert_int_equal(mb_energy_open(&e, "auto:", NULL, err, sizeof err), MB_ENERGY_EINVAL);
  assert_int_equal(mb_energy_open(&e, "estimate:", NULL, err, sizeof err), MB_ENERGY_EINVAL);
  assert_int_equal(mb_energy_open(&e, "", NULL, err, sizeof err), MB_ENERGY_EINVAL);
  assert_int_equal(mb_energy_open(&e, NULL, NULL, err, sizeof err), MB_ENERGY_EINVAL);
  assert_int_equal(mb_energy_open(NULL, "rapl", NULL, err, sizeof err), MB_ENERGY_EINVAL);
  assert_string_equal(mb_energy_strerror(MB_ENERGY_EPHASE), "call not allowed in this phase");
  assert_string_equal(mb_energy_strerror(77), "unknown status");
}

/* auto with every source missing: estimate when a TDP is known, else every reason. */
static void test_auto_without_meters(void **state) {
  (void)state;
  mb_energy_options o;
  mb_energy_options_default(&o);
  o.powercap_root = "/nonexistent/powercap";
  o.nvml_library = "libnvidia-ml-missing.so.1";
  o.tdp_watts = 120;
  o.tdp_source = "lab-xeon";
  mb_energy *e = open_ok("auto", &o);
  assert_true(mb_energy_available(e, NULL));
  assert_int_equal(mb_energy_start(e), MB_ENERGY_OK);
  assert_int_equal(mb_energy_stop(e), MB_ENERGY_OK);
  mb_energy_report r;
  assert_int_equal(mb_energy_result(e, 1, &r), MB_ENERGY_OK);
  assert_string_equal(r.source, "estimate");
  assert_true(r.available && r.estimate);
  assert_non_null(strstr(r.reason, "rapl: no powercap tree")); /* why not RAPL */
  assert_non_null(strstr(r.reason, "; nvml: NVIDIA driver library"));
  assert_null(strstr(r.reason, "estimate:"));
  mb_energy_close(e);

  o.tdp_watts = -1;
  e = open_ok("auto", &o);
  assert_int_equal(mb_energy_result(e, 1, &r), MB_ENERGY_OK);
  fprintf(stderr, "    auto: %s\n", r.reason);
  assert_false(r.available);
  assert_string_equal(r.source, "auto");
  assert_non_null(strstr(r.reason, "rapl: no powercap tree"));
  assert_non_null(strstr(r.reason, "; nvml: NVIDIA driver library libnvidia-ml-missing.so.1"));
  assert_non_null(strstr(r.reason, "; estimate: no TDP known"));
  mb_energy_close(e);

  tree t; /* with a RAPL tree, auto takes RAPL */
  tree_make(&t);
  o.powercap_root = t.root;
  e = open_ok("auto", &o);
  assert_int_equal(mb_energy_result(e, 1, &r), MB_ENERGY_EPHASE);
  assert_int_equal(mb_energy_start(e), MB_ENERGY_OK);
  assert_int_equal(mb_energy_stop(e), MB_ENERGY_OK);
  assert_int_equal(mb_energy_result(e, 1, &r), MB_ENERGY_OK);
  assert_string_equal(r.source, "rapl");
  assert_string_equal(r.reason, "");
  mb_energy_close(e);
  tree_remove(&t);
}

/* auto on this machine, with its real /sys/class/powercap and NVML. */
static void test_auto_on_this_machine(void **state) {
  (void)state;
  mb_energy_options o;
  mb_energy_options_default(&o);
  o.tdp_watts = 200;
  o.tdp_source = "this-machine";
  mb_energy *e = open_ok("auto", &o);
  assert_true(mb_energy_available(e, NULL));
  mb_energy_report r;
  assert_int_equal(mb_energy_start(e), MB_ENERGY_OK);
  sleep_ms(20);
  assert_int_equal(mb_energy_stop(e), MB_ENERGY_OK);
  assert_int_equal(mb_energy_result(e, 1, &r), MB_ENERGY_OK);
  fprintf(stderr, "    auto here (TDP known): %s, %.3f J: %s\n", r.source, r.joules, r.method);
  mb_energy_close(e);
  bool no_meter = access(MB_ENERGY_POWERCAP_ROOT, F_OK) != 0 &&
                  strcmp(r.source, "nvml") != 0;
  if (no_meter) assert_string_equal(r.source, "estimate");

  o.tdp_watts = 0;
  e = open_ok("auto", &o);
  assert_int_equal(mb_energy_result(e, 1, &r), MB_ENERGY_OK);
  if (no_meter) {
    fprintf(stderr, "    auto here (no TDP): %s\n", r.reason);
    assert_false(r.available);
    assert_non_null(strstr(r.reason, "rapl: "));
    assert_non_null(strstr(r.reason, "nvml: "));
    assert_non_null(strstr(r.reason, "estimate: "));
  }
  mb_energy_close(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rapl_two_packages_and_a_wrap),
      cmocka_unit_test(test_rapl_sampler_catches_every_wrap),
      cmocka_unit_test(test_rapl_restart_and_phases),
      cmocka_unit_test(test_rapl_permission_injected),
      cmocka_unit_test(test_rapl_permission_real),
      cmocka_unit_test(test_rapl_unreadable_files),
      cmocka_unit_test(test_rapl_read_fails_during_run),
      cmocka_unit_test(test_rapl_no_tree),
      cmocka_unit_test(test_nvml_no_driver),
      cmocka_unit_test(test_nvml_energy_counter),
      cmocka_unit_test(test_nvml_one_gpu_by_bus_id),
      cmocka_unit_test(test_nvml_power_integration),
      cmocka_unit_test(test_nvml_init_fails),
      cmocka_unit_test(test_estimate_math),
      cmocka_unit_test(test_lpm01a_and_bad_specs),
      cmocka_unit_test(test_auto_without_meters),
      cmocka_unit_test(test_auto_on_this_machine),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
