/*
 * sut/firmware/sim/dut_sim.c - mlsb-dut-sim: the firmware library (sut/firmware/fw.h)
 * compiled for the host as a simulated DUT behind a pseudo-terminal, for fast tests of
 * the host side (sut/serial/) without QEMU or a board. It computes the same int8 models
 * with the same generated tables as the Cortex-M images, and injects the serial-link
 * failures labs see.
 *
 * Usage: mlsb-dut-sim [options]
 *   --workload NAME     model served: kws (default), ic, vww or ad
 *   --link PATH         also make PATH a symlink to the pty (replaced if it is a link;
 *                       removed at exit)
 *   --model NAME        answer m-model-[NAME] to `profile` instead of the real id (the
 *                       wrong-model fault)
 *   --fault KIND:N      inject a failure at the N-th command (counted from 1, every
 *                       '%'-terminated command counts); may be given up to 8 times:
 *       garbage:N       a garbage/partial line ("m-resu" and two bytes 0xFE 0xFF, then
 *                       CR LF) before the answer of command N
 *       reset:N         the first line of command N's answer, then the boot banner;
 *                       the rest of the answer is lost, and so is the state (db, results)
 *       no-ready:N      command N's answer without its m-ready line
 *       hang:N          from command N on, read everything and answer nothing
 *       eio:N           at command N close the pty and exit (the host sees EIO/hangup)
 *       error:N         answer command N with e-[injected fault: error at command N]
 *                       and m-ready instead of running it
 *   --lap-start US      the microsecond counter starts at US (0..4294967295; test the
 *                       32-bit wrap with a value just below 2^32)
 *   --us-per-infer US   simulated time: the counter advances exactly US per inference
 *                       and not otherwise, so m-lap-us differences are N x US (default:
 *                       the counter follows the host's monotonic clock)
 *   --idle-exit S       exit after S seconds without input (default 600; 0 = never)
 *   --help
 * It prints the pty's path on the first line of stdout, then the boot banner goes to the
 * pty. It keeps its own handle on the pty, so hosts may open and close it many times.
 * SIGTERM, SIGINT and SIGHUP end it (exit 0). Exit status 2 for a bad option.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "fw_models.h"
#include "sut/firmware/fw.h"

#define SIM_MAX_FAULTS 8
#define SIM_LINE_MAX 16384 /* longest answer line: ad's 640 results */
#define SIM_GARBAGE "m-resu\xfe\xff\r\n"
#define SIM_WRITE_WAIT_MS 10000 /* longest wait for the host to read an answer */

typedef enum { SIM_GARBAGE_F, SIM_RESET, SIM_NO_READY, SIM_HANG, SIM_EIO, SIM_ERROR } sim_kind;

static const char *const sim_kind_names[] = {"garbage", "reset", "no-ready",
                                             "hang",    "eio",   "error"};

typedef struct sim_fault {
  sim_kind kind;
  unsigned long at; /* command number, from 1 */
} sim_fault;

typedef struct sim_opts {
  const char *workload, *link, *model;
  sim_fault faults[SIM_MAX_FAULTS];
  int n_faults;
  uint32_t lap_start;
  long us_per_infer; /* -1: real time */
  long idle_exit_s;
} sim_opts;

/* The simulated board: the pty, the clock and the output filter of the current command. */
typedef struct sim {
  sim_opts opt;
  int master, slave;
  char path[256];
  sut_fw fw;
  sut_fw_buffers buf;
  const sut_fw_model *model;
  struct timespec t0;
  unsigned long command;   /* commands seen */
  int drop_ready;          /* no-ready: drop the m-ready of this answer */
  int reset_after_line;    /* reset: lines still to pass before the banner */
  int muted;               /* reset: the rest of the answer is lost */
  int hung;
  char line[SIM_LINE_MAX];
  size_t line_len;
} sim;

static volatile sig_atomic_t sim_stop;

static void sim_on_signal(int sig)
{
  sim_stop = sig;
}

