/*
 * tests/harness/test_submit.c - `mlsysbench submit pack` and `submit check` end to end
 * on real run folders. The binary is $MLSB (set by tests/run.sh).
 *
 * setup runs `$MLSB run` five times with short durations into a temporary folder: the
 * null workload in SingleStream, MultiStream and Server, delay (100 us, one thread) in
 * Offline (VALID, though Server may miss its latency bound on a busy machine), and null
 * in Offline, which finishes before min_duration: an honestly INVALID run. Then:
 *  - pack + check round trip: exit 0, the signature verifies, every run is VALID, and
 *    the metric the checker recomputed from samples.csv equals results.json's (read
 *    with the library's results reader); the INVALID run is listed as INVALID with its
 *    reason and is not a problem;
 *  - check without a token checks everything else and says the signature was not;
 *  - refusals, each with exit 1 and a message naming the file, the key and the value:
 *    a file changed after packing (tampered), a file added after packing, a truncated
 *    archive, a manifest with schema_version 2, a bundle signed with another team's
 *    token (re-signed), and a results.json whose claims (metric, p90, seed) disagree
 *    with its samples.csv although the bundle is properly signed;
 *  - pack's bad input: no token, a token not in add-team's format, a bad team name, a
 *    folder that is not a run folder.
 * Archives are altered with tar(1), as an attacker would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "reports/results.h"
#include "tests/harness/proc.h"

/* well-formed team tokens, as `leaderboard add-team` prints them */
#define TOKEN_A "mlsb_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define TOKEN_B "mlsb_fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static char tmpdir[256];
static const char *runs[] = {"ss", "ms", "srv", "off", "inv"};
#define N_RUNS 5

/* $MLSB with up to 15 arguments (NULL-terminated), MLSB_TEAM_TOKEN set to token (NULL:
 * unset); stdout+stderr into *text (caller frees). Returns the exit status. */
static int mlsb(char **text, const char *token, ...) {
  char *argv[18], out[300];
  va_list ap;
  size_t n = 0;
  argv[n++] = getenv("MLSB");
  va_start(ap, token);
  for (char *a; n < 17 && (a = va_arg(ap, char *)) != NULL;) argv[n++] = a;
  va_end(ap);
  argv[n] = NULL;
  if (token) setenv("MLSB_TEAM_TOKEN", token, 1);
  else unsetenv("MLSB_TEAM_TOKEN");
  snprintf(out, sizeof out, "%s/mlsb.log", tmpdir);
  int rc = run_argv(argv, out, out);
  unsetenv("MLSB_TEAM_TOKEN");
  *text = slurp(out, NULL);
  assert_non_null(*text);
  return rc;
}

static void path_of(char *buf, size_t len, const char *name) {
  snprintf(buf, len, "%s/%s", tmpdir, name);
}

/* Pack runs[0..n) as team with token into name; asserts success. */
static void pack(const char *name, const char *team, const char *token, size_t n) {
  char out[400], dirs[N_RUNS][400], *text;
  path_of(out, sizeof out, name);
  for (size_t i = 0; i < N_RUNS; i++) path_of(dirs[i], sizeof dirs[i], runs[i]);
  int rc = n == 1 ? mlsb(&text, token, "submit", "pack", dirs[0], "--team", team, "-o", out, NULL)
                  : mlsb(&text, token, "submit", "pack", dirs[0], dirs[1], dirs[2], dirs[3],
                         dirs[4], "--team", team, "-o", out, NULL);
  if (rc != 0) fail_msg("pack exited %d:\n%s", rc, text);
  has(text, "bundle: ");
  free(text);
}

/* `submit check` of name with token; returns the exit status, output in *text. */
static int check(const char *name, const char *token, char **text) {
  char path[400];
  path_of(path, sizeof path, name);
  return mlsb(text, token, "submit", "check", path, NULL);
}

/* Unpack bundle `from` into folder `dir` under tmpdir, run `edit` there (a shell
 * command), and pack the folder back with tar as bundle `to`. */
