/*
 * sut/cuda/engine.c - the device-resident model and the lanes that run its batches
 * (see engine.h): plan copy, weight upload, buffers, the batch sequence, cuBLAS.
 */
#include "sut/cuda/engine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime_api.h>

#include "sut/cuda/blas.h"
#include "sut/cuda/gpu.h"
#include "sut/cuda/kernels.h"
#include "workloads/model.h"

struct sut_cuda_model {
  wl_graph g;
  sut_cuda_precision precision;
  size_t in_elems, out_elems;
  /* layer-list models */
  int n_layers;
  sut_k_layer layers[WL_NET_MAX_LAYERS];
  size_t w_off[WL_NET_MAX_LAYERS];
  int in[WL_NET_MAX_LAYERS], operand[WL_NET_MAX_LAYERS], slot[WL_NET_MAX_LAYERS];
  int n_slots;
  size_t max_act;
  float *weights;   /* device */
  /* gemm */
  void *b;          /* device, k x n in the precision's dtype */
  sut_blas blas;    /* cuBLAS, loaded for gemm only */
};

struct sut_cuda_lane {
  const sut_cuda_model *md;
  int max_batch;
  cudaStream_t stream;
  cudaEvent_t ev[4];
  int events;          /* created */
  cublasHandle_t blas; /* gemm only */
  uint32_t *slots_host, *slots_dev;
  void *input;         /* gathered inputs, f32 or 16-bit */
  float *acts;         /* n_slots x max_act x max_batch */
  float *out_dev, *out_host;
  bool broken;         /* a wait timed out: the stream may never finish */
};

static bool half_inputs(sut_cuda_precision p)
{
  return p == SUT_CUDA_FP16 || p == SUT_CUDA_BF16;
}

static size_t input_elem_bytes(const sut_cuda_model *md)
{
  return half_inputs(md->precision) ? 2 : sizeof(float);
}

/* ---- model ---------------------------------------------------------------------- */
static const sut_k_op k_ops[] = {
    [WL_OP_CONV] = SUT_K_CONV,       [WL_OP_DWCONV] = SUT_K_DWCONV,
    [WL_OP_AVGPOOL] = SUT_K_AVGPOOL, [WL_OP_DENSE] = SUT_K_DENSE,
    [WL_OP_ADD] = SUT_K_ADD,
};

static void plan_layers(sut_cuda_model *md, const wl_net *net)
{
  md->n_layers = net->n_layers;
  md->n_slots = net->n_slots;
  md->max_act = net->max_act;
  for (int i = 0; i < net->n_layers; i++) {
    const wl_layer_plan *p = &net->layers[i];
    size_t in_elems = (size_t)p->in_h * p->in_w * p->in_c;
    md->layers[i] = (sut_k_layer){
        .op = k_ops[p->layer.op],
        .kh = p->layer.kh, .kw = p->layer.kw, .sh = p->layer.sh, .sw = p->layer.sw,
        .in_h = p->in_h, .in_w = p->in_w, .in_c = p->in_c,
        .out_h = p->out_h, .out_w = p->out_w, .out_c = p->out_c,
        .pad_top = p->pad_top, .pad_left = p->pad_left,
        .relu = p->layer.relu,
        .bias_off = p->w_count,
        .in_elems = in_elems,
        .out_elems = (size_t)p->out_h * p->out_w * p->out_c,
        .pool_scale = 1.0f / (float)(p->in_h * p->in_w),
    };
    md->w_off[i] = p->w_off;
    md->in[i] = p->in;
    md->operand[i] = p->operand;
    md->slot[i] = p->slot;
  }
}

