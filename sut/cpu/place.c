/*
 * sut/cpu/place.c - the CPU SUT's placement: allowed CPUs, units, worker bindings
 * and the CPUs left to the loadgen thread.
 *
 * Everything is decided once, in sut_place_init: the allowed set A (parsed strictly
 * here, since hwloc_bitmap_list_sscanf accepts "1x" as an empty set), one cpuset per
 * unit within A, the worker count and the spare set. Workers and the loadgen thread
 * then only bind themselves to a precomputed cpuset and read the binding back.
 */
#include "sut/cpu/place.h"

#include <ctype.h>
#include <errno.h>
#include <hwloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sut/sut.h"

#define PLACE_CPU_MAX 65535u /* no machine has a CPU numbered above it */

struct sut_place {
  const sut_topo *topo;
  hwloc_topology_t topology;  /* NULL: nothing is bound */
  sut_pin pin;
  unsigned workers;
  unsigned unit_count;        /* without a topology: the online CPUs */
  hwloc_bitmap_t allowed;     /* A: --cpus, or every CPU of the machine */
  hwloc_bitmap_t *units;      /* unit_count cpusets within A */
  hwloc_bitmap_t spare;       /* the machine's CPUs no worker is bound to */
};

const char *sut_pin_name(sut_pin pin)
{
  return pin == SUT_PIN_CORE ? "core" : pin == SUT_PIN_PU ? "pu" : "none";
}

/* ---- the allowed CPUs ---------------------------------------------------------- */
/* "0-3,6" into set. SUT_EINVAL on anything but numbers and a-b ranges (a <= b)
 * joined by single commas, SUT_ENOTSUP for a number above PLACE_CPU_MAX,
 * SUT_ENOMEM. */
static int parse_cpu_list(const char *text, hwloc_bitmap_t set)
{
  hwloc_bitmap_zero(set);
  for (const char *p = text;; p++) {
    char *end;
    if (!isdigit((unsigned char)*p))
      return SUT_EINVAL;
    unsigned long lo = strtoul(p, &end, 10), hi = lo;
    if (*end == '-') {
      if (!isdigit((unsigned char)end[1]))
        return SUT_EINVAL;
      hi = strtoul(end + 1, &end, 10);
    }
    if (hi < lo)
      return SUT_EINVAL;
    if (hi > PLACE_CPU_MAX)
      return SUT_ENOTSUP;
    if (hwloc_bitmap_set_range(set, (unsigned)lo, (int)hi) != 0)
      return SUT_ENOMEM;
    p = end;
    if (*p != ',')
      return *p == '\0' ? SUT_OK : SUT_EINVAL;
  }
}

/* A = the list when given, else all of the machine. Errors name the value and the
 * machine's CPUs. */
static int set_allowed(sut_place *p, const char *cpus, char *err, size_t errlen)
{
  hwloc_const_cpuset_t machine = hwloc_topology_get_allowed_cpuset(p->topology);
  if (!cpus)
    return hwloc_bitmap_copy(p->allowed, machine) == 0 ? SUT_OK : SUT_ENOMEM;
  char have[64], missing[64] = "";
  hwloc_bitmap_list_snprintf(have, sizeof have, machine);
  const char *shown = *cpus ? cpus : "''";
  int rc = parse_cpu_list(cpus, p->allowed);
  if (rc == SUT_OK && !hwloc_bitmap_isincluded(p->allowed, machine)) {
    hwloc_bitmap_andnot(p->allowed, p->allowed, machine);
    hwloc_bitmap_list_snprintf(missing, sizeof missing, p->allowed);
    rc = SUT_ENOTSUP;
  }
  if (rc == SUT_EINVAL)
    snprintf(err, errlen, "--cpus %s: %s; this machine has CPUs %s", shown,
             *cpus ? "not a CPU list (numbers and ranges, e.g. 0-3,6)" : "empty CPU list",
             have);
  else if (rc == SUT_ENOTSUP)
    snprintf(err, errlen, "--cpus %s: this machine has CPUs %s (no %s)", shown, have,
             missing[0] ? missing : "CPU that high");
  return rc;
}

