/*
 * tests/hardware_profiles/test_hwp.c - hardware profiles: every shipped profile loads
 * and follows the rules; bad files give messages naming the file and the field;
 * roofline arithmetic on hand-computed cases; finding, listing and choosing profiles
 * through $MLSB_PROFILE_DIR; write -> load round trip; the measurements return
 * plausible figures (loose bounds only, no timing assertions), and `mlsysbench profile`
 * writes a profile that loads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hardware_profiles/hwp.h"
#include "hardware_profiles/kernels.h"
#include "hardware_profiles/measure.h"
#include "harness/profile.h"

#ifndef MB_PROFILE_DIRS
#define MB_PROFILE_DIRS "hardware_profiles"
#endif

/* ---- helpers -------------------------------------------------------------------- */

/* a equals b to 12 significant digits (cmocka's float assert is single precision). */
#define assert_near(a, b) assert_near_((a), (b), #a, __FILE__, __LINE__)
static void assert_near_(double a, double b, const char *what, const char *file, int line) {
  if (!(fabs(a - b) <= 1e-12 * fabs(b))) {
    print_error("%s:%d: %s is %.17g, expected %.17g\n", file, line, what, a, b);
    fail();
  }
}

/* The source folder of the shipped profiles: the first of MB_PROFILE_DIRS. */
static void source_dir(char *buf, size_t len) {
  snprintf(buf, len, "%.*s", (int)strcspn(MB_PROFILE_DIRS, ":"), MB_PROFILE_DIRS);
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  assert_true(fputs(text, f) >= 0);
  assert_int_equal(fclose(f), 0);
}

typedef struct tmpdir {
  char path[64];
} tmpdir;

static void tmpdir_make(tmpdir *t) {
  snprintf(t->path, sizeof t->path, "/tmp/test_hwp.XXXXXX");
  assert_non_null(mkdtemp(t->path));
}

static void tmpdir_remove(tmpdir *t) {
  char file[512];
  DIR *d = opendir(t->path);
  struct dirent *e;
  while (d != NULL && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    snprintf(file, sizeof file, "%s/%s", t->path, e->d_name);
    unlink(file);
  }
  if (d != NULL) closedir(d);
  rmdir(t->path);
}

/* A small valid profile: fp32 peak 100 GFLOP/s, DRAM 10 GB/s (ridge at 10 FLOP/byte). */
static void small_profile(hwp_profile *p) {
  hwp_memory *m;
  hwp_profile_init(p);
  assert_int_equal(hwp_set_text(&p->name, "small"), HWP_OK);
  assert_int_equal(hwp_set_text(&p->description, "a test device"), HWP_OK);
  assert_int_equal(hwp_set_figure(&p->peak_flops[HWP_FP32], 100e9, "estimate"), HWP_OK);
  assert_int_equal(hwp_add_memory(p, HWP_MEM_DRAM, &m), HWP_OK);
  assert_int_equal(hwp_set_figure(&m->bandwidth_bytes_per_s, 10e9, "estimate"), HWP_OK);
}

/* ---- status and names ----------------------------------------------------------- */

