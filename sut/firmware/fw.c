/*
 * sut/firmware/fw.c - the MLPerf Tiny / EEMBC DUT protocol over a port (fw.h): command
 * framing, the db buffer, the timed infer loop and the result lines. Allocates nothing;
 * every character goes out through port.put_char.
 */
#include "sut/firmware/fw.h"

#include <string.h>

#include "sut/firmware/fmt.h"

#define FW_DUT_NAME "mlsysbench"
#define FW_DB_PRINT_PER_LINE 8
#define FW_DEFAULT_WARMUP 10u

const char *sut_fw_strerror(int status)
{
  switch (status) {
#define SUT_FW_STATUS_TEXT_(name, value, text) \
  case SUT_FW_##name:                          \
    return text;
    SUT_FW_STATUS_MAP(SUT_FW_STATUS_TEXT_)
#undef SUT_FW_STATUS_TEXT_
  }
  return "unknown status";
}

/* ---- output ----------------------------------------------------------------------- */

static void put_str(sut_fw *fw, const char *s)
{
  while (*s)
    fw->port.put_char(fw->port.ctx, *s++);
}

static void put_u32(sut_fw *fw, uint32_t v)
{
  char buf[12];
  sut_fw_fmt_u32(buf, v);
  put_str(fw, buf);
}

static void put_eol(sut_fw *fw)
{
  put_str(fw, "\r\n");
}

void sut_fw_puts(sut_fw *fw, const char *s)
{
  put_str(fw, s);
  put_eol(fw);
}

/* prefix, the number, then the end of the line: "m-lap-us-123\r\n". */
static void put_line_u32(sut_fw *fw, const char *prefix, uint32_t v)
{
  put_str(fw, prefix);
  put_u32(fw, v);
  put_eol(fw);
}

static void put_ready(sut_fw *fw)
{
  sut_fw_puts(fw, "m-ready");
}

void sut_fw_error(sut_fw *fw, const char *s)
{
  put_str(fw, "e-[");
  put_str(fw, s);
  sut_fw_puts(fw, "]");
  put_ready(fw);
}

/* e-[what N] with a number in the message, then m-ready. */
static void error_u32(sut_fw *fw, const char *what, uint32_t v, const char *after)
{
  put_str(fw, "e-[");
  put_str(fw, what);
  put_u32(fw, v);
  put_str(fw, after);
  sut_fw_puts(fw, "]");
  put_ready(fw);
}

/* The timestamp: m-lap-us-T in performance mode, a GPIO edge in energy mode. */
static void timestamp(sut_fw *fw)
{
  if (fw->mode == SUT_FW_MODE_ENERGY)
    fw->port.timestamp_pin(fw->port.ctx);
  else
    put_line_u32(fw, "m-lap-us-", fw->port.now_us(fw->port.ctx));
}

/* ---- set-up ----------------------------------------------------------------------- */

/* Input bytes in the f32 format (fw.h). */
static size_t in_bytes_f32(const sut_fw *fw)
{
  return 4 * (size_t)fw->model->q.in_elems;
}

int sut_fw_init(sut_fw *fw, const sut_fw_port *port, const sut_fw_model *model,
                const sut_fw_buffers *buf, sut_fw_mode mode)
{
  memset(fw, 0, sizeof *fw);
  if (!port || !port->put_char || !port->now_us || !model || !buf ||
      (mode == SUT_FW_MODE_ENERGY && !port->timestamp_pin))
    return SUT_FW_EINVAL;
  if (!buf->db || !buf->out || !buf->scratch ||
      buf->db_bytes < 4 * (size_t)model->q.in_elems ||
      buf->out_elems < model->q.out_elems ||
      buf->scratch_bytes < wl_qk_scratch_bytes(&model->q))
    return SUT_FW_ESMALL;
  fw->port = *port;
  fw->model = model;
  fw->model_name = model->mlperf;
  fw->buf = *buf;
  fw->mode = mode;
  return SUT_FW_OK;
}

void sut_fw_boot(sut_fw *fw)
{
  sut_fw_puts(fw, fw->mode == SUT_FW_MODE_ENERGY ? "m-timestamp-mode-energy"
                                                 : "m-timestamp-mode-performance");
  timestamp(fw);
  sut_fw_puts(fw, "m-init-done");
  put_ready(fw);
}

/* ---- commands --------------------------------------------------------------------- */

static void cmd_name(sut_fw *fw)
{
  sut_fw_puts(fw, "m-name-dut-[" FW_DUT_NAME "]");
  put_ready(fw);
}

