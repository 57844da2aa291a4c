/*
 * workloads/ic.c - MLPerf Tiny ic01: the ResNet-8 image classifier (CIFAR-10 shape).
 *
 * Input 32 x 32 x 3 f32 (an RGB image, NHWC, normalised around 0 like kws's MFCCs: the
 * reference feeds 3,072 uint8 pixels, we feed floats so every precision starts from the
 * same values; see the sample recipe), output 10 f32 logits. The layers follow the
 * MLPerf Tiny reference (mlcommons/tiny, training/image_classification/keras_model.py,
 * resnet_v1_eembc) with BatchNorm folded into each conv's weights and bias, ReLU fused
 * (see model.h for the conventions); layer indices on the left:
 *    0  conv 3x3, 16, stride 1, same, ReLU                -> 32 x 32 x 16
 *       stage 1 (16 filters, identity shortcut):
 *    1  conv 3x3, 16, stride 1, ReLU
 *    2  conv 3x3, 16, stride 1
 *    3  add layer 0's output, ReLU                       -> 32 x 32 x 16
 *       stage 2 (32 filters, stride 2, projected shortcut):
 *    4  conv 3x3, 32, stride 2, ReLU                     -> 16 x 16 x 32
 *    5  conv 3x3, 32, stride 1
 *    6  conv 1x1, 32, stride 2 on layer 3's output (the shortcut projection)
 *    7  add layer 5's output, ReLU                       -> 16 x 16 x 32
 *       stage 3 (64 filters, as stage 2):
 *    8  conv 3x3, 64, stride 2, ReLU                     ->  8 x  8 x 64
 *    9  conv 3x3, 64, stride 1
 *   10  conv 1x1, 64, stride 2 on layer 7's output
 *   11  add layer 9's output, ReLU                       ->  8 x  8 x 64
 *   12  global average pool                              -> 64
 *   13  dense 10                                         -> 10 logits
 * Every conv and the dense layer has a bias. 77,706 parameters (the table's 77.7k): the
 * reference's 78,666 less its 960 BatchNorm values (4 per channel of the 240 channels
 * after its 7 BatchNorm layers; the projections have none), which folding removes.
 * 12,501,632 MACs per inference (12.5M).
 *
 * Weights: model.h's recipe from weight_seed (default 1), except the final dense layer,
 *   which is a prototype head (model.h, wl_net_prototype_head: class k leans towards
 *   calibration input k), then the logits centred (wl_net_center_logits); both on 64
 *   calibration inputs, samples 0..63 of the recipe below drawn with weight_seed in
 *   place of sample_seed (wl_net_model_open, wl_private.h). A random head reads the
 *   pooled features along a direction where they hardly vary, and int8 rounding then
 *   flips its argmax on many samples; the prototype head reads them the way a trained
 *   head would, and keeps int8 top-1 agreement above 95 %.
 * Samples: sample `index` is 3,072 floats in NHWC order (element (y, x, c) at
 *   (y * 32 + x) * 3 + c), wl_sample_image() (wl_private.h) with 32 x 32 x 3 and noise
 *   0.25: a coloured checkerboard texture with per-sample colours, cell size and phase,
 *   plus per-pixel noise, drawn from wl_rng seeded with wl_rng_derive(sample_seed,
 *   index) (sample_seed default 2).
 * Precision: --set precision=int8 runs the int8 model of quant.h (per-channel int8
 *   weights, TFLite Micro arithmetic, calibrated on 64 inputs); input and output stay f32.
 * total_sample_count = performance_sample_count = 1024 (12 MB of inputs, all loaded).
 */
#include "workloads/model.h"
#include "workloads/wl_private.h"

#define IC_SIDE 32
#define IC_CHANNELS 3
#define IC_CLASSES 10
#define IC_SAMPLES 1024

static const wl_layer ic_layers[] = {
    /*  0 */ WL_CONV(3, 3, 1, 16, true),
    /*  1 */ WL_CONV(3, 3, 1, 16, true),
    /*  2 */ WL_CONV(3, 3, 1, 16, false),
    /*  3 */ WL_ADD(0, true),
    /*  4 */ WL_CONV(3, 3, 2, 32, true),
    /*  5 */ WL_CONV(3, 3, 1, 32, false),
    /*  6 */ WL_CONV_FROM(3, 1, 1, 2, 32, false),
    /*  7 */ WL_ADD(5, true),
    /*  8 */ WL_CONV(3, 3, 2, 64, true),
    /*  9 */ WL_CONV(3, 3, 1, 64, false),
    /* 10 */ WL_CONV_FROM(7, 1, 1, 2, 64, false),
    /* 11 */ WL_ADD(9, true),
    /* 12 */ WL_GAP(),
    /* 13 */ WL_DENSE(IC_CLASSES, false),
};

const char wl_ic_description[] =
    "MLPerf Tiny ic01 ResNet-8 image classification: 32x32x3 image -> 10 classes";

const wl_param_info wl_ic_params[] = {WL_NET_PARAMS};

static void ic_sample(uint64_t seed, uint64_t index, float *x)
{
  wl_sample_image(seed, index, x, IC_SIDE, IC_SIDE, IC_CHANNELS, 0.25f);
}

static const wl_net_spec ic_spec = {
    .layers = ic_layers,
    .n_layers = (int)(sizeof ic_layers / sizeof ic_layers[0]),
    .in_h = IC_SIDE, .in_w = IC_SIDE, .in_c = IC_CHANNELS,
    .input = {WL_F32, 3, {IC_SIDE, IC_SIDE, IC_CHANNELS, 0}},
    .output = {WL_F32, 1, {IC_CLASSES, 0, 0, 0}},
    .calib = 64,
    .prototype_head = true,
    .center_logits = true,
    .total_samples = IC_SAMPLES,
    .performance_samples = IC_SAMPLES,
    .sample = ic_sample,
};

WL_NET_WORKLOAD(ic, ic_spec);
