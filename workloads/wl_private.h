/*
 * workloads/wl_private.h - private: how a workload plugs into the registry
 * (workloads/workload.c), and the parameter helpers the workloads share.
 *
 * Adding a workload: write its wl_<name>_ops, wl_<name>_params and
 * wl_<name>_description in its own .c file and add <name> to WL_REGISTRY below.
 */
#ifndef WL_PRIVATE_H
#define WL_PRIVATE_H

#include <stdint.h>

#include "workloads/workload.h"

/* Where wl_open's parameter checks happen: the workload's table and the user's values. */
typedef struct wl_param_ctx {
  const char *workload;        /* name, for messages */
  const wl_params *params;     /* user's values (never NULL here) */
  const wl_param_info *table;  /* the workload's keys and defaults */
  char *err;                   /* message buffer (may be NULL) */
  size_t errlen;
} wl_param_ctx;

/*
 * One workload's functions. open() fills m->info (name and compute_free are set for it
 * beforehand) and m->impl, reading its parameters through ctx; the keys are already
 * checked. close() frees m->impl (never m). The rest implement the public calls.
 */
typedef struct wl_ops {
  int (*open)(wl_model *m, const wl_param_ctx *ctx);
  void (*close)(wl_model *m);
  size_t (*scratch_bytes)(const wl_model *m);
  void (*scratch_init)(const wl_model *m, void *scratch, unsigned worker);
  void (*make_sample)(const wl_model *m, uint64_t index, void *input);
  void (*infer)(const wl_model *m, const void *input, void *output, void *scratch);
} wl_ops;

struct wl_model {
  const wl_ops *ops;
  wl_info info;
  void *impl; /* owned by the workload */
};

/* Every workload, in `mlsysbench list` order. */
#define WL_REGISTRY(X) X(kws) X(null) X(delay)

#define WL_DECLARE_(name)                         \
  extern const wl_ops wl_##name##_ops;            \
  extern const wl_param_info wl_##name##_params[]; \
  extern const char wl_##name##_description[];
WL_REGISTRY(WL_DECLARE_)
#undef WL_DECLARE_

/* snprintf into err when err is not NULL and errlen > 0. */
void wl_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The user's value of key, else the table's default (NULL if the table lacks key). */
const char *wl_param_value(const wl_param_ctx *ctx, const char *key);

/* Parse key as an unsigned 64-bit integer (decimal, or hex with 0x). WL_EPARAM with the
 * key, the value and what is accepted in ctx->err otherwise. */
int wl_param_u64(const wl_param_ctx *ctx, const char *key, uint64_t *out);

/* Parse key as a finite number >= 0; WL_EPARAM with a message otherwise. */
int wl_param_nonneg(const wl_param_ctx *ctx, const char *key, double *out);

/* Index of key's value in the NULL-terminated list choices; WL_EPARAM naming the key,
 * the value and the choices otherwise. */
int wl_param_choice(const wl_param_ctx *ctx, const char *key, const char *const *choices,
                    int *out);

/* The delay workload's next service time in nanoseconds, drawn from the per-thread
 * state in scratch (fixed: delay_us exactly; exponential: mean delay_us). Exposed for
 * tests; wl_infer of `delay` busy-waits for this long. */
uint64_t wl_delay_next_ns(const wl_model *m, void *scratch);

#endif /* WL_PRIVATE_H */
