/*
 * harness/profile.c - `mlsysbench profile`: measure this machine with
 * hardware_profiles/measure.h (fp32 FMA peak on one core and on all cores, STREAM-triad
 * bandwidth, hwloc's caches, cores and CPU model), print the figures with what each
 * means, and write them as a hardware profile whose every figure says how and when it
 * was measured.
 */
#include "harness/profile.h"

#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hardware_profiles/hwp.h"
#include "hardware_profiles/measure.h"
#include "harness/harness.h"

#define MB_PROFILE_OUT "local-profile.json"
#define MB_PROFILE_NAME "local"
#define MB_PROFILE_SECONDS 4.0
#define MB_PROFILE_WIDTH 92 /* wrap printed explanations here */

typedef struct mb_profile_opts {
  const char *out;
  const char *name;
  double seconds; /* measuring budget: 1/4 one core, 1/4 all cores, 1/2 bandwidth */
} mb_profile_opts;

/* Everything measured, and when and where. */
typedef struct mb_profile_run {
  hwp_machine_info info;
  hwp_measurement fma_one, fma_all, triad;
  char date[32];  /* YYYY-MM-DD, local time */
  char host[128];
} mb_profile_run;

void mb_print_profile_help(FILE *f) {
  fputs(
      "NAME\n"
      "    mlsysbench profile - measure this machine and write its hardware profile\n"
      "\n"
      "SYNOPSIS\n"
      "    mlsysbench profile [--out FILE] [--name NAME] [--seconds S]\n"
      "\n"
      "DESCRIPTION\n"
      "    Measures what this machine's CPU can do at best and writes it as a hardware\n"
      "    profile (schema mlsysbench.hardware_profile, version 1; hardware_profiles/\n"
      "    README.md), the figures runs are placed against on a roofline:\n"
      "\n"
      "    fp32 peak, one core      a register-blocked FMA kernel (12 independent vector\n"
      "                             chains, no memory traffic) in the widest instruction set\n"
      "                             this CPU has (AVX-512F, AVX2+FMA, NEON, else portable\n"
      "                             vectors), one thread bound to one core; best of 5\n"
      "    fp32 peak, all cores     the same on one thread per physical core, each bound to\n"
      "                             its own core with hwloc; written as peak_flops.fp32\n"
      "    memory bandwidth         STREAM's triad a[i] = b[i] + s*c[i] on three fp64 arrays\n"
      "                             4x larger than all last-level caches together, one\n"
      "                             thread per core, counted as 24 bytes per element; best\n"
      "                             of the passes that fit; written as DRAM bandwidth\n"
      "    caches, memory, cores    from hwloc: the size of one L1d, L2, L3 cache and how\n"
      "                             many there are, total RAM, physical cores, CPU model\n"
      "\n"
      "    Every figure's source reads \"measured by mlsysbench profile DATE (METHOD)\". TDP\n"
      "    and clock cannot be measured here; add them from the datasheet to get energy\n"
      "    estimates. The whole command takes about S + 1 seconds. Run it on an idle\n"
      "    machine: other load lowers every figure.\n"
      "\n"
      "OPTIONS\n"
      "    --out FILE     where to write the profile (default ./local-profile.json)\n"
      "    --name NAME    the profile's name (default local): 1-63 characters of a-z 0-9\n"
      "                   . _ -, starting with a letter or digit\n"
      "    --seconds S    time to spend measuring, 0.2 to 600 (default 4): a quarter for\n"
      "                   each FMA figure, half for the bandwidth\n"
      "    -h, --help     this page\n"
      "\n"
      "FILES\n"
      "    ~/.config/mlsysbench/local.json (or $XDG_CONFIG_HOME/mlsysbench/local.json, or\n"
      "    $MLSB_PROFILE_DIR/local.json when that is set) is this machine's profile for\n"
      "    `--profile auto`; copy the written file there. Without it, auto means the\n"
      "    generic x86-64-server profile.\n"
      "\n"
      "EXIT STATUS\n"
      "    0 profile written, 1 a measurement or the write failed, 2 bad usage\n"
      "\n"
      "EXAMPLES\n"
      "    mlsysbench profile\n"
      "    mlsysbench profile --seconds 20 --name lab-pc-07 --out lab-pc-07.json\n"
      "    mkdir -p ~/.config/mlsysbench &&\n"
      "        cp local-profile.json ~/.config/mlsysbench/local.json\n",
      f);
}

/* ---- flags ---------------------------------------------------------------------- */

static int mb_profile_bad(const char *flag, const char *value, const char *why) {
  fprintf(stderr, "mlsysbench profile: %s '%s': %s; see `mlsysbench profile --help`\n", flag,
          value, why);
  return MB_EXIT_USAGE;
}

