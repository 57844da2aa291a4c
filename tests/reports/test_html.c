/*
 * tests/reports/test_html.c - the HTML report from in-memory results and samples: the
 * plots' <svg> elements are there (and only the ones that apply), VALID/INVALID with
 * the reasons, every string from results.json HTML-escaped, no network references,
 * histogram bins that add up to the samples, thinning that caps the per-sample marks
 * (and a 10^6-sample run that stays fast and small), log-axis ticks and their labels,
 * the overlaid CDF of a run set, runs without samples, and the atomic file write.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "reports/html.h"

#define EVIL "<script>alert('x')</script> & \"more\""
#define EVIL_ESCAPED "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;more&quot;"

/* ---- fixtures ------------------------------------------------------------------------- */
static rpt_latency lat(uint64_t p50, uint64_t p99, uint64_t max) {
  return (rpt_latency){true, 1000, 1000, max, 1234.5, p50, p50 + 10, p50 + 20, p50 + 30, p99,
                       p99 + 1};
}

static void add_counters(rpt_results *r) {
  rpt_counter ok = {.name = "task-clock", .source = "perf", .unit = "ns", .available = true,
                    .total = rpt_f64(123456789), .per_inference = rpt_f64(12345.6)};
  rpt_counter na = {.name = "PAPI_TOT_INS", .source = "papi", .unit = "count",
                    .available = false, .reason = "no hardware counters here (a VM)"};
  rpt_results_add_counter(r, &ok);
  rpt_results_add_counter(r, &na);
  rpt_set_string(&r->counters.requested, "default");
}

/* A Server run; INVALID with one reason (containing markup) unless valid. */
static void server_run(rpt_results *r, bool valid) {
  rpt_results_init(r);
  rpt_set_string(&r->sut.name, "cpu");
  rpt_set_string(&r->sut.device, "host & <cpu>");
  rpt_set_string(&r->workload.name, "<b>kws</b>");
  rpt_results_add_param(r, "delay_us", "100");
  rpt_set_string(&r->host.hostname, "vm");
  rpt_set_string(&r->host.cpu_model, "AMD EPYC");
  r->host.topology.cores = rpt_u64(2);
  r->host.topology.l1d_bytes = rpt_u64(32768);
  rpt_results_add_worker_cpus(r, "0");
  rpt_results_add_worker_cpus(r, "1");
  rpt_set_string(&r->build.git_describe, "v1.0-3-gabc");
  const char *argv[] = {"run", "--set", "delay_dist=<img src=x onerror=alert(1)>", "it's"};
  rpt_results_set_command(r, 4, argv);
  rpt_set_string(&r->result.scenario, "Server");
  rpt_set_string(&r->result.mode, "performance");
  rpt_set_string(&r->result.metric.name, "target QPS");
  rpt_set_string(&r->result.metric.unit, "qps");
  r->result.metric.value = rpt_f64(2000);
  r->result.metric.ci_low = rpt_f64(1987.25);
  r->result.metric.ci_high = rpt_f64(2012.5);
  rpt_set_string(&r->result.metric.ci_method, "Poisson count");
  r->result.valid = rpt_bool(valid);
  r->result.counts = (rpt_counts){1000, 1000, 990, 10, 0, 0, 0, 0, rpt_u64(100), {0}};
  r->result.latency = lat(40000, 900000, 999999);
  r->result.issue_delay = lat(150, 4500, 77000);
  rpt_results_add_setting(r, "server_target_qps", "2000", "user.conf:4");
  rpt_results_add_setting(r, "min_duration_ms", "\"10000\"", "default");
  if (!valid) rpt_results_add_reason(r, "min_duration", EVIL);
  add_counters(r);
  r->energy.present = true;
  r->energy.available = false;
  rpt_set_string(&r->energy.reason, "rapl: energy_uj is root-only");
  r->roofline.present = true;
  rpt_set_string(&r->roofline.profile, "x86-64-server");
  rpt_set_string(&r->roofline.precision, "fp32");
  r->roofline.achieved_flops = rpt_f64(2e10);
  r->roofline.arithmetic_intensity = rpt_f64(8.17);
  r->roofline.peak_flops = rpt_f64(2.56e12);
  r->roofline.bandwidth_bytes_per_s = rpt_f64(2.048e11);
  r->roofline.attainable_flops = rpt_f64(1.67e12);
  r->roofline.fraction = rpt_f64(0.012);
  rpt_set_string(&r->roofline.bound, "memory");
  r->roofline.peak_flops_per_core = rpt_f64(8e10);
  r->roofline.cores_used = rpt_u64(2);
  r->roofline.peak_flops_cores_used = rpt_f64(1.6e11);
  r->roofline.fraction_of_peak_cores_used = rpt_f64(0.125);
}