static void cmd_profile(sut_fw *fw)
{
  put_str(fw, "m-profile-[" FW_DUT_NAME " ");
  put_str(fw, fw->model->workload);
  put_str(fw, " int8 weight_seed=");
  put_u32(fw, fw->model->weight_seed);
  put_str(fw, " input=");
  put_u32(fw, (uint32_t)in_bytes_f32(fw));
  put_str(fw, "B f32 or ");
  put_u32(fw, fw->model->q.in_elems);
  sut_fw_puts(fw, "B int8]");
  put_str(fw, "m-model-[");
  put_str(fw, fw->model_name);
  sut_fw_puts(fw, "]");
  put_ready(fw);
}

static void db_load(sut_fw *fw, const char *arg)
{
  uint32_t n;
  if (!arg || sut_fw_parse_u32(arg, &n) != 0) {
    sut_fw_error(fw, "db load needs a byte count: db load N");
    return;
  }
  if (n != in_bytes_f32(fw) && n != fw->model->q.in_elems) {
    put_str(fw, "e-[db load ");
    put_u32(fw, n);
    put_str(fw, ": the input is ");
    put_u32(fw, (uint32_t)in_bytes_f32(fw));
    put_str(fw, " bytes (f32) or ");
    put_u32(fw, fw->model->q.in_elems);
    sut_fw_puts(fw, " bytes (int8)]");
    put_ready(fw);
    return;
  }
  fw->db_expected = n;
  fw->db_loaded = 0;
  put_str(fw, "m-[Expecting ");
  put_u32(fw, n);
  sut_fw_puts(fw, " bytes]");
  put_ready(fw);
}

static void db_print(sut_fw *fw)
{
  const uint8_t *db = fw->buf.db;
  for (size_t i = 0; i < fw->db_loaded; i += FW_DB_PRINT_PER_LINE) {
    put_str(fw, "m-buffer");
    for (size_t k = i; k < fw->db_loaded && k < i + FW_DB_PRINT_PER_LINE; k++) {
      char hex[4] = {'-', 0, 0, 0};
      sut_fw_fmt_hex8(hex + 1, db[k]);
      put_str(fw, hex);
    }
    put_eol(fw);
  }
  put_ready(fw);
}

static void db_hex(sut_fw *fw, const char *hex)
{
  size_t len = strlen(hex);
  if (fw->db_expected == 0) {
    sut_fw_error(fw, "db data before db load N");
    return;
  }
  if (len % 2) {
    error_u32(fw, "db: odd number of hex digits (", (uint32_t)len, ")");
    return;
  }
  if (fw->db_loaded + len / 2 > fw->db_expected) {
    error_u32(fw, "db: more bytes than the ", (uint32_t)fw->db_expected,
              " of db load");
    return;
  }
  for (size_t i = 0; i < len; i++)
    if (sut_fw_hex_digit(hex[i]) < 0) {
      error_u32(fw, "db: not a hex digit at position ", (uint32_t)i + 1, "");
      return;
    }
  uint8_t *db = fw->buf.db;
  for (size_t i = 0; i < len; i += 2)
    db[fw->db_loaded++] =
        (uint8_t)(sut_fw_hex_digit(hex[i]) << 4 | sut_fw_hex_digit(hex[i + 1]));
  if (fw->db_loaded == fw->db_expected)
    sut_fw_puts(fw, "m-load-done");
  put_ready(fw);
}

static void cmd_db(sut_fw *fw, const char *arg)
{
  if (!arg) {
    sut_fw_error(fw, "db needs load N, print or hex bytes");
  } else if (strncmp(arg, "load", 4) == 0 && (arg[4] == ' ' || arg[4] == '\0')) {
    db_load(fw, arg[4] ? arg + 5 : NULL);
  } else if (strcmp(arg, "print") == 0) {
    db_print(fw);
  } else {
    db_hex(fw, arg);
  }
}

static void put_results(sut_fw *fw)
{
  put_str(fw, "m-results-[");
  for (uint32_t k = 0; k < fw->model->q.out_elems; k++) {
    char num[SUT_FW_F32_CHARS];
    if (k)
      put_str(fw, ",");
    sut_fw_fmt_f32(num, fw->buf.out[k]);
    put_str(fw, num);
  }
  sut_fw_puts(fw, "]");
}

/* One inference on the loaded input, in its format. */
static void run_once(sut_fw *fw)
{
  const wl_qk_model *q = &fw->model->q;
  if (fw->db_expected == q->in_elems)
    wl_qk_run_int8(q, fw->buf.db, fw->buf.out, fw->buf.scratch);
  else
    wl_qk_run(q, fw->buf.db, fw->buf.out, fw->buf.scratch);
  fw->inferences++;
}

