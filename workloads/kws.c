/*
 * workloads/kws.c - MLPerf Tiny kws01: the DS-CNN keyword-spotting model.
 *
 * Input 49 x 10 x 1 f32 (49 frames of 10 MFCC coefficients, NHWC), output 12 f32
 * logits. Layers (BatchNorm folded, ReLU fused; see model.h for the conventions):
 *   conv 10x4, 64 filters, stride 2, same  -> 25 x 5 x 64, ReLU
 *   4 x { depthwise 3x3, stride 1, same + ReLU; pointwise 1x1, 64 + ReLU }
 *   global average pool                    -> 64
 *   dense 12                               -> 12 logits
 * 22,604 parameters, 2,656,768 MACs per inference.
 *
 * Weights: model.h's recipe from weight_seed (default 1), then the logits centred
 *   (model.h, wl_net_center_logits) on 16 calibration inputs: samples 0..15 of the
 *   recipe below with weight_seed in place of sample_seed, so the weights depend on
 *   weight_seed alone.
 * Samples: sample `index` is 490 floats in NHWC order (frame-major: element (t, c) at
 *   t * 10 + c), drawn from wl_rng seeded with wl_rng_derive(sample_seed, index)
 *   (sample_seed default 2): first one offset per coefficient,
 *   mean[c] = wl_rng_f32() for c = 0..9, then for each element in order
 *   x = mean[c] + wl_rng_f32_scaled(0.5f) (one binary32 add). The per-sample offsets make
 *   the samples differ after the global pool, so the predicted class varies.
 * The model's impl is its wl_net (tests read the layer shapes from it).
 * total_sample_count = performance_sample_count = 1024: every generated sample fits in
 *   memory (2 MB of inputs) so the whole set is loaded, as MLPerf Tiny runs do.
 */
#include <stdlib.h>

#include "workloads/model.h"
#include "workloads/rng.h"
#include "workloads/wl_private.h"

#define KWS_FRAMES 49
#define KWS_COEFFS 10
#define KWS_CLASSES 12
#define KWS_SAMPLES 1024
#define KWS_CALIB 16 /* calibration samples that centre the logits */

static const wl_layer kws_layers[] = {
    WL_CONV(10, 4, 2, 64, true),
    WL_DW(3, 3, 1, true), WL_PW(64, true),
    WL_DW(3, 3, 1, true), WL_PW(64, true),
    WL_DW(3, 3, 1, true), WL_PW(64, true),
    WL_DW(3, 3, 1, true), WL_PW(64, true),
    WL_GAP(),
    WL_DENSE(KWS_CLASSES, false),
};

const char wl_kws_description[] =
    "MLPerf Tiny kws01 DS-CNN keyword spotting: 49x10 MFCC -> 12 classes";

const wl_param_info wl_kws_params[] = {
    {"weight_seed", "1", "seed of the deterministic weights (wl_rng)"},
    {"sample_seed", "2", "seed of the deterministic input samples (wl_rng)"},
    {NULL, NULL, NULL},
};

static void kws_fill_info(wl_info *info, const wl_net *net)
{
  info->input = (wl_tensor){WL_F32, 3, {KWS_FRAMES, KWS_COEFFS, 1, 0}};
  info->output = (wl_tensor){WL_F32, 1, {KWS_CLASSES, 0, 0, 0}};
  info->params = net->total.params;
  info->macs = net->total.macs;
  info->flops = net->total.flops;
  info->bytes_moved = net->total.bytes;
  info->total_sample_count = KWS_SAMPLES;
  info->performance_sample_count = KWS_SAMPLES;
}

/* The sample recipe of the header comment, for any seed. */
static void kws_sample(uint64_t seed, uint64_t index, float *x)
{
  float mean[KWS_COEFFS];
  wl_rng r;
  wl_rng_seed(&r, wl_rng_derive(seed, index));
  for (int c = 0; c < KWS_COEFFS; c++)
    mean[c] = wl_rng_f32(&r);
  for (int i = 0; i < KWS_FRAMES * KWS_COEFFS; i++)
    x[i] = mean[i % KWS_COEFFS] + wl_rng_f32_scaled(&r, 0.5f);
}

/* Weights from weight_seed, then the logits centred on the calibration samples. */
static int kws_build(wl_net *net, uint64_t weight_seed)
{
  int rc = wl_net_init(net, KWS_FRAMES, KWS_COEFFS, 1, kws_layers,
                       (int)(sizeof kws_layers / sizeof kws_layers[0]), weight_seed);
  if (rc != WL_OK)
    return rc;
  float *calib = malloc(sizeof(float) * KWS_CALIB * net->in_elems);
  if (!calib) {
    rc = WL_ENOMEM;
    goto fail_calib;
  }
  for (int i = 0; i < KWS_CALIB; i++)
    kws_sample(weight_seed, (uint64_t)i, calib + (size_t)i * net->in_elems);
  rc = wl_net_center_logits(net, calib, KWS_CALIB);
  free(calib);
  if (rc != WL_OK)
    goto fail_calib;
  return WL_OK;
fail_calib:
  wl_net_destroy(net);
  return rc;
}

static int kws_open(wl_model *m, const wl_param_ctx *ctx)
{
  int rc = wl_param_u64(ctx, "weight_seed", &m->info.weight_seed);
  if (rc == WL_OK)
    rc = wl_param_u64(ctx, "sample_seed", &m->info.sample_seed);
  if (rc != WL_OK)
    return rc;
  wl_net *net = calloc(1, sizeof *net);
  if (!net)
    return WL_ENOMEM;
  rc = kws_build(net, m->info.weight_seed);
  if (rc != WL_OK) {
    wl_set_err(ctx->err, ctx->errlen, "workload 'kws': %s", wl_strerror(rc));
    free(net);
    return rc;
  }
  kws_fill_info(&m->info, net);
  m->impl = net;
  return WL_OK;
}

static void kws_close(wl_model *m)
{
  wl_net_destroy(m->impl);
  free(m->impl);
}

static size_t kws_scratch_bytes(const wl_model *m)
{
  return wl_net_scratch_bytes(m->impl);
}

static void kws_scratch_init(const wl_model *m, void *scratch, unsigned worker)
{
  /* nothing per thread: the activation buffers are fully overwritten */
}

static void kws_make_sample(const wl_model *m, uint64_t index, void *input)
{
  kws_sample(m->info.sample_seed, index, input);
}

static void kws_infer(const wl_model *m, const void *input, void *output, void *scratch)
{
  wl_net_run(m->impl, input, output, scratch);
}

const wl_ops wl_kws_ops = {
    kws_open, kws_close, kws_scratch_bytes, kws_scratch_init, kws_make_sample, kws_infer,
};
