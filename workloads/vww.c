/*
 * workloads/vww.c - MLPerf Tiny vww01: MobileNetV1 (width 0.25) visual wake words.
 *
 * Input 96 x 96 x 3 f32 (an RGB image, NHWC, normalised around 0: the reference feeds
 * 27,648 uint8 pixels, we feed floats so every precision starts from the same values),
 * output 2 f32 logits (person / no person). The layers follow MobileNetV1 at alpha 0.25
 * as the MLPerf Tiny reference builds it (mlcommons/tiny,
 * training/visual_wake_words/vww_model.py), BatchNorm folded into each layer's weights
 * and bias, ReLU fused (model.h has the conventions):
 *   conv 3x3, 8, stride 2, same, ReLU                          -> 48 x 48 x 8
 *   13 depthwise-separable blocks { depthwise 3x3, stride s, ReLU; pointwise 1x1, f, ReLU }
 *     with (f, s) = (16,1) (32,2) (32,1) (64,2) (64,1) (128,2) 5 x (128,1) (256,2) (256,1)
 *                                                              ->  3 x  3 x 256
 *   global average pool                                        -> 256
 *   dense 2                                                    -> 2 logits
 * 210,850 parameters (the table's 211k) and 7,489,664 MACs per inference (7.49M).
 *
 * Weights: model.h's recipe from weight_seed (default 1), except the final dense layer,
 *   a prototype head (model.h, wl_net_prototype_head), then the logits centred; both
 *   on 64 calibration inputs drawn with weight_seed (as ic.c explains).
 * Samples: sample `index` is 27,648 floats in NHWC order (element (y, x, c) at
 *   (y * 96 + x) * 3 + c), wl_sample_image() (wl_private.h) with 96 x 96 x 3 and noise
 *   0.25, from wl_rng seeded with wl_rng_derive(sample_seed, index) (sample_seed
 *   default 2).
 * Precision: --set precision=int8 runs the int8 model of quant.h; input and output f32.
 * total_sample_count = 1024; performance_sample_count = 256 (28 MB of inputs loaded).
 */
#include "workloads/model.h"
#include "workloads/wl_private.h"

#define VWW_SIDE 96
#define VWW_CHANNELS 3
#define VWW_CLASSES 2
#define VWW_SAMPLES 1024
#define VWW_LOADED 256

/* One depthwise-separable block: depthwise 3x3 with stride s, pointwise f; both ReLU. */
#define VWW_BLOCK(f_, s_) WL_DW(3, 3, s_, true), WL_PW(f_, true)

static const wl_layer vww_layers[] = {
    WL_CONV(3, 3, 2, 8, true),
    VWW_BLOCK(16, 1),  VWW_BLOCK(32, 2),  VWW_BLOCK(32, 1),  VWW_BLOCK(64, 2),
    VWW_BLOCK(64, 1),  VWW_BLOCK(128, 2), VWW_BLOCK(128, 1), VWW_BLOCK(128, 1),
    VWW_BLOCK(128, 1), VWW_BLOCK(128, 1), VWW_BLOCK(128, 1), VWW_BLOCK(256, 2),
    VWW_BLOCK(256, 1),
    WL_GAP(),
    WL_DENSE(VWW_CLASSES, false),
};

const char wl_vww_description[] =
    "MLPerf Tiny vww01 MobileNetV1 0.25 visual wake words: 96x96x3 image -> 2 classes";

const wl_param_info wl_vww_params[] = {WL_NET_PARAMS};

static void vww_sample(uint64_t seed, uint64_t index, float *x)
{
  wl_sample_image(seed, index, x, VWW_SIDE, VWW_SIDE, VWW_CHANNELS, 0.25f);
}

static const wl_net_spec vww_spec = {
    .layers = vww_layers,
    .n_layers = (int)(sizeof vww_layers / sizeof vww_layers[0]),
    .in_h = VWW_SIDE, .in_w = VWW_SIDE, .in_c = VWW_CHANNELS,
    .input = {WL_F32, 3, {VWW_SIDE, VWW_SIDE, VWW_CHANNELS, 0}},
    .output = {WL_F32, 1, {VWW_CLASSES, 0, 0, 0}},
    .calib = 64,
    .prototype_head = true,
    .center_logits = true,
    .total_samples = VWW_SAMPLES,
    .performance_samples = VWW_LOADED,
    .sample = vww_sample,
};

WL_NET_WORKLOAD(vww, vww_spec);