static uint64_t lcg(uint64_t *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return *s >> 11;
}

/* n samples scheduled every 1000 ns, latencies log-uniform from 1 us to 1 ms, issue
 * delays 50..1050 ns; every lost_every-th sample lost (0: none). */
static rpt_sample *make_samples(size_t n, size_t lost_every) {
  rpt_sample *s = calloc(n ? n : 1, sizeof *s);
  uint64_t seed = 42;
  assert_non_null(s);
  for (size_t i = 0; i < n; i++) {
    double u = (double)lcg(&seed) / (double)(1ULL << 53);
    s[i].scheduled_ns = 1000 * (uint64_t)i;
    s[i].issued_ns = s[i].scheduled_ns + 50 + lcg(&seed) % 1000;
    s[i].completed_ns = s[i].scheduled_ns + (uint64_t)(1000.0 * pow(10, 3 * u));
    s[i].sample_index = (uint32_t)(i % 1024);
    s[i].lost = lost_every && i % lost_every == lost_every - 1;
    if (s[i].lost) s[i].completed_ns = 0;
  }
  return s;
}

/* The page as a string (caller frees). */
static char *render(const rpt_html_run *runs, size_t n, const rpt_html_opts *o) {
  char *text = NULL, err[256] = "";
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  assert_non_null(f);
  int rc = rpt_html_write(f, runs, n, o, err, sizeof err);
  fclose(f);
  if (rc != RPT_OK) fail_msg("rpt_html_write: %d %s", rc, err);
  return text;
}

static size_t count(const char *text, const char *needle) {
  size_t n = 0;
  for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
  return n;
}

static void has(const char *text, const char *needle) {
  if (strstr(text, needle) == NULL) fail_msg("missing '%s'", needle);
}

static void lacks(const char *text, const char *needle) {
  const char *p = strstr(text, needle);
  if (p != NULL) fail_msg("unexpected '%s' at: %.120s", needle, p);
}

/* The text of the element that starts with `start`, up to `end` (caller frees). */
static char *slice(const char *text, const char *start, const char *end) {
  const char *a = strstr(text, start);
  if (a == NULL) fail_msg("missing '%s'", start);
  const char *b = strstr(a, end);
  assert_non_null(b);
  return strndup(a, (size_t)(b - a));
}

/* ---- tests ---------------------------------------------------------------------------- */
static void test_server_page(void **state) {
  (void)state;
  rpt_results r;
  server_run(&r, false);
  rpt_sample *s = make_samples(1000, 100);
  rpt_html_run run = {"runs/a<1>", &r, s, 1000};
  char *t = render(&run, 1, NULL);
  has(t, "<!DOCTYPE html>");
  assert_true(strcmp(t + strlen(t) - 8, "</html>\n") == 0);
  /* the plots: histogram, CDF, latency and issue delay over time, throughput, roofline */
  assert_int_equal(count(t, "<svg"), 6);
  assert_int_equal(count(t, "</svg>"), 6);
  const char *kinds[] = {"histogram", "cdf", "latency-time", "issue-delay-time",
                         "throughput-time", "roofline"};
  for (size_t i = 0; i < 6; i++) {
    char a[64];
    snprintf(a, sizeof a, "data-plot=\"%s\"", kinds[i]);
    assert_int_equal(count(t, a), 1);
  }
  lacks(t, "cdf-overlay");
  /* the roofline's caption: the peak of the cores the SUT ran on and the fraction */
  has(t, "Against the peak of the 2 cores the SUT ran on (");
  has(t, "FLOP/s): 12.5 %.");
  /* validity and the reason in words, escaped; the metric with its interval */
  has(t, "<span class=\"invalid\">INVALID</span>");
  has(t, EVIL_ESCAPED);
  has(t, "<code>min_duration</code>");
  has(t, "99% CI [1987.250, 2012.500] qps (Poisson count)");
  /* every string from results.json escaped: no markup of theirs survives */
  lacks(t, "<script");
  lacks(t, "<img");
  lacks(t, "<b>kws");
  has(t, "&lt;b&gt;kws&lt;/b&gt;");
  has(t, "host &amp; &lt;cpu&gt;");
  has(t, "runs/a&lt;1&gt;");
  has(t, "&quot;10000&quot;");
  has(t, "&#39;delay_dist=&lt;img src=x onerror=alert(1)&gt;&#39; &#39;it&#39;\\&#39;&#39;s&#39;");
  /* self-contained: nothing fetched, no scripts */
  lacks(t, "http://");
  lacks(t, "https://");
  lacks(t, "url(");
  lacks(t, "@import");
  has(t, "Content-Security-Policy");
  /* counters and energy: unavailable ones say why, never 0 */
  has(t, "<td colspan=\"3\" class=\"na\">unavailable: no hardware counters here (a VM)</td>");
  has(t, "unavailable: rapl: energy_uj is root-only");
  has(t, "123456789");
  /* collapsible settings and system, with sources and worker cpus */
  assert_int_equal(count(t, "<details"), 2);
  has(t, "Settings (2, 1 not default)");
  has(t, "<td>user.conf:4</td>");
  has(t, "<th>worker 1 cpus</th><td>1</td>");
  has(t, "32 KiB");
  /* lost samples are left out and counted */
  has(t, "10 lost samples (never completed) left out.");
  free(t);
  free(s);
  rpt_results_destroy(&r);
}

