/*
 * tests/firmware/test_fw.c - the device-side protocol library (sut/firmware/fw.h) on a
 * fake port that records every character: framing and command length, each command's
 * exact answer, the db buffer (hex, counts, errors, print), infer with N and W, results
 * equal to wl_qnet_run's bit for bit, the banner in both modes, and init's checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_models.h"
#include "tests/firmware/dut_link.h"

/* The fake board: output text, a clock that advances 7 us per read, edge count. */
typedef struct fake {
  char out[DL_ANSWER_MAX];
  size_t len;
  uint32_t now;
  int edges;
} fake;

static void fake_put(void *ctx, char c)
{
  fake *f = ctx;
  if (f->len + 1 < sizeof f->out)
    f->out[f->len++] = c;
  f->out[f->len] = '\0';
}

static uint32_t fake_now(void *ctx)
{
  fake *f = ctx;
  f->now += 7;
  return f->now;
}

static void fake_edge(void *ctx)
{
  ((fake *)ctx)->edges++;
}

typedef struct dev {
  fake port;
  sut_fw fw;
  float db[SUT_FW_KWS_DB_BYTES / 4];
  float out[SUT_FW_KWS_OUT_ELEMS];
  int32_t scratch[SUT_FW_KWS_SCRATCH_BYTES / 4 + 1];
} dev;

static dev *dev_open(sut_fw_mode mode)
{
  dev *d = calloc(1, sizeof *d);
  assert_non_null(d);
  sut_fw_port port = {&d->port, fake_put, NULL, fake_now, fake_edge};
  sut_fw_buffers buf = {d->db, sizeof d->db, d->out, SUT_FW_KWS_OUT_ELEMS, d->scratch,
                        sizeof d->scratch};
  assert_int_equal(sut_fw_init(&d->fw, &port, &sut_fw_model_kws, &buf, mode), SUT_FW_OK);
  return d;
}

/* Feed "cmd%" and return the answer (the recorded output is cleared first). */
static const char *dev_cmd(dev *d, const char *cmd)
{
  d->port.len = 0;
  d->port.out[0] = '\0';
  for (const char *p = cmd; *p; p++)
    sut_fw_feed(&d->fw, *p);
  sut_fw_feed(&d->fw, '%');
  return d->port.out;
}

static void test_init_checks(void **state)
{
  dev *d = dev_open(SUT_FW_MODE_PERFORMANCE);
  sut_fw_port port = {&d->port, fake_put, NULL, fake_now, NULL};
  sut_fw_buffers buf = {d->db, sizeof d->db, d->out, 12, d->scratch, sizeof d->scratch};
  sut_fw fw;
  assert_int_equal(sut_fw_init(&fw, &port, &sut_fw_model_kws, &buf, SUT_FW_MODE_ENERGY),
                   SUT_FW_EINVAL); /* energy mode needs the pin */
  assert_int_equal(sut_fw_init(&fw, &port, NULL, &buf, SUT_FW_MODE_PERFORMANCE),
                   SUT_FW_EINVAL);
  buf.db_bytes = 1959;
  assert_int_equal(sut_fw_init(&fw, &port, &sut_fw_model_kws, &buf, 0), SUT_FW_ESMALL);
  buf.db_bytes = sizeof d->db;
  buf.scratch_bytes = SUT_FW_KWS_SCRATCH_BYTES - 1;
  assert_int_equal(sut_fw_init(&fw, &port, &sut_fw_model_kws, &buf, 0), SUT_FW_ESMALL);
  buf.scratch_bytes = sizeof d->scratch;
  buf.out_elems = 11;
  assert_int_equal(sut_fw_init(&fw, &port, &sut_fw_model_kws, &buf, 0), SUT_FW_ESMALL);
  assert_string_equal(sut_fw_strerror(SUT_FW_ESMALL),
                      "a buffer is smaller than the model needs");
  free(d);
}

