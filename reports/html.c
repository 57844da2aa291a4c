/*
 * reports/html.c - renders the HTML report of reports/html.h: the page and its CSS,
 * the tables from results.json, and the SVG plots, each drawn from samples binned
 * first (histogram bins, time bins, at most opts.max_points per-sample marks).
 *
 * Layout of the file: text helpers, axes and ticks, the SVG plot primitives, the
 * building blocks of the header, per-run sample views, the plots, the tables, the
 * page. Coordinates are SVG user units; every plot area has the same size, a figure is
 * PLOT_W x PLOT_H (wider when a legend column sits at its right); CSS scales figures
 * down on narrow screens.
 */
#include "reports/html.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reports/internal.h"

#define PLOT_W 600.0
#define PLOT_H 330.0
#define PAD_L 72.0 /* room for the y tick labels and the y axis label */
#define PAD_R 18.0
#define PAD_T 50.0 /* the title and a legend row */
#define PAD_B 48.0 /* x tick labels and the x axis label */
#define CDF_POINTS 1000   /* quantile levels drawn per CDF curve */
#define SAMPLES_PER_BIN 20 /* the over-time plots use about this many samples per bin */
#define LEGEND_LABEL_MAX 48
#define LATENCY_AXIS "latency (scheduled to completed), log scale"

/* Colors of the runs of a set (Tableau 10), and of the per-bin statistics lines. */
static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                      "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
#define N_PALETTE (sizeof palette / sizeof palette[0])
#define COLOR_P50 "#1f2430"
#define COLOR_P99 "#d62728"
#define COLOR_MAX "#ff7f0e"
#define COLOR_ROOF "#3c4350"

/* ---- text -------------------------------------------------------------------------- */
static void esc_char(FILE *f, char c) {
  switch (c) {
    case '&': fputs("&amp;", f); break;
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '"': fputs("&quot;", f); break;
    case '\'': fputs("&#39;", f); break;
    default:
      if ((unsigned char)c < 0x20 && c != '\t' && c != '\n')
        fputs("&#xFFFD;", f); /* control characters are not text */
      else
        fputc(c, f);
  }
}

/* s HTML-escaped (text and attribute values alike); NULL writes nothing. */
static void esc(FILE *f, const char *s) {
  for (; s && *s; s++) esc_char(f, *s);
}

static void esc_or(FILE *f, const char *s, const char *fallback) { esc(f, s ? s : fallback); }

/* printf into a buffer, then escaped: for text that mixes numbers and strings. */
static void escf(FILE *f, const char *fmt, ...) RPT__PRINTF(2, 3);
static void escf(FILE *f, const char *fmt, ...) {
  char buf[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  esc(f, buf);
}


/* Three significant digits and an SI prefix: "950", "1.5k", "137G". */
static const char *fmt_si(char *buf, size_t len, double v) {
  static const char *const prefix[] = {"", "k", "M", "G", "T", "P", "E"};
  size_t p = 0;
  while (p + 1 < sizeof prefix / sizeof prefix[0] && fabs(v) >= 999.5) v /= 1000, p++;
  snprintf(buf, len, "%.3g%s", v, prefix[p]);
  return buf;
}

const char *rpt_html_format_ns(char *buf, size_t len, double ns) {
  static const char *const unit[] = {"ns", "\xc2\xb5s", "ms", "s"};
  size_t u = 0;
  if (buf == NULL || len == 0) return buf;
  if (!isfinite(ns)) {
    snprintf(buf, len, "unavailable");
    return buf;
  }
  while (u < 3 && fabs(ns) >= 999.5) ns /= 1000, u++;
  snprintf(buf, len, fabs(ns) >= 999.5 ? "%.0f %s" : "%.3g %s", ns, unit[u]);
  return buf;
}

/* Bytes as "32 KiB", "1 MiB". */
static const char *fmt_bytes(char *buf, size_t len, uint64_t b) {
  static const char *const unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double v = (double)b;
  size_t u = 0;
  while (u < 4 && v >= 1024) v /= 1024, u++;
  snprintf(buf, len, "%.4g %s", v, unit[u]);
  return buf;
}

/* The label shortened from the left to at most LEGEND_LABEL_MAX bytes, "..." first,
 * cut at a UTF-8 character boundary. */
static const char *short_label(char *buf, size_t len, const char *s) {
  size_t n = strlen(s);
  if (n <= LEGEND_LABEL_MAX) {
    snprintf(buf, len, "%s", s);
    return buf;
  }
  const char *tail = s + n - (LEGEND_LABEL_MAX - 3);
  while ((*tail & 0xC0) == 0x80) tail++;
  snprintf(buf, len, "...%s", tail);
  return buf;
}

/* ---- axes and ticks ---------------------------------------------------------------- */
typedef enum { UNIT_NS, UNIT_SI, UNIT_PLAIN } unit_kind;

typedef struct axis {
  double lo, hi;       /* the drawn range (rounded outwards to round values) */
  bool log;
  unit_kind unit;      /* how tick labels read */
  const char *label;
} axis;

/* The smallest 1, 2 or 5 x 10^k that cuts span into at most 7 steps. */
static double nice_step(double span) {
  static const double m[] = {1, 2, 5, 10, 20, 50, 100};
  double mag = pow(10, floor(log10(span)) - 1);
  for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
    if (span / (m[i] * mag) <= 7 * (1 + 1e-9)) return m[i] * mag;
  return 100 * mag;
}

static size_t lin_ticks(double lo, double hi, double *t, size_t max) {
  double step = nice_step(hi - lo);
  double k0 = ceil(lo / step - 1e-9);
  size_t n = 0;
  for (double k = k0; n < max && k * step <= hi + step * 1e-9; k++)
    t[n++] = fabs(k) < 0.5 ? 0 : k * step;
  return n;
}

/* m x 10^k for each multiplier m and every `every`-th k, within [lo, hi]. */
static size_t log_ticks_from(double lo, double hi, const double *mult, size_t nm, int every,
                             double *t, size_t max) {
  size_t n = 0;
  int k0 = (int)floor(log10(lo)), k1 = (int)ceil(log10(hi));
  for (int k = k0; k <= k1; k++) {
    if (((k % every) + every) % every != 0) continue;
    for (size_t i = 0; i < nm; i++) {
      double v = mult[i] * pow(10, k);
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9) && n < max) t[n++] = v;
    }
  }
  return n;
}

size_t rpt_html_log_ticks(double lo, double hi, double *ticks, size_t max) {
  static const double one[] = {1}, three[] = {1, 2, 5}, nine[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  if (ticks == NULL || max == 0 || !(lo > 0) || !(hi > lo) || !isfinite(hi)) return 0;
  int decades = (int)floor(log10(hi) + 1e-9) - (int)ceil(log10(lo) - 1e-9) + 1;
  if (decades >= 3) return log_ticks_from(lo, hi, one, 1, (decades + 7) / 8, ticks, max);
  size_t n = log_ticks_from(lo, hi, three, 3, 1, ticks, max);
  if (n >= 3) return n;
  n = log_ticks_from(lo, hi, nine, 9, 1, ticks, max);
  if (n >= 2) return n;
  return lin_ticks(lo, hi, ticks, max);
}

/* The largest 1, 2 or 5 x 10^k at or below v (up: the smallest at or above). */
static double round125(double v, bool up) {
  static const double m[] = {1, 2, 5, 10};
  double mag = pow(10, floor(log10(v)));
  if (up) {
    for (size_t i = 0; i < 4; i++)
      if (m[i] * mag >= v * (1 - 1e-12)) return m[i] * mag;
    return 10 * mag;
  }
  for (size_t i = 4; i-- > 0;)
    if (m[i] * mag <= v * (1 + 1e-12)) return m[i] * mag;
  return mag;
}

/* A linear axis over [lo, hi], widened to round values (exact: not widened, for time
 * axes that should end where the run did). */
static axis axis_linear(double lo, double hi, bool exact, unit_kind unit, const char *label) {
  if (!isfinite(lo) || !isfinite(hi)) lo = 0, hi = 1;
  if (hi <= lo) hi = lo + (lo != 0 ? fabs(lo) : 1);
  double step = nice_step(hi - lo);
  if (exact) return (axis){lo, hi, false, unit, label};
  return (axis){floor(lo / step + 1e-9) * step, ceil(hi / step - 1e-9) * step, false, unit, label};
}

static axis axis_log(double lo, double hi, unit_kind unit, const char *label) {
  if (!(lo > 0) || !isfinite(lo)) lo = 1;
  if (!(hi > lo) || !isfinite(hi)) hi = lo * 1.2, lo /= 1.2;
  return (axis){round125(lo, false), round125(hi, true), true, unit, label};
}

static size_t axis_ticks(const axis *a, double *t, size_t max) {
  return a->log ? rpt_html_log_ticks(a->lo, a->hi, t, max) : lin_ticks(a->lo, a->hi, t, max);
}

static const char *tick_text(char *buf, size_t len, const axis *a, double v) {
  if (a->unit == UNIT_NS) return rpt_html_format_ns(buf, len, v);
  if (a->unit == UNIT_SI) return fmt_si(buf, len, v);
  snprintf(buf, len, "%g", v);
  return buf;
}

/* Where v falls on the axis, 0..1 (clamped; a log axis puts v <= 0 at its start). */
static double axis_frac(const axis *a, double v) {
  double r = a->log ? (log10(v > 0 ? v : a->lo) - log10(a->lo)) / (log10(a->hi) - log10(a->lo))
                    : (v - a->lo) / (a->hi - a->lo);
  return !(r > 0) ? 0 : r > 1 ? 1 : r;
}

/* ---- SVG plot primitives ----------------------------------------------------------- */
typedef struct plot {
  FILE *f;
  axis x, y;
  double w, h;   /* the figure; the plot area is [PAD_L, PLOT_W - PAD_R] wide */
} plot;

static plot plot_make(FILE *f, axis x, axis y) { return (plot){f, x, y, PLOT_W, PLOT_H}; }

static double px(const plot *p, double x) {
  return PAD_L + axis_frac(&p->x, x) * (PLOT_W - PAD_L - PAD_R);
}
static double py(const plot *p, double y) {
  return p->h - PAD_B - axis_frac(&p->y, y) * (p->h - PAD_T - PAD_B);
}

#define GRID_LINE "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"

static void plot_axes(const plot *p) {
  FILE *f = p->f;
  double t[32], x0 = PAD_L, x1 = PLOT_W - PAD_R, y0 = p->h - PAD_B, y1 = PAD_T;
  char b[48];
  size_t n = axis_ticks(&p->x, t, 32);
  fputs("<g class=\"axes\">", f);
  for (size_t i = 0; i < n; i++) {
    double x = px(p, t[i]);
    fprintf(f, GRID_LINE, x, y0, x, y1);
    fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x, y0 + 16);
    esc(f, tick_text(b, sizeof b, &p->x, t[i]));
    fputs("</text>", f);
  }
  n = axis_ticks(&p->y, t, 32);
  for (size_t i = 0; i < n; i++) {
    double y = py(p, t[i]);
    fprintf(f, GRID_LINE, x0, y, x1, y);
    fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", x0 - 6, y + 4);
    esc(f, tick_text(b, sizeof b, &p->y, t[i]));
    fputs("</text>", f);
  }
  fprintf(f, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", x0, y1,
          x1 - x0, y0 - y1);
  fprintf(f, "<text class=\"label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", (x0 + x1) / 2,
          p->h - 10);
  esc(f, p->x.label);
  fprintf(f, "</text><text class=\"label\" transform=\"rotate(-90)\" x=\"%.1f\" y=\"16\" "
          "text-anchor=\"middle\">", -(y0 + y1) / 2);
  esc(f, p->y.label);
  fputs("</text></g>", f);
}