/* Copy n floats to new device memory, converted to the precision's dtype. */
static int upload(void **dst, const float *src, size_t n, sut_cuda_precision p, char *err,
                  size_t errlen)
{
  float *f32 = NULL;
  uint32_t first_slot = 0;
  *dst = NULL;
  int rc = sut_gpu_check(cudaMalloc((void **)&f32, n * sizeof(float)), "cudaMalloc (weights)",
                         err, errlen);
  if (rc == SUT_OK)
    rc = sut_gpu_check(cudaMemcpy(f32, src, n * sizeof(float), cudaMemcpyHostToDevice),
                       "cudaMemcpy (weights)", err, errlen);
  if (rc != SUT_OK || !half_inputs(p)) {
    *dst = rc == SUT_OK ? f32 : NULL;
    if (rc != SUT_OK)
      cudaFree(f32);
    return rc;
  }
  /* fp16/bf16: the gather kernel converts, reading the floats as one "sample" */
  uint32_t *slot = NULL;
  rc = sut_gpu_check(cudaMalloc(dst, n * 2), "cudaMalloc (weights)", err, errlen);
  if (rc == SUT_OK)
    rc = sut_gpu_check(cudaMalloc((void **)&slot, sizeof first_slot), "cudaMalloc", err, errlen);
  if (rc == SUT_OK)
    rc = sut_gpu_check(cudaMemcpy(slot, &first_slot, sizeof first_slot, cudaMemcpyHostToDevice),
                       "cudaMemcpy", err, errlen);
  if (rc == SUT_OK)
    rc = sut_gpu_check((cudaError_t)sut_k_gather(0, f32, slot, 1, n, *dst,
                                                 p == SUT_CUDA_FP16 ? SUT_K_F16 : SUT_K_BF16),
                       "converting B", err, errlen);
  if (rc == SUT_OK)
    rc = sut_gpu_check(cudaDeviceSynchronize(), "converting B", err, errlen);
  cudaFree(slot);
  cudaFree(f32);
  if (rc != SUT_OK) {
    cudaFree(*dst);
    *dst = NULL;
  }
  return rc;
}

int sut_cuda_model_check(const wl_model *m, sut_cuda_precision p, char *err, size_t errlen)
{
  wl_graph graph;
  wl_model_graph(m, &graph);
  const wl_graph *g = &graph;
  const char *name = wl_model_info(m)->name;
  if (g->kind == WL_GRAPH_OTHER) {
    if (strcmp(name, "decoder") == 0)
      snprintf(err, errlen, "cuda: workload 'decoder' is not supported yet: its "
               "attention and KV-cache kernels are not written for the CUDA SUT; run it "
               "with --sut cpu");
    else
      snprintf(err, errlen, "cuda: workload '%s' is not supported: the CUDA SUT runs "
               "gemm (cuBLAS) and the layer-list models kws, ic, vww, ad; %s runs on "
               "--sut cpu", name, name);
    return SUT_ENOTSUP;
  }
  if (g->kind == WL_GRAPH_NET && g->int8) {
    snprintf(err, errlen, "cuda: workload '%s' with precision=int8 is not supported yet "
             "(the CUDA kernels are fp32); drop --set precision=int8", name);
    return SUT_ENOTSUP;
  }
  if (g->kind == WL_GRAPH_NET && p != SUT_CUDA_FP32) {
    snprintf(err, errlen, "cuda: precision=%s applies to gemm only; workload '%s' runs "
             "fp32 kernels (use precision=fp32)", sut_cuda_precision_name(p), name);
    return SUT_ENOTSUP;
  }
  return SUT_OK;
}

int sut_cuda_model_open(sut_cuda_model **out, const wl_model *m, sut_cuda_precision p,
                        char *err, size_t errlen)
{
  *out = NULL;
  wl_graph g;
  wl_model_graph(m, &g);
  int rc = sut_cuda_model_check(m, p, err, errlen);
  if (rc != SUT_OK)
    return rc;
  sut_cuda_model *md = calloc(1, sizeof *md);
  if (!md) {
    snprintf(err, errlen, "cuda: out of memory");
    return SUT_ENOMEM;
  }
  const wl_info *info = wl_model_info(m);
  md->g = g;
  md->precision = p;
  md->in_elems = wl_tensor_elems(&info->input);
  md->out_elems = wl_tensor_elems(&info->output);
  if (g.kind == WL_GRAPH_NET) {
    plan_layers(md, g.net);
    rc = upload((void **)&md->weights, g.net->weights, g.net->total.params, SUT_CUDA_FP32,
                err, errlen);
  } else {
    rc = sut_blas_load(&md->blas, err, errlen);
    if (rc == SUT_OK)
      rc = upload(&md->b, g.gemm_b, (size_t)g.gemm_k * g.gemm_n, p, err, errlen);
  }
  if (rc != SUT_OK) {
    sut_cuda_model_close(md);
    return rc;
  }
  *out = md;
  return SUT_OK;
}