static void test_valid_and_not_judged(void **state) {
  (void)state;
  rpt_results r;
  server_run(&r, true);
  rpt_sample *s = make_samples(200, 0);
  rpt_html_run run = {NULL, &r, s, 200};
  char *t = render(&run, 1, NULL);
  has(t, "<span class=\"valid\">VALID</span>");
  lacks(t, "INVALID");
  has(t, "mlsysbench report: run 1");  /* a run without a label */
  has(t, "samples.csv has 200 rows but results.json counts 1000 samples issued.");
  free(t);
  r.result.valid = (rpt_opt_bool){0};
  rpt_set_string(&r.result.mode, "accuracy");
  rpt_set_string(&r.result.scenario, "Offline");
  t = render(&run, 1, NULL);
  has(t, "not judged</span> (accuracy mode)");
  lacks(t, "VALID<");
  lacks(t, "issue-delay-time"); /* only for Server */
  assert_int_equal(count(t, "<svg"), 5);
  free(t);
  free(s);
  rpt_results_destroy(&r);
}

static void test_histogram_bins_add_up(void **state) {
  (void)state;
  size_t n = 5000;
  rpt_sample *s = make_samples(n, 50);
  s[7].completed_ns = s[7].scheduled_ns; /* latency 0: not on a log axis */
  size_t lost = n / 50;
  rpt_html_hist h;
  assert_int_equal(rpt_html_hist_init(&h, s, n, 40), RPT_OK);
  assert_int_equal(h.bins, 40);
  assert_int_equal(h.lost, lost);
  assert_int_equal(h.nonpositive, 1);
  uint64_t sum = 0, lo = UINT64_MAX, hi = 0;
  for (size_t i = 0; i < h.bins; i++) {
    sum += h.counts[i];
    assert_true(h.edges_ns[i] < h.edges_ns[i + 1]);
  }
  for (size_t i = 0; i < n; i++) {
    if (s[i].lost || s[i].completed_ns <= s[i].scheduled_ns) continue;
    uint64_t l = s[i].completed_ns - s[i].scheduled_ns;
    lo = l < lo ? l : lo, hi = l > hi ? l : hi;
  }
  assert_int_equal(sum, n - lost - 1);
  assert_int_equal(h.total, sum);
  assert_true(h.edges_ns[0] == (double)lo && h.edges_ns[h.bins] == (double)hi);
  /* log spacing: every bin is the same ratio wide */
  double ratio = h.edges_ns[1] / h.edges_ns[0];
  for (size_t i = 1; i < h.bins; i++)
    assert_true(fabs(h.edges_ns[i + 1] / h.edges_ns[i] - ratio) < 1e-9);
  rpt_html_hist_destroy(&h);
  rpt_html_hist_destroy(NULL);

  /* the page's bars carry the same counts */
  rpt_results r;
  server_run(&r, true);
  rpt_html_run run = {"a", &r, s, n};
  rpt_html_opts o = {.hist_bins = 40};
  char *t = render(&run, 1, &o);
  char *svg = slice(t, "data-plot=\"histogram\"", "</svg>");
  uint64_t bars = 0;
  for (const char *p = svg; (p = strstr(p, "data-n=\"")) != NULL; p++)
    bars += strtoull(p + 8, NULL, 10);
  assert_int_equal(bars, n - lost - 1);
  assert_true(count(svg, "class=\"bar\"") <= 40);
  has(t, "1 sample of 0 ns or less (a clock went backwards) left out.");
  free(svg);
  free(t);
  rpt_results_destroy(&r);

  /* one value only: one bin around it; nothing to bin: no bins */
  rpt_sample one[3] = {{0, 0, 500, 0, false, 0, 0}, {10, 10, 510, 0, false, 0, 0},
                       {20, 20, 0, 0, true, 0, 0}};
  assert_int_equal(rpt_html_hist_init(&h, one, 3, 0), RPT_OK);
  assert_int_equal(h.bins, RPT_HTML_HIST_BINS);
  assert_int_equal(h.total, 2);
  assert_true(h.edges_ns[0] < 500 && h.edges_ns[h.bins] > 500);
  rpt_html_hist_destroy(&h);
  assert_int_equal(rpt_html_hist_init(&h, one + 2, 1, 0), RPT_OK);
  assert_int_equal(h.bins, 0);
  assert_null(h.counts);
  assert_int_equal(h.lost, 1);
  assert_int_equal(rpt_html_hist_init(&h, NULL, 3, 0), RPT_EINVAL);
  assert_int_equal(rpt_html_hist_init(NULL, one, 3, 0), RPT_EINVAL);
  free(s);
}