/* Open a figure and its svg (kind names the plot in data-plot), draw title and axes. */
static void plot_begin(plot *p, const char *kind, const char *title) {
  FILE *f = p->f;
  fprintf(f, "<figure class=\"fig\" style=\"width:%.0fpx\"><svg class=\"plot\" data-plot=\"%s\" "
          "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"",
          p->w, kind, p->w, p->h, p->w, p->h);
  esc(f, title);
  fputs("\"><title>", f);
  esc(f, title);
  fprintf(f, "</title><text class=\"ttl\" x=\"%.1f\" y=\"21\">", PAD_L);
  esc(f, title);
  fputs("</text>", f);
  plot_axes(p);
}

/* Close the svg, add the caption (plain text, escaped) and close the figure. */
static void plot_end(const plot *p, const char *caption) {
  fputs("</svg><figcaption>", p->f);
  esc(p->f, caption);
  fputs("</figcaption></figure>\n", p->f);
}

/* A line through (x[i], y[i]); points within 0.4 units of the last one drawn are
 * skipped (the last point is always drawn). cls adds "dash" or "area" styles. */
static void plot_line(const plot *p, const double *x, const double *y, size_t n, const char *cls,
                      const char *color) {
  double lx = 0, ly = 0;
  if (n == 0) return;
  fprintf(p->f, "<path class=\"line%s%s\" stroke=\"%s\" d=\"", cls ? " " : "", cls ? cls : "",
          color);
  for (size_t i = 0; i < n; i++) {
    double X = px(p, x[i]), Y = py(p, y[i]);
    if (i > 0 && i + 1 < n && fabs(X - lx) < 0.4 && fabs(Y - ly) < 0.4) continue;
    fprintf(p->f, "%c%.1f %.1f", i == 0 ? 'M' : 'L', X, Y);
    lx = X, ly = Y;
  }
  fputs("\"/>", p->f);
}

/* Per-sample marks as one path of zero-length round-capped segments (one element for
 * all of them); the caller has thinned them to the cap. */
static void plot_dots(const plot *p, const double *x, const double *y, size_t n,
                      const char *color) {
  fprintf(p->f, "<path class=\"dots\" data-points=\"%zu\" stroke=\"%s\" d=\"", n, color);
  for (size_t i = 0; i < n; i++) fprintf(p->f, "M%.1f %.1fh0", px(p, x[i]), py(p, y[i]));
  fputs("\"/>", p->f);
}

/* A horizontal reference line at y with a short label at the right end. */
static void plot_hline(const plot *p, double y, const char *label, const char *color) {
  double Y = py(p, y), x1 = PLOT_W - PAD_R;
  fprintf(p->f, "<path class=\"line dash thin\" stroke=\"%s\" d=\"M%.1f %.1fH%.1f\"/>", color,
          PAD_L, Y, x1);
  fprintf(p->f, "<text class=\"note\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", x1 - 4, Y - 4);
  esc(p->f, label);
  fputs("</text>", p->f);
}

typedef struct legend_item {
  const char *text;
  const char *color;
  const char *style;   /* "line", "dash", "dots" or "bar" */
} legend_item;

static void legend_symbol(FILE *f, const legend_item *it, double x, double y) {
  if (!strcmp(it->style, "dots"))
    fprintf(f, "<path class=\"dots solid\" stroke=\"%s\" d=\"M%.1f %.1fh0M%.1f %.1fh0M%.1f "
            "%.1fh0\"/>", it->color, x + 2, y, x + 9, y, x + 16, y);
  else if (!strcmp(it->style, "bar"))
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"9\" fill=\"%s\"/>", x, y - 5,
            it->color);
  else
    fprintf(f, "<path class=\"line%s\" stroke=\"%s\" d=\"M%.1f %.1fh18\"/>",
            !strcmp(it->style, "dash") ? " dash" : "", it->color, x, y);
}

static void legend_text(FILE *f, const char *text, double x, double y) {
  char b[LEGEND_LABEL_MAX + 8];
  fprintf(f, "<text class=\"lgt\" x=\"%.1f\" y=\"%.1f\">", x, y + 4);
  esc(f, short_label(b, sizeof b, text));
  fputs("</text>", f);
}

/* Room for a legend column at the right of the plot area: how much wider and how tall
 * the figure must be for n items. */
static void legend_column_size(const legend_item *it, size_t n, double *w, double *h) {
  size_t longest = 0;
  char b[LEGEND_LABEL_MAX + 8];
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(short_label(b, sizeof b, it[i].text));
    longest = l > longest ? l : longest;
  }
  *w = 40 + 6.6 * (double)longest;
  *h = fmax(PLOT_H, PAD_T + 17 * (double)n + PAD_B);
}

/* The legend as a column right of the plot area (the figure was made wide enough). */
static void plot_legend_column(const plot *p, const legend_item *it, size_t n) {
  double x = PLOT_W + 4, y = PAD_T + 8;
  fputs("<g class=\"legend\">", p->f);
  for (size_t i = 0; i < n; i++) {
    legend_symbol(p->f, &it[i], x, y + 17 * (double)i);
    legend_text(p->f, it[i].text, x + 24, y + 17 * (double)i);
  }
  fputs("</g>", p->f);
}

/* The legend as one row in the top margin, under the title, outside the data. */
static void plot_legend_row(const plot *p, const legend_item *it, size_t n) {
  double x = PAD_L, y = PAD_T - 13;
  char b[LEGEND_LABEL_MAX + 8];
  fputs("<g class=\"legend\">", p->f);
  for (size_t i = 0; i < n; i++) {
    legend_symbol(p->f, &it[i], x, y);
    legend_text(p->f, it[i].text, x + 24, y);
    x += 24 + 6.4 * (double)strlen(short_label(b, sizeof b, it[i].text)) + 18;
  }
  fputs("</g>", p->f);
}

/* ---- building blocks of the header ------------------------------------------------- */
int rpt_html_hist_init(rpt_html_hist *h, const rpt_sample *samples, size_t n, size_t bins) {
  if (h == NULL) return RPT_EINVAL;
  memset(h, 0, sizeof *h);
  if (samples == NULL && n > 0) return RPT_EINVAL;
  uint64_t lo = UINT64_MAX, hi = 0;
  for (size_t i = 0; i < n; i++) {
    const rpt_sample *s = &samples[i];
    if (s->lost) {
      h->lost++;
    } else if (s->completed_ns <= s->scheduled_ns) {
      h->nonpositive++;
    } else {
      uint64_t l = s->completed_ns - s->scheduled_ns;
      lo = l < lo ? l : lo;
      hi = l > hi ? l : hi;
    }
  }
  if (lo > hi) return RPT_OK; /* nothing to bin */
  if (bins == 0) bins = RPT_HTML_HIST_BINS;
  h->edges_ns = malloc((bins + 1) * sizeof *h->edges_ns);
  h->counts = calloc(bins, sizeof *h->counts);
  if (h->edges_ns == NULL || h->counts == NULL) {
    rpt_html_hist_destroy(h);
    return RPT_ENOMEM;
  }
  h->bins = bins;
  double a = (double)lo, b = (double)hi;
  if (lo == hi) a /= 1.2, b *= 1.2;
  double la = log(a), span = log(b) - la;
  for (size_t i = 0; i <= bins; i++) h->edges_ns[i] = exp(la + span * (double)i / (double)bins);
  h->edges_ns[0] = a, h->edges_ns[bins] = b;
  for (size_t i = 0; i < n; i++) {
    const rpt_sample *s = &samples[i];
    if (s->lost || s->completed_ns <= s->scheduled_ns) continue;
    double k = (log((double)(s->completed_ns - s->scheduled_ns)) - la) / span * (double)bins;
    h->counts[k <= 0 ? 0 : k >= (double)bins ? bins - 1 : (size_t)k]++;
    h->total++;
  }
  return RPT_OK;
}

