/*
 * harness/lpm01a.c - the LPM01A power monitor: set-up commands with their acks, the
 * sample stream split into windows by the DUT's timestamp edges, and the energy of each
 * window. See lpm01a.h; the serial port and the line assembler are sut/serial's.
 */
#include "harness/lpm01a.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sut/serial/line.h"
#include "sut/serial/port.h"

#define ACK_TIMEOUT_MS 1000
#define STOP_TIMEOUT_MS 3000

struct mb_lpm01a {
  sut_serial_port *port;
  char path[512], volt[32];
  sut_serial_assembler as;
  char rx[4096];
  const char *rx_pos;            /* bytes read but not yet taken apart */
  size_t rx_left;
  bool acquiring, in_window;
  uint64_t samples, edges;
  double joules, window;
  size_t windows;
  double window_joules[MB_LPM01A_MAX_WINDOWS];
  char failure[900];
};

bool mb_lpm01a_parse_sample(const char *line, double *joules) {
  char *end;
  size_t len = strlen(line);
  /* ascii_dec: "MMMM-EE" = MMMM x 10^-EE (digits, one '-', digits) */
  const char *dash = strchr(line, '-');
  if (dash && dash > line && dash[1] && strspn(line, "0123456789") == (size_t)(dash - line) &&
      strspn(dash + 1, "0123456789") == strlen(dash + 1) && len < 24) {
    double m = strtod(line, NULL);
    long e = strtol(dash + 1, NULL, 10);
    *joules = m * pow(10.0, (double)-e);
    return true;
  }
  if (!len || !strchr("0123456789.+", line[0])) return false;
  errno = 0;
  double v = strtod(line, &end);
  if (*end || errno || !isfinite(v)) return false;
  *joules = v;
  return true;
}

/* One line of the stream (during acquisition or while waiting for an ack). Returns 1 for
 * an ack, -1 for an error line, 0 otherwise. */
static int take_line(mb_lpm01a *l, const char *line) {
  double j;
  if (!strncmp(line, "ack", 3)) return 1;
  if (!strncmp(line, "error", 5)) {
    if (!l->failure[0]) snprintf(l->failure, sizeof l->failure, "%.300s: the monitor said '%.200s'", l->path, line);
    return -1;
  }
  if (!l->acquiring) return 0;
  if (!strncmp(line, "event", 5)) {
    l->edges++;
    if (l->in_window && l->windows < MB_LPM01A_MAX_WINDOWS) l->window_joules[l->windows++] = l->window;
    l->in_window = !l->in_window;
    l->window = 0;
  } else if (mb_lpm01a_parse_sample(line, &j)) {
    l->samples++;
    l->joules += j;
    if (l->in_window) l->window += j;
  }
  return 0;
}

/* Read lines until an ack (1), an error line (-1), the deadline (0 with wait_ack) or no
 * more bytes now (0 without wait_ack). A port failure is kept in l->failure (-1). */
static int pump(mb_lpm01a *l, bool wait_ack, int timeout_ms) {
  long long deadline = sut_serial_now_ms() + timeout_ms;
  for (;;) {
    const char *line;
    size_t len;
    bool cut;
    while (sut_serial_assembler_next(&l->as, &l->rx_pos, &l->rx_left, &line, &len, &cut)) {
      int rc = cut ? 0 : take_line(l, line);
      if (rc && wait_ack) return rc; /* bytes after the ack stay for the next pump */
    }
    long left = (long)(deadline - sut_serial_now_ms());
    if (left <= 0 && wait_ack) return 0;
    long n = sut_serial_port_read(l->port, l->rx, sizeof l->rx, wait_ack ? (int)left : 0);
    if (n < 0) {
      if (!l->failure[0]) snprintf(l->failure, sizeof l->failure, "%s", sut_serial_port_error(l->port));
      return -1;
    }
    if (n == 0) return 0; /* the deadline passed, or (polling) nothing more now */
    l->rx_pos = l->rx;
    l->rx_left = (size_t)n;
  }
}

/* Send "cmd\r\n" and wait for its ack. */
static int command(mb_lpm01a *l, const char *cmd, int timeout_ms) {
  char wire[64];
  snprintf(wire, sizeof wire, "%s\r\n", cmd);
  if (sut_serial_port_write(l->port, wire, strlen(wire), timeout_ms)) {
    snprintf(l->failure, sizeof l->failure, "%s", sut_serial_port_error(l->port));
    return -1;
  }
  int rc = pump(l, true, timeout_ms);
  if (rc == 1) return 0;
  if (rc == 0)
    snprintf(l->failure, sizeof l->failure, "%.300s: no 'ack' to '%.40s' within %d ms: is it an "
             "LPM01A with the PowerShield firmware, at %d baud?", l->path, cmd, timeout_ms,
             MB_LPM01A_BAUD);
  else {
    char was[sizeof l->failure];
    snprintf(was, sizeof was, "%s", l->failure);
    snprintf(l->failure, sizeof l->failure, "'%s': %.450s", cmd, was);
  }
  return -1;
}