void sut_cuda_model_close(sut_cuda_model *md)
{
  if (!md)
    return;
  cudaFree(md->weights);
  cudaFree(md->b);
  sut_blas_unload(&md->blas);
  free(md);
}

size_t sut_cuda_model_lane_bytes(const sut_cuda_model *md)
{
  size_t acts = md->g.kind == WL_GRAPH_NET ? (size_t)md->n_slots * md->max_act : 0;
  return md->in_elems * input_elem_bytes(md) + (acts + md->out_elems) * sizeof(float);
}

/* ---- lane ----------------------------------------------------------------------- */
static int lane_buffers(sut_cuda_lane *l, char *err, size_t errlen)
{
  const sut_cuda_model *md = l->md;
  size_t b = (size_t)l->max_batch;
  size_t acts = md->g.kind == WL_GRAPH_NET ? (size_t)md->n_slots * md->max_act * b : 0;
  int rc = sut_gpu_check(cudaMallocHost((void **)&l->slots_host, b * sizeof(uint32_t)),
                         "cudaMallocHost (batch slots)", err, errlen);
  if (rc == SUT_OK)
    rc = sut_gpu_check(cudaMallocHost((void **)&l->out_host, b * md->out_elems * sizeof(float)),
                       "cudaMallocHost (batch outputs)", err, errlen);
  if (rc == SUT_OK)
    rc = sut_gpu_check(cudaMalloc((void **)&l->slots_dev, b * sizeof(uint32_t)),
                       "cudaMalloc (batch slots)", err, errlen);
  if (rc == SUT_OK)
    rc = sut_gpu_check(cudaMalloc(&l->input, b * md->in_elems * input_elem_bytes(md)),
                       "cudaMalloc (batch inputs)", err, errlen);
  if (rc == SUT_OK && acts)
    rc = sut_gpu_check(cudaMalloc((void **)&l->acts, acts * sizeof(float)),
                       "cudaMalloc (activations)", err, errlen);
  if (rc == SUT_OK)
    rc = sut_gpu_check(cudaMalloc((void **)&l->out_dev, b * md->out_elems * sizeof(float)),
                       "cudaMalloc (batch outputs)", err, errlen);
  return rc == SUT_OK ? SUT_OK : SUT_ENOMEM;
}

static int blas_check(const sut_blas *b, cublasStatus_t s, const char *what, char *err,
                      size_t errlen)
{
  if (s == CUBLAS_STATUS_SUCCESS)
    return SUT_OK;
  snprintf(err, errlen, "cuda: %s: %s", what, b->status_string(s));
  return SUT_EDEVICE;
}

int sut_cuda_lane_open(sut_cuda_lane **out, const sut_cuda_model *md, int max_batch,
                       char *err, size_t errlen)
{
  *out = NULL;
  sut_cuda_lane *l = calloc(1, sizeof *l);
  if (!l) {
    snprintf(err, errlen, "cuda: out of memory");
    return SUT_ENOMEM;
  }
  l->md = md;
  l->max_batch = max_batch;
  int rc = sut_gpu_check(cudaStreamCreateWithFlags(&l->stream, cudaStreamNonBlocking),
                         "cudaStreamCreate", err, errlen);
  for (; rc == SUT_OK && l->events < 4; l->events++)
    rc = sut_gpu_check(cudaEventCreate(&l->ev[l->events]), "cudaEventCreate", err, errlen);
  if (rc == SUT_OK)
    rc = lane_buffers(l, err, errlen);
  if (rc == SUT_OK && md->g.kind == WL_GRAPH_GEMM) {
    const sut_blas *b = &md->blas;
    rc = blas_check(b, b->create(&l->blas), "cublasCreate", err, errlen);
    if (rc == SUT_OK)
      rc = blas_check(b, b->set_stream(l->blas, l->stream), "cublasSetStream", err, errlen);
  }
  if (rc != SUT_OK) {
    sut_cuda_lane_close(l);
    return rc;
  }
  *out = l;
  return SUT_OK;
}