void rpt_html_hist_destroy(rpt_html_hist *h) {
  if (h == NULL) return;
  free(h->edges_ns);
  free(h->counts);
  memset(h, 0, sizeof *h);
}

size_t rpt_html_thin_count(size_t n, size_t max) { return max == 0 || n <= max ? n : max; }

size_t rpt_html_thin_index(size_t k, size_t n, size_t max) {
  size_t kept = rpt_html_thin_count(n, max);
  if (kept == n) return k;
  return (size_t)((double)k * (double)n / (double)kept); /* every n/kept-th, from 0 */
}

/* ---- one run's samples, prepared for the plots ------------------------------------- */
typedef struct run_view {
  const rpt_html_run *run;
  const rpt_results *r;
  const char *label;
  char fallback[32];
  size_t index;              /* 1-based, the page's anchor run-<index> */
  const char *color;
  uint64_t *lat;             /* latencies > 0 of completed samples, sorted */
  size_t n_lat, lost, nonpositive;
  bool by_completion;        /* over-time x is the completion time (one schedule time) */
} run_view;

typedef struct page {
  FILE *f;
  const rpt_html_run *runs;
  size_t n_runs;
  run_view *views;
  rpt_html_opts o;           /* with defaults filled in */
} page;

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static void swap_d(double *a, size_t i, size_t j) {
  double t = a[i];
  a[i] = a[j], a[j] = t;
}

/* Quickselect: rearrange a[0..n) so that a[k] is the k-th smallest (from 0), with no
 * larger value before it and no smaller one after it; returns a[k]. O(n) expected. */
static double select_kth(double *a, size_t n, size_t k) {
  size_t lo = 0, hi = n - 1;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2, i = lo, j = hi;
    if (a[mid] < a[lo]) swap_d(a, lo, mid);  /* median of three: a[lo] <= pivot <= a[hi] */
    if (a[hi] < a[lo]) swap_d(a, lo, hi);
    if (a[hi] < a[mid]) swap_d(a, mid, hi);
    double pivot = a[mid];
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i > j) break;
      swap_d(a, i++, j);
      if (j-- == 0) break;
    }
    if (k <= j && j < hi)  /* [lo, j] <= pivot <= [i, hi]; values between equal it */
      hi = j;
    else if (k >= i)
      lo = i;
    else
      return a[k];
  }
  return a[k];
}

static int view_init(run_view *v, const rpt_html_run *run, size_t index) {
  memset(v, 0, sizeof *v);
  v->run = run, v->r = run->results, v->index = index;
  v->color = palette[(index - 1) % N_PALETTE];
  snprintf(v->fallback, sizeof v->fallback, "run %zu", index);
  v->label = run->label && run->label[0] ? run->label : v->fallback;
  if (run->n_samples == 0) return RPT_OK;
  if ((v->lat = malloc(run->n_samples * sizeof *v->lat)) == NULL) return RPT_ENOMEM;
  uint64_t first_sched = run->samples[0].scheduled_ns;
  bool one_schedule = true;
  for (size_t i = 0; i < run->n_samples; i++) {
    const rpt_sample *s = &run->samples[i];
    one_schedule = one_schedule && s->scheduled_ns == first_sched;
    if (s->lost)
      v->lost++;
    else if (s->completed_ns <= s->scheduled_ns)
      v->nonpositive++;
    else
      v->lat[v->n_lat++] = s->completed_ns - s->scheduled_ns;
  }
  v->by_completion = one_schedule && run->n_samples > 1;
  qsort(v->lat, v->n_lat, sizeof *v->lat, cmp_u64);
  return RPT_OK;
}

/* "N lost samples (never completed) are left out." and the like, for captions. */
static void left_out_note(char *buf, size_t len, size_t lost, size_t nonpositive) {
  size_t used = 0;
  buf[0] = '\0';
  if (lost)
    used += (size_t)snprintf(buf, len, " %zu lost sample%s (never completed) left out.", lost,
                             lost == 1 ? "" : "s");
  if (nonpositive && used < len)
    snprintf(buf + used, len - used, " %zu sample%s of 0 ns or less (a clock went "
             "backwards) left out.", nonpositive, nonpositive == 1 ? "" : "s");
}

/* ---- plots ------------------------------------------------------------------------- */
static void no_plot(FILE *f, const char *what, const char *why) {
  fputs("<p class=\"na\">", f);
  escf(f, "%s: nothing to plot (%s).", what, why);
  fputs("</p>\n", f);
}

static int plot_histogram(const page *pg, const run_view *v) {
  rpt_html_hist h;
  char caption[512], b1[32], b2[32], note[200];
  int rc = rpt_html_hist_init(&h, v->run->samples, v->run->n_samples, pg->o.hist_bins);
  if (rc != RPT_OK) return rc;
  if (h.bins == 0) {
    no_plot(pg->f, "Latency histogram", "no completed samples");
    return RPT_OK;
  }
  uint64_t most = 0;
  for (size_t i = 0; i < h.bins; i++) most = h.counts[i] > most ? h.counts[i] : most;
  plot p = plot_make(pg->f, axis_log(h.edges_ns[0], h.edges_ns[h.bins], UNIT_NS, LATENCY_AXIS),
                     axis_linear(0, (double)most, false, UNIT_SI, "samples per bin"));
  plot_begin(&p, "histogram", "Latency histogram");
  for (size_t i = 0; i < h.bins; i++) {
    if (h.counts[i] == 0) continue;
    double x0 = px(&p, h.edges_ns[i]), x1 = px(&p, h.edges_ns[i + 1]);
    double y = py(&p, (double)h.counts[i]);
    fprintf(pg->f, "<rect class=\"bar\" data-n=\"%" PRIu64 "\" x=\"%.1f\" y=\"%.1f\" "
            "width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>", h.counts[i], x0, y,
            x1 - x0 > 1.2 ? x1 - x0 - 0.6 : 0.6, py(&p, 0) - y, v->color);
    escf(pg->f, "%s to %s: %" PRIu64 " samples", rpt_html_format_ns(b1, sizeof b1, h.edges_ns[i]),
         rpt_html_format_ns(b2, sizeof b2, h.edges_ns[i + 1]), h.counts[i]);
    fputs("</title></rect>", pg->f);
  }
  left_out_note(note, sizeof note, h.lost, h.nonpositive);
  snprintf(caption, sizeof caption, "%" PRIu64 " completed samples in %zu bins spaced evenly in "
           "log(latency) from %s to %s.%s", h.total, h.bins,
           rpt_html_format_ns(b1, sizeof b1, h.edges_ns[0]),
           rpt_html_format_ns(b2, sizeof b2, h.edges_ns[h.bins]), note);
  plot_end(&p, caption);
  rpt_html_hist_destroy(&h);
  return RPT_OK;
}

/* One CDF curve: CDF_POINTS + 1 quantile levels (every sample when there are fewer). */
static int cdf_curve(const plot *p, const run_view *v, const char *color) {
  size_t m = v->n_lat <= CDF_POINTS + 1 ? v->n_lat : CDF_POINTS + 1;
  double *x = malloc((m + 1) * sizeof *x), *y = malloc((m + 1) * sizeof *y);
  if (x == NULL || y == NULL) {
    free(x), free(y);
    return RPT_ENOMEM;
  }
  x[0] = (double)v->lat[0], y[0] = 0;
  for (size_t k = 0; k < m; k++) {
    size_t i = m == v->n_lat ? k : (size_t)((double)(v->n_lat - 1) * (double)k / (double)(m - 1));
    x[k + 1] = (double)v->lat[i], y[k + 1] = (double)(i + 1) / (double)v->n_lat;
  }
  plot_line(p, x, y, m + 1, NULL, color);
  free(x), free(y);
  return RPT_OK;
}

