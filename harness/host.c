/*
 * harness/host.c - what machine a run ran on: hostname, OS, kernel, CPU model and the
 * hwloc topology summary (packages, cores, PUs, NUMA nodes, cache sizes). A value hwloc
 * cannot give stays unset in results.json rather than becoming 0.
 */
#include <hwloc.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "harness/harness.h"

static rpt_opt_u64 mb_count(hwloc_topology_t topo, hwloc_obj_type_t type) {
  int n = hwloc_get_nbobjs_by_type(topo, type);
  return n > 0 ? rpt_u64((uint64_t)n) : (rpt_opt_u64){0};
}

static rpt_opt_u64 mb_cache(hwloc_topology_t topo, hwloc_obj_type_t type) {
  hwloc_obj_t o = hwloc_get_obj_by_type(topo, type, 0);
  return o && o->attr ? rpt_u64(o->attr->cache.size) : (rpt_opt_u64){0};
}

static void mb_topology(rpt_host *h) {
  hwloc_topology_t topo;
  if (hwloc_topology_init(&topo)) return;
  if (hwloc_topology_load(topo) == 0) {
    h->topology.packages = mb_count(topo, HWLOC_OBJ_PACKAGE);
    h->topology.cores = mb_count(topo, HWLOC_OBJ_CORE);
    h->topology.pus = mb_count(topo, HWLOC_OBJ_PU);
    h->topology.numa_nodes = mb_count(topo, HWLOC_OBJ_NUMANODE);
    h->topology.l1d_bytes = mb_cache(topo, HWLOC_OBJ_L1CACHE);
    h->topology.l2_bytes = mb_cache(topo, HWLOC_OBJ_L2CACHE);
    h->topology.l3_bytes = mb_cache(topo, HWLOC_OBJ_L3CACHE);
    hwloc_obj_t pkg = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PACKAGE, 0);
    const char *model = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : NULL;
    if (model) rpt_set_string(&h->cpu_model, model);
  }
  hwloc_topology_destroy(topo);
}

void mb_host_describe(rpt_host *h) {
  char name[256];
  struct utsname u;
  if (gethostname(name, sizeof name) == 0) {
    name[sizeof name - 1] = '\0';
    rpt_set_string(&h->hostname, name);
  }
  if (uname(&u) == 0) {
    rpt_set_string(&h->os, u.sysname);
    rpt_set_string(&h->kernel, u.release);
  }
  mb_topology(h);
}

void mb_progress(void *ctx, const lg_progress *p) {
  (void)ctx;
  fprintf(stderr, "\r  %6.1f / %.1f s   %llu issued   %llu completed   %.0f samples/s   ",
          (double)p->elapsed_ns / 1e9, (double)p->target_ns / 1e9,
          (unsigned long long)p->samples_issued, (unsigned long long)p->samples_completed,
          p->completed_per_s);
  fflush(stderr);
}
