/*
 * sut/serial/dut.h - the host end of the MLPerf Tiny / EEMBC protocol over one serial
 * link (prefix sut_serial_dut_): send a command, read lines until m-ready, classify
 * what came back; and the commands the benchmark needs (name, profile, db load + db
 * chunks, infer N W, results).
 *
 * Every wait is bounded by a timeout. Failures are classified (the status table
 * below) and described in sut_serial_dut_error(): what happened, on which command,
 * what came back, what to check. Nothing here retries: the adapter (serial.c) decides
 * what is safe to retry and re-syncs with sut_serial_dut_resync().
 *
 * Direct form: "<cmd>%". IO-manager form (config.io_manager): "dut <cmd>%", answered by
 * m-dut-passthrough(<cmd>) and the DUT's lines prefixed "[dut]: ", ending with
 * "[dut]: m-ready"; the manager's own un-prefixed lines are ignored.
 *
 * Thread-safety: one thread drives a dut; sut_serial_dut_cancel may come from another. Ownership: open hands it out, close
 * frees it (NULL accepted).
 */
#ifndef SUT_SERIAL_DUT_H
#define SUT_SERIAL_DUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SUT_SERIAL_STATUS_MAP(X)                                                    \
  X(OK, 0, "success")                                                               \
  X(EINVAL, -1, "invalid argument")                                                 \
  X(ENOMEM, -2, "out of memory")                                                    \
  X(EOPEN, -3, "cannot open the serial device")                                     \
  X(ETIMEOUT, -4, "the DUT did not answer in time")                                 \
  X(EHUP, -5, "the serial device went away (EIO or hang-up: unplugged?)")           \
  X(ERESET, -6, "the DUT reset in the middle of a command (boot banner)")           \
  X(EANSWER, -7, "the DUT answered with an error (e-[...])")                        \
  X(EPROTO, -8, "malformed or incomplete answer (garbage or a lost line)")          \
  X(EMODEL, -9, "the DUT runs another model than the workload")                     \
  X(EIO, -10, "serial I/O error")                                                   \
  X(ECANCELED, -11, "canceled: the SUT is unloading or closing")

typedef enum {
#define SUT_SERIAL_STATUS_ENUM_(name, value, text) SUT_SERIAL_##name = (value),
  SUT_SERIAL_STATUS_MAP(SUT_SERIAL_STATUS_ENUM_)
#undef SUT_SERIAL_STATUS_ENUM_
} sut_serial_status;

/* Message for a status code; never NULL. */
const char *sut_serial_strerror(int status);
/* Short stable name for logs and tests: "timeout", "hup", "reset", "error_answer",
 * "protocol", "model", ... */
const char *sut_serial_status_name(int status);

#define SUT_SERIAL_CMD_MAX 80     /* characters per command, '%' included */
#define SUT_SERIAL_DB_CHUNK 31    /* bytes per `db` command, as the reference runners */
#define SUT_SERIAL_RESULTS_MAX 4096
#define SUT_SERIAL_MAX_LAPS 8

typedef struct sut_serial_config {
  const char *path;   /* the device: /dev/ttyACM0, or a pty */
  unsigned baud;      /* 0 = 115200 */
  bool io_manager;    /* speak through an EEMBC IO manager (dut <cmd>%) */
  int timeout_ms;     /* answer timeout of ordinary commands; 0 = 2000 */
} sut_serial_config;

/* What the last command brought back. Strings are terminated copies. */
typedef struct sut_serial_answer {
  char name[128], model[64], profile[128], error[256];
  bool has_name, has_model, has_results, load_done, infer_done, banner;
  long long expecting;            /* m-[Expecting N bytes]; -1 when absent */
  size_t laps;                    /* m-lap-us lines (the last SUT_SERIAL_MAX_LAPS kept) */
  uint32_t lap_us[SUT_SERIAL_MAX_LAPS];
  size_t results_n;               /* values in m-results-[...] (may exceed the buffer) */
  const float *results;           /* the dut's buffer, SUT_SERIAL_RESULTS_MAX long */
  bool results_bad;               /* an m-results line that did not parse */
  size_t lines, garbage;          /* lines read; of them not protocol lines */
  char last_line[96];             /* the last line read, for messages */
} sut_serial_answer;

