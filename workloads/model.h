/*
 * workloads/model.h - private: the layer-list engine behind the reference models.
 *
 * A model is a static table of layers (wl_layer). wl_net_plan() walks it from an input
 * shape and computes every layer's shapes, TensorFlow 'same' padding and exact counts;
 * wl_net_init() also generates the weights; wl_net_run() is the fp32 reference
 * interpreter. The int8 interpreter over the same plan is in workloads/quant.h.
 *
 * Graph. A layer reads the previous layer's output (layer 0 reads the net input) unless
 * its `src` names an earlier layer: that is how a residual shortcut branches off
 * (WL_CONV_FROM). WL_OP_ADD adds the output of an earlier layer, `add`, to its input
 * element by element (the residual join; both must have the same shape). Every output
 * but the last must be read by some later layer.
 *
 * Activations. Intermediate outputs live in the caller's scratch, in n_slots slots of
 * max_act floats each. Planning gives layer i's output the lowest-numbered slot that
 * holds no output still to be read by layer i or later (so a layer never writes over
 * its own input); a plain chain alternates between two slots (ping-pong), a residual
 * network takes a third one for the shortcut. The last layer writes the caller's output.
 *
 * Layout. Activations are NHWC with N = 1: element (y, x, c) of an H x W x C tensor
 * is at [(y * W + x) * C + c]. A fully connected layer flattens its input in that
 * order. Weights of layer i sit in one float array, the layer's weights followed by
 * its biases, layers in table order:
 *   conv2d     [kh][kw][in_c][out_c]   (HWIO, as TensorFlow stores it), bias [out_c]
 *   depthwise  [kh][kw][c]             (multiplier 1),                  bias [c]
 *   dense (fc) [in][out],                                               bias [out]
 * BatchNorm is folded into conv weights and bias; ReLU is fused into a layer's output.
 *
 * Padding ('same', as TensorFlow): out = ceil(in / stride);
 *   pad_total = max((out - 1) * stride + k - in, 0); pad_before = pad_total / 2
 * (the extra row/column, if any, goes after). Padded positions read as 0.
 *
 * Counting conventions (exact, per inference):
 *   params  = weights + biases.
 *   MACs    = conv: out_h*out_w*out_c*kh*kw*in_c; depthwise: out_h*out_w*c*kh*kw;
 *             dense: in*out; pool, add: 0. Kernel taps over padding are counted.
 *   FLOPs   = 2 * MACs + one add per output element for the bias + one op per output
 *             element for a fused ReLU + for a global average pool one add per input
 *             element and one multiply per output element + for an add one add per
 *             output element.
 *   bytes   = 4 * (params + input elements + output elements) + 4 * (1 + readers) *
 *             the elements of every intermediate activation (written once, then read
 *             by each layer that takes it as an input or as an add operand: once in a
 *             plain chain, twice where a shortcut branches off), all fp32.
 *
 * Weights (wl_net_init). Layer i (0-based table index; layers without weights still
 * use up their index) draws from wl_rng seeded with wl_rng_derive(weight_seed, i): first
 * its weights in storage order, each wl_rng_f32_scaled(r, sqrt(6 / fan_in)) (He uniform;
 * fan_in = kh*kw*in_c for conv, kh*kw for depthwise, in for dense; the scale is computed
 * in double and rounded to float), then its biases, each wl_rng_f32_scaled(r, 0.1f).
 *
 * Centred logits (wl_net_center_logits). A randomly drawn ReLU network maps nearly every
 * input to the same class: deep ReLU layers and the global pool leave a large common
 * component in the features. A trained classifier is balanced instead, so a model may
 * replace the final dense layer's biases by minus its mean logits over n calibration
 * inputs: set those biases to 0, run the inputs in order, sum each logit in float in
 * input order, and set b_k = -(sum_k / n). The argmax then follows how a sample differs
 * from the typical one and varies across samples. (With n a power of two the division
 * is exact; another SUT that sums in another order gets biases within a few ulps.)
 *
 * Prototype head (wl_net_prototype_head). A random final layer reads the pooled features
 * along a random direction, where they vary little from sample to sample; a trained
 * head reads them along the directions that separate the classes. A model may instead
 * make the final dense layer (K outputs on F features) a prototype classifier on n >= K
 * calibration inputs: run them in order and keep each one's input to the final layer,
 * f_s; m = the mean of the f_s (sums in double, in input order); for class k the
 * weights w[j][k] = (f_k[j] - m[j]) * sqrt(2 / sum_j (f_k[j] - m[j])^2) (in double,
 * rounded once to float; the squared norm 2 is what the He recipe gives a column on
 * average), so input k is the prototype of class k. The biases are left alone (centre
 * the logits afterwards). Class k then wins where the features lean towards input k's.
 *
 * Thread-safety: a wl_net is immutable after wl_net_init(); wl_net_run() may run on
 * many threads at once, each with its own scratch. Ownership: wl_net_init() allocates
 * the weights, wl_net_destroy() frees them.
 */