static void repack(const char *from, const char *dir, const char *edit, const char *to) {
  sh("cd %s && rm -rf %s && mkdir %s && tar xzf %s -C %s && (cd %s && %s) && "
     "(cd %s && tar czf ../%s manifest.json manifest.sig system.json runs)",
     tmpdir, dir, dir, from, dir, dir, edit, dir, to);
}

/* ---- tests ------------------------------------------------------------------------- */
static void test_round_trip(void **state) {
  (void)state;
  char *text, path[400];
  pack("all.mlsb", "owls", TOKEN_A, N_RUNS);
  assert_int_equal(check("all.mlsb", TOKEN_A, &text), 0);
  has(text, "team: owls");
  has(text, "signature: verified");
  has(text, "check: OK");
  assert_true(count(text, ": VALID") >= 3); /* Server may miss its bound on a busy machine */
  has(text, "run inv: null Offline performance on cpu: INVALID"); /* honest: not a problem */
  has(text, "min_duration: ran ");
  free(text);
  /* the recomputed metrics equal the runs' own */
  path_of(path, sizeof path, "all.mlsb");
  assert_int_equal(mlsb(&text, TOKEN_A, "submit", "check", path, "--json", NULL), 0);
  json_object *doc = json_tokener_parse(text), *list, *v;
  assert_non_null(doc);
  assert_true(json_object_object_get_ex(doc, "runs", &list));
  assert_int_equal(json_object_array_length(list), N_RUNS);
  for (size_t i = 0; i < N_RUNS; i++) {
    json_object *e = json_object_array_get_idx(list, i);
    assert_true(json_object_object_get_ex(e, "run", &v));
    char rpath[500], err[512];
    snprintf(rpath, sizeof rpath, "%s/%s/results.json", tmpdir, json_object_get_string(v));
    rpt_results r;
    assert_int_equal(rpt_results_read_json(rpath, &r, err, sizeof err), RPT_OK);
    assert_true(json_object_object_get_ex(e, "metric", &v));
    assert_true(r.result.metric.value.set);
    assert_true(json_object_get_double(v) == r.result.metric.value.v);
    assert_true(json_object_object_get_ex(e, "validity", &v));
    assert_string_equal(json_object_get_string(v), r.result.valid.v ? "VALID" : "INVALID");
    rpt_results_destroy(&r);
  }
  assert_true(json_object_object_get_ex(doc, "problems", &list));
  assert_int_equal(json_object_array_length(list), 0);
  json_object_put(doc);
  free(text);
}

static void test_no_token(void **state) {
  (void)state;
  char *text;
  pack("one.mlsb", "owls", TOKEN_A, 1);
  assert_int_equal(check("one.mlsb", NULL, &text), 0);
  has(text, "signature: not checked (no token");
  has(text, "check: OK");
  free(text);
}

static void test_tampered_file(void **state) {
  (void)state;
  char *text;
  pack("one.mlsb", "owls", TOKEN_A, 1);
  /* a better latency in the second row of samples.csv, columns kept consistent */
  repack("one.mlsb", "t1", "awk -F, 'NR==2{$6=$6-1;$5=$5-1} {print}' OFS=, runs/ss/samples.csv "
         "> x && mv x runs/ss/samples.csv", "tampered.mlsb");
  assert_int_equal(check("tampered.mlsb", TOKEN_A, &text), 1);
  has(text, "runs/ss/samples.csv: key 'sha256': value '");
  has(text, "the file was changed after packing (tampered)");
  free(text);
}

static void test_added_file(void **state) {
  (void)state;
  char *text;
  pack("one.mlsb", "owls", TOKEN_A, 1);
  repack("one.mlsb", "t2", "echo hi > runs/ss/extra.txt", "added.mlsb");
  assert_int_equal(check("added.mlsb", TOKEN_A, &text), 1);
  has(text, "runs/ss/extra.txt: in the archive but not in the manifest");
  free(text);
}