/* The CDF of one run, or of several overlaid with a legend (overlay). */
static int plot_cdf(const page *pg, const run_view *const *vs, size_t n, bool overlay) {
  double lo = INFINITY, hi = 0;
  size_t lost = 0, nonpositive = 0, n_items = 0;
  char caption[512], note[200];
  for (size_t i = 0; i < n; i++) {
    lost += vs[i]->lost, nonpositive += vs[i]->nonpositive;
    if (vs[i]->n_lat == 0) continue;
    lo = fmin(lo, (double)vs[i]->lat[0]);
    hi = fmax(hi, (double)vs[i]->lat[vs[i]->n_lat - 1]);
  }
  if (!(hi > 0)) {
    no_plot(pg->f, "Latency CDF", "no completed samples");
    return RPT_OK;
  }
  legend_item *items = malloc(n * sizeof *items);
  if (items == NULL) return RPT_ENOMEM;
  for (size_t i = 0; i < n; i++)
    if (vs[i]->n_lat > 0) items[n_items++] = (legend_item){vs[i]->label, vs[i]->color, "line"};
  plot p = plot_make(pg->f, axis_log(lo, hi, UNIT_NS, LATENCY_AXIS),
                     axis_linear(0, 1, false, UNIT_PLAIN, "fraction of samples at or below"));
  if (overlay) {
    double wide;
    legend_column_size(items, n_items, &wide, &p.h);
    p.w += wide;
  }
  plot_begin(&p, overlay ? "cdf-overlay" : "cdf",
             overlay ? "Latency CDF, all runs" : "Latency CDF");
  plot_hline(&p, 0.5, "p50", "#8a92a0");
  plot_hline(&p, 0.99, "p99", "#8a92a0");
  int rc = RPT_OK;
  for (size_t i = 0; i < n && rc == RPT_OK; i++)
    if (vs[i]->n_lat > 0) rc = cdf_curve(&p, vs[i], vs[i]->color);
  if (overlay && rc == RPT_OK) plot_legend_column(&p, items, n_items);
  free(items);
  if (rc != RPT_OK) return rc;
  left_out_note(note, sizeof note, lost, nonpositive);
  snprintf(caption, sizeof caption, "%s fraction of completed samples whose latency is at most "
           "x.%s", overlay ? "Each curve is one run (colors repeat after 10 runs): the" : "The",
           note);
  plot_end(&p, caption);
  return RPT_OK;
}

/* A value per sample over time: (t_s[i], v_ns[i]), in issue order. */
typedef struct series {
  double *t_s, *v_ns;
  size_t n, nonpositive;
  double t_max_s;
} series;

static void series_destroy(series *s) {
  free(s->t_s);
  free(s->v_ns);
}

typedef enum { SERIES_LATENCY, SERIES_ISSUE_DELAY, SERIES_COMPLETIONS } series_kind;

/* Fill s from the run's samples: latency (completed samples), issue delay (every
 * issued sample) or completion times (value 1). Values <= 0 are counted, not kept. */
static int series_init(series *s, const run_view *v, series_kind kind) {
  const rpt_html_run *run = v->run;
  memset(s, 0, sizeof *s);
  if (run->n_samples == 0) return RPT_OK;
  s->t_s = malloc(run->n_samples * sizeof *s->t_s);
  s->v_ns = malloc(run->n_samples * sizeof *s->v_ns);
  if (s->t_s == NULL || s->v_ns == NULL) return RPT_ENOMEM;
  for (size_t i = 0; i < run->n_samples; i++) {
    const rpt_sample *x = &run->samples[i];
    double t, val;
    if (kind == SERIES_ISSUE_DELAY) {
      t = (double)x->scheduled_ns, val = (double)x->issued_ns - (double)x->scheduled_ns;
    } else if (x->lost) {
      continue;
    } else if (kind == SERIES_COMPLETIONS) {
      t = (double)x->completed_ns, val = 1;
    } else {
      t = (double)(v->by_completion ? x->completed_ns : x->scheduled_ns);
      val = (double)x->completed_ns - (double)x->scheduled_ns;
    }
    if (!(val > 0)) {
      s->nonpositive++;
      continue;
    }
    s->t_s[s->n] = t / 1e9, s->v_ns[s->n] = val;
    s->t_max_s = fmax(s->t_max_s, t / 1e9);
    s->n++;
  }
  return RPT_OK;
}

static size_t time_bins(const page *pg, size_t n) {
  size_t b = n / SAMPLES_PER_BIN;
  return b < 1 ? 1 : b > pg->o.time_bins ? pg->o.time_bins : b;
}

static size_t bin_of(double t, double t_max, size_t bins) {
  double k = t_max > 0 ? t / t_max * (double)bins : 0;
  return k <= 0 ? 0 : k >= (double)bins ? bins - 1 : (size_t)k;
}

/* Per time bin: the bin's middle, p50, p99 and max of the values; empty bins are left
 * out, so *out_n <= bins. The arrays are bins long, allocated by the caller. */
static int bin_stats(const series *s, size_t bins, double *mid, double *p50, double *p99,
                     double *mx, size_t *out_n) {
  size_t *start = calloc(bins + 1, sizeof *start), *fill = calloc(bins, sizeof *fill);
  double *sorted = malloc(s->n * sizeof *sorted);
  if (start == NULL || fill == NULL || sorted == NULL) {
    free(start), free(fill), free(sorted);
    return RPT_ENOMEM;
  }
  for (size_t i = 0; i < s->n; i++) start[bin_of(s->t_s[i], s->t_max_s, bins) + 1]++;
  for (size_t b = 0; b < bins; b++) start[b + 1] += start[b];
  for (size_t i = 0; i < s->n; i++) {
    size_t b = bin_of(s->t_s[i], s->t_max_s, bins);
    sorted[start[b] + fill[b]++] = s->v_ns[i];
  }
  *out_n = 0;
  for (size_t b = 0; b < bins; b++) {
    size_t c = start[b + 1] - start[b];
    double *x = sorted + start[b];
    if (c == 0) continue;
    size_t k = (*out_n)++, k99 = (size_t)((double)c * 0.99), k50 = c / 2;
    k99 = k99 < c ? k99 : c - 1;
    mid[k] = s->t_max_s * ((double)b + 0.5) / (double)bins;
    p99[k] = select_kth(x, c, k99);
    p50[k] = k50 < k99 ? select_kth(x, k99, k50) : p99[k];
    mx[k] = p99[k];
    for (size_t i = k99 + 1; i < c; i++) mx[k] = fmax(mx[k], x[i]);
  }
  free(start), free(fill), free(sorted);
  return RPT_OK;
}

/* Thinned scatter of s on p (at most pg->o.max_points marks); returns how many. */
static int scatter(const page *pg, const plot *p, const series *s, const char *color,
                   size_t *drawn) {
  size_t m = rpt_html_thin_count(s->n, pg->o.max_points);
  double *x = malloc((m ? m : 1) * sizeof *x), *y = malloc((m ? m : 1) * sizeof *y);
  if (x == NULL || y == NULL) {
    free(x), free(y);
    return RPT_ENOMEM;
  }
  for (size_t k = 0; k < m; k++) {
    size_t i = rpt_html_thin_index(k, s->n, pg->o.max_points);
    x[k] = s->t_s[i], y[k] = s->v_ns[i];
  }
  plot_dots(p, x, y, m, color);
  free(x), free(y);
  *drawn = m;
  return RPT_OK;
}

/* Latency or issue delay over time: thinned scatter, then p50/p99/max per time bin. */
static int plot_over_time(const page *pg, const run_view *v, series_kind kind) {
  bool lat = kind == SERIES_LATENCY;
  const char *what = lat ? "Latency over time" : "Issue delay over time";
  series s;
  double *buf = NULL;
  char caption[700], note[200], b[32];
  size_t drawn = 0, nb = 0;
  int rc = series_init(&s, v, kind);
  if (rc != RPT_OK) goto done;
  if (s.n == 0) {
    no_plot(pg->f, what, lat ? "no completed samples" : "no issue delay above 0 ns");
    goto done;
  }
  size_t bins = time_bins(pg, s.n);
  rc = RPT_ENOMEM;
  if ((buf = malloc(4 * bins * sizeof *buf)) == NULL) goto done;
  double *mid = buf, *p50 = buf + bins, *p99 = buf + 2 * bins, *mx = buf + 3 * bins;
  if ((rc = bin_stats(&s, bins, mid, p50, p99, mx, &nb)) != RPT_OK) goto done;
  double lo = INFINITY, hi = 0;
  for (size_t i = 0; i < s.n; i++) lo = fmin(lo, s.v_ns[i]), hi = fmax(hi, s.v_ns[i]);
  plot p = plot_make(pg->f, axis_linear(0, s.t_max_s, true, UNIT_PLAIN,
                                        v->by_completion && lat ? "completion time since start (s)"
                                                                : "scheduled time since start (s)"),
                     axis_log(lo, hi, UNIT_NS,
                              lat ? "latency, log scale" : "issued - scheduled, log scale"));
  plot_begin(&p, lat ? "latency-time" : "issue-delay-time", what);
  if ((rc = scatter(pg, &p, &s, v->color, &drawn)) != RPT_OK) goto done;
  plot_line(&p, mid, mx, nb, "dash", COLOR_MAX);
  plot_line(&p, mid, p99, nb, NULL, COLOR_P99);
  plot_line(&p, mid, p50, nb, NULL, COLOR_P50);
  char dots[64];
  if (drawn == s.n)
    snprintf(dots, sizeof dots, "samples");
  else
    snprintf(dots, sizeof dots, "samples, %zu shown", drawn);
  legend_item items[] = {{dots, v->color, "dots"}, {"p50 per bin", COLOR_P50, "line"},
                         {"p99 per bin", COLOR_P99, "line"}, {"max per bin", COLOR_MAX, "dash"}};
  plot_legend_row(&p, items, 4);
  left_out_note(note, sizeof note, lat ? v->lost : 0, s.nonpositive);
  char thin[96] = "";
  if (drawn < s.n)
    snprintf(thin, sizeof thin, " Dots: %zu of the samples, evenly spaced in issue order.", drawn);
  snprintf(caption, sizeof caption, "%s of %zu samples; lines: p50, p99 and max in %zu time bins "
           "of %s (in a bin of fewer than 100 samples p99 is its max).%s%s",
           lat ? "Latency"
               : "Issue delay (how late the load generator issued against the schedule)",
           s.n, bins, rpt_html_format_ns(b, sizeof b, s.t_max_s * 1e9 / (double)bins), thin, note);
  plot_end(&p, caption);
  rc = RPT_OK;
done:
  free(buf);
  series_destroy(&s);
  return rc;
}

