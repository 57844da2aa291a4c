/*
 * workloads/graph.c - what a model is made of, for a SUT that runs it with its own
 * kernels (wl_model_graph, declared in workload.h): the layer-list plan and weights
 * of kws, ic, vww and ad, or the shapes and B of gemm. Every other workload answers
 * WL_GRAPH_OTHER, so such a SUT can say plainly which workloads it runs.
 */
#include <string.h>

#include "workloads/wl_private.h"

void wl_model_graph(const wl_model *m, wl_graph *out)
{
  memset(out, 0, sizeof *out);
  if (!m)
    return;
  if (m->ops->infer == wl_net_model_infer) {
    const wl_net_model *nm = m->impl;
    out->kind = WL_GRAPH_NET;
    out->net = &nm->net;
    out->int8 = nm->precision == WL_PRECISION_INT8;
  } else if (m->ops == &wl_gemm_ops) {
    const wl_gemm *g = m->impl;
    out->kind = WL_GRAPH_GEMM;
    out->gemm_m = g->m;
    out->gemm_n = g->n;
    out->gemm_k = g->k;
    out->gemm_b = g->b;
  }
}
