/*
 * sut/cpu/store.h - the in-memory sample store of a host-side SUT (private).
 *
 * Holds the input tensors of the loaded samples (the query sample library's resident
 * set), generated once with wl_make_sample at load time, outside the timed region.
 * Sample index -> slot goes through an open-addressing hash table, so memory follows
 * the loaded set, not total_sample_count.
 *
 * Thread-safety: sut_store_load / sut_store_unload change the store and need the
 * caller to make sure nothing reads it at the same time (the CPU SUT quiesces its
 * workers first); sut_store_input may then run on many threads at once.
 * Ownership: sut_store_init hands out the store, sut_store_destroy frees it and every
 * input in it. The model is borrowed and must outlive the store.
 */
#ifndef SUT_CPU_STORE_H
#define SUT_CPU_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "sut/sut.h"
#include "workloads/workload.h"

typedef struct sut_store sut_store;

/* Empty store for model m. Returns SUT_OK or SUT_ENOMEM. */
int sut_store_init(sut_store **out, const wl_model *m, const sut_samples *samples);
/* Free; accepts NULL. */
void sut_store_destroy(sut_store *st);

/* Make samples resident (already resident ones are kept as they are). All or
 * nothing: SUT_ESAMPLE when an index is >= total_sample_count, SUT_ENOMEM; on error
 * the resident set is unchanged. */
int sut_store_load(sut_store *st, const uint64_t *indices, size_t n);
/* Drop samples; indices that are not resident are ignored. SUT_ESAMPLE when an index
 * is out of range (nothing is dropped then), else SUT_OK. */
int sut_store_unload(sut_store *st, const uint64_t *indices, size_t n);

/* The input of sample `index`, or NULL when it is not resident. Valid until the next
 * load or unload. */
const void *sut_store_input(const sut_store *st, uint64_t index);
/* Number of resident samples. */
size_t sut_store_resident(const sut_store *st);

#endif /* SUT_CPU_STORE_H */