/* Completions per time bin as a rate, with the run's mean as a dashed line. */
static int plot_throughput(const page *pg, const run_view *v) {
  series s;
  double *buf = NULL;
  char caption[400], b[32], mean_text[64];
  int rc = series_init(&s, v, SERIES_COMPLETIONS);
  if (rc != RPT_OK) goto done;
  if (s.n == 0 || !(s.t_max_s > 0)) {
    no_plot(pg->f, "Throughput over time", "no completed samples");
    goto done;
  }
  size_t bins = time_bins(pg, s.n);
  double width_s = s.t_max_s / (double)bins, most = 0, mean = (double)s.n / s.t_max_s;
  rc = RPT_ENOMEM;
  if ((buf = calloc(5 * bins + 2, sizeof *buf)) == NULL) goto done;
  double *rate = buf, *x = buf + bins, *y = buf + 3 * bins + 1;
  for (size_t i = 0; i < s.n; i++) rate[bin_of(s.t_s[i], s.t_max_s, bins)] += 1 / width_s;
  for (size_t k = 0; k < bins; k++) {  /* a step line: flat across each bin */
    x[2 * k] = width_s * (double)k, x[2 * k + 1] = width_s * (double)(k + 1);
    y[2 * k] = y[2 * k + 1] = rate[k];
    most = fmax(most, rate[k]);
  }
  plot p = plot_make(pg->f,
                     axis_linear(0, s.t_max_s, true, UNIT_PLAIN, "completion time since start (s)"),
                     axis_linear(0, most, false, UNIT_SI, "completed samples per second"));
  plot_begin(&p, "throughput-time", "Throughput over time");
  plot_line(&p, x, y, 2 * bins, "area", v->color);
  snprintf(mean_text, sizeof mean_text, "mean %s/s", fmt_si(b, sizeof b, mean));
  plot_hline(&p, mean, mean_text, COLOR_P50);
  snprintf(caption, sizeof caption, "Completed samples per bin of %s, as a rate; dashed: the "
           "mean over the run (%zu completions / %.3f s).",
           rpt_html_format_ns(b, sizeof b, width_s * 1e9), s.n, s.t_max_s);
  plot_end(&p, caption);
  rc = RPT_OK;
done:
  free(buf);
  series_destroy(&s);
  return rc;
}

static bool positive(rpt_opt_f64 v) { return v.set && isfinite(v.v) && v.v > 0; }

static bool roofline_drawable(const rpt_roofline *r) {
  return r->present && positive(r->achieved_flops) && positive(r->arithmetic_intensity) &&
         positive(r->peak_flops) && positive(r->bandwidth_bytes_per_s);
}

/* Log-log: the memory roof up to the ridge point, the compute roof after it, the run. */
static void plot_roofline(const page *pg, const run_view *v) {
  const rpt_roofline *r = &v->r->roofline;
  double ai = r->arithmetic_intensity.v, got = r->achieved_flops.v;
  double peak = r->peak_flops.v, bw = r->bandwidth_bytes_per_s.v, ridge = peak / bw;
  char caption[600], b1[32], b2[32], t1[96], t2[96], t3[96], frac[32] = "?", att[32] = "?";
  axis x = axis_log(fmin(ai, ridge) / 10, fmax(ai, ridge) * 10, UNIT_PLAIN,
                    "arithmetic intensity (FLOP/byte), log scale");
  plot p = plot_make(pg->f, x,
                     axis_log(fmin(got / 3, bw * x.lo), peak * 3, UNIT_SI, "FLOP/s, log scale"));
  plot_begin(&p, "roofline", "Roofline");
  double mx[] = {x.lo, ridge}, my[] = {bw * x.lo, peak}, cx[] = {ridge, x.hi}, cy[] = {peak, peak};
  plot_line(&p, mx, my, 2, "roof", COLOR_ROOF);
  plot_line(&p, cx, cy, 2, "roof", COLOR_ROOF);
  fprintf(pg->f, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"%s\"><title>",
          px(&p, ai), py(&p, got), v->color);
  escf(pg->f, "%sFLOP/s at %g FLOP/byte", fmt_si(b1, sizeof b1, got), ai);
  fputs("</title></circle>", pg->f);
  snprintf(t1, sizeof t1, "memory %sB/s", fmt_si(b1, sizeof b1, bw));
  snprintf(t2, sizeof t2, "compute %sFLOP/s", fmt_si(b2, sizeof b2, peak));
  snprintf(t3, sizeof t3, "this run %sFLOP/s", fmt_si(b1, sizeof b1, got));
  legend_item items[] = {
      {t1, COLOR_ROOF, "line"}, {t2, COLOR_ROOF, "line"}, {t3, v->color, "dots"}};
  plot_legend_row(&p, items, 3);
  if (r->fraction.set) snprintf(frac, sizeof frac, "%.3g %%", r->fraction.v * 100);
  if (r->attainable_flops.set) fmt_si(att, sizeof att, r->attainable_flops.v);
  snprintf(caption, sizeof caption, "Hardware profile %s, %s roofs. Ridge point %.3g FLOP/byte. "
           "The run reaches %s of the attainable %sFLOP/s at its intensity%s%s%s.",
           r->profile ? r->profile : "(unnamed)", r->precision ? r->precision : "peak", ridge,
           frac, att, r->bound ? " (" : "",
           r->bound ? r->bound : "", r->bound ? "-bound)" : "");
  if (r->cores_used.set && r->peak_flops_cores_used.set && r->fraction_of_peak_cores_used.set) {
    size_t used = strlen(caption);
    snprintf(caption + used, sizeof caption - used,
             " Against the peak of the %" PRIu64 " core%s the SUT ran on (%sFLOP/s): %.3g %%.",
             r->cores_used.v, r->cores_used.v == 1 ? "" : "s",
             fmt_si(b2, sizeof b2, r->peak_flops_cores_used.v),
             r->fraction_of_peak_cores_used.v * 100);
  }
  plot_end(&p, caption);
}

/* ---- tables ------------------------------------------------------------------------ */
static void cell(FILE *f, const char *s) {
  fputs("<td>", f);
  esc_or(f, s, "unavailable");
  fputs("</td>", f);
}

static void cell_num(FILE *f, const char *s) {
  fputs("<td class=\"n\">", f);
  esc(f, s);
  fputs("</td>", f);
}

/* A duration cell: readable, with the exact nanoseconds on hover. */
static void cell_ns(FILE *f, double ns) {
  char b[32];
  fprintf(f, "<td class=\"n\" title=\"%.0f ns\">", ns);
  esc(f, rpt_html_format_ns(b, sizeof b, ns));
  fputs("</td>", f);
}

static void head_row(FILE *f, const char *const *h, size_t n) {
  fputs("<thead><tr>", f);
  for (size_t i = 0; i < n; i++) {
    fputs("<th>", f);
    esc(f, h[i]);
    fputs("</th>", f);
  }
  fputs("</tr></thead>", f);
}

/* <tr><th>key</th><td>value</td></tr>; NULL value reads "unavailable". */
static void kv(FILE *f, const char *key, const char *value) {
  fputs("<tr><th>", f);
  esc(f, key);
  fputs("</th>", f);
  cell(f, value);
  fputs("</tr>", f);
}

static void kv_u64(FILE *f, const char *key, rpt_opt_u64 v) {
  char b[32];
  if (v.set) snprintf(b, sizeof b, "%" PRIu64, v.v);
  if (v.set) kv(f, key, b);
}

static void kv_f64(FILE *f, const char *key, rpt_opt_f64 v, const char *unit) {
  char b[48], t[64];
  if (!v.set) return;
  snprintf(t, sizeof t, "%s%s%s", rpt__num(b, sizeof b, v.v), unit ? " " : "", unit ? unit : "");
  kv(f, key, t);
}

static void kv_bytes(FILE *f, const char *key, rpt_opt_u64 v) {
  char b[32];
  if (v.set) kv(f, key, fmt_bytes(b, sizeof b, v.v));
}

static void write_validity(FILE *f, const rpt_run_result *res) {
  if (!res->valid.set) {
    fputs("<span class=\"nj\">not judged</span> ", f);
    escf(f, "(%s mode)", res->mode ? res->mode : "unknown");
    return;
  }
  fputs(res->valid.v ? "<span class=\"valid\">VALID</span>"
                     : "<span class=\"invalid\">INVALID</span>", f);
  if (!res->valid.v && res->reasons.count == 0) fputs(" (no reason recorded)", f);
  if (res->reasons.count == 0) return;
  fputs("<ul class=\"reasons\">", f);
  for (size_t i = 0; i < res->reasons.count; i++) {
    const rpt_reason *why = &res->reasons.items[i];
    fputs("<li>", f);
    esc_or(f, why->text, why->code);
    fputs(" <code>", f);
    esc(f, why->code);
    fputs("</code></li>", f);
  }
  fputs("</ul>", f);
}

