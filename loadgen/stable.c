/*
 * loadgen/stable.c - until_stable: keep a run going past its minimums until the
 * headline metric's 99 % confidence interval is within a given fraction of it.
 *
 * The issuing loops ask lg_stable_enough() once their minimums are met. A check
 * computes the same metric and interval the final result will have (results.c's
 * lg_metric_snapshot) over the samples completed so far, into a buffer of its own (the
 * samples' memory is still the SUT's). Checks run when the query count has grown by
 * a quarter since the last one, so a run of n queries pays for about five sorts of n
 * latencies at most. Runs on the issuing thread only; completions may land meanwhile
 * (a sample not yet completed is left out, as a lost one would be).
 */
#include <stdlib.h>
#include <string.h>

#include "loadgen/lg_internal.h"

#define LG_STABLE_GROWTH 1.25
#define LG_STABLE_FIRST 64 /* fewer queries than this never make an interval */

static bool lg_stable_buffers(lg_test *t) {
  if (!t->stable_scratch) t->stable_scratch = malloc(sizeof *t->stable_scratch);
  if (t->stable_cap < t->count) {
    size_t cap = t->count + t->count / 2;
    uint64_t *b = realloc(t->stable_buf, cap * sizeof *b);
    if (!b) return false;
    t->stable_buf = b, t->stable_cap = cap;
  }
  return t->stable_scratch != NULL;
}

bool lg_stable_enough(lg_test *t) {
  if (!(t->s.until_stable > 0) || t->s.mode != LG_MODE_PERFORMANCE) return true;
  if (t->queries < t->stable_next || t->queries < LG_STABLE_FIRST) return false;
  t->stable_next = (uint64_t)((double)t->queries * LG_STABLE_GROWTH) + 1;
  t->stable_checks++;
  if (!lg_stable_buffers(t)) return true; /* out of memory: stop at the minimums */
  lg_result *r = t->stable_scratch;
  memset(r, 0, sizeof *r);
  r->scenario = t->s.scenario;
  lg_metric_snapshot(t, r, t->stable_buf);
  double rel = lg_stable_rel(r);
  lg_test_log(t, "until_stable", "check %llu at %llu queries: +-%.4g %% (target %.4g %%)",
              (unsigned long long)t->stable_checks, (unsigned long long)t->queries,
              rel * 100, t->s.until_stable * 100);
  return rel <= t->s.until_stable;
}

void lg_stable_release(lg_test *t) {
  free(t->stable_buf);
  free(t->stable_scratch);
  t->stable_buf = NULL;
  t->stable_scratch = NULL;
  t->stable_cap = 0;
}