/* Each scatter's data-points equals its marks and stays at or under cap. */
static void check_dots(const char *t, size_t cap, size_t want_paths) {
  size_t paths = 0;
  for (const char *p = t; (p = strstr(p, "<path class=\"dots\" data-points=\"")) != NULL; p++) {
    size_t pts = strtoul(p + strlen("<path class=\"dots\" data-points=\""), NULL, 10);
    const char *end = strstr(p, "/>");
    char *d = strndup(p, (size_t)(end - p));
    assert_int_equal(count(d, "h0"), pts);
    assert_true(pts <= cap);
    free(d);
    paths++;
  }
  assert_int_equal(paths, want_paths);
}

static void test_thinning_caps_points(void **state) {
  (void)state;
  assert_int_equal(rpt_html_thin_count(10, 5000), 10);
  assert_int_equal(rpt_html_thin_count(1000000, 5000), 5000);
  assert_int_equal(rpt_html_thin_count(1000000, 0), 1000000);
  assert_int_equal(rpt_html_thin_index(0, 1000000, 5000), 0);
  assert_int_equal(rpt_html_thin_index(1, 1000000, 5000), 200);
  assert_int_equal(rpt_html_thin_index(4999, 1000000, 5000), 999800);
  assert_int_equal(rpt_html_thin_index(7, 10, 5000), 7);

  rpt_results r;
  server_run(&r, true);
  rpt_sample *s = make_samples(3000, 0);
  rpt_html_run run = {"a", &r, s, 3000};
  rpt_html_opts o = {.max_points = 100};
  char *t = render(&run, 1, &o);
  check_dots(t, 100, 2); /* latency and issue delay over time */
  assert_int_equal(count(t, "data-points=\"100\""), 2);
  has(t, "samples, 100 shown");
  free(t);
  free(s);

  /* 10^6 samples: default cap, fast, and a page of a few hundred kB */
  size_t n = 1000000;
  s = make_samples(n, 1000);
  run.samples = s, run.n_samples = n;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  t = render(&run, 1, NULL);
  clock_gettime(CLOCK_MONOTONIC, &b);
  double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
  print_message("10^6 samples: %.3f s, %zu bytes\n", secs, strlen(t));
  assert_true(secs < 10); /* about 0.3 s optimized; sanitizers are slower */
  assert_true(strlen(t) < 1000000);
  check_dots(t, RPT_HTML_MAX_POINTS, 2);
  assert_int_equal(count(t, "data-points=\"5000\""), 2);
  free(t);
  free(s);
  rpt_results_destroy(&r);
}