static void test_banner_and_simple_commands(void **state)
{
  dev *d = dev_open(SUT_FW_MODE_PERFORMANCE);
  sut_fw_boot(&d->fw);
  assert_string_equal(d->port.out, "m-timestamp-mode-performance\r\nm-lap-us-7\r\n"
                                   "m-init-done\r\nm-ready\r\n");
  assert_string_equal(dev_cmd(d, "name"), "m-name-dut-[mlsysbench]\r\nm-ready\r\n");
  assert_string_equal(dev_cmd(d, "profile"),
                      "m-profile-[mlsysbench kws int8 weight_seed=1 input=1960B f32 or "
                      "490B int8]\r\nm-model-[kws01]\r\nm-ready\r\n");
  assert_string_equal(dev_cmd(d, "timestamp"), "m-lap-us-14\r\nm-ready\r\n");
  assert_string_equal(dev_cmd(d, "results"),
                      "e-[results: no inference has run yet]\r\nm-ready\r\n");
  assert_string_equal(dev_cmd(d, "name "), "e-[Unknown command: name ]\r\nm-ready\r\n");
  assert_string_equal(dev_cmd(d, ""), "e-[Unknown command: ]\r\nm-ready\r\n");
  assert_string_equal(dev_cmd(d, "\r\nname"), "e-[Unknown command: \r\nname]\r\nm-ready\r\n");
  assert_int_equal(d->fw.commands, 7);
  free(d);
}

static void test_energy_mode(void **state)
{
  dev *d = dev_open(SUT_FW_MODE_ENERGY);
  sut_fw_boot(&d->fw);
  assert_string_equal(d->port.out, "m-timestamp-mode-energy\r\nm-init-done\r\nm-ready\r\n");
  assert_string_equal(dev_cmd(d, "timestamp"), "m-ready\r\n");
  assert_int_equal(d->port.edges, 2);
  free(d);
}

static void test_command_length(void **state)
{
  dev *d = dev_open(SUT_FW_MODE_PERFORMANCE);
  char cmd[SUT_FW_CMD_MAX + 2];
  memset(cmd, 'x', SUT_FW_CMD_MAX);
  cmd[SUT_FW_CMD_MAX] = '\0'; /* 80 characters: a command */
  const char *a = dev_cmd(d, cmd);
  assert_non_null(strstr(a, "e-[Unknown command: xxxx"));
  cmd[SUT_FW_CMD_MAX] = 'x';
  cmd[SUT_FW_CMD_MAX + 1] = '\0'; /* 81: too long */
  assert_string_equal(dev_cmd(d, cmd),
                      "e-[Command longer than 80 characters]\r\nm-ready\r\n");
  assert_string_equal(dev_cmd(d, "name"), "m-name-dut-[mlsysbench]\r\nm-ready\r\n");
  /* a partial command is dropped by sut_fw_discard */
  sut_fw_feed(&d->fw, 'q');
  sut_fw_discard(&d->fw);
  assert_string_equal(dev_cmd(d, "name"), "m-name-dut-[mlsysbench]\r\nm-ready\r\n");
  free(d);
}