static void usage(FILE *f)
{
  fprintf(f,
          "usage: mlsb-dut-sim [--workload kws|ic|vww|ad] [--link PATH] [--model NAME]\n"
          "                    [--fault garbage|reset|no-ready|hang|eio|error:N]...\n"
          "                    [--lap-start US] [--us-per-infer US] [--idle-exit S]\n"
          "A simulated MLPerf Tiny DUT (the mlsysbench firmware library) on a pty; prints\n"
          "the pty path on stdout. Faults act on the N-th '%%'-terminated command (from 1):\n"
          "  garbage   a garbage/partial line before the answer\n"
          "  reset     the boot banner after the answer's first line; state is lost\n"
          "  no-ready  the answer without its m-ready\n"
          "  hang      no answer to this or any later command\n"
          "  eio       close the pty and exit\n"
          "  error     e-[injected fault: error at command N] and m-ready\n"
          "--model NAME answers m-model-[NAME]; --lap-start US starts the microsecond\n"
          "counter at US; --us-per-infer US advances it by exactly US per inference.\n");
}

/* ---- options ------------------------------------------------------------------------ */

static int parse_ulong(const char *opt, const char *s, unsigned long max, unsigned long *out)
{
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (!*s || *end || errno || v > max || *s == '-') {
    fprintf(stderr, "mlsb-dut-sim: %s '%s': expected a whole number 0..%lu\n", opt, s, max);
    return -1;
  }
  *out = v;
  return 0;
}

static int parse_fault(sim_opts *o, const char *s)
{
  const char *colon = strchr(s, ':');
  if (o->n_faults == SIM_MAX_FAULTS) {
    fprintf(stderr, "mlsb-dut-sim: --fault: at most %d faults\n", SIM_MAX_FAULTS);
    return -1;
  }
  for (size_t k = 0; colon && k < sizeof sim_kind_names / sizeof *sim_kind_names; k++) {
    size_t len = strlen(sim_kind_names[k]);
    if ((size_t)(colon - s) != len || strncmp(s, sim_kind_names[k], len) != 0)
      continue;
    sim_fault *f = &o->faults[o->n_faults];
    if (parse_ulong("--fault", colon + 1, 1000000000ul, &f->at) != 0 || f->at == 0) {
      fprintf(stderr, "mlsb-dut-sim: --fault %s: N counts commands from 1\n", s);
      return -1;
    }
    f->kind = (sim_kind)k;
    o->n_faults++;
    return 0;
  }
  fprintf(stderr,
          "mlsb-dut-sim: --fault '%s': expected KIND:N with KIND garbage, reset, "
          "no-ready, hang, eio or error\n", s);
  return -1;
}

/* One option with its value; returns 0, or -1 after a message. */
static int parse_opt(sim_opts *o, const char *name, const char *val)
{
  unsigned long v;
  if (strcmp(name, "--workload") == 0) {
    o->workload = val;
  } else if (strcmp(name, "--link") == 0) {
    o->link = val;
  } else if (strcmp(name, "--model") == 0) {
    o->model = val;
  } else if (strcmp(name, "--fault") == 0) {
    return parse_fault(o, val);
  } else if (strcmp(name, "--lap-start") == 0) {
    if (parse_ulong(name, val, 4294967295ul, &v) != 0)
      return -1;
    o->lap_start = (uint32_t)v;
  } else if (strcmp(name, "--us-per-infer") == 0) {
    if (parse_ulong(name, val, 1000000000ul, &v) != 0)
      return -1;
    o->us_per_infer = (long)v;
  } else if (strcmp(name, "--idle-exit") == 0) {
    if (parse_ulong(name, val, 86400ul, &v) != 0)
      return -1;
    o->idle_exit_s = (long)v;
  } else {
    fprintf(stderr, "mlsb-dut-sim: unknown option '%s' (see --help)\n", name);
    return -1;
  }
  return 0;
}

static int parse_args(sim_opts *o, int argc, char **argv)
{
  memset(o, 0, sizeof *o);
  o->workload = "kws";
  o->us_per_infer = -1;
  o->idle_exit_s = 600;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage(stdout);
      exit(0);
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "mlsb-dut-sim: %s needs a value (see --help)\n", argv[i]);
      return -1;
    }
    if (parse_opt(o, argv[i], argv[i + 1]) != 0)
      return -1;
    i++;
  }
  return 0;
}