static void test_status_and_names(void **state) {
#define CHECK_(name, value, text)      \
  assert_int_equal(HWP_##name, value); \
  assert_string_equal(hwp_strerror(HWP_##name), text);
  HWP_STATUS_MAP(CHECK_)
#undef CHECK_
  assert_string_equal(hwp_strerror(-1000), "unknown status");
  hwp_precision pr;
  hwp_mem_level lv;
  hwp_kind k;
  for (int i = 0; i < HWP_PRECISION_COUNT; i++) {
    assert_int_equal(hwp_precision_parse(hwp_precision_name((hwp_precision)i), &pr), HWP_OK);
    assert_int_equal(pr, i);
  }
  for (int i = 0; i < HWP_MEM_LEVEL_COUNT; i++) {
    assert_int_equal(hwp_mem_level_parse(hwp_mem_level_name((hwp_mem_level)i), &lv), HWP_OK);
    assert_int_equal(lv, i);
  }
  assert_int_equal(hwp_kind_parse("mcu", &k), HWP_OK);
  assert_int_equal(k, HWP_KIND_MCU);
  assert_int_equal(hwp_kind_parse("tpu", &k), HWP_EINVAL);
  assert_int_equal(hwp_precision_parse("fp64", &pr), HWP_EINVAL);
  assert_string_equal(hwp_mem_level_name(HWP_MEM_FLASH), "flash");
  assert_string_equal(hwp_kind_name((hwp_kind)99), "?");
  assert_true(hwp_name_valid("qemu-mps2-an385"));
  assert_false(hwp_name_valid("../etc"));
  assert_false(hwp_name_valid("H100"));
  assert_false(hwp_name_valid(""));
}

/* ---- shipped profiles ----------------------------------------------------------- */

static void check_figure_source(const hwp_figure *f, const char *file) {
  if (!f->present) return;
  if (f->source == NULL || strlen(f->source) < 8) fail_msg("%s: a figure without a source", file);
}

static void check_shipped(const char *path, const char *stem) {
  hwp_profile p;
  char err[512];
  int rc = hwp_load_file(path, &p, err, sizeof err);
  if (rc != HWP_OK) fail_msg("%s", err);
  assert_string_equal(p.name, stem);
  assert_string_equal(p.path, path);
  for (int i = 0; i < HWP_PRECISION_COUNT; i++) {
    check_figure_source(&p.peak_flops[i], path);
    check_figure_source(&p.peak_flops_per_core[i], path);
  }
  for (size_t i = 0; i < p.n_memory; i++) {
    check_figure_source(&p.memory[i].bandwidth_bytes_per_s, path);
    check_figure_source(&p.memory[i].capacity_bytes, path);
  }
  if (p.kind == HWP_KIND_GPU && p.peak_flops[HWP_FP16].present)
    assert_non_null(strstr(p.peak_flops[HWP_FP16].source, "dense"));
  if (strncmp(stem, "qemu-", 5) == 0)
    assert_non_null(strstr(p.peak_flops[HWP_FP32].source, "emulated time is not real time"));
  hwp_roofline_point pt; /* every shipped profile has a memory roof for its fp32 or int8 */
  rc = hwp_roofline(&p, p.peak_flops[HWP_FP32].present ? "fp32" : "int8", 1e6, 1e5, 10, &pt);
  if (rc != HWP_OK) fail_msg("%s: %s", path, pt.error);
  hwp_destroy(&p);
}

static void test_shipped_profiles_load(void **state) {
  static const char *const required[] = {
      "h100", "h200", "a100", "t4", "jetson-orin-nano", "rpi4", "rpi5", "nano33-ble-sense",
      "nucleo-l4r5zi", "esp32-s3", "x86-64-server", "qemu-mps2-an385", "qemu-mps2-an386"};
  char dir[1024], path[1400], stem[256];
  size_t found = 0, checked = 0;
  source_dir(dir, sizeof dir);
  DIR *d = opendir(dir);
  assert_non_null(d);
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    size_t n = strlen(e->d_name);
    if (n <= 5 || strcmp(e->d_name + n - 5, ".json") != 0) continue;
    snprintf(stem, sizeof stem, "%.*s", (int)(n - 5), e->d_name);
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    check_shipped(path, stem);
    checked++;
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
      found += strcmp(stem, required[i]) == 0;
  }
  closedir(d);
  assert_int_equal(found, sizeof required / sizeof required[0]);
  assert_true(checked >= found);
}

/* ---- bad files ------------------------------------------------------------------ */

#define GOOD_HEAD                                                                     \
  "{\n  \"schema\": \"mlsysbench.hardware_profile\",\n  \"schema_version\": 1,\n" \
  "  \"name\": \"bad\", \"kind\": \"cpu\", \"description\": \"d\",\n"
#define GOOD_PEAK "  \"peak_flops\": {\"fp32\": {\"value\": 1e9, \"source\": \"estimate\"}},\n"
#define GOOD_MEM                                                                       \
  "  \"memory\": [{\"level\": \"DRAM\", \"bandwidth_bytes_per_s\": {\"value\": 1e9, " \
  "\"source\": \"estimate\"}}]\n"

typedef struct bad_case {
  const char *text;
  int status;
  const char *message; /* after "<file>: " */
} bad_case;

static const bad_case bad_cases[] = {
    {GOOD_HEAD GOOD_PEAK GOOD_MEM "}\n", HWP_OK, ""},
    {"{\"schema\": \"mlsysbench.results\", \"schema_version\": 1}", HWP_ESCHEMA,
     "field 'schema': must be \"mlsysbench.hardware_profile\""},
    {"{\"schema\": \"mlsysbench.hardware_profile\", \"schema_version\": 2}", HWP_ESCHEMA,
     "field 'schema_version': must be 1"},
    {GOOD_HEAD "  \"peak_flops\": {\"fp32\": {\"value\": -5, \"source\": \"estimate\"}},\n" GOOD_MEM
     "}", HWP_EFORMAT, "field 'peak_flops.fp32.value': must be a positive number (got -5)"},
    {GOOD_HEAD "  \"peak_flops\": {\"fp32\": {\"value\": 5}},\n" GOOD_MEM "}", HWP_EFORMAT,
     "field 'peak_flops.fp32.source': missing"},
    {GOOD_HEAD "  \"peak_flops\": {\"fp32\": {\"value\": 5, \"source\": \"\"}},\n" GOOD_MEM "}",
     HWP_EFORMAT, "field 'peak_flops.fp32.source': must say where"},
    {GOOD_HEAD "  \"peak_flops\": {\"fp64\": {\"value\": 5, \"source\": \"x\"}},\n" GOOD_MEM "}",
     HWP_EFORMAT, "field 'peak_flops.fp64': unknown field"},
    {GOOD_HEAD "  \"peak_flops\": {},\n" GOOD_MEM "}", HWP_EFORMAT,
     "field 'peak_flops': needs at least one"},
    {GOOD_HEAD GOOD_MEM "}", HWP_EFORMAT, "field 'peak_flops': missing"},
    {"{\"schema\": \"mlsysbench.hardware_profile\", \"schema_version\": 1, \"name\": \"bad\","
     " \"kind\": \"tpu\", \"description\": \"d\"}", HWP_EFORMAT,
     "field 'kind': unknown kind \"tpu\" (cpu, gpu or mcu)"},
    {GOOD_HEAD GOOD_PEAK GOOD_MEM ", \"peak_flop\": 1}", HWP_EFORMAT,
     "field 'peak_flop': unknown field"},
    {GOOD_HEAD GOOD_PEAK "  \"memory\": []}", HWP_EFORMAT,
     "field 'memory': needs one to 7 levels (got 0)"},
    {GOOD_HEAD GOOD_PEAK "  \"memory\": [{\"level\": \"DRAM\", \"capacity_bytes\": {\"value\": 1,"
     " \"source\": \"x\"}}, {\"level\": \"DRAM\"}]}", HWP_EFORMAT,
     "field 'memory[1].level': level DRAM appears twice"},
    {GOOD_HEAD GOOD_PEAK "  \"memory\": [{\"level\": \"L4\"}]}", HWP_EFORMAT,
     "field 'memory[0].level': unknown level \"L4\""},
    {GOOD_HEAD GOOD_PEAK "  \"memory\": [{\"level\": \"SRAM\"}]}", HWP_EFORMAT,
     "field 'memory[0]': needs bandwidth_bytes_per_s or capacity_bytes"},
    {GOOD_HEAD GOOD_PEAK "  \"memory\": [{\"level\": \"SRAM\", \"bandwidth_bytes_per_s\": "
     "{\"value\": \"fast\", \"source\": \"x\"}}]}", HWP_EFORMAT,
     "field 'memory[0].bandwidth_bytes_per_s.value': must be a number, not a string"},
    {GOOD_HEAD GOOD_PEAK GOOD_MEM ", \"cores\": {\"value\": 2.5, \"source\": \"x\"}}", HWP_EFORMAT,
     "field 'cores.value': must be a whole number (got 2.5)"},
    {GOOD_HEAD GOOD_PEAK GOOD_MEM ", \"tdp_watts\": {\"value\": 0, \"source\": \"x\"}}",
     HWP_EFORMAT, "field 'tdp_watts.value': must be a positive number (got 0)"},
    {GOOD_HEAD GOOD_PEAK
     "  \"peak_flops_per_core\": {\"fp32\": {\"value\": 2e9, \"source\": \"x\"}},\n" GOOD_MEM "}",
     HWP_EFORMAT, "field 'peak_flops_per_core.fp32': needs peak_flops.fp32, and cannot exceed it"},
    {"{\"schema\": \"mlsysbench.hardware_profile\", \"schema_version\": 1, \"name\": \"Bad Name\","
     " \"kind\": \"cpu\", \"description\": \"d\"," GOOD_PEAK GOOD_MEM "}", HWP_EFORMAT,
     "field 'name': must be 1-63 characters"},
    {"{\n  \"schema\": \"mlsysbench.hardware_profile\",\n  \"schema_version\": 1,,\n}",
     HWP_EFORMAT, ":3:"},
    {"[1, 2]", HWP_EFORMAT, ":1:"},
};

static void test_bad_fields_name_file_and_field(void **state) {
  tmpdir t;
  char path[128], err[512], expect[256];
  hwp_profile p;
  tmpdir_make(&t);
  snprintf(path, sizeof path, "%s/bad.json", t.path);
  for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
    write_text(path, bad_cases[i].text);
    err[0] = '\0';
    int rc = hwp_load_file(path, &p, err, sizeof err);
    if (rc != bad_cases[i].status) fail_msg("case %zu: status %d, message %s", i, rc, err);
    if (rc == HWP_OK) {
      hwp_destroy(&p);
      continue;
    }
    assert_null(p.name); /* left empty on failure */
    snprintf(expect, sizeof expect, "%s%s%s", path, bad_cases[i].message[0] == ':' ? "" : ": ",
             bad_cases[i].message);
    if (strncmp(err, expect, strlen(expect)) != 0)
      fail_msg("case %zu:\n  got    %s\n  wanted %s...", i, err, expect);
    hwp_destroy(&p); /* harmless on an empty profile */
  }
  unlink(path);
  assert_int_equal(hwp_load_file(path, &p, err, sizeof err), HWP_EIO);
  assert_non_null(strstr(err, path));
  tmpdir_remove(&t);
}

/* ---- roofline ------------------------------------------------------------------- */

static void test_roofline_memory_bound(void **state) {
  hwp_profile p;
  hwp_roofline_point pt;
  small_profile(&p);
  /* 1 MFLOP and 1 MB per inference (1 FLOP/byte) at 5,000 inferences/s: 5 GFLOP/s
   * achieved; attainable min(100, 1 x 10) = 10 GFLOP/s; half of it. */
  assert_int_equal(hwp_roofline(&p, "fp32", 1e6, 1e6, 5000, &pt), HWP_OK);
  assert_string_equal(pt.error, "");
  assert_int_equal(pt.precision, HWP_FP32);
  assert_near(pt.achieved_flops_per_s, 5e9);
  assert_near(pt.arithmetic_intensity, 1.0);
  assert_near(pt.peak_flops_per_s, 100e9);
  assert_near(pt.bandwidth_bytes_per_s, 10e9);
  assert_int_equal(pt.memory_level, HWP_MEM_DRAM);
  assert_near(pt.ridge_intensity, 10.0);
  assert_near(pt.attainable_flops_per_s, 10e9);
  assert_near(pt.fraction_of_attainable, 0.5);
  assert_int_equal(pt.bound, HWP_BOUND_MEMORY);
  assert_string_equal(hwp_bound_name(pt.bound), "memory");
  hwp_destroy(&p);
}

static void test_roofline_compute_bound(void **state) {
  hwp_profile p;
  hwp_roofline_point pt;
  small_profile(&p);
  /* 4 MFLOP and 100 kB (40 FLOP/byte) at 10,000/s: 40 GFLOP/s of an attainable 100. */
  assert_int_equal(hwp_roofline(&p, "fp32", 4e6, 1e5, 10000, &pt), HWP_OK);
  assert_near(pt.achieved_flops_per_s, 40e9);
  assert_near(pt.arithmetic_intensity, 40.0);
  assert_near(pt.attainable_flops_per_s, 100e9);
  assert_near(pt.fraction_of_attainable, 0.4);
  assert_int_equal(pt.bound, HWP_BOUND_COMPUTE);
  /* exactly at the ridge: both roofs give 100 GFLOP/s; counted as compute-bound */
  assert_int_equal(hwp_roofline(&p, "fp32", 1e6, 1e5, 1000, &pt), HWP_OK);
  assert_near(pt.attainable_flops_per_s, 100e9);
  assert_int_equal(pt.bound, HWP_BOUND_COMPUTE);
  assert_string_equal(hwp_bound_name(pt.bound), "compute");
  hwp_destroy(&p);
}

static void assert_all_nan(const hwp_roofline_point *pt) {
  assert_true(isnan(pt->achieved_flops_per_s) && isnan(pt->arithmetic_intensity));
  assert_true(isnan(pt->attainable_flops_per_s) && isnan(pt->fraction_of_attainable));
  assert_true(isnan(pt->peak_flops_per_s) && isnan(pt->ridge_intensity));
  assert_true(pt->error[0] != '\0');
}

static void test_roofline_unavailable_inputs(void **state) {
  hwp_profile p;
  hwp_roofline_point pt;
  hwp_memory *m;
  small_profile(&p);
  assert_int_equal(hwp_roofline(&p, "bf16", 1e6, 1e6, 10, &pt), HWP_EUNAVAILABLE);
  assert_all_nan(&pt);
  assert_non_null(strstr(pt.error, "no bf16 peak"));
  assert_non_null(strstr(pt.error, "'small'"));
  assert_int_equal(hwp_roofline(&p, "fp64", 1e6, 1e6, 10, &pt), HWP_EINVAL);
  assert_all_nan(&pt);
  assert_int_equal(hwp_roofline(&p, "fp32", 1e6, 0, 10, &pt), HWP_EINVAL);
  assert_all_nan(&pt);
  assert_int_equal(hwp_roofline(&p, "fp32", NAN, 1e6, 10, &pt), HWP_EINVAL);
  assert_int_equal(hwp_roofline(&p, "fp32", 1e6, 1e6, -1, &pt), HWP_EINVAL);
  assert_int_equal(hwp_roofline(NULL, "fp32", 1e6, 1e6, 10, &pt), HWP_EINVAL);
  /* the memory roof falls to HBM when there is no DRAM bandwidth, and is missing when
   * only caches have one */
  p.memory[0].level = HWP_MEM_HBM;
  assert_int_equal(hwp_roofline(&p, "fp32", 1e6, 1e6, 10, &pt), HWP_OK);
  assert_int_equal(pt.memory_level, HWP_MEM_HBM);
  p.memory[0].level = HWP_MEM_L2;
  assert_int_equal(hwp_roofline(&p, "fp32", 1e6, 1e6, 10, &pt), HWP_EUNAVAILABLE);
  assert_all_nan(&pt);
  assert_int_equal(hwp_add_memory(&p, HWP_MEM_SRAM, &m), HWP_OK);
  assert_int_equal(hwp_set_figure(&m->bandwidth_bytes_per_s, 1e8, "x"), HWP_OK);
  assert_int_equal(hwp_roofline(&p, "fp32", 1e6, 1e6, 10, &pt), HWP_OK);
  assert_int_equal(pt.memory_level, HWP_MEM_SRAM);
  assert_int_equal(hwp_add_memory(&p, HWP_MEM_SRAM, &m), HWP_EINVAL); /* no repeats */
  hwp_destroy(&p);
}

static void test_tdp(void **state) {
  hwp_profile p;
  double w = 0;
  small_profile(&p);
  assert_int_equal(hwp_tdp_watts(&p, &w), HWP_EUNAVAILABLE);
  assert_true(isnan(w));
  assert_int_equal(hwp_set_figure(&p.tdp_watts, 70, "datasheet"), HWP_OK);
  assert_int_equal(hwp_tdp_watts(&p, &w), HWP_OK);
  assert_near(w, 70);
  assert_int_equal(hwp_tdp_watts(NULL, &w), HWP_EINVAL);
  hwp_destroy(&p);
  hwp_destroy(NULL);
}

/* ---- finding, listing, choosing ------------------------------------------------- */

static void test_find_list_auto_through_env(void **state) {
  tmpdir t;
  char path[256], err[1024], both[2048], dir[1024];
  hwp_profile p;
  hwp_name_list l;
  tmpdir_make(&t);
  setenv("MLSB_PROFILE_DIR", t.path, 1);
  small_profile(&p);
  snprintf(path, sizeof path, "%s/small.json", t.path);
  assert_int_equal(hwp_write_file(&p, path, err, sizeof err), HWP_OK);
  hwp_destroy(&p);

  assert_int_equal(hwp_find("small", &p, err, sizeof err), HWP_OK);
  assert_string_equal(p.path, path);
  hwp_destroy(&p);
  assert_int_equal(hwp_find(path, &p, err, sizeof err), HWP_OK); /* a path works too */
  hwp_destroy(&p);
  assert_int_equal(hwp_find("nope", &p, err, sizeof err), HWP_ENOTFOUND);
  assert_non_null(strstr(err, "'nope'"));
  assert_non_null(strstr(err, t.path));
  assert_int_equal(hwp_find("../small", &p, err, sizeof err), HWP_EIO); /* a path: no file */
  assert_int_equal(hwp_find("Small", &p, err, sizeof err), HWP_EINVAL);

  assert_int_equal(hwp_list(&l, err, sizeof err), HWP_OK);
  assert_int_equal(l.n, 1);
  assert_string_equal(l.items[0].name, "small");
  assert_string_equal(l.items[0].path, path);
  hwp_name_list_destroy(&l);

  /* auto: no local.json and no x86-64-server here -> not found; then the fallback from
   * the source folder; then local.json wins */
  assert_int_equal(hwp_auto(&p, err, sizeof err), HWP_ENOTFOUND);
  assert_non_null(strstr(err, HWP_DEFAULT_PROFILE));
  source_dir(dir, sizeof dir);
  snprintf(both, sizeof both, "%s:%s", t.path, dir);
  setenv("MLSB_PROFILE_DIR", both, 1);
  assert_int_equal(hwp_find("auto", &p, err, sizeof err), HWP_OK);
  assert_string_equal(p.name, HWP_DEFAULT_PROFILE);
  hwp_destroy(&p);
  assert_int_equal(hwp_list(&l, err, sizeof err), HWP_OK);
  assert_true(l.n >= 14);
  for (size_t i = 1; i < l.n; i++) assert_true(strcmp(l.items[i - 1].name, l.items[i].name) < 0);
  hwp_name_list_destroy(&l);
  char local[512];
  assert_int_equal(hwp_local_path(local, sizeof local), HWP_OK);
  snprintf(path, sizeof path, "%s/%s", t.path, HWP_LOCAL_FILE);
  assert_string_equal(local, path);
  small_profile(&p);
  assert_int_equal(hwp_write_file(&p, local, err, sizeof err), HWP_OK);
  hwp_destroy(&p);
  assert_int_equal(hwp_auto(&p, err, sizeof err), HWP_OK);
  assert_string_equal(p.path, local);
  hwp_destroy(&p);

  unsetenv("MLSB_PROFILE_DIR");
  tmpdir_remove(&t);
}

static void test_local_path_without_env(void **state) {
  char buf[512];
  const char *home = getenv("HOME");
  char *saved = home ? strdup(home) : NULL;
  unsetenv("MLSB_PROFILE_DIR");
  unsetenv("XDG_CONFIG_HOME");
  setenv("HOME", "/home/student", 1);
  assert_int_equal(hwp_local_path(buf, sizeof buf), HWP_OK);
  assert_string_equal(buf, "/home/student/.config/mlsysbench/local.json");
  setenv("XDG_CONFIG_HOME", "/cfg", 1);
  assert_int_equal(hwp_local_path(buf, sizeof buf), HWP_OK);
  assert_string_equal(buf, "/cfg/mlsysbench/local.json");
  assert_int_equal(hwp_local_path(buf, 8), HWP_EINVAL);
  unsetenv("XDG_CONFIG_HOME");
  if (saved) setenv("HOME", saved, 1);
  else unsetenv("HOME");
  free(saved);
}

/* ---- write -> load --------------------------------------------------------------- */

static void assert_figure_equal(const hwp_figure *a, const hwp_figure *b) {
  assert_int_equal(a->present, b->present);
  if (!a->present) return;
  assert_true(a->value == b->value); /* exactly */
  assert_string_equal(a->source, b->source);
}

static void full_profile(hwp_profile *p) {
  hwp_memory *m;
  small_profile(p);
  assert_int_equal(hwp_set_text(&p->name, "round.trip-1"), HWP_OK);
  p->kind = HWP_KIND_GPU;
  assert_int_equal(hwp_set_text(&p->description, "quotes \" slash / backslash \\ ünïcode"), 0);
  assert_int_equal(hwp_set_figure(&p->peak_flops[HWP_FP16], 1e15 / 3.0, "datasheet (dense)"), 0);
  assert_int_equal(hwp_set_figure(&p->peak_flops[HWP_INT8], 1978.9e12, "x"), 0);
  assert_int_equal(hwp_set_figure(&p->peak_flops_per_core[HWP_FP32], 0.1, "tiny"), 0);
  assert_int_equal(hwp_add_memory(p, HWP_MEM_L1, &m), HWP_OK);
  assert_int_equal(hwp_set_figure(&m->capacity_bytes, 48 * 1024, "hwloc"), 0);
  assert_int_equal(hwp_add_memory(p, HWP_MEM_FLASH, &m), HWP_OK);
  assert_int_equal(hwp_set_figure(&m->capacity_bytes, 9007199254740993.0, "big"), 0);
  assert_int_equal(hwp_set_figure(&m->bandwidth_bytes_per_s, 1e-3, "slow"), 0);
  assert_int_equal(hwp_set_figure(&p->tdp_watts, 0.044, "estimate"), 0);
  assert_int_equal(hwp_set_figure(&p->clock_hz, 1.98e9, "datasheet"), 0);
  assert_int_equal(hwp_set_figure(&p->cores, 132, "whitepaper"), 0);
}

static void test_write_load_round_trip(void **state) {
  tmpdir t;
  char path[256], err[512];
  hwp_profile a, b;
  tmpdir_make(&t);
  snprintf(path, sizeof path, "%s/round.json", t.path);
  full_profile(&a);
  assert_int_equal(hwp_validate(&a, err, sizeof err), HWP_OK);
  assert_int_equal(hwp_write_file(&a, path, err, sizeof err), HWP_OK);
  if (hwp_load_file(path, &b, err, sizeof err) != HWP_OK) fail_msg("%s", err);
  assert_string_equal(a.name, b.name);
  assert_int_equal(a.kind, b.kind);
  assert_string_equal(a.description, b.description);
  for (int i = 0; i < HWP_PRECISION_COUNT; i++) {
    assert_figure_equal(&a.peak_flops[i], &b.peak_flops[i]);
    assert_figure_equal(&a.peak_flops_per_core[i], &b.peak_flops_per_core[i]);
  }
  assert_int_equal(a.n_memory, b.n_memory);
  for (size_t i = 0; i < a.n_memory; i++) {
    assert_int_equal(a.memory[i].level, b.memory[i].level);
    assert_figure_equal(&a.memory[i].bandwidth_bytes_per_s, &b.memory[i].bandwidth_bytes_per_s);
    assert_figure_equal(&a.memory[i].capacity_bytes, &b.memory[i].capacity_bytes);
  }
  assert_figure_equal(&a.tdp_watts, &b.tdp_watts);
  assert_figure_equal(&a.clock_hz, &b.clock_hz);
  assert_figure_equal(&a.cores, &b.cores);
  hwp_destroy(&b);
  /* an invalid profile is refused and nothing is written */
  unlink(path);
  a.peak_flops[HWP_FP32].value = -1;
  assert_int_equal(hwp_write_file(&a, path, err, sizeof err), HWP_EFORMAT);
  assert_non_null(strstr(err, "field 'peak_flops.fp32.value'"));
  assert_int_not_equal(access(path, F_OK), 0);
  hwp_destroy(&a);
  tmpdir_remove(&t);
}

/* ---- measuring ------------------------------------------------------------------ */

/* This machine, or SKIP when hwloc cannot describe it. */
static hwp_machine *machine_or_skip(void) {
  hwp_machine *m = NULL;
  char err[256];
  if (hwp_machine_open(&m, err, sizeof err) != HWP_OK) {
    print_message("SKIP: %s\n", err);
    skip();
  }
  return m;
}

static void test_machine_info(void **state) {
  hwp_machine *m = machine_or_skip();
  const hwp_machine_info *i = hwp_machine_describe(m);
  assert_true(i->cores >= 1);
  assert_true(i->pus >= i->cores || i->pus == 0);
  hwp_machine_close(m);
  hwp_machine_close(NULL);
}

static void test_fma_kernels_compute(void **state) {
  const hwp__fma_kernel *k;
  for (size_t i = 0; (k = hwp__fma_kernel_at(i)) != NULL; i++) {
    float sum = k->run(1000, 0.9999f, 1e-4f);
    assert_true(isfinite(sum) && sum > 0);
    assert_true(hwp__fma_flops_per_step(k) >= 2.0 * HWP__FMA_CHAINS);
  }
  assert_non_null(hwp__fma_kernel_at(0));
}

static void test_fma_peak_plausible(void **state) {
  hwp_measurement one, all;
  char err[256];
  hwp_machine *m = machine_or_skip();
  assert_int_equal(hwp_measure_fma(m, 1, 0.05, &one, err, sizeof err), HWP_OK);
  print_message("fp32 one core: %.3g FLOP/s (%s)\n", one.value, one.method);
  assert_true(one.value > 1e9);
  assert_int_equal(one.threads, 1);
  assert_int_equal(one.reps, 5);
  assert_true(one.method[0] != '\0');
  assert_int_equal(hwp_measure_fma(m, 0, 0.05, &all, err, sizeof err), HWP_OK);
  assert_true(all.value > 1e9);
  assert_int_equal(all.threads, hwp_machine_describe(m)->cores);
  assert_int_equal(hwp_measure_fma(m, 1, 0, &one, err, sizeof err), HWP_EINVAL);
  hwp_machine_close(m);
}

static void test_triad_bandwidth_plausible(void **state) {
  hwp_measurement small, automatic;
  char err[256];
  hwp_machine *m = machine_or_skip();
  assert_int_equal(hwp_measure_triad(m, 0, 0.05, 8 << 20, &small, err, sizeof err), HWP_OK);
  assert_true(small.value > 100e6);
  assert_int_equal(small.array_bytes, 8 << 20);
  assert_true(small.reps >= 3);
  if (hwp_measure_triad(m, 0, 0.05, 0, &automatic, err, sizeof err) != HWP_OK)
    fail_msg("%s", err);
  print_message("triad: %.3g B/s (%s)\n", automatic.value, automatic.method);
  assert_true(automatic.value > 100e6);
  assert_true(automatic.array_bytes >= 32u << 20);
  assert_int_equal(hwp_measure_triad(m, 1, 0.05, 100, &small, err, sizeof err), HWP_EINVAL);
  hwp_machine_close(m);
}

/* mb_cmd_profile with stdout and stderr sent to /dev/null; its exit code. */
static int run_profile_quietly(int argc, char **argv) {
  fflush(stdout);
  fflush(stderr);
  int out = dup(1), errfd = dup(2), null = open("/dev/null", O_WRONLY);
  assert_true(out >= 0 && errfd >= 0 && null >= 0);
  dup2(null, 1);
  dup2(null, 2);
  int rc = mb_cmd_profile(argc, argv);
  fflush(stdout);
  fflush(stderr);
  dup2(out, 1);
  dup2(errfd, 2);
  close(out);
  close(errfd);
  close(null);
  return rc;
}

static void test_profile_command_writes_a_loadable_profile(void **state) {
  tmpdir t;
  char path[128], err[512];
  hwp_profile p;
  hwp_machine_close(machine_or_skip());
  tmpdir_make(&t);
  snprintf(path, sizeof path, "%s/lab-pc.json", t.path);
  char *args[] = {"profile", "--seconds", "0.2", "--name", "lab-pc", "--out", path, NULL};
  assert_int_equal(run_profile_quietly(7, args), 0);
  if (hwp_load_file(path, &p, err, sizeof err) != HWP_OK) fail_msg("%s", err);
  assert_string_equal(p.name, "lab-pc");
  assert_int_equal(p.kind, HWP_KIND_CPU);
  assert_true(p.peak_flops[HWP_FP32].value > 1e9);
  assert_non_null(strstr(p.peak_flops[HWP_FP32].source, "measured by mlsysbench profile "));
  const hwp_memory *dram = hwp_memory_find(&p, HWP_MEM_DRAM);
  assert_non_null(dram);
  assert_true(dram->bandwidth_bytes_per_s.value > 100e6);
  assert_non_null(strstr(dram->bandwidth_bytes_per_s.source, "STREAM triad"));
  assert_true(p.cores.present && p.cores.value >= 1);
  hwp_destroy(&p);
  char *help[] = {"profile", "--help", NULL};
  assert_int_equal(run_profile_quietly(2, help), 0);
  char *bad[] = {"profile", "--seconds", "fast", NULL};
  assert_int_equal(run_profile_quietly(3, bad), 2);
  char *name[] = {"profile", "--name", "My PC", NULL};
  assert_int_equal(run_profile_quietly(3, name), 2);
  tmpdir_remove(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_status_and_names),
      cmocka_unit_test(test_shipped_profiles_load),
      cmocka_unit_test(test_bad_fields_name_file_and_field),
      cmocka_unit_test(test_roofline_memory_bound),
      cmocka_unit_test(test_roofline_compute_bound),
      cmocka_unit_test(test_roofline_unavailable_inputs),
      cmocka_unit_test(test_tdp),
      cmocka_unit_test(test_find_list_auto_through_env),
      cmocka_unit_test(test_local_path_without_env),
      cmocka_unit_test(test_write_load_round_trip),
      cmocka_unit_test(test_machine_info),
      cmocka_unit_test(test_fma_kernels_compute),
      cmocka_unit_test(test_fma_peak_plausible),
      cmocka_unit_test(test_triad_bandwidth_plausible),
      cmocka_unit_test(test_profile_command_writes_a_loadable_profile),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