static void test_db_buffer(void **state)
{
  dev *d = dev_open(SUT_FW_MODE_PERFORMANCE);
  assert_string_equal(dev_cmd(d, "db 00"), "e-[db data before db load N]\r\nm-ready\r\n");
  assert_string_equal(dev_cmd(d, "db load 100"),
                      "e-[db load 100: the input is 1960 bytes (f32) or 490 bytes (int8)]"
                      "\r\nm-ready\r\n");
  assert_string_equal(dev_cmd(d, "db load x"),
                      "e-[db load needs a byte count: db load N]\r\nm-ready\r\n");
  assert_string_equal(dev_cmd(d, "db"), "e-[db needs load N, print or hex bytes]\r\nm-ready\r\n");
  assert_string_equal(dev_cmd(d, "db load 490"), "m-[Expecting 490 bytes]\r\nm-ready\r\n");
  assert_string_equal(dev_cmd(d, "db 0"),
                      "e-[db: odd number of hex digits (1)]\r\nm-ready\r\n");
  assert_string_equal(dev_cmd(d, "db 0g"),
                      "e-[db: not a hex digit at position 2]\r\nm-ready\r\n");
  assert_string_equal(dev_cmd(d, "db 00FFa57f0102030405"), "m-ready\r\n");
  assert_string_equal(dev_cmd(d, "db print"),
                      "m-buffer-00-ff-a5-7f-01-02-03-04\r\nm-buffer-05\r\nm-ready\r\n");
  assert_int_equal(d->fw.db_loaded, 9);
  char cmd[SUT_FW_CMD_MAX + 1];
  for (int i = 0; i < 15; i++) { /* 9 + 15 x 31 = 474 */
    strcpy(cmd, "db ");
    for (int k = 0; k < 31; k++)
      strcat(cmd, "01");
    assert_string_equal(dev_cmd(d, cmd), "m-ready\r\n");
  }
  assert_string_equal(dev_cmd(d, "db 010101010101010101010101010101010101"),
                      "e-[db: more bytes than the 490 of db load]\r\nm-ready\r\n");
  assert_string_equal(dev_cmd(d, "db 01010101010101010101010101010101"),
                      "m-load-done\r\nm-ready\r\n");
  assert_int_equal(d->fw.db_loaded, 490);
  free(d);
}

static void test_infer_matches_qnet(void **state)
{
  dev *d = dev_open(SUT_FW_MODE_PERFORMANCE);
  float ref[12];
  static float in[490];
  assert_int_equal(dl_reference("kws", 5, in, sizeof in, ref, 12), 12);
  char cmd[8];
  assert_string_equal(dev_cmd(d, "db load 1960"), "m-[Expecting 1960 bytes]\r\nm-ready\r\n");
  const uint8_t *b = (const uint8_t *)in;
  for (size_t i = 0; i < sizeof in; i++) { /* one byte per command works too */
    snprintf(cmd, sizeof cmd, "db %02x", b[i]);
    dev_cmd(d, cmd);
  }
  assert_string_equal(d->port.out, "m-load-done\r\nm-ready\r\n");
  assert_non_null(strstr(dev_cmd(d, "infer 1"), "m-warmup-start-10\r\n")); /* W = 10 */
  assert_int_equal(d->fw.inferences, 11);
  const char *a = dev_cmd(d, "infer 3 0");
  uint32_t t0 = 0, t1 = 0;
  assert_int_equal(dl_lap(a, 0, &t0), 0);
  assert_int_equal(dl_lap(a, 1, &t1), 0);
  assert_int_equal(t1 - t0, 7); /* one clock read apart */
  assert_non_null(strstr(a, "m-warmup-start-0\r\nm-warmup-done\r\nm-infer-start-3\r\n"
                            "m-lap-us-"));
  assert_non_null(strstr(a, "\r\nm-infer-done\r\nm-results-["));
  float got[12];
  assert_int_equal(dl_results(a, got, 12), 12);
  for (int k = 0; k < 12; k++)
    assert_int_equal(dl_bits(got[k]), dl_bits(ref[k]));
  assert_int_equal(d->fw.inferences, 14);
  assert_string_equal(dev_cmd(d, "infer 0 1"),
                      "e-[infer needs N >= 1 and W >= 0 below 10^9: infer N W]\r\nm-ready\r\n");
  assert_string_equal(dev_cmd(d, "infer 1 1 1"),
                      "e-[infer takes two numbers: infer N W]\r\nm-ready\r\n");
  assert_string_equal(dev_cmd(d, "db load 490"), "m-[Expecting 490 bytes]\r\nm-ready\r\n");
  assert_string_equal(dev_cmd(d, "infer 1 0"),
                      "e-[infer: the input is not loaded (0 bytes of it; send db load N and "
                      "the db bytes first)]\r\nm-ready\r\n");
  free(d);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_init_checks),
      cmocka_unit_test(test_banner_and_simple_commands),
      cmocka_unit_test(test_energy_mode),
      cmocka_unit_test(test_command_length),
      cmocka_unit_test(test_db_buffer),
      cmocka_unit_test(test_infer_matches_qnet),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