/* "PATH[,volt=3000m][,baud=N]" */
static int parse_arg(mb_lpm01a *l, const char *arg, unsigned *baud, char *reason, size_t len) {
  char buf[600];
  snprintf(buf, sizeof buf, "%s", arg);
  char *save, *tok = strtok_r(buf, ",", &save);
  snprintf(l->path, sizeof l->path, "%s", tok ? tok : "");
  snprintf(l->volt, sizeof l->volt, "3000m");
  *baud = MB_LPM01A_BAUD;
  while ((tok = strtok_r(NULL, ",", &save))) {
    if (!strncmp(tok, "volt=", 5) && strlen(tok + 5) < sizeof l->volt && tok[5])
      snprintf(l->volt, sizeof l->volt, "%s", tok + 5);
    else if (!strncmp(tok, "baud=", 5) && atoi(tok + 5) > 0)
      *baud = (unsigned)atoi(tok + 5);
    else {
      snprintf(reason, len, "lpm01a:%s: option '%s': use volt=3000m or baud=N", arg, tok);
      return -1;
    }
  }
  return 0;
}

int mb_lpm01a_open(mb_lpm01a **out, const char *arg, char *reason, size_t len) {
  *out = NULL;
  mb_lpm01a *l = calloc(1, sizeof *l);
  if (!l) return -1;
  unsigned baud;
  sut_serial_assembler_init(&l->as);
  if (parse_arg(l, arg, &baud, reason, len)) goto fail_arg;
  if (sut_serial_port_open(&l->port, l->path, baud, reason, len)) goto fail_arg;
  char volt[48];
  snprintf(volt, sizeof volt, "volt %s", l->volt);
  const char *setup[] = {"htc", volt, "freq 1k", "acqtime inf", "eventsrc d7 fal",
                         "output energy", "format ascii_dec", "pwr on"};
  for (size_t i = 0; i < sizeof setup / sizeof setup[0]; i++)
    if (command(l, setup[i], ACK_TIMEOUT_MS)) {
      snprintf(reason, len, "LPM01A set-up failed: %s", l->failure);
      goto fail_setup;
    }
  *out = l;
  return 0;
fail_setup:
  sut_serial_port_close(l->port);
fail_arg:
  free(l);
  return -1;
}

int mb_lpm01a_start(mb_lpm01a *l) {
  l->samples = l->edges = 0;
  l->joules = l->window = 0;
  l->windows = 0;
  l->in_window = false;
  l->failure[0] = '\0';
  int rc = command(l, "start", ACK_TIMEOUT_MS);
  l->acquiring = rc == 0;
  return rc;
}

void mb_lpm01a_poll(mb_lpm01a *l) {
  if (l->acquiring) pump(l, false, 5);
}

int mb_lpm01a_stop(mb_lpm01a *l) {
  if (!l->acquiring) return -1;
  int rc = command(l, "stop", STOP_TIMEOUT_MS); /* the samples before the ack count */
  l->acquiring = false;
  return rc;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

bool mb_lpm01a_result_get(const mb_lpm01a *l, mb_lpm01a_result *out, char *reason,
                          size_t len) {
  memset(out, 0, sizeof *out);
  if (l->failure[0]) {
    snprintf(reason, len, "%s", l->failure);
    return false;
  }
  out->samples = l->samples;
  out->edges = l->edges;
  out->joules = l->joules;
  out->windows = l->windows;
  memcpy(out->window_joules, l->window_joules, l->windows * sizeof l->window_joules[0]);
  double sorted[MB_LPM01A_MAX_WINDOWS];
  memcpy(sorted, l->window_joules, l->windows * sizeof sorted[0]);
  qsort(sorted, l->windows, sizeof sorted[0], cmp_double);
  out->median_window_joules = !l->windows ? NAN
                              : l->windows % 2 ? sorted[l->windows / 2]
                                               : (sorted[l->windows / 2 - 1] + sorted[l->windows / 2]) / 2;
  return true;
}

void mb_lpm01a_close(mb_lpm01a *l) {
  if (!l) return;
  if (l->acquiring) mb_lpm01a_stop(l);
  command(l, "hrc", ACK_TIMEOUT_MS);
  sut_serial_port_close(l->port);
  free(l);
}