static void write_metric(FILE *f, const rpt_metric *m) {
  char v[48], lo[48], hi[48], h[32];
  const char *unit = m->unit ? m->unit : "";
  esc_or(f, m->name, "metric");
  fputs("<br><b>", f);
  if (!m->value.set) {
    fputs("unavailable</b>", f);
    return;
  }
  escf(f, "%s %s", rpt__num(v, sizeof v, m->value.v), unit);
  if (!strcmp(unit, "ns")) escf(f, " (%s)", rpt_html_format_ns(h, sizeof h, m->value.v));
  fputs("</b><br><span class=\"ci\">", f);
  if (m->ci_low.set && m->ci_high.set)
    escf(f, "99%% CI [%s, %s] %s (%s)", rpt__num(lo, sizeof lo, m->ci_low.v),
         rpt__num(hi, sizeof hi, m->ci_high.v), unit, m->ci_method ? m->ci_method : "method not stated");
  else
    fputs("99% CI unavailable", f);
  fputs("</span>", f);
}

static void summary_row(FILE *f, const run_view *v) {
  const rpt_results *r = v->r;
  fprintf(f, "<tr><td><a href=\"#run-%zu\">", v->index);
  esc(f, v->label);
  fputs("</a></td><td>", f);
  esc_or(f, r->workload.name, "unavailable");
  for (size_t i = 0; i < r->workload.params.count; i++) {
    fputs(i == 0 ? "<br><span class=\"small\">" : ", ", f);
    escf(f, "%s=%s", r->workload.params.items[i].key,
         r->workload.params.items[i].value ? r->workload.params.items[i].value : "");
    if (i + 1 == r->workload.params.count) fputs("</span>", f);
  }
  fputs("</td>", f);
  cell(f, r->result.scenario);
  cell(f, r->result.mode);
  fputs("<td>", f);
  write_metric(f, &r->result.metric);
  fputs("</td><td>", f);
  write_validity(f, &r->result);
  fputs("</td><td>", f);
  escf(f, "%s on %s", r->sut.name ? r->sut.name : "unavailable",
       r->sut.device ? r->sut.device : "unavailable");
  if (r->sut.threads.set) escf(f, ", %" PRIu64 " threads", r->sut.threads.v);
  fputs("</td><td>", f);
  escf(f, "%s: %s, %s %s", r->host.hostname ? r->host.hostname : "unavailable",
       r->host.cpu_model ? r->host.cpu_model : "CPU unavailable", r->host.os ? r->host.os : "",
       r->host.kernel ? r->host.kernel : "");
  fputs("</td><td>", f);
  esc_or(f, r->build.git_describe, "unavailable");
  fputs("<br><span class=\"small\">", f);
  esc(f, r->build.created_utc);
  fputs("</span></td></tr>\n", f);
}

static void write_summary(const page *pg) {
  static const char *const h[] = {"Run", "Workload", "Scenario", "Mode", "Metric (99% CI)",
                                  "Validity", "SUT", "Host", "Build"};
  fputs("<h2 id=\"summary\">Summary</h2>\n<table class=\"summary\">", pg->f);
  head_row(pg->f, h, sizeof h / sizeof h[0]);
  fputs("<tbody>\n", pg->f);
  for (size_t i = 0; i < pg->n_runs; i++) summary_row(pg->f, &pg->views[i]);
  fputs("</tbody></table>\n", pg->f);
}

static void latency_row(FILE *f, const char *what, const rpt_latency *l) {
  char b[32];
  if (!l->present) return;
  fputs("<tr><th>", f);
  esc(f, what);
  fputs("</th>", f);
  snprintf(b, sizeof b, "%" PRIu64, l->count);
  cell_num(f, b);
  const double v[] = {(double)l->min_ns, l->mean_ns, (double)l->p50_ns, (double)l->p90_ns,
                      (double)l->p95_ns, (double)l->p99_ns, (double)l->p999_ns, (double)l->max_ns};
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) cell_ns(f, v[i]);
  fputs("</tr>", f);
}

static void write_stats(FILE *f, const run_view *v) {
  static const char *const h[] = {"", "count", "min", "mean", "p50", "p90",
                                  "p95", "p99", "p99.9", "max"};
  const rpt_run_result *res = &v->r->result;
  const rpt_counts *c = &res->counts;
  char b[48], d[32];
  fputs("<p class=\"counts\">", f);
  escf(f, "%" PRIu64 " samples issued in %" PRIu64 " queries, %" PRIu64 " completed, %" PRIu64
       " lost", c->samples_issued, c->queries_issued, c->samples_completed, c->samples_lost);
  if (c->duplicate_completions || c->unknown_completions || c->late_completions)
    escf(f, "; %" PRIu64 " duplicate, %" PRIu64 " unknown, %" PRIu64 " late completions",
         c->duplicate_completions, c->unknown_completions, c->late_completions);
  if (res->samples_per_s.set) escf(f, "; %s samples/s", rpt__num(b, sizeof b, res->samples_per_s.v));
  if (res->durations.duration_ns.set)
    escf(f, "; duration %s", rpt_html_format_ns(d, sizeof d, (double)res->durations.duration_ns.v));
  fputs(".</p>\n", f);
  if (v->run->n_samples != c->samples_issued) {
    fputs("<p class=\"warn\">", f);
    escf(f, "samples.csv has %zu rows but results.json counts %" PRIu64 " samples issued.",
         v->run->n_samples, c->samples_issued);
    fputs("</p>\n", f);
  }
  if (!res->latency.present && !res->query_latency.present && !res->issue_delay.present) return;
  fputs("<table class=\"stats\">", f);
  head_row(f, h, sizeof h / sizeof h[0]);
  fputs("<tbody>", f);
  latency_row(f, "latency per sample", &res->latency);
  latency_row(f, "latency per query", &res->query_latency);
  if (res->scenario && !strcmp(res->scenario, "Server"))
    latency_row(f, "issue delay", &res->issue_delay);
  fputs("</tbody></table>\n", f);
}

static void write_counters(FILE *f, const rpt_counters *c) {
  static const char *const h[] = {"counter", "source", "total", "per inference", "unit"};
  char b[48];
  fputs("<h3>Counters</h3>\n", f);
  if (!c->present) {
    fputs("<p class=\"na\">Not collected in this run (see <code>--counters</code>).</p>\n", f);
    return;
  }
  fputs("<p class=\"small\">Over the timed region, summed over the SUT workers; "
        "requested: <code>", f);
  esc_or(f, c->requested, "unavailable");
  fputs("</code>.</p><table class=\"counters\">", f);
  head_row(f, h, sizeof h / sizeof h[0]);
  fputs("<tbody>", f);
  for (size_t i = 0; i < c->items.count; i++) {
    const rpt_counter *k = &c->items.items[i];
    fputs("<tr>", f);
    cell(f, k->name);
    cell(f, k->source);
    if (k->available && k->total.set) {
      cell_num(f, rpt__num(b, sizeof b, k->total.v));
      cell_num(f, k->per_inference.set ? rpt__num(b, sizeof b, k->per_inference.v) : "unavailable");
      cell(f, k->unit);
    } else {
      fputs("<td colspan=\"3\" class=\"na\">unavailable: ", f);
      esc_or(f, k->reason, "no reason given");
      fputs("</td>", f);
    }
    fputs("</tr>", f);
  }
  if (c->ipc.set) {
    fputs("<tr><td>IPC</td><td>derived</td>", f);
    cell_num(f, rpt__num(b, sizeof b, c->ipc.v));
    fputs("<td></td><td>instructions per cycle</td></tr>", f);
  }
  fputs("</tbody></table>\n", f);
}

static void write_energy(FILE *f, const rpt_energy *e) {
  bool estimate = e->estimate.set && e->estimate.v;
  char b[96];
  fputs(estimate ? "<h3>Energy (ESTIMATE)</h3>\n" : "<h3>Energy</h3>\n", f);
  if (!e->present) {
    fputs("<p class=\"na\">Not measured in this run (see <code>--energy</code>).</p>\n", f);
    return;
  }
  fputs("<table class=\"energy\"><tbody>", f);
  kv(f, "requested", e->requested);
  if (!e->available) {
    fputs("<tr><th>energy</th><td class=\"na\">unavailable: ", f);
    esc_or(f, e->reason, "no reason given");
    fputs("</td></tr></tbody></table>\n", f);
    return;
  }
  snprintf(b, sizeof b, "%s%s", e->source ? e->source : "unavailable",
           estimate ? " (estimate, not a measurement)" : "");
  kv(f, "source", b);
  kv(f, "method", e->method);
  kv_f64(f, "energy", e->joules, "J");
  kv_f64(f, "average power", e->avg_watts, "W");
  kv_f64(f, "energy per inference", e->joules_per_inference, "J");
  kv_f64(f, "interval", e->interval_s, "s");
  kv_f64(f, "sampling interval", e->sampling_interval_s, "s");
  for (size_t i = 0; i < e->domains.count; i++) {
    char t[64];
    snprintf(t, sizeof t, "%s J", rpt__num(b, sizeof b, e->domains.items[i].joules));
    kv(f, e->domains.items[i].name, t);
  }
  fputs("</tbody></table>\n", f);
}