static void test_log_ticks_and_labels(void **state) {
  (void)state;
  double t[32];
  char b[32];
  size_t n = rpt_html_log_ticks(1e3, 1e6, t, 32);  /* powers of ten */
  assert_int_equal(n, 4);
  assert_true(t[0] == 1e3 && t[1] == 1e4 && t[2] == 1e5 && t[3] == 1e6);
  n = rpt_html_log_ticks(1e5, 5e6, t, 32);  /* under three decades: 1-2-5 */
  assert_int_equal(n, 6);
  assert_true(fabs(t[1] - 2e5) < 1e-6 && fabs(t[2] - 5e5) < 1e-6 && fabs(t[5] - 5e6) < 1e-6);
  n = rpt_html_log_ticks(100, 200, t, 32);  /* 1..9 x 10^k */
  assert_int_equal(n, 2);
  n = rpt_html_log_ticks(110, 130, t, 32);  /* round linear values */
  assert_true(n >= 2 && t[0] >= 110 && t[n - 1] <= 130);
  n = rpt_html_log_ticks(1e-3, 1e15, t, 32); /* many decades: every third */
  assert_true(n >= 4 && n <= 8);
  assert_int_equal(rpt_html_log_ticks(0, 10, t, 32), 0);
  assert_int_equal(rpt_html_log_ticks(10, 10, t, 32), 0);
  assert_int_equal(rpt_html_log_ticks(1, 1e6, t, 2), 2);  /* max respected */

  assert_string_equal(rpt_html_format_ns(b, sizeof b, 500), "500 ns");
  assert_string_equal(rpt_html_format_ns(b, sizeof b, 1000), "1 \xc2\xb5s");
  assert_string_equal(rpt_html_format_ns(b, sizeof b, 999.7), "1 \xc2\xb5s");
  assert_string_equal(rpt_html_format_ns(b, sizeof b, 12500), "12.5 \xc2\xb5s");
  assert_string_equal(rpt_html_format_ns(b, sizeof b, 2e6), "2 ms");
  assert_string_equal(rpt_html_format_ns(b, sizeof b, 1.5e9), "1.5 s");
  assert_string_equal(rpt_html_format_ns(b, sizeof b, 3.6e12), "3600 s");

  /* latencies from 1 us to 1 ms: the log axes read 1 us, 10 us, 100 us, 1 ms */
  rpt_results r;
  server_run(&r, true);
  rpt_sample s[4] = {{0, 0, 1000, 0, false, 0, 0}, {10, 10, 10010, 0, false, 0, 0},
                     {20, 20, 100020, 0, false, 0, 0}, {30, 30, 1000030, 0, false, 0, 0}};
  rpt_html_run run = {"a", &r, s, 4};
  char *page = render(&run, 1, NULL);
  char *svg = slice(page, "data-plot=\"cdf\"", "</svg>");
  const char *want[] = {">1 \xc2\xb5s</text>", ">10 \xc2\xb5s</text>", ">100 \xc2\xb5s</text>",
                        ">1 ms</text>"};
  for (size_t i = 0; i < 4; i++) assert_int_equal(count(svg, want[i]), 1);
  assert_int_equal(count(svg, "class=\"tick\""), 4 + 6); /* x: 4 decades; y: 0, 0.2 ... 1 */
  has(svg, ">0.6</text>");
  free(svg);
  svg = slice(page, "data-plot=\"histogram\"", "</svg>");
  for (size_t i = 0; i < 4; i++) assert_int_equal(count(svg, want[i]), 1);
  free(svg);
  free(page);
  rpt_results_destroy(&r);
}

