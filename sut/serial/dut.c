/*
 * sut/serial/dut.c - one MLPerf Tiny command at a time over a serial port: framing,
 * the read-until-m-ready loop with a deadline, the answer's fields, and the name,
 * profile, db and infer commands; see dut.h.
 */
#include "sut/serial/dut.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sut/serial/line.h"
#include "sut/serial/port.h"

#define DEFAULT_BAUD 115200
#define DEFAULT_TIMEOUT_MS 2000
#define RX_CHUNK 4096
#define SUT_SERIAL_MAX_LATE 3 /* late answers a re-sync reads past before name's own */
#define CANCEL_POLL_MS 50 /* how often a long wait looks at sut_serial_dut_cancel */

struct sut_serial_dut {
  sut_serial_config c;
  char path[512];
  sut_serial_port *port;
  sut_serial_assembler as;
  char rx[RX_CHUNK];
  const char *rx_pos; /* unconsumed bytes of rx */
  size_t rx_left;
  sut_serial_answer ans;
  float results[SUT_SERIAL_RESULTS_MAX];
  char cmd[SUT_SERIAL_CMD_MAX + 8]; /* the command in flight, for messages */
  char error[1024];
  uint64_t garbage;
  atomic_bool cancel;
  bool (*stop)(void *ctx);       /* sut_serial_dut_watch */
  void *stop_ctx;
};

const char *sut_serial_strerror(int status) {
  switch (status) {
#define SUT_SERIAL_TEXT_(name, value, text) \
  case (value):                             \
    return text;
    SUT_SERIAL_STATUS_MAP(SUT_SERIAL_TEXT_)
#undef SUT_SERIAL_TEXT_
  }
  return "unknown status";
}

const char *sut_serial_status_name(int status) {
  switch (status) {
    case SUT_SERIAL_OK: return "ok";
    case SUT_SERIAL_ETIMEOUT: return "timeout";
    case SUT_SERIAL_EHUP: return "hup";
    case SUT_SERIAL_ERESET: return "reset";
    case SUT_SERIAL_EANSWER: return "error_answer";
    case SUT_SERIAL_EPROTO: return "protocol";
    case SUT_SERIAL_EMODEL: return "model";
    case SUT_SERIAL_EOPEN: return "open";
    case SUT_SERIAL_EIO: return "io";
    case SUT_SERIAL_ECANCELED: return "canceled";
    case SUT_SERIAL_ENOMEM: return "nomem";
    default: return "invalid";
  }
}

