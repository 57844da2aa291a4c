/*
 * sut/cuda/store.c - the device-resident sample store of the CUDA adapter (see
 * store.h): slot table, free list, growth, pinned staging and the copies up.
 */
#include "sut/cuda/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime_api.h>

#include "sut/cuda/gpu.h"

#define STORE_PENDING (SUT_CUDA_NO_SLOT - 1u) /* marks a new index during one load */
#define STORE_STAGE_BYTES (4u << 20)          /* pinned staging: 4 MiB */

struct sut_cuda_store {
  const wl_model *model;
  const sut_samples *src;
  size_t in_elems;
  uint64_t total;
  uint32_t *slot_of;    /* total entries: slot or SUT_CUDA_NO_SLOT */
  uint32_t *free_slots; /* freed slots below `high`, a stack */
  size_t n_free;
  uint32_t high;        /* slots ever handed out */
  uint32_t capacity;    /* slots allocated on the device */
  size_t resident;
  float *dev;           /* capacity x in_elems */
  float *staging;       /* pinned, stage_samples x in_elems */
  size_t stage_samples;
};

int sut_cuda_store_init(sut_cuda_store **out, const wl_model *m, const sut_samples *src,
                        char *err, size_t errlen)
{
  const wl_info *info = wl_model_info(m);
  *out = NULL;
  sut_cuda_store *st = calloc(1, sizeof *st);
  if (!st)
    goto fail_nomem;
  st->model = m;
  st->src = src;
  st->in_elems = wl_tensor_bytes(&info->input) / sizeof(float);
  st->total = sut_samples_count(src, m);
  if (st->total >= STORE_PENDING) {
    snprintf(err, errlen, "cuda: %llu samples: the store holds at most %u",
             (unsigned long long)st->total, STORE_PENDING - 1u);
    free(st);
    return SUT_EINVAL;
  }
  st->slot_of = malloc((st->total ? st->total : 1) * sizeof *st->slot_of);
  st->free_slots = malloc((st->total ? st->total : 1) * sizeof *st->free_slots);
  if (!st->slot_of || !st->free_slots)
    goto fail_nomem;
  memset(st->slot_of, 0xff, st->total * sizeof *st->slot_of); /* SUT_CUDA_NO_SLOT */
  size_t per = st->in_elems * sizeof(float);
  st->stage_samples = per && per < STORE_STAGE_BYTES ? STORE_STAGE_BYTES / per : 1;
  int rc = sut_gpu_check(cudaMallocHost((void **)&st->staging,
                                        st->stage_samples * (per ? per : 1)),
                         "cudaMallocHost (sample staging)", err, errlen);
  if (rc != SUT_OK) {
    st->staging = NULL;
    sut_cuda_store_destroy(st);
    return rc;
  }
  *out = st;
  return SUT_OK;

fail_nomem:
  sut_cuda_store_destroy(st);
  snprintf(err, errlen, "cuda: out of memory for the sample store");
  return SUT_ENOMEM;
}

void sut_cuda_store_destroy(sut_cuda_store *st)
{
  if (!st)
    return;
  cudaFree(st->dev);
  cudaFreeHost(st->staging);
  free(st->slot_of);
  free(st->free_slots);
  free(st);
}

/* Room for `need` more slots: grow the device array (doubling) when the free list
 * and the unused tail are too small. */
static int store_reserve(sut_cuda_store *st, size_t need, char *err, size_t errlen)
{
  size_t avail = st->n_free + (st->capacity - st->high);
  if (need <= avail)
    return SUT_OK;
  size_t want = (size_t)st->high + (need - st->n_free);
  size_t cap = st->capacity ? st->capacity : 64;
  while (cap < want)
    cap *= 2;
  if (cap > st->total)
    cap = st->total > want ? st->total : want;
  float *grown = NULL;
  size_t per = st->in_elems * sizeof(float);
  int rc = sut_gpu_check(cudaMalloc((void **)&grown, cap * (per ? per : 1)),
                         "cudaMalloc (sample store)", err, errlen);
  if (rc == SUT_OK && st->high)
    rc = sut_gpu_check(cudaMemcpy(grown, st->dev, st->high * per, cudaMemcpyDeviceToDevice),
                       "cudaMemcpy (growing the sample store)", err, errlen);
  if (rc != SUT_OK) {
    cudaFree(grown);
    return rc == SUT_EDEVICE ? SUT_ENOMEM : rc;
  }
  cudaFree(st->dev);
  st->dev = grown;
  st->capacity = (uint32_t)cap;
  return SUT_OK;
}

