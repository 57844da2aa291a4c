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
 *   weight_seed alone (wl_net_model_open in wl_private.h).
 * Samples: sample `index` is 490 floats in NHWC order (frame-major: element (t, c) at
 *   t * 10 + c), drawn from wl_rng seeded with wl_rng_derive(sample_seed, index)
 *   (sample_seed default 2): first one offset per coefficient,
 *   mean[c] = wl_rng_f32() for c = 0..9, then for each element in order
 *   x = mean[c] + wl_rng_f32_scaled(0.5f) (one binary32 add; wl_sample_offsets with
 *   period 10, noise 0.5). The per-sample offsets make the samples differ after the
 *   global pool, so the predicted class varies.
 * Precision: --set precision=int8 runs the int8 model of quant.h (per-channel int8
 *   weights, TFLite Micro arithmetic, calibrated on samples 0..63 drawn with
 *   weight_seed); input and output stay f32.
 * The model's impl is a wl_net_model whose first member is the wl_net (tests read the
 *   layer shapes from it).
 * total_sample_count = performance_sample_count = 1024: every generated sample fits in
 *   memory (2 MB of inputs) so the whole set is loaded, as MLPerf Tiny runs do.
 */
#include "workloads/model.h"
#include "workloads/wl_private.h"

#define KWS_FRAMES 49
#define KWS_COEFFS 10
#define KWS_CLASSES 12
#define KWS_SAMPLES 1024

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

const wl_param_info wl_kws_params[] = {WL_NET_PARAMS};

/* The sample recipe of the header comment, for any seed. */
static void kws_sample(uint64_t seed, uint64_t index, float *x)
{
  wl_sample_offsets(seed, index, x, KWS_FRAMES * KWS_COEFFS, KWS_COEFFS, 0.5f);
}

static const wl_net_spec kws_spec = {
    .layers = kws_layers,
    .n_layers = (int)(sizeof kws_layers / sizeof kws_layers[0]),
    .in_h = KWS_FRAMES, .in_w = KWS_COEFFS, .in_c = 1,
    .input = {WL_F32, 3, {KWS_FRAMES, KWS_COEFFS, 1, 0}},
    .output = {WL_F32, 1, {KWS_CLASSES, 0, 0, 0}},
    .calib = 16,
    .center_logits = true,
    .total_samples = KWS_SAMPLES,
    .performance_samples = KWS_SAMPLES,
    .sample = kws_sample,
};

WL_NET_WORKLOAD(kws, kws_spec);
