/*
 * tests/loadgen/test_config.c - mlperf.conf / user.conf reading: LoadGen's lookup
 * precedence, units, ignored keys, and the file:line errors for every kind of bad line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "loadgen/loadgen.h"

static char tmp_path[64];

/* Write text to a fresh temporary file; returns its path (static buffer). */
static const char *conf(const char *text) {
  snprintf(tmp_path, sizeof tmp_path, "/tmp/mlsb-conf-XXXXXX");
  int fd = mkstemp(tmp_path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  return tmp_path;
}

typedef struct notes {
  int applied, ignored;
  char ignored_keys[512];
} notes;

static void note(void *ctx, const char *where, const char *key, const char *value,
                 lg_key_use use) {
  notes *n = ctx;
  if (use == LG_KEY_APPLIED) n->applied++;
  else {
    n->ignored++;
    size_t used = strlen(n->ignored_keys);
    snprintf(n->ignored_keys + used, sizeof n->ignored_keys - used, "%s %s=%s;", where, key, value);
  }
}

/* Apply text for model/scenario; returns the status, err filled. */
static int apply(const char *text, const char *model, lg_scenario sc, lg_settings *s,
                 char *err, size_t errlen, notes *n) {
  lg_settings_default(s, sc);
  const char *p = conf(text);
  int rc = lg_config_apply_file(s, p, model, note, n, err, errlen);
  unlink(p);
  return rc;
}

static void test_precedence_and_units(void **state) {
  (void)state;
  const char *text =
      "# a comment line\n"
      "*.*.min_duration = 1000\n"
      "kws.*.min_duration = 2000\n"
      "*.Server.min_duration = 3000\n"
      "kws.Server.min_duration = 4000   # trailing comment\n"
      "*.Server.target_latency = 15\n"
      "*.Server.target_latency_percentile = 99.9\n"
      "kws.Server.target_qps = 1234.5\n"
      "*.*.schedule_rng_seed = 16159082839903944936\n"
      "\n";
  lg_settings s;
  char err[512];
  notes n = {0};
  assert_int_equal(apply(text, "kws", LG_SERVER, &s, err, sizeof err, &n), LG_OK);
  assert_int_equal(s.min_duration_ms, 4000); /* model.Scenario wins */
  assert_int_equal(s.server_target_latency_ns, 15000000); /* ms -> ns */
  assert_true(s.server_target_latency_percentile > 0.9989 && s.server_target_latency_percentile < 0.9991);
  assert_true(s.server_target_qps == 1234.5);
  assert_true(s.schedule_rng_seed == 16159082839903944936ULL);
  /* other model: *.Scenario beats model.* */
  assert_int_equal(apply(text, "ic", LG_SERVER, &s, err, sizeof err, &n), LG_OK);
  assert_int_equal(s.min_duration_ms, 3000);
  assert_true(s.server_target_qps == 1.0); /* kws-only key not applied */
  /* Offline: model.* beats *.* */
  assert_int_equal(apply(text, "kws", LG_OFFLINE, &s, err, sizeof err, &n), LG_OK);
  assert_int_equal(s.min_duration_ms, 2000);
  assert_int_equal(apply(text, "ic", LG_OFFLINE, &s, err, sizeof err, &n), LG_OK);
  assert_int_equal(s.min_duration_ms, 1000);
}

static void test_ignored_keys_are_reported(void **state) {
  (void)state;
  const char *text =
      "*.*.test05_qsl_rng_seed = 7975553102935885558\n"
      "*.Server.target_duration = 0\n"
      "*.Offline.target_latency_percentile = 90\n"
      "llama2-70b.*.use_token_latencies = 1\n"
      "3d-unet.*.sample_concatenate_permutation = 1\n"
      "*.Server.min_duration = 600000\n";
  lg_settings s;
  char err[512];
  notes n = {0};
  assert_int_equal(apply(text, "kws", LG_SERVER, &s, err, sizeof err, &n), LG_OK);
  assert_int_equal(n.applied, 1);
  assert_int_equal(n.ignored, 2); /* test05 seed and target_duration match kws Server */
  assert_non_null(strstr(n.ignored_keys, ":2 *.Server.target_duration=0;"));
  assert_non_null(strstr(n.ignored_keys, ":1 *.*.test05_qsl_rng_seed=7975553102935885558;"));
}

/* Token keys (MLPerf mlperf.conf for LLMs): real settings, ms -> ns, Server-only bounds. */
static void test_token_keys(void **state) {
  (void)state;
  const char *text =
      "llama2-70b.*.use_token_latencies = 1\n"
      "llama2-70b.Server.target_latency = 0\n"
      "llama2-70b.Server.ttft_latency = 2000\n"
      "llama2-70b.Server.tpot_latency = 200\n"
      "*.Server.tpot_latency = 40\n";
  lg_settings s;
  char err[512];
  notes n = {0};
  assert_int_equal(apply(text, "llama2-70b", LG_SERVER, &s, err, sizeof err, &n), LG_OK);
  assert_true(s.use_token_latencies);
  assert_int_equal(s.server_target_latency_ns, 0);
  assert_int_equal(s.server_ttft_latency_ns, 2000000000ULL);
  assert_int_equal(s.server_tpot_latency_ns, 200000000ULL);
  assert_int_equal(n.applied, 4);
  assert_int_equal(n.ignored, 0);
  /* another model: defaults, except the *.Server line */
  n = (notes){0};
  assert_int_equal(apply(text, "decoder", LG_SERVER, &s, err, sizeof err, &n), LG_OK);
  assert_false(s.use_token_latencies);
  assert_int_equal(s.server_ttft_latency_ns, 100000000ULL);
  assert_int_equal(s.server_tpot_latency_ns, 40000000ULL);
  /* --set form */
  lg_settings_default(&s, LG_OFFLINE);
  assert_int_equal(lg_config_apply_string(&s, "--set", "use_token_latencies=1", "decoder", NULL,
                                          NULL, err, sizeof err), LG_OK);
  assert_true(s.use_token_latencies);
  /* the bounds belong to Server; a bad value names the key */
  lg_settings_default(&s, LG_OFFLINE);
  assert_int_equal(apply("*.Offline.ttft_latency = 5\n", "decoder", LG_OFFLINE, &s, err,
                         sizeof err, &n), LG_ECONFIG);
  assert_non_null(strstr(err, "does not apply to the Offline scenario"));
  assert_int_equal(apply("*.*.use_token_latencies = yes\n", "decoder", LG_SERVER, &s, err,
                         sizeof err, &n), LG_ECONFIG);
  assert_non_null(strstr(err, ":1: key '*.*.use_token_latencies': value 'yes'"));
  assert_int_equal(apply("*.Server.tpot_latency = -1\n", "decoder", LG_SERVER, &s, err,
                         sizeof err, &n), LG_ECONFIG);
  assert_non_null(strstr(err, "tpot_latency"));
  /* the settings list shows them */
  const char *name, *key;
  char value[64];
  bool seen = false;
  lg_settings_default(&s, LG_SERVER);
  for (size_t i = 0; lg_settings_field(&s, i, &name, &key, value, sizeof value); i++)
    if (!strcmp(name, "server_tpot_latency_ns")) {
      seen = true;
      assert_string_equal(key, "tpot_latency");
      assert_string_equal(value, "100000000");
    }
  assert_true(seen);
}

/* Each bad line gives file:line, the key and the value. */
static void expect_error(const char *text, const char *line_tag, const char *needle) {
  lg_settings s, before;
  char err[512] = "";
  notes n = {0};
  lg_settings_default(&before, LG_SERVER);
  assert_int_equal(apply(text, "kws", LG_SERVER, &s, err, sizeof err, &n), LG_ECONFIG);
  if (!strstr(err, line_tag) || !strstr(err, needle)) fail_msg("message: %s", err);
  assert_memory_equal(&s, &before, sizeof s); /* nothing applied on error */
}

static void test_bad_lines(void **state) {
  (void)state;
  expect_error("*.*.min_duration = 10\n*.Server.target_qsp = 5\n", ":2: key '*.Server.target_qsp'",
               "did you mean 'target_qps'");
  expect_error("*.Server.target_qps=5\n", ":1: key '*.Server.target_qps'",
               "spaces around '='");
  expect_error("\n\n*.Server.target_qps = fast\n", ":3:", "value 'fast' is not a number");
  expect_error("*.*.min_query_count = -5\n", ":1:", "not a non-negative integer");
  expect_error("*.Server.target_latency_percentile = 150\n", ":1:", "out of range");
  expect_error("*.Servr.target_qps = 5\n", ":1:", "unknown scenario 'Servr'");
  expect_error("target_qps = 5\n", ":1:", "expected model.Scenario.key");
  expect_error("*.Server.target_qps = 5 7\n", ":1:", "unexpected text '7'");
  expect_error("*.Server.target_qps\n", ":1:", "expected 'key = value'");
  expect_error("*.Offline.samples_per_query = 8\n", ":1:", "does not apply to the Offline");
}

/* Rules between keys are judged after every source, not file by file: a later file or
 * --set may complete them. */
static void test_cross_key_rules_after_all_sources(void **state) {
  (void)state;
  lg_settings s;
  char err[512] = "";
  notes n = {0};
  assert_int_equal(apply("*.*.max_duration = 4000\n", "kws", LG_SERVER, &s, err, sizeof err, &n),
                   LG_OK);
  assert_int_equal(lg_settings_validate(&s, err, sizeof err), LG_ECONFIG); /* min 10 s */
  assert_non_null(strstr(err, "max_duration_ms: 4000"));
  assert_non_null(strstr(err, "min_duration_ms, which is 10000"));
  assert_int_equal(lg_config_apply_string(&s, "--set", "min_duration=500", "kws", NULL, NULL,
                                          err, sizeof err), LG_OK);
  assert_int_equal(lg_settings_validate(&s, err, sizeof err), LG_OK);
}

static void test_missing_file(void **state) {
  (void)state;
  lg_settings s;
  char err[512];
  lg_settings_default(&s, LG_SERVER);
  assert_int_equal(lg_config_apply_file(&s, "/nonexistent/user.conf", "kws", NULL, NULL, err,
                                        sizeof err),
                   LG_EIO);
  assert_non_null(strstr(err, "/nonexistent/user.conf"));
}

static void test_set_strings(void **state) {
  (void)state;
  lg_settings s;
  char err[512];
  lg_settings_default(&s, LG_SERVER);
  assert_int_equal(lg_config_apply_string(&s, "--set", "target_qps=250", "kws", NULL, NULL, err, sizeof err), LG_OK);
  assert_true(s.server_target_qps == 250);
  assert_int_equal(lg_config_apply_string(&s, "--set", "min_duration = 1500", "kws", NULL, NULL, err, sizeof err), LG_OK);
  assert_int_equal(s.min_duration_ms, 1500);
  assert_int_equal(lg_config_apply_string(&s, "--set", "kws.Server.target_latency=20", "kws", NULL, NULL, err, sizeof err), LG_OK);
  assert_int_equal(s.server_target_latency_ns, 20000000);
  /* not a loadgen key: ECONFIG with an empty message, for the caller to route */
  assert_int_equal(lg_config_apply_string(&s, "--set", "delay_us=5", "kws", NULL, NULL, err, sizeof err), LG_ECONFIG);
  assert_string_equal(err, "");
  assert_int_equal(lg_config_apply_string(&s, "--set", "target_qps=-1", "kws", NULL, NULL, err, sizeof err), LG_ECONFIG);
  assert_non_null(strstr(err, "--set"));
}

static void test_key_table(void **state) {
  (void)state;
  const char *scen;
  size_t n = 0, ignored = 0;
  for (const lg_key_info *k; (k = lg_config_key(n, &scen)); n++) {
    assert_non_null(k->help);
    ignored += !k->acted_on;
  }
  assert_true(n > 40);
  assert_true(ignored >= 10);
}

static void test_settings_validation(void **state) {
  (void)state;
  lg_settings s;
  char err[256];
  lg_settings_default(&s, LG_OFFLINE);
  assert_int_equal(lg_settings_validate(&s, err, sizeof err), LG_OK);
  s.mode = LG_MODE_FIND_PEAK;
  assert_int_equal(lg_settings_validate(&s, err, sizeof err), LG_ECONFIG);
  assert_non_null(strstr(err, "Server"));
  lg_settings_default(&s, LG_MULTI_STREAM);
  assert_int_equal(s.min_query_count, 662);
  assert_int_equal(s.multi_stream_samples_per_query, 8);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_precedence_and_units),
      cmocka_unit_test(test_ignored_keys_are_reported),
      cmocka_unit_test(test_token_keys),
      cmocka_unit_test(test_bad_lines),
      cmocka_unit_test(test_cross_key_rules_after_all_sources),
      cmocka_unit_test(test_missing_file),
      cmocka_unit_test(test_set_strings),
      cmocka_unit_test(test_key_table),
      cmocka_unit_test(test_settings_validation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