/* "infer N W": both optional (1 and 10); N >= 1. Returns 0, or -1 after an error. */
static int infer_args(sut_fw *fw, const char *arg, uint32_t *n, uint32_t *warmup)
{
  char num[SUT_FW_CMD_MAX + 1];
  *n = 1;
  *warmup = FW_DEFAULT_WARMUP;
  for (int i = 0; arg && *arg && i < 2; i++) {
    const char *sp = strchr(arg, ' ');
    size_t len = sp ? (size_t)(sp - arg) : strlen(arg);
    memcpy(num, arg, len);
    num[len] = '\0';
    if (sut_fw_parse_u32(num, i ? warmup : n) != 0 || (i == 0 && *n == 0)) {
      sut_fw_error(fw, "infer needs N >= 1 and W >= 0 below 10^9: infer N W");
      return -1;
    }
    arg = sp ? sp + 1 : NULL;
  }
  if (arg && *arg) {
    sut_fw_error(fw, "infer takes two numbers: infer N W");
    return -1;
  }
  return 0;
}

static void cmd_infer(sut_fw *fw, const char *arg)
{
  uint32_t n, warmup;
  if (infer_args(fw, arg, &n, &warmup) != 0)
    return;
  if (fw->db_expected == 0 || fw->db_loaded != fw->db_expected) {
    error_u32(fw, "infer: the input is not loaded (", (uint32_t)fw->db_loaded,
              " bytes of it; send db load N and the db bytes first)");
    return;
  }
  put_line_u32(fw, "m-warmup-start-", warmup);
  for (uint32_t i = 0; i < warmup; i++)
    run_once(fw);
  sut_fw_puts(fw, "m-warmup-done");
  put_line_u32(fw, "m-infer-start-", n);
  timestamp(fw);
  for (uint32_t i = 0; i < n; i++)
    run_once(fw);
  timestamp(fw);
  sut_fw_puts(fw, "m-infer-done");
  fw->has_results = 1;
  put_results(fw);
  put_ready(fw);
}

static void cmd_results(sut_fw *fw)
{
  if (!fw->has_results) {
    sut_fw_error(fw, "results: no inference has run yet");
    return;
  }
  put_results(fw);
  put_ready(fw);
}

static void cmd_timestamp(sut_fw *fw)
{
  timestamp(fw);
  put_ready(fw);
}

void sut_fw_command(sut_fw *fw, const char *line)
{
  const char *sp = strchr(line, ' ');
  size_t verb = sp ? (size_t)(sp - line) : strlen(line);
  const char *arg = sp ? sp + 1 : NULL;
  if (verb == 4 && strncmp(line, "name", 4) == 0 && !arg) {
    cmd_name(fw);
  } else if (verb == 7 && strncmp(line, "profile", 7) == 0 && !arg) {
    cmd_profile(fw);
  } else if (verb == 2 && strncmp(line, "db", 2) == 0) {
    cmd_db(fw, arg);
  } else if (verb == 5 && strncmp(line, "infer", 5) == 0) {
    cmd_infer(fw, arg);
  } else if (verb == 7 && strncmp(line, "results", 7) == 0 && !arg) {
    cmd_results(fw);
  } else if (verb == 9 && strncmp(line, "timestamp", 9) == 0 && !arg) {
    cmd_timestamp(fw);
  } else {
    put_str(fw, "e-[Unknown command: ");
    put_str(fw, line);
    sut_fw_puts(fw, "]");
    put_ready(fw);
  }
}

void sut_fw_feed(sut_fw *fw, char c)
{
  if (c != '%') {
    if (fw->cmd_len < SUT_FW_CMD_MAX)
      fw->cmd[fw->cmd_len] = c;
    if (fw->cmd_len <= SUT_FW_CMD_MAX)
      fw->cmd_len++;
    return;
  }
  fw->commands++;
  size_t len = fw->cmd_len;
  fw->cmd_len = 0;
  if (len > SUT_FW_CMD_MAX) {
    error_u32(fw, "Command longer than ", SUT_FW_CMD_MAX, " characters");
    return;
  }
  fw->cmd[len] = '\0';
  sut_fw_command(fw, fw->cmd);
}

void sut_fw_discard(sut_fw *fw)
{
  fw->cmd_len = 0;
}

void sut_fw_serve(sut_fw *fw)
{
  for (;;) {
    int c = fw->port.get_char ? fw->port.get_char(fw->port.ctx) : -1;
    if (c >= 0)
      sut_fw_feed(fw, (char)c);
  }
}