static uint32_t take_slot(sut_cuda_store *st)
{
  return st->n_free ? st->free_slots[--st->n_free] : st->high++;
}

static void give_slot(sut_cuda_store *st, uint64_t index)
{
  st->free_slots[st->n_free++] = st->slot_of[index];
  st->slot_of[index] = SUT_CUDA_NO_SLOT;
}

/* Produce staged samples [0, k) on the host and copy each to its slot. */
static int store_flush(sut_cuda_store *st, const uint64_t *idx, size_t k, char *err,
                       size_t errlen)
{
  size_t per = st->in_elems * sizeof(float);
  for (size_t i = 0; i < k; i++) {
    float *host = st->staging + i * st->in_elems;
    int rc = sut_samples_load(st->src, st->model, idx[i], host, err, errlen);
    if (rc != SUT_OK)
      return rc;
    rc = sut_gpu_check(cudaMemcpyAsync(st->dev + (size_t)st->slot_of[idx[i]] * st->in_elems,
                                       host, per, cudaMemcpyHostToDevice, 0),
                       "cudaMemcpyAsync (sample upload)", err, errlen);
    if (rc != SUT_OK)
      return rc;
  }
  return sut_gpu_check(cudaStreamSynchronize(0), "cudaStreamSynchronize (sample upload)",
                       err, errlen);
}

/* Mark the new indices PENDING (once each) and count them. */
static size_t mark_new(sut_cuda_store *st, const uint64_t *indices, size_t n)
{
  size_t fresh = 0;
  for (size_t i = 0; i < n; i++)
    if (st->slot_of[indices[i]] == SUT_CUDA_NO_SLOT) {
      st->slot_of[indices[i]] = STORE_PENDING;
      fresh++;
    }
  return fresh;
}

/* Undo a failed load: indices still PENDING go back to not resident. */
static void unmark(sut_cuda_store *st, const uint64_t *indices, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (st->slot_of[indices[i]] == STORE_PENDING)
      st->slot_of[indices[i]] = SUT_CUDA_NO_SLOT;
}

int sut_cuda_store_load(sut_cuda_store *st, const uint64_t *indices, size_t n, char *err,
                        size_t errlen)
{
  for (size_t i = 0; i < n; i++)
    if (indices[i] >= st->total) {
      snprintf(err, errlen, "cuda: sample index %llu out of range (%llu samples)",
               (unsigned long long)indices[i], (unsigned long long)st->total);
      return SUT_ESAMPLE;
    }
  size_t fresh = mark_new(st, indices, n);
  int rc = store_reserve(st, fresh, err, errlen);
  if (rc != SUT_OK) {
    unmark(st, indices, n);
    return rc;
  }
  uint64_t *placed = malloc((fresh ? fresh : 1) * sizeof *placed);
  if (!placed) {
    unmark(st, indices, n);
    snprintf(err, errlen, "cuda: out of memory loading samples");
    return SUT_ENOMEM;
  }
  size_t k = 0, flushed = 0;
  for (size_t i = 0; i < n && rc == SUT_OK; i++) {
    if (st->slot_of[indices[i]] != STORE_PENDING)
      continue;
    st->slot_of[indices[i]] = take_slot(st);
    placed[k++] = indices[i];
    if (k - flushed == st->stage_samples || k == fresh) {
      rc = store_flush(st, placed + flushed, k - flushed, err, errlen);
      flushed = k;
    }
  }
  if (rc != SUT_OK) { /* all or nothing: give back what this load placed */
    for (size_t i = 0; i < k; i++)
      give_slot(st, placed[i]);
    unmark(st, indices, n);
  } else {
    st->resident += fresh;
  }
  free(placed);
  return rc;
}

int sut_cuda_store_unload(sut_cuda_store *st, const uint64_t *indices, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (indices[i] >= st->total)
      return SUT_ESAMPLE;
  for (size_t i = 0; i < n; i++)
    if (st->slot_of[indices[i]] != SUT_CUDA_NO_SLOT) {
      give_slot(st, indices[i]);
      st->resident--;
    }
  return SUT_OK;
}

uint32_t sut_cuda_store_slot(const sut_cuda_store *st, uint64_t index)
{
  return index < st->total ? st->slot_of[index] : SUT_CUDA_NO_SLOT;
}

const float *sut_cuda_store_inputs(const sut_cuda_store *st)
{
  return st->dev;
}

size_t sut_cuda_store_resident(const sut_cuda_store *st)
{
  return st->resident;
}