static int mb_profile_parse(int argc, char **argv, mb_profile_opts *o, bool *help) {
  static const struct option opts[] = {{"out", 1, 0, 'o'}, {"name", 1, 0, 'n'},
                                       {"seconds", 1, 0, 's'}, {"help", 0, 0, 'h'},
                                       {0, 0, 0, 0}};
  *o = (mb_profile_opts){MB_PROFILE_OUT, MB_PROFILE_NAME, MB_PROFILE_SECONDS};
  *help = false;
  optind = 1;
  opterr = 1;
  for (int c; (c = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
    char *end;
    if (c == 'h') {
      mb_print_profile_help(stdout);
      *help = true;
      return MB_EXIT_OK;
    } else if (c == 'o') {
      if (optarg[0] == '\0') return mb_profile_bad("--out", optarg, "needs a file name");
      o->out = optarg;
    } else if (c == 'n') {
      if (!hwp_name_valid(optarg))
        return mb_profile_bad("--name", optarg, "use 1-63 characters of a-z 0-9 . _ - "
                              "starting with a letter or digit");
      o->name = optarg;
    } else if (c == 's') {
      o->seconds = strtod(optarg, &end);
      if (end == optarg || *end != '\0' || !(o->seconds >= 0.2 && o->seconds <= 600))
        return mb_profile_bad("--seconds", optarg, "needs a number of seconds from 0.2 to 600");
    } else {
      fprintf(stderr, "mlsysbench profile: see `mlsysbench profile --help`\n");
      return MB_EXIT_USAGE;
    }
  }
  if (optind < argc)
    return mb_profile_bad("argument", argv[optind], "unexpected; flags start with --");
  return MB_EXIT_OK;
}

/* ---- printing helpers ----------------------------------------------------------- */

/* 83.4 G + unit, with SI prefixes. */
static const char *mb_si(double v, const char *unit, char *buf, size_t len) {
  static const char *const prefix[] = {"", "k", "M", "G", "T", "P"};
  int i = 0;
  while (fabs(v) >= 1000 && i < 5) {
    v /= 1000;
    i++;
  }
  snprintf(buf, len, "%.3g %s%s", v, prefix[i], unit);
  return buf;
}

/* 48 KiB, 1 MiB, 23.5 GiB. */
static const char *mb_bytes(double v, char *buf, size_t len) {
  static const char *const unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  int i = 0;
  while (v >= 1024 && i < 4) {
    v /= 1024;
    i++;
  }
  snprintf(buf, len, "%.3g %s", v, unit[i]);
  return buf;
}

/* text word-wrapped to MB_PROFILE_WIDTH, every line indented by indent spaces. */
static void mb_wrap(FILE *f, int indent, const char *text) {
  int col = 0;
  while (*text != '\0') {
    size_t word = strcspn(text, " ");
    if (col > indent && col + 1 + (int)word > MB_PROFILE_WIDTH) {
      fputc('\n', f);
      col = 0;
    }
    if (col == 0)
      col = fprintf(f, "%*s", indent, "");
    else
      col += fprintf(f, " ");
    col += fprintf(f, "%.*s", (int)word, text);
    text += word;
    text += strspn(text, " ");
  }
  fputc('\n', f);
}

/* One figure: label and value, then how it was found on the lines below. */
static void mb_row(FILE *f, const char *label, const char *value, const char *how) {
  fprintf(f, "  %-30s %s\n", label, value);
  if (how != NULL && how[0] != '\0') mb_wrap(f, 6, how);
}

/* ---- measuring ------------------------------------------------------------------ */

static void mb_profile_stamp(mb_profile_run *r) {
  time_t now = time(NULL);
  struct tm tm;
  if (localtime_r(&now, &tm) == NULL || strftime(r->date, sizeof r->date, "%Y-%m-%d", &tm) == 0)
    snprintf(r->date, sizeof r->date, "(unknown date)");
  if (gethostname(r->host, sizeof r->host) != 0) snprintf(r->host, sizeof r->host, "this host");
  r->host[sizeof r->host - 1] = '\0';
}

static void mb_profile_done(const char *what, const hwp_measurement *m, const char *unit) {
  char v[32];
  fprintf(stderr, "  %-26s %s (%.1f s)\n", what, mb_si(m->value, unit, v, sizeof v), m->seconds);
}

static int mb_profile_measure(double seconds, mb_profile_run *r) {
  char err[512];
  hwp_machine *m = NULL;
  int rc = hwp_machine_open(&m, err, sizeof err);
  if (rc != HWP_OK) goto fail;
  r->info = *hwp_machine_describe(m);
  fprintf(stderr, "mlsysbench profile: measuring this machine (%u cores) for about %.3g s\n",
          r->info.cores, seconds);
  if ((rc = hwp_measure_fma(m, 1, seconds / 4, &r->fma_one, err, sizeof err))) goto fail;
  mb_profile_done("fp32 peak, one core", &r->fma_one, "FLOP/s");
  r->fma_all = r->fma_one;
  if (r->info.cores > 1 &&
      (rc = hwp_measure_fma(m, 0, seconds / 4, &r->fma_all, err, sizeof err)))
    goto fail;
  mb_profile_done("fp32 peak, all cores", &r->fma_all, "FLOP/s");
  if ((rc = hwp_measure_triad(m, 0, seconds / 2, 0, &r->triad, err, sizeof err))) goto fail;
  mb_profile_done("memory bandwidth (triad)", &r->triad, "B/s");
  hwp_machine_close(m);
  return MB_EXIT_OK;
fail:
  fprintf(stderr, "mlsysbench profile: %s\n", err);
  hwp_machine_close(m);
  return MB_EXIT_ERROR;
}

/* ---- the profile ---------------------------------------------------------------- */

/* v to 4 significant digits: repetitions differ by more than that, so the file should
 * not claim 17. */
static double mb_round4(double v) {
  if (!(v > 0) || !isfinite(v)) return v;
  double unit = pow(10, floor(log10(v)) - 3);
  return round(v / unit) * unit;
}

/* Set a measured figure: its source says when and how. Keeps the first error in *rc. */
static void mb_put(hwp_figure *f, double value, const mb_profile_run *r, const char *method,
                   int *rc) {
  char source[640];
  snprintf(source, sizeof source, "measured by mlsysbench profile %s (%s)", r->date, method);
  if (*rc == HWP_OK) *rc = hwp_set_figure(f, value, source);
}

static void mb_put_memory(hwp_profile *p, const mb_profile_run *r, int *rc) {
  static const hwp_mem_level levels[3] = {HWP_MEM_L1, HWP_MEM_L2, HWP_MEM_L3};
  static const char *const names[3] = {"L1 data", "L2", "L3"};
  char how[128];
  hwp_memory *mem;
  for (int l = 0; l < 3 && *rc == HWP_OK; l++) {
    if (r->info.cache_bytes[l] == 0) continue;
    snprintf(how, sizeof how, "hwloc: one %s cache; this machine has %u", names[l],
             r->info.cache_instances[l]);
    if ((*rc = hwp_add_memory(p, levels[l], &mem)) == HWP_OK)
      mb_put(&mem->capacity_bytes, (double)r->info.cache_bytes[l], r, how, rc);
  }
  if (*rc != HWP_OK || (*rc = hwp_add_memory(p, HWP_MEM_DRAM, &mem)) != HWP_OK) return;
  mb_put(&mem->bandwidth_bytes_per_s, mb_round4(r->triad.value), r, r->triad.method, rc);
  if (r->info.memory_bytes)
    mb_put(&mem->capacity_bytes, (double)r->info.memory_bytes, r, "hwloc: total RAM", rc);
}

static int mb_profile_build(const mb_profile_opts *o, const mb_profile_run *r, hwp_profile *p) {
  char text[512];
  hwp_profile_init(p);
  int rc = hwp_set_text(&p->name, o->name);
  snprintf(text, sizeof text,
           "%s: %s, %u cores, measured %s by `mlsysbench profile`. TDP and clock are not "
           "measured; add them from the datasheet for energy estimates.",
           r->host, r->info.cpu_model[0] ? r->info.cpu_model : "unknown CPU", r->info.cores,
           r->date);
  if (rc == HWP_OK) rc = hwp_set_text(&p->description, text);
  p->kind = HWP_KIND_CPU;
  double all = mb_round4(r->fma_all.value), one = mb_round4(r->fma_one.value);
  mb_put(&p->peak_flops[HWP_FP32], all, r, r->fma_all.method, &rc);
  if (one <= all) /* else noise outran the all-core run; the format requires one <= all */
    mb_put(&p->peak_flops_per_core[HWP_FP32], one, r, r->fma_one.method, &rc);
  mb_put_memory(p, r, &rc);
  mb_put(&p->cores, r->info.cores, r, "hwloc: physical cores this process may run on", &rc);
  return rc;
}

/* ---- the table ------------------------------------------------------------------ */

static void mb_print_caches(FILE *f, const mb_profile_run *r) {
  static const char *const labels[3] = {"L1 data cache", "L2 cache", "L3 cache"};
  char v[32], row[64];
  for (int l = 0; l < 3; l++) {
    if (r->info.cache_bytes[l] == 0) continue;
    snprintf(row, sizeof row, "%s x %u", mb_bytes((double)r->info.cache_bytes[l], v, sizeof v),
             r->info.cache_instances[l]);
    mb_row(f, labels[l], row, NULL);
  }
}

static void mb_print_meaning(FILE *f) {
  fputs("\nWHAT THE FIGURES MEAN\n", f);
  mb_wrap(f, 2, "fp32 peak: the most fp32 operations per second the cores sustain with "
          "operands in registers (an FMA counts as 2). The compute roof of a roofline; real "
          "kernels reach a fraction of it. The one-core figure bounds a single-threaded run.");
  mb_wrap(f, 2, "memory bandwidth: bytes per second all cores together stream to and from "
          "main memory, on arrays far larger than the caches (STREAM counting: 24 bytes per "
          "triad element; write-allocate traffic not counted). The memory roof.");
  mb_wrap(f, 2, "caches: the size of one cache of each level and how many there are. cores: "
          "physical cores this process may use (hardware threads share a core's FMA units).");
  mb_wrap(f, 2, "ridge point: fp32 peak / bandwidth. A workload doing fewer FLOPs per byte "
          "moved is memory-bound on this machine; more, compute-bound.");
}

/* A measured rate: its value and, below, how it was measured. */
static void mb_row_rate(FILE *f, const char *label, const hwp_measurement *m, const char *unit) {
  char v[32];
  mb_row(f, label, mb_si(m->value, unit, v, sizeof v), m->method);
}

static void mb_profile_print(FILE *f, const mb_profile_opts *o, const mb_profile_run *r,
                             const hwp_profile *p) {
  char v[64];
  hwp_roofline_point ridge;
  fprintf(f, "HARDWARE PROFILE '%s' of %s, measured %s\n\n", o->name, r->host, r->date);
  mb_row(f, "CPU model", r->info.cpu_model[0] ? r->info.cpu_model : "(hwloc does not say)",
         NULL);
  snprintf(v, sizeof v, "%u (%u hardware threads)", r->info.cores, r->info.pus);
  mb_row(f, "cores", v, NULL);
  mb_row_rate(f, "fp32 peak, one core", &r->fma_one, "FLOP/s");
  mb_row_rate(f, "fp32 peak, all cores", &r->fma_all, "FLOP/s");
  mb_row_rate(f, "memory bandwidth (triad)", &r->triad, "B/s");
  mb_print_caches(f, r);
  if (r->info.memory_bytes)
    mb_row(f, "main memory", mb_bytes((double)r->info.memory_bytes, v, sizeof v), NULL);
  if (hwp_roofline(p, "fp32", 1, 1, 1, &ridge) == HWP_OK) {
    snprintf(v, sizeof v, "%.3g FLOP/byte", ridge.ridge_intensity);
    mb_row(f, "ridge point (fp32)", v, NULL);
  }
  mb_print_meaning(f);
}

/* Where to copy the file so `--profile auto` finds it. */
static void mb_profile_hint(FILE *f, const char *out) {
  char local[4096];
  if (hwp_local_path(local, sizeof local) != HWP_OK) return;
  char *slash = strrchr(local, '/');
  fprintf(f, "To make it this machine's profile for `--profile auto`:\n");
  if (slash != NULL) fprintf(f, "    mkdir -p '%.*s' && ", (int)(slash - local), local);
  else fprintf(f, "    ");
  fprintf(f, "cp '%s' '%s'\n", out, local);
}

int mb_cmd_profile(int argc, char **argv) {
  mb_profile_opts o;
  mb_profile_run r;
  hwp_profile p;
  bool help;
  char err[1024];
  int rc = mb_profile_parse(argc, argv, &o, &help);
  if (rc != MB_EXIT_OK || help) return rc;
  memset(&r, 0, sizeof r);
  mb_profile_stamp(&r);
  if ((rc = mb_profile_measure(o.seconds, &r)) != MB_EXIT_OK) return rc;
  if (mb_profile_build(&o, &r, &p) != HWP_OK) {
    fprintf(stderr, "mlsysbench profile: out of memory\n");
    rc = MB_EXIT_ERROR;
    goto done;
  }
  fputc('\n', stderr);
  mb_profile_print(stdout, &o, &r, &p);
  if (hwp_write_file(&p, o.out, err, sizeof err) != HWP_OK) {
    fprintf(stderr, "mlsysbench profile: %s\n", err);
    rc = MB_EXIT_ERROR;
    goto done;
  }
  printf("\nwrote %s (hardware profile '%s', schema %s version %d)\n", o.out, o.name,
         HWP_SCHEMA, HWP_SCHEMA_VERSION);
  mb_profile_hint(stdout, o.out);
done:
  hwp_destroy(&p);
  return rc;
}