void sut_cuda_lane_close(sut_cuda_lane *l)
{
  if (!l)
    return;
  if (l->stream && !l->broken)
    cudaStreamSynchronize(l->stream);
  if (l->blas)
    l->md->blas.destroy(l->blas);
  for (int i = 0; i < l->events; i++)
    cudaEventDestroy(l->ev[i]);
  cudaFreeHost(l->slots_host);
  cudaFreeHost(l->out_host);
  cudaFree(l->slots_dev);
  cudaFree(l->input);
  cudaFree(l->acts);
  cudaFree(l->out_dev);
  if (l->stream)
    cudaStreamDestroy(l->stream);
  free(l);
}

uint32_t *sut_cuda_lane_slots(sut_cuda_lane *l)
{
  return l->slots_host;
}

const void *sut_cuda_lane_output(const sut_cuda_lane *l, int k)
{
  return l->out_host + (size_t)k * l->md->out_elems;
}

/* Layer j's output buffer (j = -1: the gathered inputs) and its per-sample stride. */
static const float *act(const sut_cuda_lane *l, int j, size_t *stride)
{
  const sut_cuda_model *md = l->md;
  if (j < 0) {
    *stride = md->in_elems;
    return l->input;
  }
  if (md->slot[j] < 0) {
    *stride = md->out_elems;
    return l->out_dev;
  }
  *stride = md->max_act;
  return l->acts + (size_t)md->slot[j] * md->max_act * (size_t)l->max_batch;
}

static int run_net(sut_cuda_lane *l, int n, char *err, size_t errlen)
{
  const sut_cuda_model *md = l->md;
  for (int i = 0; i < md->n_layers; i++) {
    size_t in_s, op_s = 0, out_s;
    const float *in = act(l, md->in[i], &in_s);
    const float *operand = md->operand[i] >= 0 ? act(l, md->operand[i], &op_s) : NULL;
    float *out = (float *)act(l, i, &out_s);
    cudaError_t e = (cudaError_t)sut_k_run_layer(l->stream, &md->layers[i],
                                                 md->weights + md->w_off[i], in, in_s,
                                                 operand, op_s, out, out_s, n);
    if (e != cudaSuccess) {
      char what[48];
      snprintf(what, sizeof what, "layer %d kernel launch", i);
      return sut_gpu_check(e, what, err, errlen);
    }
  }
  return SUT_OK;
}

static int run_gemm(sut_cuda_lane *l, int n, char *err, size_t errlen)
{
  const sut_cuda_model *md = l->md;
  const wl_graph *g = &md->g;
  const sut_blas *b = &md->blas;
  const float one = 1.0f, zero = 0.0f;
  int rows = n * g->gemm_m;
  if (md->precision == SUT_CUDA_FP32)
    return blas_check(b, b->sgemm(l->blas, CUBLAS_OP_N, CUBLAS_OP_N, g->gemm_n, rows,
                                  g->gemm_k, &one, md->b, g->gemm_n, l->input, g->gemm_k,
                                  &zero, l->out_dev, g->gemm_n),
                      "cublasSgemm", err, errlen);
  cudaDataType_t in_t = md->precision == SUT_CUDA_FP16   ? CUDA_R_16F
                        : md->precision == SUT_CUDA_BF16 ? CUDA_R_16BF
                                                         : CUDA_R_32F;
  cublasComputeType_t ct = md->precision == SUT_CUDA_TF32 ? CUBLAS_COMPUTE_32F_FAST_TF32
                                                          : CUBLAS_COMPUTE_32F;
  return blas_check(b, b->gemm_ex(l->blas, CUBLAS_OP_N, CUBLAS_OP_N, g->gemm_n, rows,
                                 g->gemm_k, &one, md->b, in_t, g->gemm_n, l->input, in_t,
                                 g->gemm_k, &zero, l->out_dev, CUDA_R_32F, g->gemm_n, ct,
                                 CUBLAS_GEMM_DEFAULT),
                    "cublasGemmEx", err, errlen);
}

