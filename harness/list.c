/*
 * harness/list.c - `mlsysbench list`: workloads with their shapes, FLOPs and
 * parameters, SUTs, scenarios, and every setting with its default.
 */
#include <string.h>

#include "hardware_profiles/hwp.h"
#include "harness/harness.h"
#include "sut/sut.h"
#include "workloads/workload.h"

/* A token generator's split of the work and its KV cache. */
static void mb_list_tokens(const wl_info *f) {
  printf("             %llu prompt + %llu output tokens, context %llu: prefill %llu FLOPs, "
         "decode %llu FLOPs per token (mean of %llu steps), KV cache %llu bytes per worker\n",
         (unsigned long long)f->prompt_tokens, (unsigned long long)f->output_tokens,
         (unsigned long long)f->context_tokens, (unsigned long long)f->prefill_flops,
         (unsigned long long)(f->output_tokens > 1 ? f->decode_flops / (f->output_tokens - 1) : 0),
         (unsigned long long)(f->output_tokens - 1), (unsigned long long)f->kv_cache_bytes);
}

static void mb_list_workloads(void) {
  size_t n;
  const wl_desc *w = wl_list(&n);
  char in[64], out[64], err[256];
  puts("WORKLOADS");
  for (size_t i = 0; i < n; i++) {
    wl_model *m;
    printf("  %-10s %s\n", w[i].name, w[i].description);
    if (wl_open(&m, w[i].name, NULL, err, sizeof err) == WL_OK) {
      const wl_info *f = wl_model_info(m);
      printf("             input %s, output %s, %llu params, %llu MACs, %llu FLOPs, "
             "%llu bytes moved per inference\n",
             wl_tensor_format(&f->input, in, sizeof in), wl_tensor_format(&f->output, out, sizeof out),
             (unsigned long long)f->params, (unsigned long long)f->macs,
             (unsigned long long)f->flops, (unsigned long long)f->bytes_moved);
      if (f->output_tokens) mb_list_tokens(f);
      wl_close(m);
    }
    for (const wl_param_info *p = w[i].params; p && p->key; p++)
      printf("             --set %s=%s   %s\n", p->key, p->default_value, p->help);
  }
}

static void mb_list_settings(void) {
  lg_settings s;
  const char *name, *key, *scen;
  char value[64];
  puts("\nSETTINGS (config key = default; `--set KEY=VALUE` or a --config file)");
  for (int sc = 0; sc < LG_SCENARIO_COUNT; sc++) {
    lg_settings_default(&s, (lg_scenario)sc);
    printf("  %s:", lg_scenario_name((lg_scenario)sc));
    for (size_t i = 0; lg_settings_field(&s, i, &name, &key, value, sizeof value); i++)
      if (!strcmp(name, "min_query_count") || !strcmp(name, "min_duration_ms"))
        printf(" %s=%s", key, value);
    printf("\n");
  }
  lg_settings_default(&s, LG_SERVER);
  for (size_t i = 0; lg_settings_field(&s, i, &name, &key, value, sizeof value); i++)
    printf("  %-36s %-28s default %s\n", name, key, value);
  puts("\nCONFIG KEYS (model.Scenario.key = value; scenario '*' = any)");
  for (size_t i = 0;; i++) {
    const lg_key_info *k = lg_config_key(i, &scen);
    if (!k) break;
    printf("  *.%s.%-34s %-8s %s%s\n", scen, k->name, k->unit, k->help,
           k->acted_on ? "" : " [accepted, not acted on]");
  }
}

static void mb_list_profiles(void) {
  hwp_name_list names;
  char err[512], path[2048];
  puts("\nHARDWARE PROFILES (--profile NAME, or auto)");
  if (hwp_list(&names, err, sizeof err) != HWP_OK) {
    printf("  unavailable: %s\n", err);
    return;
  }
  for (size_t i = 0; i < names.n; i++) {
    hwp_profile p;
    hwp_profile_init(&p);
    bool ok = hwp_find(names.items[i].name, &p, err, sizeof err) == HWP_OK;
    printf("  %-20s %.90s\n", names.items[i].name, ok && p.description ? p.description : "");
    hwp_destroy(&p);
  }
  if (hwp_search_path(path, sizeof path) == HWP_OK) printf("  (searched: %s)\n", path);
  hwp_name_list_destroy(&names);
}

int mb_cmd_list(int argc, char **argv) {
  (void)argc, (void)argv;
  size_t n;
  mb_list_workloads();
  puts("\nSUTS");
  const sut_backend *const *b = sut_backends(&n);
  for (size_t i = 0; i < n; i++) printf("  %-10s %s\n", b[i]->name, b[i]->help);
  puts("\nSCENARIOS");
  puts("  singlestream  one sample per query, the next when it completes; metric p90 latency");
  puts("  multistream   8 samples per query, the next when it completes; metric p99 query latency");
  puts("  server        Poisson arrivals at --target-qps; VALID only if p99 latency <= bound");
  puts("  offline       all samples in one query; metric samples/s");
  puts("\nMODES\n  performance (default), accuracy, find-peak (Server)");
  mb_list_profiles();
  mb_list_settings();
  return MB_EXIT_OK;
}
