/*
 * sut/cuda/store.h - the CUDA adapter's sample store in device memory (private).
 *
 * QSL load (outside the timed region) makes each sample's f32 input resident in one
 * device array, a slot per sample; a batch then names its samples by slot and the
 * gather kernel reads them, so the timed path copies only the slot numbers to the
 * device. Inputs are produced on the host (sut_samples_load: the workload's
 * generator or the dataset) into a pinned staging buffer and copied up in chunks.
 * Index -> slot is a table over total_sample_count (4 bytes a sample); the device
 * array grows (copied device to device) when a load needs more slots, and unload
 * frees slots for reuse.
 *
 * Thread-safety: load and unload change the store and need the caller to make sure
 * no batch reads it meanwhile (the adapter quiesces its workers first); slot lookups
 * and sut_cuda_store_inputs may then run on many threads at once.
 * Ownership: init hands out the store, destroy frees it (device memory included).
 */
#ifndef SUT_CUDA_STORE_H
#define SUT_CUDA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "sut/sut.h"
#include "workloads/workload.h"

#define SUT_CUDA_NO_SLOT UINT32_MAX

typedef struct sut_cuda_store sut_cuda_store;

/* Empty store for model m (inputs f32), samples from src (NULL = the generator).
 * SUT_OK, SUT_ENOMEM or SUT_EDEVICE (err says why). m and src are borrowed. */
int sut_cuda_store_init(sut_cuda_store **out, const wl_model *m, const sut_samples *src,
                        char *err, size_t errlen);
/* Free; accepts NULL. */
void sut_cuda_store_destroy(sut_cuda_store *st);

/* Make samples resident (resident ones stay). SUT_ESAMPLE when an index is out of
 * range or a sample cannot be read (nothing new is resident then), SUT_ENOMEM,
 * SUT_EDEVICE; err says which and why. */
int sut_cuda_store_load(sut_cuda_store *st, const uint64_t *indices, size_t n, char *err,
                        size_t errlen);
/* Drop samples (not resident ones are ignored). SUT_ESAMPLE for an index out of
 * range (nothing is dropped then). */
int sut_cuda_store_unload(sut_cuda_store *st, const uint64_t *indices, size_t n);

/* Slot of sample `index`, or SUT_CUDA_NO_SLOT when it is not resident. */
uint32_t sut_cuda_store_slot(const sut_cuda_store *st, uint64_t index);
/* The device array: slot s starts at sut_cuda_store_inputs(st) + s * in_elems. */
const float *sut_cuda_store_inputs(const sut_cuda_store *st);
/* Resident samples. */
size_t sut_cuda_store_resident(const sut_cuda_store *st);

#endif /* SUT_CUDA_STORE_H */