static void write_accuracy(FILE *f, const rpt_accuracy *a) {
  char b[32];
  if (!a->present) return;
  fputs("<h3>Accuracy</h3>\n<table class=\"accuracy\"><tbody>", f);
  snprintf(b, sizeof b, "%" PRIu64, a->samples);
  kv(f, "samples checked", b);
  kv_f64(f, "top-1 agreement with the fp32 reference", a->top1_agreement, NULL);
  kv_f64(f, "max abs error", a->max_abs_error, NULL);
  snprintf(b, sizeof b, "%" PRIu64, a->missing);
  kv(f, "missing outputs", b);
  if (a->dataset) kv(f, "dataset", a->dataset);
  kv_f64(f, "top-1 accuracy (labels)", a->top1_accuracy, NULL);
  kv_f64(f, "AUC (labels)", a->auc, NULL);
  fputs("</tbody></table>\n", f);
}

static void write_find_peak(FILE *f, const rpt_find_peak *fp) {
  static const char *const h[] = {"target QPS", "result", "p99 latency", "duration"};
  char b[48];
  if (!fp->peak_qps.set && fp->probes.count == 0) return;
  fputs("<h3>Find-peak probes</h3>\n<p>", f);
  escf(f, "Peak QPS: %s", fp->peak_qps.set ? rpt__num(b, sizeof b, fp->peak_qps.v) : "none found");
  fputs("</p><table class=\"probes\">", f);
  head_row(f, h, 4);
  fputs("<tbody>", f);
  for (size_t i = 0; i < fp->probes.count; i++) {
    const rpt_probe *q = &fp->probes.items[i];
    fputs("<tr>", f);
    cell_num(f, rpt__num(b, sizeof b, q->target_qps));
    fputs(q->valid ? "<td class=\"valid\">VALID</td>" : "<td class=\"invalid\">INVALID</td>", f);
    cell_ns(f, (double)q->p99_ns);
    cell_ns(f, (double)q->duration_ms * 1e6);
    fputs("</tr>", f);
  }
  fputs("</tbody></table>\n", f);
}

static void write_roofline_text(FILE *f, const rpt_roofline *r) {
  if (!r->present || roofline_drawable(r)) return;
  fputs("<h3>Roofline</h3>\n<p class=\"na\">", f);
  escf(f, "Hardware profile %s (%s): unavailable: %s", r->profile ? r->profile : "unavailable",
       r->precision ? r->precision : "?", r->reason ? r->reason : "the numbers are missing");
  fputs("</p>\n", f);
}

static void write_settings(FILE *f, const rpt_results *r) {
  static const char *const h[] = {"setting", "value", "source"};
  size_t changed = 0;
  for (size_t i = 0; i < r->settings.count; i++)
    changed += r->settings.items[i].source && strcmp(r->settings.items[i].source, "default") != 0;
  fputs("<details class=\"settings\"><summary>", f);
  escf(f, "Settings (%zu, %zu not default)", r->settings.count, changed);
  fputs("</summary><table>", f);
  head_row(f, h, 3);
  fputs("<tbody>", f);
  for (size_t i = 0; i < r->settings.count; i++) {
    const rpt_setting *s = &r->settings.items[i];
    bool dflt = s->source == NULL || !strcmp(s->source, "default");
    fputs(dflt ? "<tr>" : "<tr class=\"set\">", f);
    cell(f, s->key);
    cell(f, s->value);
    cell(f, s->source);
    fputs("</tr>", f);
  }
  fputs("</tbody></table>", f);
  const char *seed_names[] = {"qsl_rng_seed", "sample_index_rng_seed", "schedule_rng_seed",
                              "accuracy_log_rng_seed"};
  const rpt_opt_u64 seeds[] = {r->seeds.qsl_rng_seed, r->seeds.sample_index_rng_seed,
                               r->seeds.schedule_rng_seed, r->seeds.accuracy_log_rng_seed};
  fputs("<table><tbody>", f);
  for (size_t i = 0; i < 4; i++) /* the seeds block, where the settings do not list them */
    if (rpt_results_find_setting(r, seed_names[i]) == NULL) kv_u64(f, seed_names[i], seeds[i]);
  fputs("</tbody></table></details>\n", f);
}

/* s as one shell word (single-quoted unless plain), HTML-escaped. */
static void shell_word(FILE *f, const char *s) {
  static const char plain[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                              "0123456789@%+=:,./_-";
  if (s[0] != '\0' && strspn(s, plain) == strlen(s)) {
    esc(f, s);
    return;
  }
  esc_char(f, '\'');
  for (; *s; s++) {
    if (*s == '\'')
      esc(f, "'\\''");
    else
      esc_char(f, *s);
  }
  esc_char(f, '\'');
}

static void section_row(FILE *f, const char *title) {
  fputs("<tr class=\"sec\"><th colspan=\"2\">", f);
  esc(f, title);
  fputs("</th></tr>", f);
}

static void write_host(FILE *f, const rpt_host *h) {
  const rpt_topology *t = &h->topology;
  char b[200];
  section_row(f, "Host");
  kv(f, "hostname", h->hostname);
  snprintf(b, sizeof b, "%s %s", h->os ? h->os : "unavailable", h->kernel ? h->kernel : "");
  kv(f, "OS and kernel", b);
  kv(f, "CPU", h->cpu_model);
  if (h->hardware_profile) kv(f, "hardware profile", h->hardware_profile);
  kv_u64(f, "packages", t->packages);
  kv_u64(f, "cores", t->cores);
  kv_u64(f, "PUs (hardware threads)", t->pus);
  kv_u64(f, "NUMA nodes", t->numa_nodes);
  kv_bytes(f, "L1d cache (one)", t->l1d_bytes);
  kv_bytes(f, "L2 cache (one)", t->l2_bytes);
  kv_bytes(f, "L3 cache (one)", t->l3_bytes);
}

static void write_sut(FILE *f, const rpt_sut *s) {
  char b[64];
  section_row(f, "SUT");
  kv(f, "name", s->name);
  kv(f, "device", s->device);
  kv_u64(f, "threads", s->threads);
  kv_u64(f, "batch", s->batch);
  if (s->inline_completion.set) kv(f, "completes inline", s->inline_completion.v ? "yes" : "no");
  if (s->pinning) kv(f, "pinning", s->pinning);
  for (size_t i = 0; i < s->worker_cpus.count; i++) {
    snprintf(b, sizeof b, "worker %zu cpus", i);
    kv(f, b, s->worker_cpus.items[i]);
  }
  if (s->loadgen_cpus) kv(f, "loadgen thread cpus", s->loadgen_cpus);
}

static void write_workload(FILE *f, const rpt_workload *w) {
  section_row(f, "Workload");
  kv(f, "name", w->name);
  if (w->description) kv(f, "description", w->description);
  if (w->input_shape) kv(f, "input", w->input_shape);
  if (w->output_shape) kv(f, "output", w->output_shape);
  for (size_t i = 0; i < w->params.count; i++)
    kv(f, w->params.items[i].key, w->params.items[i].value);
  kv_u64(f, "MACs per inference", w->macs);
  kv_u64(f, "FLOPs per inference", w->flops);
  kv_u64(f, "bytes moved per inference", w->bytes_moved);
  kv_u64(f, "weight seed", w->weight_seed);
}

static void write_build(FILE *f, const rpt_build *b) {
  section_row(f, "Build");
  kv(f, "git describe", b->git_describe);
  if (b->tool_version) kv(f, "tool version", b->tool_version);
  kv(f, "created (UTC)", b->created_utc);
  if (b->command.count == 0) return;
  fputs("<tr><th>command</th><td><code class=\"cmd\">mlsysbench", f);
  for (size_t i = 0; i < b->command.count; i++) {
    fputc(' ', f);
    shell_word(f, b->command.items[i] ? b->command.items[i] : "");
  }
  fputs("</code></td></tr>", f);
}

static void write_system(FILE *f, const rpt_results *r) {
  fputs("<details class=\"system\"><summary>System: host, topology, SUT and worker cpus, "
        "workload, build</summary><table><tbody>", f);
  write_host(f, &r->host);
  write_sut(f, &r->sut);
  write_workload(f, &r->workload);
  write_build(f, &r->build);
  fputs("</tbody></table></details>\n", f);
}

/* ---- the page ---------------------------------------------------------------------- */
static const char css[] =
    ":root{color-scheme:light}"
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,"
    "'Liberation Sans',sans-serif;color:#1f2430;background:#fff;margin:0 auto;max-width:1240px;"
    "padding:12px 20px 40px}"
    "h1{font-size:22px;margin:8px 0 2px}"
    "h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d8dce3;padding-bottom:4px}"
    "h3{font-size:15px;margin:18px 0 6px}"
    ".sub,figcaption,.na,.small,.ci{color:#5b6372;font-size:12.5px}"
    ".warn{color:#8a4b00;font-weight:600}"
    "table{border-collapse:collapse;margin:6px 0 10px;font-size:13px}"
    "th,td{border:1px solid #d8dce3;padding:4px 8px;text-align:left;vertical-align:top}"
    "thead th{background:#f2f4f7}tbody th{font-weight:600;background:#fafbfc}"
    "tr.sec th{background:#e9edf3}tr.set td{background:#fff8e1}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "table.summary{width:100%}"
    ".valid{color:#0b6b2c;font-weight:700}.invalid{color:#b3261e;font-weight:700}"
    ".nj{color:#5b6372;font-weight:700}"
    ".reasons{margin:4px 0 0;padding-left:18px}.verdict{margin:8px 0}"
    "code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,'DejaVu Sans Mono',monospace;"
    "background:#f2f4f7;padding:0 3px;border-radius:3px}"
    "code.cmd{white-space:pre-wrap;word-break:break-all}"
    ".plots{display:flex;flex-wrap:wrap;gap:14px 18px;margin:8px 0}"
    "figure{margin:0;max-width:100%}"
    "figcaption{margin-top:2px}"
    "svg.plot{display:block;max-width:100%;height:auto;background:#fff;"
    "border:1px solid #e3e6eb;border-radius:4px}"
    "svg text{font-family:inherit}"
    "svg .grid{stroke:#e6e8ec;stroke-width:1}"
    "svg .frame{fill:none;stroke:#8a92a0}"
    "svg .tick{font-size:12px;fill:#3c4350}"
    "svg .label{font-size:12.5px;fill:#1f2430}"
    "svg .ttl{font-size:14px;font-weight:600;fill:#1f2430}"
    "svg .note{font-size:11px;fill:#5b6372;paint-order:stroke;stroke:#fff;stroke-width:3px}"
    "svg .line{fill:none;stroke-width:1.8;stroke-linejoin:round}"
    "svg .thin{stroke-width:1}"
    "svg .dash{stroke-dasharray:5 4}"
    "svg .roof{stroke-width:2.5}"
    "svg .area{stroke-width:1.5}"
    "svg .dots{fill:none;stroke-width:3;stroke-linecap:round;stroke-opacity:.3}"
    "svg .dots.solid{stroke-opacity:.8}"
    "svg .pt{stroke:#fff;stroke-width:1.5}"
    "svg .lg{fill:#fff;fill-opacity:.92;stroke:#c9ced6}"
    "svg .lgt{font-size:12px;fill:#1f2430}"
    "details{margin:8px 0;border:1px solid #d8dce3;border-radius:4px;padding:4px 10px}"
    "summary{cursor:pointer;font-weight:600;padding:2px 0}"
    "footer{margin-top:32px;color:#5b6372;font-size:12px}";

static void page_head(const page *pg, const char *title) {
  FILE *f = pg->f;
  fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">\n<title>", f);
  esc(f, title);
  fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<header><h1>", css);
  esc(f, title);
  fputs("</h1><p class=\"sub\">", f);
  escf(f, "%zu run%s. Latency is measured from each sample's scheduled time to its completion.",
       pg->n_runs, pg->n_runs == 1 ? "" : "s");
  fputs("</p></header>\n", f);
}