#ifndef WL_MODEL_H
#define WL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
  WL_OP_CONV = 0, /* conv2d, 'same' padding (pointwise = 1x1) */
  WL_OP_DWCONV,   /* depthwise conv2d, multiplier 1, 'same' padding */
  WL_OP_AVGPOOL,  /* global average pool: H x W x C -> 1 x 1 x C */
  WL_OP_DENSE,    /* fully connected on the flattened input */
  WL_OP_ADD       /* input + the output of layer `add` - 1, same shape */
} wl_op;

typedef struct wl_layer {
  wl_op op;
  int kh, kw;    /* kernel height, width (conv, depthwise) */
  int sh, sw;    /* strides (conv, depthwise) */
  int out_c;     /* filters (conv) or outputs (dense); ignored otherwise */
  bool relu;     /* fused ReLU on the output (after the add, for WL_OP_ADD) */
  int src;       /* input: 0 = the previous layer's output; j + 1 = layer j's output */
  int add;       /* WL_OP_ADD only: j + 1 = layer j's output is added (0 elsewhere) */
} wl_layer;

/* Table helpers: conv (stride s in both dims), pointwise, depthwise, pool, dense;
 * WL_CONV_FROM reads layer j's output instead of the previous one (a shortcut branch);
 * WL_ADD adds layer j's output to the previous one (a residual join). j is the 0-based
 * index in the table and must be smaller than the index of the layer naming it. */
#define WL_CONV(kh_, kw_, s_, filters_, relu_) \
  { WL_OP_CONV, (kh_), (kw_), (s_), (s_), (filters_), (relu_), 0, 0 }
#define WL_CONV_FROM(j_, kh_, kw_, s_, filters_, relu_) \
  { WL_OP_CONV, (kh_), (kw_), (s_), (s_), (filters_), (relu_), (j_) + 1, 0 }
#define WL_PW(filters_, relu_) WL_CONV(1, 1, 1, filters_, relu_)
#define WL_DW(kh_, kw_, s_, relu_) \
  { WL_OP_DWCONV, (kh_), (kw_), (s_), (s_), 0, (relu_), 0, 0 }
#define WL_GAP() { WL_OP_AVGPOOL, 1, 1, 1, 1, 0, false, 0, 0 }
#define WL_DENSE(outputs_, relu_) { WL_OP_DENSE, 1, 1, 1, 1, (outputs_), (relu_), 0, 0 }
#define WL_ADD(j_, relu_) { WL_OP_ADD, 1, 1, 1, 1, 0, (relu_), 0, (j_) + 1 }

/* Exact per-inference counts (conventions in the header comment). */
typedef struct wl_counts {
  uint64_t params, macs, flops, bytes;
} wl_counts;