static void test_run_set_overlay(void **state) {
  (void)state;
  rpt_results a, b;
  server_run(&a, true);
  server_run(&b, false);
  rpt_sample *sa = make_samples(2000, 0), *sb = make_samples(1500, 0);
  for (size_t i = 0; i < 1500; i++) sb[i].completed_ns += 200000; /* the slower run */
  rpt_html_run runs[] = {{"base", &a, sa, 2000}, {"new & improved", &b, sb, 1500}};
  char *t = render(runs, 2, NULL);
  assert_int_equal(count(t, "data-plot=\"cdf-overlay\""), 1);
  assert_int_equal(count(t, "data-plot=\"cdf\""), 0); /* the overlay holds both */
  assert_int_equal(count(t, "<svg"), 1 + 2 * 5);
  char *svg = slice(t, "data-plot=\"cdf-overlay\"", "</svg>");
  has(svg, "class=\"legend\"");
  has(svg, ">base</text>");
  has(svg, ">new &amp; improved</text>");
  has(svg, "stroke=\"#1f77b4\" d=\"M");  /* two curves in two colors */
  has(svg, "stroke=\"#d62728\" d=\"M");
  free(svg);
  assert_int_equal(count(t, "<tr><td><a href=\"#run-"), 2);
  has(t, "id=\"run-1\"");
  has(t, "id=\"run-2\"");
  has(t, "mlsysbench report: 2 runs");
  has(t, "<span class=\"valid\">VALID</span>");
  has(t, "<span class=\"invalid\">INVALID</span>");
  free(t);
  free(sa);
  free(sb);
  rpt_results_destroy(&a);
  rpt_results_destroy(&b);
}

static void test_no_samples(void **state) {
  (void)state;
  rpt_results r;
  server_run(&r, false);
  r.roofline.achieved_flops = (rpt_opt_f64){0};
  rpt_set_string(&r.roofline.reason, "needs FLOPs per inference");
  rpt_html_run run = {"empty", &r, NULL, 0};
  char *t = render(&run, 1, NULL);
  assert_int_equal(count(t, "<svg"), 0);
  has(t, "Latency histogram: nothing to plot (no completed samples).");
  has(t, "Throughput over time: nothing to plot (no completed samples).");
  has(t, "unavailable: needs FLOPs per inference");
  free(t);
  rpt_sample lost[2] = {{0, 5, 0, 0, true, 0, 0}, {10, 15, 0, 0, true, 0, 0}};
  run.samples = lost, run.n_samples = 2;
  t = render(&run, 1, NULL);
  assert_int_equal(count(t, "<svg"), 1); /* only the issue delay: both were issued */
  has(t, "Latency CDF: nothing to plot");
  free(t);
  rpt_results_destroy(&r);
}

static void test_write_file(void **state) {
  (void)state;
  char dir[] = "/tmp/mlsb-html-XXXXXX", path[128], err[512];
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/report.html", dir);
  rpt_results r;
  server_run(&r, true);
  rpt_sample *s = make_samples(100, 0);
  rpt_html_run run = {"a", &r, s, 100};
  FILE *old = fopen(path, "w");
  fputs("old", old);
  fclose(old);
  assert_int_equal(rpt_html_write_file(path, &run, 1, NULL, err, sizeof err), RPT_OK);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_true(st.st_size > 10000);
  assert_int_equal(st.st_mode & 0777, 0644);
  DIR *d = opendir(dir);
  size_t entries = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;) entries += e->d_name[0] != '.';
  closedir(d);
  assert_int_equal(entries, 1); /* no temporary file left */
  snprintf(path, sizeof path, "%s/nosuch/report.html", dir);
  assert_int_equal(rpt_html_write_file(path, &run, 1, NULL, err, sizeof err), RPT_EIO);
  has(err, path);
  assert_int_equal(rpt_html_write_file(NULL, &run, 1, NULL, err, sizeof err), RPT_EINVAL);
  assert_int_equal(rpt_html_write(stdout, NULL, 1, NULL, err, sizeof err), RPT_EINVAL);
  assert_int_equal(rpt_html_write(stdout, &run, 0, NULL, err, sizeof err), RPT_EINVAL);
  rpt_html_run bad = {"b", &r, NULL, 3};
  assert_int_equal(rpt_html_write(stdout, &bad, 1, NULL, err, sizeof err), RPT_EINVAL);
  snprintf(path, sizeof path, "%s/report.html", dir);
  unlink(path);
  rmdir(dir);
  free(s);
  rpt_results_destroy(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_server_page),
      cmocka_unit_test(test_valid_and_not_judged),
      cmocka_unit_test(test_histogram_bins_add_up),
      cmocka_unit_test(test_thinning_caps_points),
      cmocka_unit_test(test_log_ticks_and_labels),
      cmocka_unit_test(test_run_set_overlay),
      cmocka_unit_test(test_no_samples),
      cmocka_unit_test(test_write_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