static void test_truncated(void **state) {
  (void)state;
  char *text;
  pack("all.mlsb", "owls", TOKEN_A, N_RUNS);
  sh("cd %s && head -c $(( $(stat -c %%s all.mlsb) / 2 )) all.mlsb > trunc.mlsb", tmpdir);
  assert_int_equal(check("trunc.mlsb", TOKEN_A, &text), 1);
  has(text, "truncated or corrupt archive");
  has(text, "(malformed)");
  free(text);
  sh("echo 'not a bundle' > %s/junk.mlsb", tmpdir);
  assert_int_equal(check("junk.mlsb", TOKEN_A, &text), 1);
  has(text, "bundle: not a bundle (a gzip-compressed tar archive)");
  free(text);
}

static void test_wrong_schema_version(void **state) {
  (void)state;
  char *text;
  pack("one.mlsb", "owls", TOKEN_A, 1);
  repack("one.mlsb", "t3", "sed -i 's/\"schema_version\":1/\"schema_version\":2/' manifest.json",
         "v2.mlsb");
  assert_int_equal(check("v2.mlsb", TOKEN_A, &text), 1);
  has(text, "manifest.json: key 'schema_version': value '2': this checker reads version 1");
  has(text, "(schema)");
  free(text);
}

static void test_resigned_by_other_team(void **state) {
  (void)state;
  char *text;
  /* team B packs (re-signs) a bundle in team A's name with its own token */
  pack("resigned.mlsb", "owls", TOKEN_B, 1);
  assert_int_equal(check("resigned.mlsb", TOKEN_A, &text), 1);
  has(text, "manifest.sig: value '");
  /* the message names the token that was used, not the bundle's team */
  has(text, "does not verify with the token given (from MLSB_TEAM_TOKEN): the bundle names "
            "team 'owls', so it must be signed and checked with the token of team 'owls'");
  has(text, "re-signed) with another token");
  assert_null(strstr(text, "''s"));
  free(text);
  /* the same with --token-file: the message names the file */
  char tf[400], path[400];
  path_of(tf, sizeof tf, "a.token");
  path_of(path, sizeof path, "resigned.mlsb");
  sh("echo %s > %s", TOKEN_A, tf);
  assert_int_equal(mlsb(&text, NULL, "submit", "check", path, "--token-file", tf, NULL), 1);
  has(text, "does not verify with the token given (from ");
  has(text, "a.token): the bundle names team 'owls'");
  free(text);
}

static void test_forged_claims(void **state) {
  (void)state;
  char *text, dir[400], out[400];
  path_of(dir, sizeof dir, "forged");
  path_of(out, sizeof out, "forged.mlsb");
  sh("rm -rf %s && cp -r %s/ss %s && sed -i "
     "-e '/\"metric\": {/,/}/s/\"value\": [0-9.e+]*/\"value\": 17/' "
     "-e 's/\"qsl_rng_seed\": [0-9]*/\"qsl_rng_seed\": 7/' %s/results.json", dir, tmpdir, dir, dir);
  assert_int_equal(mlsb(&text, TOKEN_A, "submit", "pack", dir, "--team", "owls", "-o", out, NULL), 0);
  free(text);
  assert_int_equal(check("forged.mlsb", TOKEN_A, &text), 1);
  has(text, "signature: verified");
  has(text, "runs/forged/results.json: key 'result.metric.value': value '17': samples.csv and "
            "the settings give ");
  has(text, "runs/forged/results.json: key 'seeds.qsl_rng_seed': value '7': the run's settings "
            "say qsl_rng_seed = 0 (inconsistent)");
  free(text);
}