/* ---- units and the spare set --------------------------------------------------- */
/* One cpuset (its part within A) per object of `type` that has a CPU in A. */
static int collect_units(sut_place *p, hwloc_obj_type_t type)
{
  int n = hwloc_get_nbobjs_by_type(p->topology, type);
  p->units = calloc(n > 0 ? (size_t)n : 1u, sizeof *p->units);
  if (!p->units)
    return SUT_ENOMEM;
  for (hwloc_obj_t o = hwloc_get_next_obj_by_type(p->topology, type, NULL); o;
       o = hwloc_get_next_obj_by_type(p->topology, type, o)) {
    if (!o->cpuset || !hwloc_bitmap_intersects(o->cpuset, p->allowed))
      continue;
    hwloc_bitmap_t unit = hwloc_bitmap_alloc();
    if (!unit)
      return SUT_ENOMEM;
    p->units[p->unit_count++] = unit;
    if (hwloc_bitmap_and(unit, o->cpuset, p->allowed) != 0)
      return SUT_ENOMEM;
  }
  return SUT_OK;
}

static void free_units(sut_place *p)
{
  for (unsigned i = 0; i < p->unit_count; i++)
    hwloc_bitmap_free(p->units[i]);
  free(p->units);
  p->units = NULL;
  p->unit_count = 0;
}

/* Cores for core and none, PUs for pu; PUs too where no core covers A (some VMs
 * expose PUs only). */
static int make_units(sut_place *p)
{
  int rc = collect_units(p, p->pin == SUT_PIN_PU ? HWLOC_OBJ_PU : HWLOC_OBJ_CORE);
  if (rc == SUT_OK && p->unit_count == 0) {
    free_units(p);
    rc = collect_units(p, HWLOC_OBJ_PU);
  }
  return rc;
}

/* The cpuset worker i is bound to. */
static hwloc_const_cpuset_t worker_set(const sut_place *p, unsigned worker)
{
  return p->pin == SUT_PIN_NONE ? p->allowed : p->units[worker % p->unit_count];
}

static int compute_spare(sut_place *p)
{
  if (hwloc_bitmap_copy(p->spare, hwloc_topology_get_allowed_cpuset(p->topology)) != 0)
    return SUT_ENOMEM;
  for (unsigned i = 0; i < p->workers; i++)
    if (hwloc_bitmap_andnot(p->spare, p->spare, worker_set(p, i)) != 0)
      return SUT_ENOMEM;
  return SUT_OK;
}

/* ---- init and destroy ---------------------------------------------------------- */
static int build_with_topology(sut_place *p, const char *cpus, char *err, size_t errlen)
{
  p->allowed = hwloc_bitmap_alloc();
  p->spare = hwloc_bitmap_alloc();
  if (!p->allowed || !p->spare)
    return SUT_ENOMEM;
  int rc = set_allowed(p, cpus, err, errlen);
  return rc == SUT_OK ? make_units(p) : rc;
}

static int build_without_topology(sut_place *p, const char *cpus, char *err,
                                  size_t errlen)
{
  if (cpus) {
    snprintf(err, errlen, "--cpus %s: cannot bind: hwloc could not load the topology",
             *cpus ? cpus : "''");
    return SUT_ENOTSUP;
  }
  p->unit_count = sut_topo_count(NULL, p->pin);
  return SUT_OK;
}