/* ---- the port --------------------------------------------------------------------- */

/* Send n bytes to the pty. The master is non-blocking: when nobody reads for
 * SIM_WRITE_WAIT_MS the rest is dropped (as on a real link), so the sim never hangs on a
 * host that went away in the middle of an answer. */
static void sim_write(sim *s, const char *p, size_t n)
{
  while (n > 0) {
    ssize_t w = write(s->master, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0 && errno == EAGAIN) {
      struct pollfd out = {s->master, POLLOUT, 0};
      if (poll(&out, 1, SIM_WRITE_WAIT_MS) > 0)
        continue;
      fprintf(stderr, "mlsb-dut-sim: nobody read the pty for %d ms: %zu bytes dropped\n",
              SIM_WRITE_WAIT_MS, n);
      return;
    }
    if (w <= 0)
      return; /* the output is lost, as on a real link */
    p += w;
    n -= (size_t)w;
  }
}

/* A whole answer line (CR LF included), through the fault filter. */
static void sim_emit_line(sim *s, const char *line, size_t len)
{
  if (s->muted || s->hung)
    return;
  if (s->drop_ready && len == 9 && memcmp(line, "m-ready\r\n", 9) == 0)
    return;
  sim_write(s, line, len);
  if (s->reset_after_line && --s->reset_after_line == 0)
    s->muted = 1;
}

static void sim_put_char(void *ctx, char c)
{
  sim *s = ctx;
  if (s->line_len < SIM_LINE_MAX)
    s->line[s->line_len++] = c;
  if (c == '\n' || s->line_len == SIM_LINE_MAX) {
    sim_emit_line(s, s->line, s->line_len);
    s->line_len = 0;
  }
}

static uint32_t sim_now_us(void *ctx)
{
  sim *s = ctx;
  if (s->opt.us_per_infer >= 0)
    return s->opt.lap_start + s->fw.inferences * (uint32_t)s->opt.us_per_infer;
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  uint64_t us = (uint64_t)(t.tv_sec - s->t0.tv_sec) * 1000000u +
                (uint64_t)((t.tv_nsec - s->t0.tv_nsec) / 1000);
  return s->opt.lap_start + (uint32_t)us;
}

/* (Re)start the device: state lost, banner printed. */
static void sim_boot(sim *s)
{
  sut_fw_port port = {s, sim_put_char, NULL, sim_now_us, NULL};
  uint32_t inferences = s->fw.inferences; /* the simulated clock keeps running */
  sut_fw_init(&s->fw, &port, s->model, &s->buf, SUT_FW_MODE_PERFORMANCE);
  s->fw.inferences = inferences;
  if (s->opt.model)
    s->fw.model_name = s->opt.model;
  sut_fw_boot(&s->fw);
}

/* ---- commands and faults ------------------------------------------------------------ */

static int sim_fault_at(const sim *s, sim_kind kind)
{
  for (int i = 0; i < s->opt.n_faults; i++)
    if (s->opt.faults[i].kind == kind && s->opt.faults[i].at == s->command)
      return 1;
  return 0;
}

/* The '%' of a command arrived: run it through the faults. Returns -1 to exit (eio). */
static int sim_command(sim *s)
{
  char msg[80];
  s->command++;
  if (sim_fault_at(s, SIM_HANG))
    s->hung = 1;
  if (s->hung) {
    sut_fw_discard(&s->fw);
    return 0;
  }
  if (sim_fault_at(s, SIM_EIO))
    return -1;
  if (sim_fault_at(s, SIM_GARBAGE_F))
    sim_write(s, SIM_GARBAGE, sizeof SIM_GARBAGE - 1);
  if (sim_fault_at(s, SIM_ERROR)) {
    sut_fw_discard(&s->fw);
    snprintf(msg, sizeof msg, "injected fault: error at command %lu", s->command);
    sut_fw_error(&s->fw, msg);
    return 0;
  }
  s->drop_ready = sim_fault_at(s, SIM_NO_READY);
  s->reset_after_line = sim_fault_at(s, SIM_RESET);
  sut_fw_feed(&s->fw, '%');
  s->drop_ready = 0;
  if (s->reset_after_line || s->muted) {
    s->reset_after_line = 0;
    s->muted = 0;
    sim_boot(s);
  }
  return 0;
}