static void test_pack_bad_input(void **state) {
  (void)state;
  char *text, dir[400], out[400], empty[400];
  path_of(dir, sizeof dir, "ss");
  path_of(out, sizeof out, "bad.mlsb");
  path_of(empty, sizeof empty, "notarun");
  assert_int_equal(mlsb(&text, NULL, "submit", "pack", dir, "--team", "owls", "-o", out, NULL), 2);
  has(text, "no token: give --token-file FILE or set MLSB_TEAM_TOKEN");
  free(text);
  /* a token that is not in the format `leaderboard add-team` prints */
  const char *bad_tokens[] = {"garbage", "mlsb_0123", TOKEN_A "0",
                              "mlsb_0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"};
  for (size_t i = 0; i < sizeof bad_tokens / sizeof *bad_tokens; i++) {
    assert_int_equal(mlsb(&text, bad_tokens[i], "submit", "pack", dir, "--team", "owls", "-o",
                          out, NULL), 2);
    has(text, "the token in MLSB_TEAM_TOKEN is not a team token: want 'mlsb_' and 64 "
              "lower-case hex digits");
    free(text);
  }
  assert_int_equal(mlsb(&text, TOKEN_A, "submit", "pack", dir, "--team", "bad name", "-o", out,
                        NULL), 2);
  has(text, "team 'bad name': want 1-63 letters");
  free(text);
  sh("mkdir -p %s", empty);
  assert_int_equal(mlsb(&text, TOKEN_A, "submit", "pack", empty, "--team", "owls", "-o", out,
                        NULL), 2);
  has(text, "notarun: not a run folder: it has no results.json");
  free(text);
  /* a run set (`run --repeat 2`): pack says which run folders to pass */
  path_of(empty, sizeof empty, "set");
  sh("rm -rf %s && mkdir -p %s && cp -r %s %s/rep-01 && cp -r %s %s/rep-02", empty, empty, dir,
     empty, dir, empty);
  assert_int_equal(mlsb(&text, TOKEN_A, "submit", "pack", empty, "--team", "owls", "-o", out,
                        NULL), 2);
  has(text, "set is a run set of 2 repetitions: pass the run folders to submit (");
  has(text, "set/rep-01 to ");
  has(text, "set/rep-02)");
  free(text);
  assert_true(access(out, F_OK) != 0); /* nothing written */
  assert_int_equal(mlsb(&text, TOKEN_A, "submit", "frobnicate", NULL), 2);
  free(text);
  assert_int_equal(mlsb(&text, NULL, "submit", "--help", NULL), 0);
  has(text, "SYNOPSIS");
  free(text);
}

/* ---- main --------------------------------------------------------------------------- */
static int make_run(const char *name, const char *workload, const char *scenario,
                    const char *duration, const char *extra_key, const char *extra_value) {
  char dir[400], log[400], *text;
  path_of(dir, sizeof dir, name);
  path_of(log, sizeof log, "run.log");
  char *argv[] = {getenv("MLSB"), "run", "--workload", (char *)workload, "--scenario",
                  (char *)scenario, "--duration-ms", (char *)duration, "--out", dir, "--quiet",
                  "--threads", "1", "--set", "delay_us=100", (char *)extra_key,
                  (char *)extra_value, NULL};
  if (strcmp(workload, "delay")) /* delay_us is delay's parameter only */
    argv[13] = (char *)extra_key, argv[14] = (char *)extra_value, argv[15] = NULL;
  int rc = run_argv(argv, log, log);
  if (rc != 0 && rc != 3) { /* INVALID is fine: the checker must agree either way */
    text = slurp(log, NULL);
    fprintf(stderr, "mlsysbench run (%s) exited %d:\n%s\n", name, rc, text ? text : "");
    free(text);
    return -1;
  }
  return 0;
}

static int setup(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/mlsb-submit-XXXXXX");
  if (!mkdtemp(tmpdir)) return -1;
  if (!getenv("MLSB")) setenv("MLSB", "build/mlsysbench", 1);
  /* VALID runs, and an Offline run too fast for min_duration: honestly INVALID */
  return make_run("ss", "null", "singlestream", "100", "--min-queries", "100") ||
         make_run("ms", "null", "multistream", "100", "--min-queries", "700") ||
         make_run("srv", "null", "server", "300", "--target-qps", "2000") ||
         make_run("off", "delay", "offline", "100", "--target-qps", "20000") ||
         make_run("inv", "null", "offline", "100", "--target-qps", "20000");
}

static int teardown(void **state) {
  (void)state;
  return remove_tree(tmpdir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_no_token),
      cmocka_unit_test(test_tampered_file),
      cmocka_unit_test(test_added_file),
      cmocka_unit_test(test_truncated),
      cmocka_unit_test(test_wrong_schema_version),
      cmocka_unit_test(test_resigned_by_other_team),
      cmocka_unit_test(test_forged_claims),
      cmocka_unit_test(test_pack_bad_input),
  };
  return cmocka_run_group_tests_name("submit", tests, setup, teardown);
}