int sut_place_init(sut_place **out, const sut_topo *t, const sut_place_request *r,
                   char *err, size_t errlen)
{
  *out = NULL;
  sut_place *p = calloc(1, sizeof *p);
  int rc = SUT_ENOMEM;
  if (!p)
    goto fail;
  p->topo = t;
  p->topology = sut_topo_hwloc(t);
  p->pin = r->pin;
  rc = p->topology ? build_with_topology(p, r->cpus, err, errlen)
                   : build_without_topology(p, r->cpus, err, errlen);
  if (rc != SUT_OK)
    goto fail;
  p->workers = r->threads ? r->threads : p->unit_count;
  if (p->workers > SUT_MAX_WORKERS)
    p->workers = SUT_MAX_WORKERS;
  rc = p->topology ? compute_spare(p) : SUT_OK;
  if (rc != SUT_OK)
    goto fail;
  *out = p;
  return SUT_OK;

fail:
  if (rc == SUT_ENOMEM)
    snprintf(err, errlen, "cpu: out of memory for the worker placement");
  sut_place_destroy(p);
  return rc;
}

void sut_place_destroy(sut_place *p)
{
  if (!p)
    return;
  if (p->topology)
    free_units(p);
  hwloc_bitmap_free(p->allowed);
  hwloc_bitmap_free(p->spare);
  free(p);
}

unsigned sut_place_workers(const sut_place *p)
{
  return p->workers;
}

sut_pin sut_place_pin(const sut_place *p)
{
  return p->pin;
}

/* ---- binding ------------------------------------------------------------------- */
/* Bind the calling thread to want and check what the OS applied. */
static int bind_thread(const sut_place *p, hwloc_const_cpuset_t want, char *why,
                       size_t whylen)
{
  char wanted[64], got_list[64];
  hwloc_bitmap_list_snprintf(wanted, sizeof wanted, want);
  if (hwloc_set_cpubind(p->topology, want, HWLOC_CPUBIND_THREAD) != 0) {
    snprintf(why, whylen, "hwloc_set_cpubind(%s): %s", wanted, strerror(errno));
    return SUT_EDEVICE;
  }
  hwloc_bitmap_t got = hwloc_bitmap_alloc();
  if (!got) {
    snprintf(why, whylen, "out of memory");
    return SUT_ENOMEM;
  }
  int rc = SUT_OK;
  if (hwloc_get_cpubind(p->topology, got, HWLOC_CPUBIND_THREAD) != 0) {
    snprintf(why, whylen, "hwloc_get_cpubind: %s", strerror(errno));
    rc = SUT_EDEVICE;
  } else if (!hwloc_bitmap_isequal(got, want)) {
    hwloc_bitmap_list_snprintf(got_list, sizeof got_list, got);
    snprintf(why, whylen, "bound to %s, read back %s", wanted, got_list);
    rc = SUT_EDEVICE;
  }
  hwloc_bitmap_free(got);
  return rc;
}

int sut_place_bind_self(const sut_place *p, unsigned worker, char *why, size_t whylen)
{
  if (!p->topology) {
    snprintf(why, whylen, "no topology");
    return SUT_ENOTSUP;
  }
  return bind_thread(p, worker_set(p, worker), why, whylen);
}

void sut_place_cpus_self(const sut_place *p, char *buf, size_t len)
{
  sut_topo_cpus_self(p->topo, buf, len);
}

void sut_place_spare(const sut_place *p, char *buf, size_t len)
{
  if (len)
    buf[0] = '\0';
  if (p->topology && !hwloc_bitmap_iszero(p->spare))
    hwloc_bitmap_list_snprintf(buf, len, p->spare);
}

int sut_place_bind_spare(const sut_place *p, char *where, size_t len)
{
  if (!p->topology || hwloc_bitmap_iszero(p->spare)) {
    snprintf(where, len, "not pinned: %s",
             p->topology ? "the SUT uses every core" : "no hwloc topology");
    return SUT_OK;
  }
  char why[128];
  int rc = bind_thread(p, p->spare, why, sizeof why);
  if (rc != SUT_OK) {
    snprintf(where, len, "not pinned: %s", why);
    return rc;
  }
  sut_place_cpus_self(p, where, len);
  return SUT_OK;
}
