/*
 * sut/cpu/topo.c - hwloc topology, CPU model string and the calling thread's CPUs.
 *
 * The CPUs a thread runs on are read back from the OS with hwloc_get_cpubind, so
 * what is reported is what the OS applied, not what was asked for. Without hwloc
 * (t == NULL) the fallbacks are sysconf, /proc/cpuinfo and sched_getaffinity.
 */
#include "sut/cpu/topo.h"

#include <errno.h>
#include <hwloc.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sut/sut.h"

struct sut_topo {
  hwloc_topology_t topology;
};

int sut_topo_open(sut_topo **out, char *why, size_t whylen)
{
  *out = NULL;
  sut_topo *t = calloc(1, sizeof *t);
  if (!t)
    return SUT_ENOMEM;
  if (hwloc_topology_init(&t->topology) != 0) {
    snprintf(why, whylen, "hwloc_topology_init: %s", strerror(errno));
    goto fail_init;
  }
  if (hwloc_topology_load(t->topology) != 0) {
    snprintf(why, whylen, "hwloc_topology_load: %s", strerror(errno));
    goto fail_load;
  }
  *out = t;
  return SUT_OK;

fail_load:
  hwloc_topology_destroy(t->topology);
fail_init:
  free(t);
  return SUT_ENOTSUP;
}

void sut_topo_close(sut_topo *t)
{
  if (!t)
    return;
  hwloc_topology_destroy(t->topology);
  free(t);
}

static hwloc_obj_type_t unit_type(sut_pin unit)
{
  return unit == SUT_PIN_CORE ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
}

static unsigned online_cpus(void)
{
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (unsigned)n : 1u;
}

unsigned sut_topo_count(const sut_topo *t, sut_pin unit)
{
  if (!t)
    return online_cpus();
  int n = hwloc_get_nbobjs_by_type(t->topology, unit_type(unit));
  if (n <= 0 && unit == SUT_PIN_CORE) /* some VMs expose PUs only */
    n = hwloc_get_nbobjs_by_type(t->topology, HWLOC_OBJ_PU);
  return n > 0 ? (unsigned)n : 1u;
}

/* "model name : X" from /proc/cpuinfo into buf; false when absent. */
static bool cpuinfo_model(char *buf, size_t len)
{
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f)
    return false;
  char line[256];
  bool found = false;
  while (!found && fgets(line, sizeof line, f)) {
    char *colon = strchr(line, ':');
    if (strncmp(line, "model name", 10) != 0 || !colon)
      continue;
    colon += 1 + strspn(colon + 1, " \t");
    colon[strcspn(colon, "\n")] = '\0';
    snprintf(buf, len, "%s", colon);
    found = true;
  }
  fclose(f);
  return found;
}

void sut_topo_device(const sut_topo *t, char *buf, size_t len)
{
  char model[96] = "";
  if (t) {
    hwloc_obj_t pkg = hwloc_get_obj_by_type(t->topology, HWLOC_OBJ_PACKAGE, 0);
    const char *m = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : NULL;
    if (m)
      snprintf(model, sizeof model, "%s", m);
  }
  if (!model[0] && !cpuinfo_model(model, sizeof model))
    snprintf(model, sizeof model, "unknown CPU");
  unsigned cores = sut_topo_count(t, SUT_PIN_CORE);
  snprintf(buf, len, "%s (%u core%s)", model, cores, cores == 1 ? "" : "s");
}

struct hwloc_topology *sut_topo_hwloc(const sut_topo *t)
{
  return t ? t->topology : NULL;
}

/* Format a sched_getaffinity mask as a list string ("0-2,5"). */
static void affinity_list(const cpu_set_t *set, char *buf, size_t len)
{
  size_t used = 0;
  buf[0] = '\0';
  for (int c = 0; c < CPU_SETSIZE && used < len; c++) {
    if (!CPU_ISSET(c, set))
      continue;
    int last = c;
    while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, set))
      last++;
    int w = last > c ? snprintf(buf + used, len - used, "%s%d-%d", used ? "," : "", c, last)
                     : snprintf(buf + used, len - used, "%s%d", used ? "," : "", c);
    used += w > 0 ? (size_t)w : 0;
    c = last;
  }
}

void sut_topo_cpus_self(const sut_topo *t, char *buf, size_t len)
{
  snprintf(buf, len, "?");
  if (t) {
    hwloc_bitmap_t got = hwloc_bitmap_alloc();
    if (got && hwloc_get_cpubind(t->topology, got, HWLOC_CPUBIND_THREAD) == 0)
      hwloc_bitmap_list_snprintf(buf, len, got);
    hwloc_bitmap_free(got);
    return;
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    affinity_list(&set, buf, len);
}