/* Serve until a signal, the idle timeout, eio or a pty error. */
static int sim_serve(sim *s)
{
  long idle_ms = 0;
  while (!sim_stop) {
    struct pollfd p = {s->master, POLLIN, 0};
    int n = poll(&p, 1, 200);
    if (n < 0 && errno != EINTR)
      return -1;
    if (n <= 0) {
      idle_ms += 200;
      if (s->opt.idle_exit_s && idle_ms >= s->opt.idle_exit_s * 1000) {
        fprintf(stderr, "mlsb-dut-sim: no input for %ld s, exiting\n", s->opt.idle_exit_s);
        return 0;
      }
      continue;
    }
    idle_ms = 0;
    char in[256];
    ssize_t got = read(s->master, in, sizeof in);
    if (got < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (got <= 0)
      return -1;
    for (ssize_t i = 0; i < got; i++) {
      if (in[i] != '%') {
        sut_fw_feed(&s->fw, in[i]);
      } else if (sim_command(s) != 0) {
        fprintf(stderr, "mlsb-dut-sim: injected eio at command %lu: closing the pty\n",
                s->command);
        return 0;
      }
    }
  }
  return 0;
}

/* ---- set-up ------------------------------------------------------------------------- */

static int sim_open_pty(sim *s)
{
  struct termios t;
  if (openpty(&s->master, &s->slave, s->path, NULL, NULL) != 0) {
    fprintf(stderr, "mlsb-dut-sim: openpty: %s\n", strerror(errno));
    return -1;
  }
  tcgetattr(s->slave, &t);
  cfmakeraw(&t);
  tcsetattr(s->slave, TCSANOW, &t);
  fcntl(s->master, F_SETFD, FD_CLOEXEC);
  fcntl(s->master, F_SETFL, fcntl(s->master, F_GETFL) | O_NONBLOCK);
  fcntl(s->slave, F_SETFD, FD_CLOEXEC);
  if (s->opt.link) {
    struct stat st;
    if (lstat(s->opt.link, &st) == 0 && S_ISLNK(st.st_mode))
      unlink(s->opt.link);
    if (symlink(s->path, s->opt.link) != 0) {
      fprintf(stderr, "mlsb-dut-sim: --link %s: %s\n", s->opt.link, strerror(errno));
      return -1;
    }
  }
  return 0;
}

int main(int argc, char **argv)
{
  static sim s; /* the buffers below are large; one simulated board per process */
  static float db[SUT_FW_MAX_DB_BYTES / 4], out[SUT_FW_MAX_OUT_ELEMS];
  static int32_t scratch[SUT_FW_MAX_SCRATCH_BYTES / 4 + 1];
  if (parse_args(&s.opt, argc, argv) != 0)
    return 2;
  s.model = sut_fw_model_find(s.opt.workload);
  if (!s.model) {
    fprintf(stderr, "mlsb-dut-sim: --workload '%s': expected kws, ic, vww or ad\n",
            s.opt.workload);
    return 2;
  }
  s.buf = (sut_fw_buffers){db, sizeof db, out, SUT_FW_MAX_OUT_ELEMS, scratch, sizeof scratch};
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = sim_on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  clock_gettime(CLOCK_MONOTONIC, &s.t0);
  if (sim_open_pty(&s) != 0)
    return 1;
  printf("%s\n", s.path);
  fflush(stdout);
  sim_boot(&s);
  int rc = sim_serve(&s);
  if (rc != 0 && !sim_stop)
    fprintf(stderr, "mlsb-dut-sim: pty %s: %s\n", s.path, strerror(errno));
  close(s.master);
  close(s.slave);
  if (s.opt.link)
    unlink(s.opt.link);
  return rc == 0 ? 0 : 1;
}
