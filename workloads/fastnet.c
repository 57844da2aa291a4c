/*
 * workloads/fastnet.c - the fast fp32 engine of a layer-list model (fastnet.h): per
 * layer kernel choice and weight packing at open time, then chunks of samples through
 * the layers with the kernels of kernels.h.
 */
#include "workloads/fastnet.h"

#include <string.h>

#include "workloads/workload.h"

static size_t round_floats(size_t n)
{
  return (n + 15) / 16 * 16; /* 64-byte steps between scratch regions */
}

static size_t out_elems(const wl_layer_plan *p)
{
  return (size_t)p->out_h * p->out_w * p->out_c;
}

static size_t in_elems(const wl_layer_plan *p)
{
  return (size_t)p->in_h * p->in_w * p->in_c;
}

static int plan_layer(wl_fast_net *f, int i)
{
  const wl_layer_plan *p = &f->net->layers[i];
  wl_fast_layer *fl = &f->layers[i];
  const float *w = f->net->weights + p->w_off;
  const wl_layer *l = &p->layer;
  fl->g = (wl_kern_conv){p->in_h, p->in_w, p->in_c, p->out_h, p->out_w, l->kh, l->kw,
                         l->sh, l->sw, p->pad_top, p->pad_left};
  if (l->op == WL_OP_CONV) {
    int k = l->kh * l->kw * p->in_c;
    fl->implicit = !(l->kh == 1 && l->kw == 1 && l->sh == 1 && l->sw == 1);
    size_t pad = fl->implicit ? wl_kern_conv_pad_floats(&fl->g) : 0;
    if (pad > f->pad_floats)
      f->pad_floats = pad;
    return wl_kern_b_init(&fl->b, w, (size_t)p->out_c, k, p->out_c, w + p->w_count);
  }
  if (l->op == WL_OP_DENSE)
    return wl_kern_b_init(&fl->b, w, (size_t)p->out_c, (int)in_elems(p), p->out_c,
                          w + p->w_count);
  return 0;
}

int wl_fast_net_init_kern(wl_fast_net *f, const wl_net *net, const wl_kern *kern)
{
  memset(f, 0, sizeof *f);
  if (!net->weights)
    return WL_EINVAL;
  f->net = net;
  f->kern = *kern;
  for (int i = 0; i < net->n_layers; i++)
    if (plan_layer(f, i) != 0) {
      wl_fast_net_destroy(f);
      return WL_ENOMEM;
    }
  size_t per_sample = sizeof(float) * (size_t)net->n_slots * net->max_act;
  f->chunk = per_sample ? WL_FAST_ACT_BYTES / per_sample : WL_FAST_MAX_CHUNK;
  if (f->chunk < 1)
    f->chunk = 1;
  if (f->chunk > WL_FAST_MAX_CHUNK)
    f->chunk = WL_FAST_MAX_CHUNK;
  return WL_OK;
}

int wl_fast_net_init(wl_fast_net *f, const wl_net *net)
{
  wl_kern kern;
  wl_kern_init(&kern);
  return wl_fast_net_init_kern(f, net, &kern);
}

void wl_fast_net_destroy(wl_fast_net *f)
{
  for (int i = 0; i < WL_NET_MAX_LAYERS; i++)
    wl_kern_b_destroy(&f->layers[i].b);
}

/* Where a pass's buffers sit in the scratch, for up to c samples. */
typedef struct fast_bufs {
  float *slots;     /* n_slots slots of c * max_act floats */
  size_t slot_len;  /* c * max_act */
  float *in, *out;  /* c inputs and c outputs, contiguous (used when c > 1) */
  float *pad;       /* a convolution's zero-padded input */
} fast_bufs;

/* The buffers of a pass of up to c samples at scratch; *bytes gets their total size. */
static fast_bufs carve(const wl_fast_net *f, size_t c, void *scratch, size_t *bytes)
{
  const wl_net *net = f->net;
  fast_bufs b = {0};
  size_t slot_len = round_floats(c * net->max_act);
  size_t in_off = (size_t)net->n_slots * slot_len;
  size_t out_off = in_off + round_floats(c * net->in_elems);
  size_t pad_off = out_off + round_floats(c * net->out_elems);
  *bytes = sizeof(float) * (pad_off + f->pad_floats);
  if (scratch) {
    b.slot_len = slot_len;
    b.slots = scratch;
    b.in = b.slots + in_off;
    b.out = b.slots + out_off;
    b.pad = b.slots + pad_off;
  }
  return b;
}

static size_t pass_samples(const wl_fast_net *f, size_t batch)
{
  size_t c = batch < f->chunk ? batch : f->chunk;
  return c < 1 ? 1 : c;
}

