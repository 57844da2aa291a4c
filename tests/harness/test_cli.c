/*
 * tests/harness/test_cli.c - end-to-end tests of the mlsysbench command, as a user runs
 * it: every scenario and mode writes a complete run folder whose numbers agree with
 * each other, bad input exits 2 with file:line messages and no folder, Ctrl-C still
 * writes an INVALID "interrupted" folder, and a SUT that stops completing ends the run.
 * The binary is $MLSB (set by tests/run.sh).
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <signal.h>
#include <math.h>
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

#include "reports/samples.h"

static char tmpdir[256];

/* Run $MLSB with args; capture stdout+stderr into out. Optionally send SIGINT after
 * sigint_ms. Returns the exit status. */
static int mlsb(char *out, size_t outlen, int sigint_ms, const char *fmt, ...) {
  char args[2048], cmd[4096], log[300];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(args, sizeof args, fmt, ap);
  va_end(ap);
  snprintf(log, sizeof log, "%s/out.log", tmpdir);
  snprintf(cmd, sizeof cmd, "exec %s %s >%s 2>&1", getenv("MLSB"), args, log);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
  }
  if (sigint_ms > 0) {
    struct timespec ts = {sigint_ms / 1000, (sigint_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    kill(pid, SIGINT);
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  FILE *f = fopen(log, "r");
  size_t n = f ? fread(out, 1, outlen - 1, f) : 0;
  out[n] = '\0';
  if (f) fclose(f);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static bool exists(const char *dir, const char *file) {
  char p[600];
  struct stat st;
  snprintf(p, sizeof p, "%s/%s", dir, file);
  return stat(p, &st) == 0 && st.st_size > 0;
}

static json_object *load_results(const char *dir) {
  char p[600];
  snprintf(p, sizeof p, "%s/results.json", dir);
  json_object *j = json_object_from_file(p);
  assert_non_null(j);
  return j;
}

/* Follow a dotted path like "result.counts.samples_issued". */
static json_object *jget(json_object *j, const char *path) {
  char buf[256], *save;
  snprintf(buf, sizeof buf, "%s", path);
  for (char *k = strtok_r(buf, ".", &save); k && j; k = strtok_r(NULL, ".", &save))
    if (!json_object_object_get_ex(j, k, &j)) return NULL;
  return j;
}

static int64_t jint(json_object *j, const char *path) {
  json_object *v = jget(j, path);
  if (!v) fail_msg("results.json has no %s", path);
  return json_object_get_int64(v);
}

static bool jbool(json_object *j, const char *path) {
  json_object *v = jget(j, path);
  if (!v) fail_msg("results.json has no %s", path);
  return json_object_get_boolean(v);
}

/* samples.csv rows agree with results.json: count, latency = completed - scheduled. */
static void check_samples(const char *dir, json_object *res) {
  char p[600], err[512];
  rpt_sample *rows;
  size_t n;
  snprintf(p, sizeof p, "%s/samples.csv", dir);
  assert_int_equal(rpt_samples_read(p, &rows, &n, err, sizeof err), 0);
  assert_int_equal((int64_t)n, jint(res, "result.counts.samples_issued"));
  size_t lost = 0;
  for (size_t i = 0; i < n; i++) {
    lost += rows[i].lost;
    if (!rows[i].lost) assert_true(rows[i].completed_ns >= rows[i].scheduled_ns);
    assert_true(rows[i].issued_ns >= rows[i].scheduled_ns);
  }
  assert_int_equal((int64_t)lost, jint(res, "result.counts.samples_lost"));
  free(rows);
}

static void run_scenario(const char *scenario, const char *extra, int want_rc) {
  char out[65536], dir[400];
  snprintf(dir, sizeof dir, "%s/%s", tmpdir, scenario);
  int rc = mlsb(out, sizeof out, 0, "run --workload kws --scenario %s --duration-ms 300 "
                "--out %s %s", scenario, dir, extra);
  if (rc != want_rc) fail_msg("exit %d, output:\n%s", rc, out);
  assert_non_null(strstr(out, "run folder: "));
  assert_true(exists(dir, "summary.txt") && exists(dir, "results.json") &&
              exists(dir, "samples.csv") && exists(dir, "detail.log"));
  json_object *res = load_results(dir);
  check_samples(dir, res);
  assert_string_equal(json_object_get_string(jget(res, "schema")), "mlsysbench.results");
  assert_true(jint(res, "result.counts.samples_completed") > 0);
  json_object_put(res);
}

static void test_every_scenario(void **state) {
  (void)state;
  run_scenario("singlestream", "", 0);
  run_scenario("multistream", "--min-queries 100 --set early_stopping=0", 0);
  run_scenario("server", "--target-qps 60 --min-queries 20 --set early_stopping=0 --set target_latency=1000", 0);
  /* 1.1 x 600 s x 1 qps = 660 samples, done in well under a second: INVALID however
   * slow the machine is */
  run_scenario("offline", "--duration-ms 600000 --target-qps 1 --min-queries 10", 3);
  char dir[400];
  snprintf(dir, sizeof dir, "%s/server", tmpdir);
  json_object *res = load_results(dir);
  assert_true(jbool(res, "result.checks.latency_bound_met"));
  assert_true(jint(res, "result.issue_delay.count") > 0);
  json_object_put(res);
  snprintf(dir, sizeof dir, "%s/offline", tmpdir);
  res = load_results(dir);
  assert_false(jbool(res, "result.valid"));
  assert_int_equal(jint(res, "result.counts.samples_issued"), 660); /* the query size */
  assert_false(jbool(res, "result.checks.min_duration_met"));
  json_object_put(res);
}

static void test_accuracy_mode(void **state) {
  (void)state;
  char out[65536], dir[400], p[600];
  snprintf(dir, sizeof dir, "%s/acc", tmpdir);
  int rc = mlsb(out, sizeof out, 0, "run --workload kws --scenario offline --mode accuracy --out %s", dir);
  if (rc) fail_msg("exit %d:\n%s", rc, out);
  assert_true(exists(dir, "accuracy.json"));
  json_object *res = load_results(dir);
  assert_int_equal(jint(res, "result.counts.samples_issued"), 1024);
  assert_int_equal(jint(res, "accuracy.samples"), 1024);
  assert_true(json_object_get_double(jget(res, "accuracy.top1_agreement")) == 1.0);
  /* the SUT runs the fast kernels (wl_infer_batch): rounding-level differences only */
  assert_true(json_object_get_double(jget(res, "accuracy.max_abs_error")) < 1e-4);
  json_object_put(res);
  snprintf(p, sizeof p, "%s/accuracy.json", dir);
  json_object *acc = json_object_from_file(p);
  assert_non_null(acc);
  json_object_put(acc);
}

static void test_delay_latency_and_issue_delay(void **state) {
  (void)state;
  char out[65536], dir[400];
  snprintf(dir, sizeof dir, "%s/delay", tmpdir);
  int rc = mlsb(out, sizeof out, 0, "run --workload delay --set delay_us=2000 --scenario "
                "singlestream --duration-ms 300 --min-queries 64 --out %s", dir);
  if (rc) fail_msg("exit %d:\n%s", rc, out);
  json_object *res = load_results(dir);
  assert_true(jint(res, "result.latency.p50_ns") >= 2000000);
  assert_true(jint(res, "result.latency.p50_ns") < 4000000);
  json_object_put(res);
  snprintf(dir, sizeof dir, "%s/delay-server", tmpdir);
  rc = mlsb(out, sizeof out, 0, "run --workload delay --set delay_us=100 --scenario server "
            "--target-qps 1000 --duration-ms 500 --out %s", dir);
  if (rc) fail_msg("exit %d:\n%s", rc, out);
  assert_non_null(strstr(out, "ssue delay")); /* in every Server summary */
}

/* --until-stable: the run goes on until the metric's interval is narrow enough and says
 * so in results.json and summary.txt; a bad value is refused before anything runs. */
static void test_until_stable(void **state) {
  (void)state;
  char out[65536], dir[400];
  snprintf(dir, sizeof dir, "%s/stable", tmpdir);
  int rc = mlsb(out, sizeof out, 0, "run --workload delay --set delay_us=50 --set "
                "delay_dist=exponential --set max_duration=60000 --scenario singlestream "
                "--duration-ms 10 --min-queries 64 --until-stable 5%% --out %s", dir);
  if (rc) fail_msg("exit %d:\n%s", rc, out);
  json_object *res = load_results(dir);
  assert_true(jbool(res, "result.until_stable.met"));
  double rel = json_object_get_double(jget(res, "result.until_stable.ci_relative"));
  assert_true(rel > 0 && rel <= 0.05);
  assert_true(fabs(json_object_get_double(jget(res, "result.until_stable.target")) - 0.05) < 1e-12);
  /* exponential latencies: +-5 % at the 90th percentile takes thousands of queries */
  assert_true(jint(res, "result.counts.queries_issued") > 1000);
  json_object_put(res);
  assert_non_null(strstr(out, "Metric stable (until_stable) : Yes"));
  assert_int_equal(mlsb(out, sizeof out, 0, "run --until-stable 90%%"), 2);
  assert_non_null(strstr(out, "--until-stable '90%'"));
}

/* --repeat writes a run set; --ab runs two sets interleaved and judges B against A by
 * repetitions; compare refuses a set against a single run. */
static void test_repeat_and_ab(void **state) {
  (void)state;
  char out[65536], dir[400], path[1000];
  const char *quick = "--workload delay --scenario singlestream --duration-ms 100 --min-queries 64";
  snprintf(dir, sizeof dir, "%s/rep", tmpdir);
  int rc = mlsb(out, sizeof out, 0, "run %s --set delay_us=100 --repeat 2 --out %s", quick, dir);
  if (rc) fail_msg("exit %d:\n%s", rc, out);
  assert_true(exists(dir, "rep-01/results.json") && exists(dir, "rep-02/samples.csv"));
  assert_false(exists(dir, "rep-03/results.json"));
  assert_non_null(strstr(out, "rep  2: VALID"));
  assert_non_null(strstr(out, "median"));
  snprintf(dir, sizeof dir, "%s/ab", tmpdir);
  rc = mlsb(out, sizeof out, 0, "run %s --set delay_us=200 --repeat 5 --ab '--set delay_us=2000' "
            "--out %s", quick, dir);
  if (rc) fail_msg("exit %d:\n%s", rc, out);
  assert_true(exists(dir, "A/rep-05/results.json") && exists(dir, "B/rep-05/results.json"));
  /* interleaved: A B, then B A */
  char *a1 = strstr(out, "A rep  1"), *b1 = strstr(out, "B rep  1"), *a2 = strstr(out, "A rep  2"),
       *b2 = strstr(out, "B rep  2");
  assert_true(a1 && b1 && a2 && b2 && a1 < b1 && b2 < a2);
  /* ten times the service time, five repetitions a side: a regression by repetitions */
  assert_non_null(strstr(out, "(set of 5 repetitions)"));
  assert_non_null(strstr(out, "verdict: regression"));
  snprintf(path, sizeof path, "%s/A/rep-01", dir);
  assert_int_equal(mlsb(out, sizeof out, 0, "compare %s/A %s", dir, path), 2);
  assert_non_null(strstr(out, "compare a set with a set"));
  assert_int_equal(mlsb(out, sizeof out, 0, "run --ab '--threads 1'"), 2);
  assert_non_null(strstr(out, "needs --repeat"));
  /* a set never mixes with older runs; a gap in the numbering is refused */
  snprintf(dir, sizeof dir, "%s/rep", tmpdir);
  assert_int_equal(mlsb(out, sizeof out, 0, "run %s --repeat 2 --out %s", quick, dir), 2);
  assert_non_null(strstr(out, "exists; a run set (--repeat) goes into a new folder"));
  snprintf(path, sizeof path, "mv %s/rep-02 %s/rep-03", dir, dir);
  assert_int_equal(system(path), 0);
  assert_int_equal(mlsb(out, sizeof out, 0, "compare %s %s", dir, dir), 2);
  assert_non_null(strstr(out, "without gaps"));
  assert_int_equal(mlsb(out, sizeof out, 0, "run --mode accuracy --repeat 2"), 2);
  assert_non_null(strstr(out, "same answer each time"));
  /* Ctrl-C ends the whole set, not one repetition */
  snprintf(dir, sizeof dir, "%s/rep-int", tmpdir);
  rc = mlsb(out, sizeof out, 2000, "run --workload delay --set delay_us=100 --duration-ms 1500 "
            "--repeat 3 --out %s", dir);
  assert_int_equal(rc, 3);
  assert_non_null(strstr(out, "INVALID (interrupted)"));
  assert_non_null(strstr(out, "the remaining repetitions are not run"));
  assert_false(exists(dir, "rep-03/results.json"));
}

/* --target-qps auto: untimed probes size the Offline query so the run outlasts
 * min_duration on whatever machine runs it. */
static void test_offline_auto_target(void **state) {
  (void)state;
  char out[65536], dir[400], log[600];
  snprintf(dir, sizeof dir, "%s/auto", tmpdir);
  /* a busy-waited service time: the rate does not depend on the machine's other load */
  int rc = mlsb(out, sizeof out, 0, "run --workload delay --set delay_us=500 --threads 1 "
                "--scenario offline --target-qps auto --duration-ms 500 --out %s", dir);
  if (rc) fail_msg("exit %d:\n%s", rc, out);
  json_object *res = load_results(dir);
  assert_true(jbool(res, "result.checks.min_duration_met"));
  json_object_put(res);
  snprintf(log, sizeof log, "%s/detail.log", dir);
  FILE *f = fopen(log, "r");
  assert_non_null(f);
  size_t n = fread(out, 1, sizeof out - 1, f);
  out[n] = '\0';
  fclose(f);
  assert_non_null(strstr(out, "offline_probe"));
  assert_non_null(strstr(out, "1.25 x the probe's"));
  assert_int_equal(mlsb(out, sizeof out, 0, "run --scenario server --target-qps auto"), 2);
  assert_non_null(strstr(out, "--find-peak"));
}

static void test_bad_input(void **state) {
  (void)state;
  char out[65536], conf[400], dir[400];
  snprintf(conf, sizeof conf, "%s/user.conf", tmpdir);
  FILE *f = fopen(conf, "w");
  fputs("# user.conf\n*.Server.target_qps = 100\n*.Server.target_latncy = 10\n", f);
  fclose(f);
  snprintf(dir, sizeof dir, "%s/never", tmpdir);
  int rc = mlsb(out, sizeof out, 0, "run --scenario server --config %s --out %s", conf, dir);
  assert_int_equal(rc, 2);
  assert_non_null(strstr(out, "user.conf:3"));
  assert_non_null(strstr(out, "target_latncy"));
  assert_non_null(strstr(out, "did you mean 'target_latency'"));
  assert_false(exists(dir, "results.json"));
  assert_int_equal(mlsb(out, sizeof out, 0, "run --workload nosuch"), 2);
  assert_non_null(strstr(out, "kws"));
  assert_int_equal(mlsb(out, sizeof out, 0, "run --scenario sideways"), 2);
  assert_non_null(strstr(out, "--scenario 'sideways'"));
  assert_int_equal(mlsb(out, sizeof out, 0, "run --set delay_us=abc --workload delay"), 2);
  assert_non_null(strstr(out, "delay_us"));
  assert_int_equal(mlsb(out, sizeof out, 0, "run --set delay_usx=5 --workload delay"), 2);
  assert_non_null(strstr(out, "--set for workload delay"));
  assert_non_null(strstr(out, "accepted keys: delay_us, delay_dist"));
  assert_int_equal(mlsb(out, sizeof out, 0, "run --set max_duration=4000 --workload null"), 2);
  assert_non_null(strstr(out, "max_duration_ms: 4000: must be 0 (unlimited) or >= "
                              "min_duration_ms, which is 10000"));
  assert_int_equal(mlsb(out, sizeof out, 0, "run --set min_duration=-3"), 2);
  assert_non_null(strstr(out, "min_duration"));
  assert_int_equal(mlsb(out, sizeof out, 0, "run --sut quantum"), 2);
  assert_non_null(strstr(out, "cpu"));
  assert_int_equal(mlsb(out, sizeof out, 0, "frobnicate"), 2);
}

static void test_config_sources_in_results(void **state) {
  (void)state;
  char out[65536], conf[400], dir[400];
  snprintf(conf, sizeof conf, "%s/mlperf-like.conf", tmpdir);
  FILE *f = fopen(conf, "w");
  fputs("*.*.qsl_rng_seed = 2085463073848966840\n"
        "*.*.test05_qsl_rng_seed = 7975553102935885558\n"
        "*.SingleStream.min_duration = 250\n", f);
  fclose(f);
  snprintf(dir, sizeof dir, "%s/conf", tmpdir);
  int rc = mlsb(out, sizeof out, 0, "run --config %s --out %s --quiet", conf, dir);
  if (rc) fail_msg("exit %d:\n%s", rc, out);
  json_object *res = load_results(dir);
  assert_true((uint64_t)jint(res, "seeds.qsl_rng_seed") == 2085463073848966840ULL);
  json_object_put(res);
  char p[600], log[65536];
  snprintf(p, sizeof p, "%s/detail.log", dir);
  f = fopen(p, "r");
  size_t n = fread(log, 1, sizeof log - 1, f);
  log[n] = '\0';
  fclose(f);
  assert_non_null(strstr(log, "test05_qsl_rng_seed")); /* listed as ignored */
  assert_non_null(strstr(log, "mlperf-like.conf:3"));
  assert_null(strstr(out, "\r")); /* no progress line when stderr is not a terminal */
}

static void test_interrupt_writes_invalid_folder(void **state) {
  (void)state;
  char out[65536], dir[400];
  snprintf(dir, sizeof dir, "%s/interrupted", tmpdir);
  int rc = mlsb(out, sizeof out, 2500, "run --scenario server --target-qps 200 "
                "--duration-ms 60000 --out %s", dir);
  assert_int_equal(rc, 3);
  json_object *res = load_results(dir);
  assert_false(jbool(res, "result.valid"));
  assert_non_null(strstr(json_object_to_json_string(jget(res, "result.reasons")), "interrupted"));
  assert_true(jint(res, "result.counts.samples_completed") > 10);
  check_samples(dir, res);
  json_object_put(res);
}

static void test_hung_sut_ends_run(void **state) {
  (void)state;
  char out[65536], dir[400];
  snprintf(dir, sizeof dir, "%s/hung", tmpdir);
  time_t start = time(NULL);
  int rc = mlsb(out, sizeof out, 0, "run --workload delay --set delay_us=1500000 "
                "--set drain_timeout=200 --duration-ms 10000 --threads 1 --out %s", dir);
  assert_int_equal(rc, 3);
  assert_true(time(NULL) - start < 10);
  json_object *res = load_results(dir);
  assert_int_equal(jint(res, "result.counts.samples_lost"), 1);
  assert_non_null(strstr(json_object_to_json_string(jget(res, "result.reasons")),
                         "stopped completing"));
  json_object_put(res);
}

/* With stderr on a terminal (a pseudo-terminal here), a run shows its progress line. */
static void test_progress_on_a_terminal(void **state) {
  (void)state;
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  assert_true(master >= 0);
  assert_int_equal(grantpt(master), 0);
  assert_int_equal(unlockpt(master), 0);
  char slave[128], dir[400], buf[65536];
  snprintf(slave, sizeof slave, "%s", ptsname(master));
  snprintf(dir, sizeof dir, "%s/progress", tmpdir);
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(slave, O_RDWR);
    int null = open("/dev/null", O_WRONLY);
    if (fd < 0 || null < 0) _exit(127);
    dup2(fd, STDERR_FILENO);
    dup2(null, STDOUT_FILENO);
    execl(getenv("MLSB"), "mlsysbench", "run", "--duration-ms", "1200", "--quiet", "--out",
          dir, (char *)NULL);
    _exit(127);
  }
  size_t n = 0;
  for (ssize_t r; n < sizeof buf - 1 && (r = read(master, buf + n, sizeof buf - 1 - n)) > 0;)
    n += (size_t)r; /* read until the child closes the terminal (EIO) */
  buf[n] = '\0';
  int status;
  waitpid(pid, &status, 0);
  close(master);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  assert_non_null(strstr(buf, "completed"));
  assert_non_null(strstr(buf, "samples/s"));
  assert_non_null(strstr(buf, "/ 1.2 s"));
}

/* --cpus 1: one worker on CPU 1, the loadgen thread kept on CPU 0 (this 2-core VM). */
static void test_cpus_keep_loadgen_off(void **state) {
  (void)state;
  char out[65536], dir[400];
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2) skip();
  snprintf(dir, sizeof dir, "%s/cpus", tmpdir);
  int rc = mlsb(out, sizeof out, 0, "run --cpus 1 --duration-ms 200 --quiet --out %s", dir);
  if (rc) fail_msg("exit %d:\n%s", rc, out);
  json_object *res = load_results(dir);
  json_object *cpus = jget(res, "sut.worker_cpus");
  assert_int_equal(json_object_array_length(cpus), 1);
  assert_string_equal(json_object_get_string(json_object_array_get_idx(cpus, 0)), "1");
  assert_non_null(strstr(json_object_get_string(jget(res, "sut.loadgen_cpus")), "0"));
  json_object_put(res);
  assert_int_equal(mlsb(out, sizeof out, 0, "run --cpus 0-999"), 4);
  assert_non_null(strstr(out, "this machine has CPUs"));
  assert_int_equal(mlsb(out, sizeof out, 0, "run --pin sideways"), 2);
}

/* Counters: software ones count, a hardware event this VM lacks is unavailable with its
 * reason (never 0); energy estimate labelled; roofline placed on the profile. */
static void test_counters_energy_roofline(void **state) {
  (void)state;
  char out[65536], dir[400];
  snprintf(dir, sizeof dir, "%s/counters", tmpdir);
  int rc = mlsb(out, sizeof out, 0, "run --duration-ms 300 --counters PAPI_TOT_INS "
                "--energy estimate --profile x86-64-server --quiet --out %s", dir);
  if (rc) fail_msg("exit %d:\n%s", rc, out);
  json_object *res = load_results(dir), *items = jget(res, "counters.items");
  assert_non_null(items);
  bool task_clock = false, papi = false;
  for (size_t i = 0; i < json_object_array_length(items); i++) {
    json_object *c = json_object_array_get_idx(items, i);
    const char *name = json_object_get_string(jget(c, "name"));
    if (!strcmp(name, "task-clock")) {
      task_clock = true;
      assert_true(jbool(c, "available"));
      assert_true(json_object_get_double(jget(c, "total")) > 1e6); /* > 1 ms of CPU */
    }
    if (!strcmp(name, "PAPI_TOT_INS")) {
      papi = true;
      if (!jbool(c, "available")) { /* this VM: no PMU */
        assert_true(json_object_is_type(jget(c, "total"), json_type_null));
        assert_true(strlen(json_object_get_string(jget(c, "reason"))) > 10);
      }
    }
  }
  assert_true(task_clock && papi);
  assert_true(jbool(res, "energy.estimate"));
  assert_true(json_object_get_double(jget(res, "energy.joules")) > 0);
  /* the 225 W of the 32-core profile, scaled to the cores the SUT used */
  double watts = json_object_get_double(jget(res, "energy.avg_watts"));
  uint64_t used = (uint64_t)json_object_get_int64(jget(res, "sut.threads"));
  assert_true(fabs(watts - 225.0 * (double)(used ? used : 1) / 32) < 1e-6);
  assert_non_null(strstr(json_object_get_string(jget(res, "energy.method")), "cores the SUT used"));
  assert_string_equal(json_object_get_string(jget(res, "roofline.profile")), "x86-64-server");
  assert_true(json_object_get_double(jget(res, "roofline.achieved_flops")) > 0);
  /* x86-64-server: 80 GFLOP/s per core, times the SUT's workers (one per core here) */
  uint64_t cores = (uint64_t)json_object_get_int64(jget(res, "roofline.cores_used"));
  assert_true(cores >= 1);
  assert_true(json_object_get_double(jget(res, "roofline.peak_flops_per_core")) == 80e9);
  assert_true(json_object_get_double(jget(res, "roofline.peak_flops_cores_used")) == 80e9 * cores);
  assert_true(json_object_get_double(jget(res, "roofline.fraction_of_peak_cores_used")) > 0);
  json_object_put(res);
  assert_int_equal(mlsb(out, sizeof out, 0, "run --profile nosuch"), 2);
  assert_non_null(strstr(out, "no hardware profile 'nosuch'"));
}

/* --dataset: the shipped MLPerf Tiny-format folder; labels give top-1 accuracy. */
static void test_dataset_accuracy(void **state) {
  (void)state;
  char out[65536], dir[400], bad[400];
  snprintf(dir, sizeof dir, "%s/dataset", tmpdir);
  int rc = mlsb(out, sizeof out, 0, "run --workload kws --scenario offline --mode accuracy "
                "--dataset workloads/datasets/kws-tiny --quiet --out %s", dir);
  if (rc) fail_msg("exit %d:\n%s", rc, out);
  json_object *res = load_results(dir);
  assert_int_equal(jint(res, "result.counts.samples_issued"), 64);
  assert_true(json_object_get_double(jget(res, "accuracy.top1_accuracy")) == 1.0);
  json_object_put(res);
  snprintf(bad, sizeof bad, "%s/bad-dataset", tmpdir);
  mkdir(bad, 0777);
  char labels[500];
  snprintf(labels, sizeof labels, "%s/y_labels.csv", bad);
  FILE *f = fopen(labels, "w");
  fputs("a.bin,12,3\n", f);
  fclose(f);
  assert_int_equal(mlsb(out, sizeof out, 0, "run --dataset %s", bad), 2);
  assert_non_null(strstr(out, "y_labels.csv:1:"));
  assert_non_null(strstr(out, "a.bin"));
}

/* int8 outputs are checked against the fp32 reference of the same weights. */
static void test_int8_against_fp32(void **state) {
  (void)state;
  char out[65536], dir[400];
  snprintf(dir, sizeof dir, "%s/int8", tmpdir);
  int rc = mlsb(out, sizeof out, 0, "run --workload kws --set precision=int8 --scenario offline "
                "--mode accuracy --set accuracy_sample_count_override=256 --quiet --out %s", dir);
  if (rc) fail_msg("exit %d:\n%s", rc, out);
  json_object *res = load_results(dir);
  double agree = json_object_get_double(jget(res, "accuracy.top1_agreement"));
  double err = json_object_get_double(jget(res, "accuracy.max_abs_error"));
  assert_true(agree > 0.95 && agree < 1.0); /* int8 is close to, not equal to, fp32 */
  assert_true(err > 0 && err < 0.2);
  json_object_put(res);
}

/* A decoder small enough to run every scenario in a blink. */
#define TINY_DECODER "--workload decoder --set d_model=32 --set heads=2 --set context=32 " \
                     "--set prompt_tokens=8 --set output_tokens=6 --set vocab=64"

/* Run the tiny decoder in one scenario; check the token numbers in every file. */
static void run_decoder(const char *name, const char *scenario, const char *extra,
                        int want_rc) {
  char out[65536], dir[400], p[600], err[512];
  snprintf(dir, sizeof dir, "%s/dec-%s", tmpdir, name);
  int rc = mlsb(out, sizeof out, 0, "run " TINY_DECODER " --scenario %s --duration-ms 300 "
                "--out %s %s", scenario, dir, extra);
  if (rc != want_rc) fail_msg("exit %d, output:\n%s", rc, out);
  assert_non_null(strstr(out, "Completed tokens per second"));
  bool offline = strcmp(scenario, "offline") == 0; /* no first-token lines, as MLPerf */
  assert_true((strstr(out, "Mean First Token latency (ns)") != NULL) == !offline);
  assert_non_null(strstr(out, "Mean Time to Output Token (ns)"));
  assert_non_null(strstr(out, "KV-cache bytes per worker           : 8192"));
  json_object *res = load_results(dir);
  check_samples(dir, res);
  int64_t done = jint(res, "result.counts.samples_completed");
  assert_true(done > 0);
  assert_int_equal(jint(res, "result.tokens.tokens"), 6 * done);
  assert_int_equal(jint(res, "result.tokens.ttft.count"), done);
  assert_int_equal(jint(res, "result.tokens.tpot.count"), done);
  assert_int_equal(jint(res, "result.tokens.missing_first_token"), 0);
  assert_true(json_object_get_double(jget(res, "result.tokens.tokens_per_s")) > 0);
  assert_int_equal(jint(res, "workload.kv_cache_bytes"), 2 * 32 * 32 * 4);
  assert_int_equal(jint(res, "workload.output_tokens"), 6);
  assert_int_equal(jint(res, "workload.flops"), jint(res, "workload.prefill_flops") +
                                                    jint(res, "workload.decode_flops"));
  json_object_put(res);
  /* samples.csv carries the token columns; the reader checks TTFT and TPOT per row */
  rpt_sample *rows;
  size_t n;
  snprintf(p, sizeof p, "%s/samples.csv", dir);
  assert_int_equal(rpt_samples_read(p, &rows, &n, err, sizeof err), 0);
  for (size_t i = 0; i < n; i++)
    if (!rows[i].lost) assert_true(rows[i].n_tokens == 6 && rows[i].first_token_ns > 0);
  free(rows);
}

static void test_decoder_every_scenario(void **state) {
  (void)state;
  char dir[400];
  run_decoder("ss", "singlestream", "", 0);
  run_decoder("ms", "multistream", "--min-queries 100 --set early_stopping=0", 0);
  run_decoder("server", "server", "--target-qps 200 --min-queries 20 --set early_stopping=0 "
              "--set ttft_latency=1000 --set tpot_latency=1000", 0);
  run_decoder("offline", "offline", "--target-qps 1 --min-queries 50", 3); /* shorter than 300 ms */
  snprintf(dir, sizeof dir, "%s/dec-server", tmpdir);
  json_object *res = load_results(dir);
  assert_true(jbool(res, "result.tokens.ttft_bound_met"));
  assert_true(jbool(res, "result.tokens.tpot_bound_met"));
  assert_int_equal(jint(res, "result.tokens.tpot_bound_ns"), 1000000000);
  json_object_put(res);
  /* zero bounds: both token bounds fail, each with its reason */
  run_decoder("zero", "server", "--target-qps 200 --min-queries 20 --set early_stopping=0 "
              "--set ttft_latency=0 --set tpot_latency=0", 3);
  snprintf(dir, sizeof dir, "%s/dec-zero", tmpdir);
  res = load_results(dir);
  assert_false(jbool(res, "result.tokens.ttft_bound_met"));
  assert_false(jbool(res, "result.tokens.tpot_bound_met"));
  const char *reasons = json_object_to_json_string(jget(res, "result.reasons"));
  assert_non_null(strstr(reasons, "ttft_bound"));
  assert_non_null(strstr(reasons, "tpot_bound"));
  json_object_put(res);
}

/* Accuracy: int8 decoder tokens against the fp32 reference; token latencies off. */
static void test_decoder_accuracy(void **state) {
  (void)state;
  char out[65536], dir[400];
  snprintf(dir, sizeof dir, "%s/dec-acc", tmpdir);
  int rc = mlsb(out, sizeof out, 0, "run " TINY_DECODER " --set precision=int8 --scenario "
                "offline --mode accuracy --set accuracy_sample_count_override=64 "
                "--set use_token_latencies=0 --quiet --out %s", dir);
  if (rc) fail_msg("exit %d:\n%s", rc, out);
  json_object *res = load_results(dir);
  assert_int_equal(jint(res, "accuracy.samples"), 64);
  double first = json_object_get_double(jget(res, "accuracy.top1_agreement"));
  double tokens = json_object_get_double(jget(res, "accuracy.token_agreement"));
  assert_true(first > 0.9 && first <= 1.0);
  assert_true(tokens > 0.5 && tokens <= first);
  assert_null(jget(res, "result.tokens")); /* switched off by --set */
  json_object_put(res);
}

static void test_help_and_list(void **state) {
  (void)state;
  char out[65536];
  assert_int_equal(mlsb(out, sizeof out, 0, "--help"), 0);
  assert_non_null(strstr(out, "SYNOPSIS"));
  assert_non_null(strstr(out, "EXIT STATUS"));
  assert_int_equal(mlsb(out, sizeof out, 0, "run --help"), 0);
  assert_non_null(strstr(out, "--target-qps"));
  assert_int_equal(mlsb(out, sizeof out, 0, "list"), 0);
  assert_non_null(strstr(out, "kws"));
  assert_non_null(strstr(out, "delay_us"));
  assert_non_null(strstr(out, "min_duration"));
  assert_non_null(strstr(out, "not acted on"));
  assert_non_null(strstr(out, "KV cache 1048576 bytes per worker"));
}

static int setup(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/mlsb-e2e-XXXXXX");
  if (!mkdtemp(tmpdir)) return -1;
  if (!getenv("MLSB")) setenv("MLSB", "build/mlsysbench", 1);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_scenario),
      cmocka_unit_test(test_accuracy_mode),
      cmocka_unit_test(test_delay_latency_and_issue_delay),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_until_stable),
      cmocka_unit_test(test_offline_auto_target),
      cmocka_unit_test(test_repeat_and_ab),
      cmocka_unit_test(test_config_sources_in_results),
      cmocka_unit_test(test_interrupt_writes_invalid_folder),
      cmocka_unit_test(test_hung_sut_ends_run),
      cmocka_unit_test(test_progress_on_a_terminal),
      cmocka_unit_test(test_cpus_keep_loadgen_off),
      cmocka_unit_test(test_counters_energy_roofline),
      cmocka_unit_test(test_dataset_accuracy),
      cmocka_unit_test(test_int8_against_fp32),
      cmocka_unit_test(test_decoder_every_scenario),
      cmocka_unit_test(test_decoder_accuracy),
      cmocka_unit_test(test_help_and_list),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
