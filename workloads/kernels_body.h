/*
 * workloads/kernels_body.h - private: the micro-kernels of workloads/kernels.c, written
 * once and compiled once per instruction set (a template by #include). The includer
 * defines:
 *   WL_KB(name)      the instance's function name, e.g. name##_avx2
 *   WL_KB_FMA(x,y,z) x * y + z on wl_v8 vectors (fused where the ISA has it)
 *   WL_KB_ATTR       function attributes, e.g. __attribute__((target("avx2,fma")))
 *                    for an ISA beyond the baseline (GCC and clang both take it)
 * wl_v8 (8 floats), WL_V8_LD/ST/SPLAT and WL_V8_RELU come from kernels.c.
 * See kernels.h for what each kernel computes.
 */

/* One row of the 6 x 16 tile: its A element times both halves of the B row. */
#define WL_KB_ROW(r)                                 \
  do {                                               \
    wl_v8 x_ = WL_V8_SPLAT(ar##r[p]);                \
    c##r##0 = WL_KB_FMA(x_, b0, c##r##0);            \
    c##r##1 = WL_KB_FMA(x_, b1, c##r##1);            \
  } while (0)
#define WL_KB_ROWS(M) M(0); M(1); M(2); M(3); M(4); M(5)

WL_KB_ATTR static void WL_KB(tile)(const wl_kern_rows *a, const float *bp, const float *bias,
                        float *c, size_t ldc, int flags)
{
#define WL_KB_AROW(r) const float *ar##r = a->row[r]
  WL_KB_ROWS(WL_KB_AROW);
#undef WL_KB_AROW
  wl_v8 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
  if (flags & WL_KERN_FIRST) {
    wl_v8 z = WL_V8_SPLAT(0.0f);
    wl_v8 b0 = bias ? WL_V8_LD(bias) : z, b1 = bias ? WL_V8_LD(bias + 8) : z;
#define WL_KB_INIT(r) c##r##0 = b0, c##r##1 = b1
    WL_KB_ROWS(WL_KB_INIT);
#undef WL_KB_INIT
  } else {
#define WL_KB_LOAD(r) c##r##0 = WL_V8_LD(c + (r) * ldc), c##r##1 = WL_V8_LD(c + (r) * ldc + 8)
    WL_KB_ROWS(WL_KB_LOAD);
#undef WL_KB_LOAD
  }
  for (int s = 0; s < a->nseg; s++) {
    for (int p = 0; p < a->kseg; p++, bp += WL_KERN_NR) {
      wl_v8 b0 = WL_V8_LD(bp), b1 = WL_V8_LD(bp + 8);
      WL_KB_ROWS(WL_KB_ROW);
    }
#define WL_KB_NEXT(r) ar##r += a->seg_stride
    WL_KB_ROWS(WL_KB_NEXT);
#undef WL_KB_NEXT
  }
  if (flags & WL_KERN_RELU) {
#define WL_KB_RELU(r) c##r##0 = WL_V8_RELU(c##r##0), c##r##1 = WL_V8_RELU(c##r##1)
    WL_KB_ROWS(WL_KB_RELU);
#undef WL_KB_RELU
  }
#define WL_KB_STORE(r) WL_V8_ST(c + (r) * ldc, c##r##0), WL_V8_ST(c + (r) * ldc + 8, c##r##1)
  WL_KB_ROWS(WL_KB_STORE);
#undef WL_KB_STORE
}

#undef WL_KB_ROW
#undef WL_KB_ROWS

WL_KB_ATTR static void WL_KB(row4)(int k, const float *a, const float *const bp[4],
                        const float *bias, float *c, int flags)
{
  enum { V = 2 * 4 }; /* 4 panels of 2 vectors */
  wl_v8 acc[V];
  for (int v = 0; v < V; v++) {
    const float *src = (flags & WL_KERN_FIRST) ? bias : c;
    acc[v] = src ? WL_V8_LD(src + 8 * v) : WL_V8_SPLAT(0.0f);
  }
  const float *p0 = bp[0], *p1 = bp[1], *p2 = bp[2], *p3 = bp[3];
  for (int p = 0; p < k; p++) {
    wl_v8 x = WL_V8_SPLAT(a[p]);
    size_t o = (size_t)p * WL_KERN_NR;
    acc[0] = WL_KB_FMA(x, WL_V8_LD(p0 + o), acc[0]);
    acc[1] = WL_KB_FMA(x, WL_V8_LD(p0 + o + 8), acc[1]);
    acc[2] = WL_KB_FMA(x, WL_V8_LD(p1 + o), acc[2]);
    acc[3] = WL_KB_FMA(x, WL_V8_LD(p1 + o + 8), acc[3]);
    acc[4] = WL_KB_FMA(x, WL_V8_LD(p2 + o), acc[4]);
    acc[5] = WL_KB_FMA(x, WL_V8_LD(p2 + o + 8), acc[5]);
    acc[6] = WL_KB_FMA(x, WL_V8_LD(p3 + o), acc[6]);
    acc[7] = WL_KB_FMA(x, WL_V8_LD(p3 + o + 8), acc[7]);
  }
  for (int v = 0; v < V; v++)
    WL_V8_ST(c + 8 * v, (flags & WL_KERN_RELU) ? WL_V8_RELU(acc[v]) : acc[v]);
}

/* Depthwise conv, one output row at a time. Channels go 8 at a time (bias, then the
 * in-bounds taps in (ky, kx) order), the last channels % 8 one at a time. A 3 x 3
 * kernel on a row whose three input rows are all in bounds keeps its nine weight
 * vectors in registers across the row and runs its interior pixels unrolled. */
WL_KB_ATTR static void WL_KB(dw)(const struct wl_kern_dw *d, const float *in, float *out)
{
  const wl_kern_conv *g = &d->g;
  int ch = g->in_c;
  size_t xrow = (size_t)g->in_w * ch, wrow = (size_t)g->kw * ch;
  for (int oy = 0; oy < g->out_h; oy++) {
    int iy0 = oy * g->sh - g->pad_top;
    int ky0 = iy0 < 0 ? -iy0 : 0, ky1 = g->in_h - iy0 < g->kh ? g->in_h - iy0 : g->kh;
    bool fast = g->kh == 3 && g->kw == 3 && ky0 == 0 && ky1 == 3;
    float *orow = out + (size_t)oy * g->out_w * ch;
    for (int c = 0; c < ch; c += 8) {
      int lanes = ch - c < 8 ? ch - c : 8;
      wl_v8 z = WL_V8_SPLAT(0.0f);
      bool rows = fast && lanes == 8;
#define WL_KB_W(ky, kx) \
  wl_v8 wv##ky##kx = rows ? WL_V8_LD(d->w + (size_t)(3 * (ky) + (kx)) * ch + c) : z
      WL_KB_W(0, 0); WL_KB_W(0, 1); WL_KB_W(0, 2);
      WL_KB_W(1, 0); WL_KB_W(1, 1); WL_KB_W(1, 2);
      WL_KB_W(2, 0); WL_KB_W(2, 1); WL_KB_W(2, 2);
#undef WL_KB_W
      for (int ox = 0; ox < g->out_w; ox++) {
        int ix0 = ox * g->sw - g->pad_left;
        int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = g->in_w - ix0 < g->kw ? g->in_w - ix0 : g->kw;
        float *o = orow + (size_t)ox * ch + c;
        /* the first in-bounds tap, and the weights of tap (ky0, kx0) */
        const float *x0 = in + ((size_t)(iy0 + ky0) * g->in_w + (size_t)(ix0 + kx0)) * ch + c;
        const float *w0 = d->w + (size_t)(ky0 * g->kw + kx0) * ch + c;
        int ny = ky1 - ky0, nx = kx1 - kx0;
        if (lanes < 8) {
          for (int l = 0; l < lanes; l++) {
            float acc = d->bias[c + l];
            for (int ky = 0; ky < ny; ky++)
              for (int kx = 0; kx < nx; kx++)
                acc += x0[ky * xrow + (size_t)kx * ch + l] * w0[ky * wrow + (size_t)kx * ch + l];
            o[l] = d->relu && !(acc > 0.0f) ? 0.0f : acc;
          }
          continue;
        }
        wl_v8 acc = WL_V8_LD(d->bias + c);
        if (fast && nx == 3) {
#define WL_KB_TAP(ky, kx) \
  acc = WL_KB_FMA(WL_V8_LD(x0 + (ky) * xrow + (size_t)(kx) * ch), wv##ky##kx, acc)
          WL_KB_TAP(0, 0); WL_KB_TAP(0, 1); WL_KB_TAP(0, 2);
          WL_KB_TAP(1, 0); WL_KB_TAP(1, 1); WL_KB_TAP(1, 2);
          WL_KB_TAP(2, 0); WL_KB_TAP(2, 1); WL_KB_TAP(2, 2);
#undef WL_KB_TAP
        } else {
          for (int ky = 0; ky < ny; ky++)
            for (int kx = 0; kx < nx; kx++)
              acc = WL_KB_FMA(WL_V8_LD(x0 + ky * xrow + (size_t)kx * ch),
                              WL_V8_LD(w0 + ky * wrow + (size_t)kx * ch), acc);
        }
        WL_V8_ST(o, d->relu ? WL_V8_RELU(acc) : acc);
      }
    }
  }
}

/* out = x + y (then ReLU), 8 at a time, the rest one at a time (a residual join). */
WL_KB_ATTR static void WL_KB(add)(size_t n, const float *x, const float *y, float *out, bool relu)
{
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    wl_v8 v = WL_V8_LD(x + i) + WL_V8_LD(y + i);
    WL_V8_ST(out + i, relu ? WL_V8_RELU(v) : v);
  }
  for (; i < n; i++) {
    float v = x[i] + y[i];
    out[i] = relu && !(v > 0.0f) ? 0.0f : v;
  }
}