size_t wl_fast_net_scratch_bytes(const wl_fast_net *f, size_t batch)
{
  size_t bytes;
  carve(f, pass_samples(f, batch), NULL, &bytes);
  return bytes;
}

/* ---- layers over a chunk of c samples --------------------------------------------- */

static void run_conv(const wl_fast_net *f, const wl_fast_layer *fl, size_t c,
                     const float *in, float *out, float *pad, bool relu)
{
  const wl_kern_conv *g = &fl->g;
  size_t pixels = (size_t)g->out_h * g->out_w, n_out = (size_t)fl->b.n;
  if (!fl->implicit) {
    wl_kern_gemm(&f->kern, (int)(c * pixels), in, (size_t)g->in_c, &fl->b, relu, out,
                 n_out);
    return;
  }
  size_t in_len = (size_t)g->in_h * g->in_w * g->in_c;
  for (size_t s = 0; s < c; s++)
    wl_kern_conv2d(&f->kern, g, in + s * in_len, &fl->b, relu, out + s * pixels * n_out,
                   pad);
}

static void run_avgpool(const wl_layer_plan *p, size_t c, const float *restrict in,
                        float *restrict out)
{
  size_t hw = (size_t)p->in_h * p->in_w, ch = (size_t)p->in_c;
  float inv = 1.0f / (float)hw;
  for (size_t s = 0; s < c; s++, in += hw * ch, out += ch) {
    memset(out, 0, sizeof(float) * ch);
    for (size_t i = 0; i < hw; i++)
      for (size_t j = 0; j < ch; j++)
        out[j] += in[i * ch + j];
    for (size_t j = 0; j < ch; j++)
      out[j] *= inv;
  }
}

static void run_layer(const wl_fast_net *f, int i, size_t c, const float *in,
                      const float *operand, float *out, float *pad)
{
  const wl_layer_plan *p = &f->net->layers[i];
  const wl_fast_layer *fl = &f->layers[i];
  bool relu = p->layer.relu;
  switch (p->layer.op) {
  case WL_OP_CONV:
    run_conv(f, fl, c, in, out, pad, relu);
    break;
  case WL_OP_DWCONV: {
    const float *w = f->net->weights + p->w_off;
    wl_kern_dw d = {fl->g, w, w + p->w_count, relu};
    for (size_t s = 0; s < c; s++)
      f->kern.dw(&d, in + s * in_elems(p), out + s * out_elems(p));
    break;
  }
  case WL_OP_AVGPOOL:
    run_avgpool(p, c, in, out);
    break;
  case WL_OP_DENSE:
    wl_kern_gemm(&f->kern, (int)c, in, in_elems(p), &fl->b, relu, out,
                 (size_t)p->out_c);
    break;
  case WL_OP_ADD:
    f->kern.add(c * out_elems(p), in, operand, out, relu);
    break;
  }
}

/* One pass: c samples, inputs contiguous at x, outputs contiguous at y. */
static void run_chunk(const wl_fast_net *f, const fast_bufs *b, size_t c,
                      const float *x, float *y)
{
  const wl_net *net = f->net;
  for (int i = 0; i < net->n_layers; i++) {
    const wl_layer_plan *p = &net->layers[i];
    float *dst = p->slot < 0 ? y : b->slots + (size_t)p->slot * b->slot_len;
    const float *src = p->in < 0 ? x : b->slots + (size_t)net->layers[p->in].slot * b->slot_len;
    const float *operand =
        p->operand < 0 ? NULL : b->slots + (size_t)net->layers[p->operand].slot * b->slot_len;
    run_layer(f, i, c, src, operand, dst, b->pad);
  }
}

void wl_fast_net_run(const wl_fast_net *f, const float *const *in, float *const *out,
                     size_t n, size_t batch, void *scratch)
{
  const wl_net *net = f->net;
  size_t cap = pass_samples(f, batch), bytes;
  fast_bufs b = carve(f, cap, scratch, &bytes);
  for (size_t s0 = 0; s0 < n; s0 += cap) {
    size_t c = n - s0 < cap ? n - s0 : cap;
    if (c == 1) {
      run_chunk(f, &b, 1, in[s0], out[s0]);
      continue;
    }
    for (size_t j = 0; j < c; j++)
      memcpy(b.in + j * net->in_elems, in[s0 + j], sizeof(float) * net->in_elems);
    run_chunk(f, &b, c, b.in, b.out);
    for (size_t j = 0; j < c; j++)
      memcpy(out[s0 + j], b.out + j * net->out_elems, sizeof(float) * net->out_elems);
  }
}