/* One inference command's timing: T0 and T1 of the DUT's 32-bit microsecond counter,
 * their difference modulo 2^32 (a counter wrap is handled) and whether it wrapped. */
typedef struct sut_serial_timing {
  uint32_t t0_us, t1_us;
  uint64_t dut_us;
  bool wrapped;
} sut_serial_timing;

typedef struct sut_serial_dut sut_serial_dut;

/* Open the port (no command is sent). SUT_SERIAL_OK, EINVAL, ENOMEM, EOPEN (reason in
 * err: path, errno text, what to do). */
int sut_serial_dut_open(sut_serial_dut **out, const sut_serial_config *c, char *err,
                        size_t errlen);
void sut_serial_dut_close(sut_serial_dut *d);

/* Send one command (without '%') and read its answer until m-ready or timeout_ms
 * (<= 0: the config's timeout). Stale input is dropped first. Returns OK, ETIMEOUT,
 * EHUP, EIO, ERESET (a boot banner came), EANSWER (an e-[...] line came; its text is in
 * the answer), EINVAL (command too long). The answer is in sut_serial_dut_answer(). */
int sut_serial_dut_command(sut_serial_dut *d, const char *cmd, int timeout_ms);
const sut_serial_answer *sut_serial_dut_answer(const sut_serial_dut *d);

/* name%: OK with the DUT's name in *name (copied, may be NULL), or EPROTO when the
 * answer had no m-name line; the other statuses of _command. */
int sut_serial_dut_name(sut_serial_dut *d, char *name, size_t len);
/* profile%: the m-model string into model. EPROTO without one. */
int sut_serial_dut_profile(sut_serial_dut *d, char *model, size_t len);
/* db load N, then the bytes as hex in SUT_SERIAL_DB_CHUNK-byte db commands. EPROTO when
 * the DUT expects another count or never says m-load-done. */
int sut_serial_dut_load(sut_serial_dut *d, const void *bytes, size_t n);
/* infer n warmup; timeout_ms bounds the whole answer. OK with *t filled and the
 * outputs in the answer (fetched with results% when infer did not print them);
 * EPROTO when fewer than two m-lap-us lines or no m-results came. */
int sut_serial_dut_infer(sut_serial_dut *d, unsigned n, unsigned warmup, int timeout_ms,
                         sut_serial_timing *t);
/* Wait until the line has been quiet for 50 ms (the rest of a cut answer, a boot banner;
 * at most the config's timeout), drop it, and send name% again: the re-sync after a
 * fault. */
int sut_serial_dut_resync(sut_serial_dut *d);

/* Make every wait of the dut return ECANCELED within 50 ms (on = true) until it is turned
 * off again: how the adapter stops a long window when it closes. The only call that may
 * come from another thread than the one driving the dut. */
void sut_serial_dut_cancel(sut_serial_dut *d, bool on);
/* Also cancel while stop(ctx) returns true, asked every 50 ms of a wait (the adapter hands
 * in loadgen's stop request for the job in flight); stop NULL removes it. Same thread as
 * the commands. */
void sut_serial_dut_watch(sut_serial_dut *d, bool (*stop)(void *ctx), void *ctx);

/* The last failure, e.g. "infer 1 0: no m-ready within 500 ms (3 lines, last
 * 'm-lap-us-120'): the DUT hangs or the link lost bytes"; "" after success. */
const char *sut_serial_dut_error(const sut_serial_dut *d);
/* Lines that were not protocol lines, over the dut's life. */
uint64_t sut_serial_dut_garbage(const sut_serial_dut *d);

#endif /* SUT_SERIAL_DUT_H */
