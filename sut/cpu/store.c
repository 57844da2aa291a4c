/*
 * sut/cpu/store.c - the sample store: inputs of the resident samples, by slot.
 *
 * Inputs live in one array of fixed-stride slots (grown at load, never during a
 * run); a stack recycles the slots that unload frees. Index -> slot is an
 * open-addressing hash table with linear probing, at most half full, rebuilt after
 * an unload (removal from a linear-probing table is simplest as a rebuild, and
 * unload is untimed).
 */
#include "sut/cpu/store.h"

#include <stdbool.h>
#include <stdlib.h>

#include "sut/sut.h"

#define SLOT_FREE UINT64_MAX
#define SLOT_NONE UINT32_MAX
#define SLOT_LIMIT (UINT32_MAX - 1u)

struct sut_store {
  const wl_model *model;
  uint64_t total;            /* total_sample_count */
  const sut_samples *samples; /* where inputs come from (NULL = the generator) */
  size_t stride;             /* bytes per slot (input size rounded up to 64) */
  unsigned char *inputs;     /* capacity x stride */
  uint64_t *slot_index;      /* per slot: its sample index, or SLOT_FREE */
  uint32_t *free_slots;      /* stack of freed slots */
  size_t free_count;
  size_t used;               /* slots [0, used) were handed out at least once */
  size_t capacity;
  size_t resident;
  uint32_t *table;           /* slot + 1 per entry, 0 = empty */
  unsigned table_bits;
};

int sut_store_init(sut_store **out, const wl_model *m, const sut_samples *samples)
{
  *out = NULL;
  sut_store *st = calloc(1, sizeof *st);
  if (!st)
    return SUT_ENOMEM;
  const wl_info *info = wl_model_info(m);
  size_t in_bytes = wl_tensor_bytes(&info->input);
  st->model = m;
  st->samples = samples;
  st->total = sut_samples_count(samples, m);
  st->stride = ((in_bytes ? in_bytes : 1) + 63) / 64 * 64;
  *out = st;
  return SUT_OK;
}

void sut_store_destroy(sut_store *st)
{
  if (!st)
    return;
  free(st->inputs);
  free(st->slot_index);
  free(st->free_slots);
  free(st->table);
  free(st);
}

static size_t table_slot(const sut_store *st, uint64_t index)
{
  return (size_t)((index * 0x9E3779B97F4A7C15ull) >> (64 - st->table_bits));
}

static uint32_t lookup(const sut_store *st, uint64_t index)
{
  if (!st->table)
    return SLOT_NONE;
  size_t mask = ((size_t)1 << st->table_bits) - 1;
  for (size_t h = table_slot(st, index); st->table[h]; h = (h + 1) & mask) {
    uint32_t slot = st->table[h] - 1;
    if (st->slot_index[slot] == index)
      return slot;
  }
  return SLOT_NONE;
}

static void table_insert(sut_store *st, uint32_t slot)
{
  size_t mask = ((size_t)1 << st->table_bits) - 1;
  size_t h = table_slot(st, st->slot_index[slot]);
  while (st->table[h])
    h = (h + 1) & mask;
  st->table[h] = slot + 1;
}

static void table_rebuild(sut_store *st)
{
  if (!st->table)
    return;
  for (size_t h = 0; h < ((size_t)1 << st->table_bits); h++)
    st->table[h] = 0;
  for (size_t s = 0; s < st->used; s++)
    if (st->slot_index[s] != SLOT_FREE)
      table_insert(st, (uint32_t)s);
}

/* Grow the per-slot arrays to `need` slots; on failure the store stays usable
 * (arrays already grown are just larger) and capacity is unchanged. */
static int grow_slots(sut_store *st, size_t need)
{
  unsigned char *inputs = realloc(st->inputs, need * st->stride);
  if (!inputs)
    return SUT_ENOMEM;
  st->inputs = inputs;
  uint64_t *slot_index = realloc(st->slot_index, need * sizeof *slot_index);
  if (!slot_index)
    return SUT_ENOMEM;
  st->slot_index = slot_index;
  uint32_t *free_slots = realloc(st->free_slots, need * sizeof *free_slots);
  if (!free_slots)
    return SUT_ENOMEM;
  st->free_slots = free_slots;
  st->capacity = need;
  return SUT_OK;
}

/* Room for `need` slots and a hash table at most half full with them. */
static int reserve(sut_store *st, size_t need)
{
  if (need > SLOT_LIMIT)
    return SUT_ENOMEM;
  if (need > st->capacity && grow_slots(st, need) != SUT_OK)
    return SUT_ENOMEM;
  unsigned bits = 4;
  while (((size_t)1 << bits) < 2 * need)
    bits++;
  if (st->table && bits <= st->table_bits)
    return SUT_OK;
  uint32_t *table = calloc((size_t)1 << bits, sizeof *table);
  if (!table)
    return SUT_ENOMEM;
  free(st->table);
  st->table = table;
  st->table_bits = bits;
  table_rebuild(st);
  return SUT_OK;
}

static int check_range(const sut_store *st, const uint64_t *indices, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (indices[i] >= st->total)
      return SUT_ESAMPLE;
  return SUT_OK;
}

int sut_store_load(sut_store *st, const uint64_t *indices, size_t n)
{
  int rc = check_range(st, indices, n);
  if (rc == SUT_OK)
    rc = reserve(st, st->used + n);
  if (rc != SUT_OK)
    return rc;
  for (size_t i = 0; i < n; i++) {
    if (lookup(st, indices[i]) != SLOT_NONE)
      continue;
    uint32_t slot = st->free_count ? st->free_slots[--st->free_count]
                                   : (uint32_t)st->used++;
    char err[256];
    if (sut_samples_load(st->samples, st->model, indices[i],
                         st->inputs + (size_t)slot * st->stride, err, sizeof err) != SUT_OK) {
      st->free_slots[st->free_count++] = slot; /* back to the free list, unused */
      return SUT_ESAMPLE;
    }
    st->slot_index[slot] = indices[i];
    table_insert(st, slot);
    st->resident++;
  }
  return SUT_OK;
}

int sut_store_unload(sut_store *st, const uint64_t *indices, size_t n)
{
  int rc = check_range(st, indices, n);
  if (rc != SUT_OK)
    return rc;
  size_t dropped = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t slot = lookup(st, indices[i]);
    if (slot == SLOT_NONE)
      continue;
    st->slot_index[slot] = SLOT_FREE;
    st->free_slots[st->free_count++] = slot;
    st->resident--;
    dropped++; /* its table entry matches no index until the rebuild below */
  }
  if (dropped)
    table_rebuild(st);
  return SUT_OK;
}

const void *sut_store_input(const sut_store *st, uint64_t index)
{
  uint32_t slot = lookup(st, index);
  return slot == SLOT_NONE ? NULL : st->inputs + (size_t)slot * st->stride;
}

size_t sut_store_resident(const sut_store *st)
{
  return st->resident;
}