/* One layer with its shapes, padding and place in the weight array. */
typedef struct wl_layer_plan {
  wl_layer layer;
  int in;           /* layer whose output is the input; -1 = the net input */
  int operand;      /* WL_OP_ADD: layer whose output is added; -1 otherwise */
  int slot;         /* scratch slot of the output; -1 for the last layer (out) */
  int readers;      /* later layers reading the output (as input or add operand) */
  int in_h, in_w, in_c;
  int out_h, out_w, out_c;
  int pad_top, pad_left;
  size_t w_off;     /* first weight in wl_net.weights */
  size_t w_count;   /* weights, not counting biases (which follow them) */
  size_t b_count;   /* biases */
  wl_counts counts; /* params, macs, flops of this layer (bytes: see wl_net) */
} wl_layer_plan;

#define WL_NET_MAX_LAYERS 32

typedef struct wl_net {
  int n_layers;
  wl_layer_plan layers[WL_NET_MAX_LAYERS];
  size_t in_elems, out_elems;
  size_t max_act;   /* largest intermediate activation, in elements */
  int n_slots;      /* activation slots in the scratch (header comment) */
  wl_counts total;  /* whole model, bytes included */
  float *weights;   /* total.params floats; NULL until wl_net_init */
} wl_net;

/*
 * TensorFlow 'same' padding for one dimension: writes the output size and the padding
 * before (top/left). Returns 0, or WL_EINVAL when in, k or stride is < 1.
 */
int wl_same_pad(int in, int k, int stride, int *out, int *pad_before);

/*
 * Shapes, padding, slots and counts of `layers` (n of them) on an h x w x c input;
 * allocates nothing (net->weights = NULL). Returns 0, or WL_EINVAL for n outside
 * 1..WL_NET_MAX_LAYERS, a bad size or kernel, a non-positive out_c, a src or add that
 * names this or a later layer, an add on a missing operand or on operands of different
 * shapes, or an output (other than the last) that no layer reads.
 */
int wl_net_plan(wl_net *net, int h, int w, int c, const wl_layer *layers, int n);

/*
 * wl_net_plan() plus the weights generated from weight_seed. Returns 0, WL_EINVAL
 * (as wl_net_plan) or WL_ENOMEM. On error nothing is left to free.
 */
int wl_net_init(wl_net *net, int h, int w, int c, const wl_layer *layers, int n,
                uint64_t weight_seed);

/*
 * Centre the logits (header comment): inputs holds n * in_elems floats. The last layer
 * must be dense without ReLU. Returns 0, WL_EINVAL or WL_ENOMEM (it allocates a
 * temporary scratch; call it at open time, never on a timed path).
 */
int wl_net_center_logits(wl_net *net, const float *inputs, int n);

/*
 * Make the last layer a prototype head (header comment) from n calibration inputs
 * (n * in_elems floats). The last layer must be dense without ReLU, read an earlier
 * layer's output, and have at most n outputs; a prototype whose features equal the mean gets zero weights. Returns 0,
 * WL_EINVAL or WL_ENOMEM (it allocates a temporary; call it at open time).
 */
int wl_net_prototype_head(wl_net *net, const float *inputs, int n);

/* Free the weights. Accepts NULL and a net that wl_net_plan() alone filled. */
void wl_net_destroy(wl_net *net);

/* Scratch bytes wl_net_run needs: n_slots activation slots of max_act floats. */
size_t wl_net_scratch_bytes(const wl_net *net);

/*
 * Run the model: in has in_elems floats, out gets out_elems floats, scratch has
 * wl_net_scratch_bytes() bytes aligned for float. in, out and scratch must not
 * overlap. Allocates nothing.
 */
void wl_net_run(const wl_net *net, const float *in, float *out, void *scratch);

/* Called by wl_net_run_observed() after layer `layer` wrote its output: n floats at act. */
typedef void (*wl_net_observer)(void *ctx, int layer, const float *act, size_t n);

/* wl_net_run() that shows every layer's output to seen(ctx, ...) as it is written (int8
 * calibration reads the activation ranges this way). Allocates nothing. */
void wl_net_run_observed(const wl_net *net, const float *in, float *out, void *scratch,
                         wl_net_observer seen, void *ctx);

#endif /* WL_MODEL_H */