static sut_k_dtype gather_dtype(sut_cuda_precision p)
{
  return p == SUT_CUDA_FP16 ? SUT_K_F16 : p == SUT_CUDA_BF16 ? SUT_K_BF16 : SUT_K_F32;
}

/* Enqueue the whole batch on the lane's stream. */
static int enqueue(sut_cuda_lane *l, const float *store_inputs, int n, char *err,
                   size_t errlen)
{
  const sut_cuda_model *md = l->md;
  cudaStream_t s = l->stream;
  int rc = sut_gpu_check(cudaEventRecord(l->ev[0], s), "cudaEventRecord", err, errlen);
  if (rc == SUT_OK)
    rc = sut_gpu_check(cudaMemcpyAsync(l->slots_dev, l->slots_host, (size_t)n * sizeof(uint32_t),
                                       cudaMemcpyHostToDevice, s),
                       "cudaMemcpyAsync (batch slots)", err, errlen);
  if (rc == SUT_OK)
    rc = sut_gpu_check((cudaError_t)sut_k_gather(s, store_inputs, l->slots_dev, n,
                                                 md->in_elems, l->input,
                                                 gather_dtype(md->precision)),
                       "gather kernel launch", err, errlen);
  if (rc == SUT_OK)
    rc = sut_gpu_check(cudaEventRecord(l->ev[1], s), "cudaEventRecord", err, errlen);
  if (rc == SUT_OK)
    rc = md->g.kind == WL_GRAPH_NET ? run_net(l, n, err, errlen) : run_gemm(l, n, err, errlen);
  if (rc == SUT_OK)
    rc = sut_gpu_check(cudaEventRecord(l->ev[2], s), "cudaEventRecord", err, errlen);
  if (rc == SUT_OK)
    rc = sut_gpu_check(cudaMemcpyAsync(l->out_host, l->out_dev,
                                       (size_t)n * md->out_elems * sizeof(float),
                                       cudaMemcpyDeviceToHost, s),
                       "cudaMemcpyAsync (batch outputs)", err, errlen);
  if (rc == SUT_OK)
    rc = sut_gpu_check(cudaEventRecord(l->ev[3], s), "cudaEventRecord", err, errlen);
  return rc;
}

int sut_cuda_lane_run(sut_cuda_lane *l, const float *store_inputs, int n,
                      uint64_t timeout_ns, sut_cuda_timing *t, char *err, size_t errlen)
{
  memset(t, 0, sizeof *t);
  if (l->broken) {
    snprintf(err, errlen, "cuda: this stream timed out earlier and is not used again");
    return SUT_EDEVICE;
  }
  if (n < 1 || n > l->max_batch) {
    snprintf(err, errlen, "cuda: batch of %d samples (1..%d)", n, l->max_batch);
    return SUT_EINVAL;
  }
  int rc = enqueue(l, store_inputs, n, err, errlen);
  if (rc != SUT_OK)
    return rc;
  cudaError_t e = sut_gpu_wait(l->ev[3], timeout_ns);
  if (e == cudaErrorNotReady) {
    l->broken = true;
    snprintf(err, errlen, "cuda: a batch of %d samples did not finish within %llu ms", n,
             (unsigned long long)(timeout_ns / 1000000u));
    return SUT_EDEVICE;
  }
  if (e != cudaSuccess)
    return sut_gpu_check(e, "running a batch", err, errlen);
  t->copy_in_ns = sut_gpu_elapsed_ns(l->ev[0], l->ev[1]);
  t->compute_ns = sut_gpu_elapsed_ns(l->ev[1], l->ev[2]);
  t->copy_out_ns = sut_gpu_elapsed_ns(l->ev[2], l->ev[3]);
  t->device_ns = sut_gpu_elapsed_ns(l->ev[0], l->ev[3]);
  return SUT_OK;
}