static int write_run(const page *pg, const run_view *v) {
  FILE *f = pg->f;
  const rpt_results *r = v->r;
  const char *scenario = r->result.scenario;
  int rc;
  fprintf(f, "<section class=\"run\" id=\"run-%zu\">\n<h2>", v->index);
  if (pg->n_runs > 1) fprintf(f, "%zu. ", v->index);
  esc(f, v->label);
  fputs("</h2>\n<div class=\"verdict\">", f);
  escf(f, "%s, %s, %s mode: ", r->workload.name ? r->workload.name : "unavailable",
       scenario ? scenario : "unavailable", r->result.mode ? r->result.mode : "unavailable");
  write_validity(f, &r->result);
  fputs("</div>\n", f);
  write_stats(f, v);
  fputs("<div class=\"plots\">\n", f);
  if ((rc = plot_histogram(pg, v)) != RPT_OK) return rc;
  if (pg->n_runs == 1 && (rc = plot_cdf(pg, &v, 1, false)) != RPT_OK) return rc;
  if ((rc = plot_over_time(pg, v, SERIES_LATENCY)) != RPT_OK) return rc;
  if (scenario && !strcmp(scenario, "Server") &&
      (rc = plot_over_time(pg, v, SERIES_ISSUE_DELAY)) != RPT_OK)
    return rc;
  if ((rc = plot_throughput(pg, v)) != RPT_OK) return rc;
  if (roofline_drawable(&r->roofline)) plot_roofline(pg, v);
  fputs("</div>\n", f);
  write_accuracy(f, &r->accuracy);
  write_find_peak(f, &r->result.find_peak);
  write_counters(f, &r->counters);
  write_energy(f, &r->energy);
  write_roofline_text(f, &r->roofline);
  write_settings(f, r);
  write_system(f, r);
  fputs("</section>\n", f);
  return RPT_OK;
}

static int write_page(page *pg) {
  char title[512];
  int rc = RPT_OK;
  if (pg->o.title)
    snprintf(title, sizeof title, "%s", pg->o.title);
  else if (pg->n_runs == 1)
    snprintf(title, sizeof title, "mlsysbench report: %s", pg->views[0].label);
  else
    snprintf(title, sizeof title, "mlsysbench report: %zu runs", pg->n_runs);
  page_head(pg, title);
  write_summary(pg);
  if (pg->n_runs > 1) {
    const run_view **vs = malloc(pg->n_runs * sizeof *vs);
    if (vs == NULL) return RPT_ENOMEM;
    for (size_t i = 0; i < pg->n_runs; i++) vs[i] = &pg->views[i];
    fputs("<section class=\"overlay\"><h2>Latency CDF, all runs</h2>\n<div class=\"plots\">\n",
          pg->f);
    rc = plot_cdf(pg, vs, pg->n_runs, true);
    free(vs);
    if (rc != RPT_OK) return rc;
    fputs("</div></section>\n", pg->f);
  }
  for (size_t i = 0; i < pg->n_runs && rc == RPT_OK; i++) rc = write_run(pg, &pg->views[i]);
  if (rc != RPT_OK) return rc;
  fputs("<footer>", pg->f);
  escf(pg->f, "One self-contained file: inline CSS and SVG, no scripts, no network.%s%s",
       pg->o.generator ? " Written by " : "", pg->o.generator ? pg->o.generator : "");
  fputs("</footer>\n</body>\n</html>\n", pg->f);
  return RPT_OK;
}

static void opts_fill(rpt_html_opts *o, const rpt_html_opts *given) {
  if (given) *o = *given;
  else memset(o, 0, sizeof *o);
  if (o->max_points == 0) o->max_points = RPT_HTML_MAX_POINTS;
  if (o->hist_bins == 0) o->hist_bins = RPT_HTML_HIST_BINS;
  if (o->time_bins == 0) o->time_bins = RPT_HTML_TIME_BINS;
}

int rpt_html_write(FILE *f, const rpt_html_run *runs, size_t n_runs, const rpt_html_opts *opts,
                   char *err, size_t errlen) {
  if (f == NULL || runs == NULL || n_runs == 0)
    return rpt__errf(err, errlen, RPT_EINVAL, "no output or no runs");
  for (size_t i = 0; i < n_runs; i++)
    if (runs[i].results == NULL || (runs[i].samples == NULL && runs[i].n_samples > 0))
      return rpt__errf(err, errlen, RPT_EINVAL, "run %zu has no results or no samples", i + 1);
  page pg = {f, runs, n_runs, calloc(n_runs, sizeof *pg.views), {0}};
  opts_fill(&pg.o, opts);
  int rc = pg.views == NULL ? RPT_ENOMEM : RPT_OK;
  for (size_t i = 0; i < n_runs && rc == RPT_OK; i++) rc = view_init(&pg.views[i], &runs[i], i + 1);
  if (rc == RPT_OK) rc = write_page(&pg);
  for (size_t i = 0; pg.views && i < n_runs; i++) free(pg.views[i].lat);
  free(pg.views);
  if (rc == RPT_ENOMEM) return rpt__errf(err, errlen, rc, "out of memory");
  if (rc == RPT_OK && ferror(f)) return rpt__errf(err, errlen, RPT_EIO, "cannot write the report");
  return rc;
}

int rpt_html_write_file(const char *path, const rpt_html_run *runs, size_t n_runs,
                        const rpt_html_opts *opts, char *err, size_t errlen) {
  if (path == NULL || path[0] == '\0') return rpt__errf(err, errlen, RPT_EINVAL, "no path");
  size_t len = strlen(path) + sizeof ".tmp-XXXXXX";
  char *tmp = malloc(len);
  if (tmp == NULL) return rpt__errf(err, errlen, RPT_ENOMEM, "%s: out of memory", path);
  snprintf(tmp, len, "%s.tmp-XXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    int e = errno;
    free(tmp);
    return rpt__errf(err, errlen, RPT_EIO, "%s: cannot create a temporary file beside it: %s",
                     path, strerror(e));
  }
  FILE *f = fdopen(fd, "w");
  if (f == NULL) {
    close(fd);
    unlink(tmp);
    free(tmp);
    return rpt__errf(err, errlen, RPT_ENOMEM, "%s: out of memory", path);
  }
  setvbuf(f, NULL, _IOFBF, 1 << 16);
  int rc = rpt_html_write(f, runs, n_runs, opts, err, errlen);
  bool ok = fchmod(fd, 0644) == 0 && fflush(f) == 0 && fsync(fd) == 0;
  int e = errno;
  if (fclose(f) != 0 && ok) ok = false, e = errno;
  if (rc == RPT_OK && !ok)
    rc = rpt__errf(err, errlen, RPT_EIO, "%s: cannot write: %s", tmp, strerror(e));
  if (rc == RPT_OK && rename(tmp, path) != 0)
    rc = rpt__errf(err, errlen, RPT_EIO, "%s: cannot rename %s to it: %s", path, tmp,
                   strerror(errno));
  if (rc != RPT_OK) unlink(tmp);
  free(tmp);
  return rc;
}