static int failf(sut_serial_dut *d, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int failf(sut_serial_dut *d, int status, const char *fmt, ...) {
  char what[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  bool long_cmd = strlen(d->cmd) > 24; /* a db chunk: its hex says nothing to a reader */
  snprintf(d->error, sizeof d->error, "%.300s: '%.24s%s': %s", d->path, d->cmd,
           long_cmd ? "..." : "", what);
  return status;
}

int sut_serial_dut_open(sut_serial_dut **out, const sut_serial_config *c, char *err,
                        size_t errlen) {
  if (!out || !c || !c->path) return SUT_SERIAL_EINVAL;
  *out = NULL;
  sut_serial_dut *d = calloc(1, sizeof *d);
  if (!d) return SUT_SERIAL_ENOMEM;
  d->c = *c;
  snprintf(d->path, sizeof d->path, "%s", c->path);
  d->c.path = d->path;
  if (!d->c.baud) d->c.baud = DEFAULT_BAUD;
  if (d->c.timeout_ms <= 0) d->c.timeout_ms = DEFAULT_TIMEOUT_MS;
  sut_serial_assembler_init(&d->as);
  d->ans.results = d->results;
  int rc = sut_serial_port_open(&d->port, d->path, d->c.baud, err, errlen);
  if (rc) {
    free(d);
    return rc == SUT_SERIAL_PORT_ENOMEM ? SUT_SERIAL_ENOMEM : SUT_SERIAL_EOPEN;
  }
  *out = d;
  return SUT_SERIAL_OK;
}

void sut_serial_dut_close(sut_serial_dut *d) {
  if (!d) return;
  sut_serial_port_close(d->port);
  free(d);
}

const sut_serial_answer *sut_serial_dut_answer(const sut_serial_dut *d) { return &d->ans; }
const char *sut_serial_dut_error(const sut_serial_dut *d) { return d ? d->error : ""; }
uint64_t sut_serial_dut_garbage(const sut_serial_dut *d) { return d ? d->garbage : 0; }

/* ---- reading lines ---------------------------------------------------------------------- */
static int port_status(int rc) {
  return rc == SUT_SERIAL_PORT_EHUP ? SUT_SERIAL_EHUP
         : rc == SUT_SERIAL_PORT_ETIMEOUT ? SUT_SERIAL_ETIMEOUT
                                          : SUT_SERIAL_EIO;
}

static bool canceled(const sut_serial_dut *d);

/* Next line before the deadline: 1 with the line in line, len, cut; 0 on timeout, or a status. */
static int next_line(sut_serial_dut *d, long long deadline, const char **line, size_t *len,
                     bool *cut) {
  for (;;) {
    if (sut_serial_assembler_next(&d->as, &d->rx_pos, &d->rx_left, line, len, cut)) return 1;
    if (canceled(d)) return SUT_SERIAL_ECANCELED;
    long long left = deadline - sut_serial_now_ms();
    if (left < 0) return 0;
    long n = sut_serial_port_read(d->port, d->rx, sizeof d->rx,
                                  left < CANCEL_POLL_MS ? (int)left : CANCEL_POLL_MS);
    if (n == 0 && left > CANCEL_POLL_MS) continue; /* a slice passed: look at cancel again */
    if (n == 0) return 0;
    if (n < 0) return port_status((int)n);
    d->rx_pos = d->rx;
    d->rx_left = (size_t)n;
  }
}

/* Drop input that arrived before the command (late lines of an earlier answer, noise).
 * A boot banner among it means the DUT reset since the last answer: ERESET. */
static int drop_stale(sut_serial_dut *d) {
  bool banner = false;
  for (;;) {
    const char *line;
    size_t len;
    bool cut;
    while (sut_serial_assembler_next(&d->as, &d->rx_pos, &d->rx_left, &line, &len, &cut)) {
      sut_serial_line l;
      sut_serial_line_parse(line, len, &l);
      banner |= l.kind == SUT_SERIAL_LINE_BANNER && (!d->c.io_manager || l.from_dut);
    }
    long n = sut_serial_port_read(d->port, d->rx, sizeof d->rx, 0);
    if (n < 0) return port_status((int)n);
    if (n == 0) break;
    d->rx_pos = d->rx;
    d->rx_left = (size_t)n;
  }
  sut_serial_assembler_init(&d->as); /* a partial stale line is noise too */
  return banner ? SUT_SERIAL_ERESET : SUT_SERIAL_OK;
}

static void copy_text(char *to, size_t cap, const sut_serial_line *l) {
  size_t n = l->text_len < cap - 1 ? l->text_len : cap - 1;
  memcpy(to, l->text, n);
  to[n] = '\0';
}

/* Fold one line into the answer; true when it ends the answer (m-ready). */
static bool take_line(sut_serial_dut *d, const char *raw, size_t len, bool cut) {
  sut_serial_answer *a = &d->ans;
  sut_serial_line l;
  sut_serial_line_parse(raw, len, &l);
  if (cut) l.kind = SUT_SERIAL_LINE_GARBAGE;
  if (l.kind == SUT_SERIAL_LINE_EMPTY) return false;
  a->lines++;
  snprintf(a->last_line, sizeof a->last_line, "%.*s", (int)(len < 80 ? len : 80), raw);
  /* through an IO manager only the DUT's own lines count */
  if (d->c.io_manager && !l.from_dut) return false;
  switch (l.kind) {
    case SUT_SERIAL_LINE_READY: return true;
    case SUT_SERIAL_LINE_NAME: a->has_name = true, copy_text(a->name, sizeof a->name, &l); break;
    case SUT_SERIAL_LINE_MODEL: a->has_model = true, copy_text(a->model, sizeof a->model, &l); break;
    case SUT_SERIAL_LINE_PROFILE: copy_text(a->profile, sizeof a->profile, &l); break;
    case SUT_SERIAL_LINE_ERROR: copy_text(a->error, sizeof a->error, &l); break;
    case SUT_SERIAL_LINE_EXPECTING: a->expecting = (long long)l.value; break;
    case SUT_SERIAL_LINE_LOAD_DONE: a->load_done = true; break;
    case SUT_SERIAL_LINE_INFER_DONE: a->infer_done = true; break;
    case SUT_SERIAL_LINE_BANNER: a->banner = true; break;
    case SUT_SERIAL_LINE_LAP_US:
      if (a->laps == SUT_SERIAL_MAX_LAPS) /* keep the last ones */
        memmove(a->lap_us, a->lap_us + 1, sizeof a->lap_us - sizeof a->lap_us[0]);
      a->lap_us[a->laps < SUT_SERIAL_MAX_LAPS ? a->laps : SUT_SERIAL_MAX_LAPS - 1] = (uint32_t)l.value;
      if (a->laps < SUT_SERIAL_MAX_LAPS) a->laps++;
      break;
    case SUT_SERIAL_LINE_RESULTS: {
      long n = sut_serial_results_parse(l.text, l.text_len, d->results, SUT_SERIAL_RESULTS_MAX);
      a->results_bad = n < 0;
      a->has_results = n >= 0;
      a->results_n = n < 0 ? 0 : (size_t)n;
      break;
    }
    case SUT_SERIAL_LINE_GARBAGE: a->garbage++, d->garbage++; break;
    default: break;
  }
  return false;
}

void sut_serial_dut_cancel(sut_serial_dut *d, bool on) {
  if (d) atomic_store(&d->cancel, on);
}

void sut_serial_dut_watch(sut_serial_dut *d, bool (*stop)(void *ctx), void *ctx) {
  d->stop = stop;
  d->stop_ctx = ctx;
}

static bool canceled(const sut_serial_dut *d) {
  return atomic_load(&((sut_serial_dut *)d)->cancel) || (d->stop && d->stop(d->stop_ctx));
}

static int read_answer(sut_serial_dut *d, long long deadline, int timeout_ms);

static void answer_reset(sut_serial_dut *d) {
  memset(&d->ans, 0, sizeof d->ans);
  d->ans.results = d->results;
  d->ans.expecting = -1;
}

int sut_serial_dut_command(sut_serial_dut *d, const char *cmd, int timeout_ms) {
  if (!d || !cmd) return SUT_SERIAL_EINVAL;
  if (canceled(d)) return SUT_SERIAL_ECANCELED;
  snprintf(d->cmd, sizeof d->cmd, "%.80s", cmd);
  d->error[0] = '\0';
  answer_reset(d);
  size_t len = strlen(cmd);
  if (len + 1 > SUT_SERIAL_CMD_MAX)
    return failf(d, SUT_SERIAL_EINVAL, "%zu characters with '%%': the protocol allows %d",
                 len + 1, SUT_SERIAL_CMD_MAX);
  if (timeout_ms <= 0) timeout_ms = d->c.timeout_ms;
  char wire[SUT_SERIAL_CMD_MAX + 8];
  snprintf(wire, sizeof wire, "%s%s%%", d->c.io_manager ? "dut " : "", cmd);
  int rc = drop_stale(d);
  if (rc == SUT_SERIAL_ERESET)
    return failf(d, rc, "not sent: a boot banner (m-init-done / m-timestamp-mode) came after "
                 "the last answer: the DUT reset and lost its state (power, watchdog, or a "
                 "crash)");
  if (!rc) {
    rc = sut_serial_port_write(d->port, wire, strlen(wire), timeout_ms);
    if (rc) rc = port_status(rc);
  }
  if (rc) return failf(d, rc, "%s", sut_serial_port_error(d->port));
  return read_answer(d, sut_serial_now_ms() + timeout_ms, timeout_ms);
}

/* Read one answer (lines up to m-ready) into d->ans before the deadline and classify it. */
static int read_answer(sut_serial_dut *d, long long deadline, int timeout_ms) {
  sut_serial_answer *a = &d->ans;
  int rc;
  for (;;) {
    const char *line;
    size_t n;
    bool cut;
    rc = next_line(d, deadline, &line, &n, &cut);
    if (rc == SUT_SERIAL_ECANCELED)
      return failf(d, rc, "canceled after %zu lines of the answer", a->lines);
    if (rc < 0)
      return failf(d, rc, "%s (after %zu lines of the answer)", sut_serial_port_error(d->port),
                   a->lines);
    if (rc == 0)
      return failf(d, SUT_SERIAL_ETIMEOUT, "no %sm-ready within %d ms (%zu lines%s%s%s%s): "
                   "the DUT hangs, lost the line, or is not running the benchmark firmware",
                   d->c.io_manager ? "[dut]: " : "", timeout_ms, a->lines,
                   a->lines ? ", last '" : "", a->last_line, a->lines ? "'" : "",
                   sut_serial_assembler_pending(&d->as) ? ", a partial line pending" : "");
    if (take_line(d, line, n, cut)) break;
  }
  if (a->banner)
    return failf(d, SUT_SERIAL_ERESET, "a boot banner (m-init-done / m-timestamp-mode) came "
                 "in the answer: the DUT reset and lost its state (power, watchdog, or a "
                 "crash)");
  if (a->error[0])
    return failf(d, SUT_SERIAL_EANSWER, "the DUT answered e-[%s]", a->error);
  return SUT_SERIAL_OK;
}

/* ---- the benchmark's commands ----------------------------------------------------------- */
static int missing(sut_serial_dut *d, const char *what) {
  const sut_serial_answer *a = &d->ans;
  return failf(d, SUT_SERIAL_EPROTO, "the answer has no %s (%zu lines, %zu not protocol "
               "lines%s%s%s): noise on the line, a lost line, or not MLPerf Tiny firmware",
               what, a->lines, a->garbage, a->lines ? ", last '" : "", a->last_line,
               a->lines ? "'" : "");
}

int sut_serial_dut_name(sut_serial_dut *d, char *name, size_t len) {
  int rc = sut_serial_dut_command(d, "name", 0);
  if (rc) return rc;
  if (!d->ans.has_name) return missing(d, "m-name-dut-[...] line");
  if (name && len) snprintf(name, len, "%s", d->ans.name);
  return SUT_SERIAL_OK;
}

int sut_serial_dut_profile(sut_serial_dut *d, char *model, size_t len) {
  int rc = sut_serial_dut_command(d, "profile", 0);
  if (rc) return rc;
  if (!d->ans.has_model) return missing(d, "m-model-[...] line");
  if (model && len) snprintf(model, len, "%s", d->ans.model);
  return SUT_SERIAL_OK;
}

int sut_serial_dut_load(sut_serial_dut *d, const void *bytes, size_t n) {
  char cmd[SUT_SERIAL_CMD_MAX];
  snprintf(cmd, sizeof cmd, "db load %zu", n);
  int rc = sut_serial_dut_command(d, cmd, 0);
  if (rc) return rc;
  if (d->ans.expecting >= 0 && (size_t)d->ans.expecting != n)
    return failf(d, SUT_SERIAL_EPROTO, "the DUT expects %lld bytes, not %zu: its input "
                 "buffer is smaller than the workload's input", d->ans.expecting, n);
  const unsigned char *b = bytes;
  static const char hex[] = "0123456789abcdef";
  for (size_t off = 0; off < n; off += SUT_SERIAL_DB_CHUNK) {
    size_t k = n - off < SUT_SERIAL_DB_CHUNK ? n - off : SUT_SERIAL_DB_CHUNK;
    char *p = cmd + snprintf(cmd, sizeof cmd, "db ");
    for (size_t i = 0; i < k; i++) {
      *p++ = hex[b[off + i] >> 4];
      *p++ = hex[b[off + i] & 15];
    }
    *p = '\0';
    rc = sut_serial_dut_command(d, cmd, 0);
    if (rc) return rc;
  }
  if (!d->ans.load_done) return missing(d, "m-load-done after the last db chunk");
  return SUT_SERIAL_OK;
}

int sut_serial_dut_infer(sut_serial_dut *d, unsigned n, unsigned warmup, int timeout_ms,
                         sut_serial_timing *t) {
  char cmd[48];
  snprintf(cmd, sizeof cmd, "infer %u %u", n, warmup);
  int rc = sut_serial_dut_command(d, cmd, timeout_ms);
  if (rc) return rc;
  const sut_serial_answer *a = &d->ans;
  if (a->laps < 2) return missing(d, "pair of m-lap-us lines");
  memset(t, 0, sizeof *t);
  t->t0_us = a->lap_us[a->laps - 2];
  t->t1_us = a->lap_us[a->laps - 1];
  t->dut_us = (uint32_t)(t->t1_us - t->t0_us); /* modulo 2^32: one wrap is handled */
  t->wrapped = t->t1_us < t->t0_us;
  if (a->has_results) return SUT_SERIAL_OK;
  if (a->results_bad) return missing(d, "well-formed m-results-[...] line");
  rc = sut_serial_dut_command(d, "results", 0);
  if (rc) return rc;
  if (!d->ans.has_results) return missing(d, "m-results-[...] line");
  return SUT_SERIAL_OK;
}

/* Read and drop until the line has been quiet for quiet_ms (at most max_ms): the late
 * rest of an answer cut short, or a boot banner still coming. */
static int drain_quiet(sut_serial_dut *d, int quiet_ms, int max_ms) {
  long long end = sut_serial_now_ms() + max_ms;
  d->rx_left = 0;
  sut_serial_assembler_init(&d->as);
  while (sut_serial_now_ms() < end) {
    long n = sut_serial_port_read(d->port, d->rx, sizeof d->rx, quiet_ms);
    if (n == 0) return SUT_SERIAL_OK;
    if (n < 0) return port_status((int)n);
  }
  return SUT_SERIAL_OK;
}

int sut_serial_dut_resync(sut_serial_dut *d) {
  snprintf(d->cmd, sizeof d->cmd, "name");
  int rc = drain_quiet(d, 50, d->c.timeout_ms);
  if (rc) return failf(d, rc, "%s", sut_serial_port_error(d->port));
  long long deadline = sut_serial_now_ms() + d->c.timeout_ms;
  rc = sut_serial_dut_command(d, "name", 0);
  /* a DUT that was only slow finishes its late answer first: read on to name's own */
  for (int late = 0; late < SUT_SERIAL_MAX_LATE && !d->ans.has_name &&
                     (rc == SUT_SERIAL_OK || rc == SUT_SERIAL_EANSWER);
       late++) {
    answer_reset(d);
    rc = read_answer(d, deadline, d->c.timeout_ms);
  }
  if (rc) return rc;
  return d->ans.has_name ? SUT_SERIAL_OK : missing(d, "m-name-dut-[...] line");
}
