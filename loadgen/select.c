/*
 * loadgen/select.c - which samples a query carries (MLPerf's QSL contract).
 *
 * The loaded set is the first performance_sample_count indices of a shuffle of all
 * indices (qsl_rng_seed). Performance queries draw from it uniformly with replacement
 * (sample_index_rng_seed); MultiStream takes samples_per_query contiguous entries from a
 * random start; Offline walks the loaded set in load order, repeating it;
 * performance_issue_unique walks a shuffle of it; performance_issue_same repeats one.
 */
#include <stdlib.h>
#include <string.h>

#include "loadgen/lg_internal.h"

static void lg_shuffle(uint64_t *v, size_t n, lg_rng *rng) {
  for (size_t i = n; i > 1; i--) {
    size_t j = (size_t)lg_rng_below(rng, i);
    uint64_t tmp = v[i - 1];
    v[i - 1] = v[j];
    v[j] = tmp;
  }
}

int lg_selector_init(lg_selector *sel, const lg_settings *s, uint64_t total,
                     uint64_t count) {
  memset(sel, 0, sizeof *sel);
  uint64_t *all = malloc(total * sizeof *all);
  if (!all) return LG_ENOMEM;
  for (uint64_t i = 0; i < total; i++) all[i] = i;
  lg_rng rng;
  lg_rng_seed(&rng, s->qsl_rng_seed);
  lg_shuffle(all, total, &rng);
  sel->loaded = all; /* the first `count` entries are the loaded set */
  sel->loaded_count = count;
  lg_rng_seed(&sel->rng, s->sample_index_rng_seed);
  if (s->performance_issue_unique) {
    sel->perm = malloc(count * sizeof *sel->perm);
    if (!sel->perm) {
      lg_selector_destroy(sel);
      return LG_ENOMEM;
    }
    memcpy(sel->perm, all, count * sizeof *sel->perm);
    lg_shuffle(sel->perm, count, &sel->rng);
  }
  return LG_OK;
}

void lg_selector_destroy(lg_selector *sel) {
  free(sel->loaded);
  free(sel->perm);
  memset(sel, 0, sizeof *sel);
}

static uint32_t lg_pick(lg_selector *sel, const lg_settings *s) {
  if (s->performance_issue_same)
    return (uint32_t)sel->loaded[s->performance_issue_same_index];
  if (s->performance_issue_unique) {
    if (sel->perm_pos == sel->loaded_count) {
      lg_shuffle(sel->perm, sel->loaded_count, &sel->rng);
      sel->perm_pos = 0;
    }
    return (uint32_t)sel->perm[sel->perm_pos++];
  }
  return (uint32_t)sel->loaded[lg_rng_below(&sel->rng, sel->loaded_count)];
}

void lg_selector_next(lg_selector *sel, const lg_settings *s, uint32_t *out, size_t n) {
  if (s->scenario == LG_OFFLINE && !s->performance_issue_same &&
      !s->performance_issue_unique) {
    for (size_t i = 0; i < n; i++) {
      out[i] = (uint32_t)sel->loaded[sel->offline_pos];
      sel->offline_pos = (sel->offline_pos + 1) % sel->loaded_count;
    }
  } else if (s->scenario == LG_MULTI_STREAM && !s->performance_issue_same &&
             !s->performance_issue_unique) {
    size_t start = (size_t)lg_rng_below(&sel->rng, sel->loaded_count);
    for (size_t i = 0; i < n; i++)
      out[i] = (uint32_t)sel->loaded[(start + i) % sel->loaded_count];
  } else {
    for (size_t i = 0; i < n; i++) out[i] = lg_pick(sel, s);
  }
}
