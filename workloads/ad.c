/*
 * workloads/ad.c - MLPerf Tiny ad01: the fully connected autoencoder that scores
 * machine-sound anomalies (ToyADMOS shape).
 *
 * Input 640 f32 (5 frames of 128 log-mel bins, frame-major), output the 640 f32 of its
 * reconstruction. Layers (the MLPerf Tiny reference, mlcommons/tiny
 * training/anomaly_detection/keras_model.py, BatchNorm folded into each dense layer's
 * weights and bias, ReLU fused; model.h has the conventions):
 *   dense 128, ReLU, 4 times        (640 -> 128 -> 128 -> 128 -> 128)
 *   dense 8, ReLU                   (the bottleneck)
 *   dense 128, ReLU, 4 times
 *   dense 640                       (the reconstruction, no ReLU)
 * 265,864 parameters (the table's 266k) and 264,192 MACs per inference (0.264M).
 *
 * Accuracy: the output is a reconstruction, not logits. wl_accuracy's max_abs_error
 *   (over all 640 elements) is the measure of agreement with the reference; the anomaly
 *   score of a sample is the mean squared reconstruction error, wl_anomaly_score().
 *   (top1_agree, the argmax of the 640 values, means little here.)
 * Weights: model.h's recipe from weight_seed (default 1); no logit centring.
 * Precision: --set precision=int8 runs the int8 model of quant.h (calibrated on
 *   samples 0..63 drawn with weight_seed); input and reconstruction stay f32.
 * Samples: sample `index` is 640 floats, element (t, b) at t * 128 + b, the "offsets
 *   plus noise" recipe (wl_sample_offsets, wl_private.h) with period 128 and noise 0.5,
 *   from wl_rng seeded with wl_rng_derive(sample_seed, index) (sample_seed default 2):
 *   mean[b] = wl_rng_f32() for b = 0..127, then x = mean[b] + wl_rng_f32_scaled(0.5f)
 *   for each element in order.
 * total_sample_count = performance_sample_count = 1024 (2.6 MB of inputs, all loaded).
 */
#include "workloads/model.h"
#include "workloads/wl_private.h"

#define AD_FRAMES 5
#define AD_BINS 128
#define AD_IN (AD_FRAMES * AD_BINS)
#define AD_SAMPLES 1024

static const wl_layer ad_layers[] = {
    WL_DENSE(128, true), WL_DENSE(128, true), WL_DENSE(128, true), WL_DENSE(128, true),
    WL_DENSE(8, true),
    WL_DENSE(128, true), WL_DENSE(128, true), WL_DENSE(128, true), WL_DENSE(128, true),
    WL_DENSE(AD_IN, false),
};

const char wl_ad_description[] =
    "MLPerf Tiny ad01 FC autoencoder anomaly detection: 640 log-mel -> reconstruction";

const wl_param_info wl_ad_params[] = {WL_NET_PARAMS};

static void ad_sample(uint64_t seed, uint64_t index, float *x)
{
  wl_sample_offsets(seed, index, x, AD_IN, AD_BINS, 0.5f);
}

static const wl_net_spec ad_spec = {
    .layers = ad_layers,
    .n_layers = (int)(sizeof ad_layers / sizeof ad_layers[0]),
    .in_h = 1, .in_w = 1, .in_c = AD_IN,
    .input = {WL_F32, 1, {AD_IN, 0, 0, 0}},
    .output = {WL_F32, 1, {AD_IN, 0, 0, 0}},
    .calib = 16,
    .center_logits = false,
    .reconstruction = true,
    .total_samples = AD_SAMPLES,
    .performance_samples = AD_SAMPLES,
    .sample = ad_sample,
};

WL_NET_WORKLOAD(ad, ad_spec);
