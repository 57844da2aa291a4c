/*
 * sut/cpu/topo.h - the machine's topology for the CPU SUT (private).
 *
 * A thin layer over hwloc: how many cores / PUs there are, the CPU model string and
 * the CPUs the calling thread runs on, read back from the OS. Where workers are
 * bound is sut/cpu/place.h, the only other user of the hwloc topology. When hwloc
 * cannot load a topology, sut_topo_open fails with the reason and callers run with
 * topo == NULL: every function here accepts NULL and then falls back to sysconf,
 * /proc/cpuinfo and sched_getaffinity.
 *
 * Thread-safety: after sut_topo_open the object is only read, so every function may
 * run on many threads at once. Ownership: sut_topo_open hands out the object,
 * sut_topo_close frees it.
 */
#ifndef SUT_CPU_TOPO_H
#define SUT_CPU_TOPO_H

#include <stdbool.h>
#include <stddef.h>

/* What a worker is bound to: its core, its PU (hardware thread), or nothing in
 * particular (the OS schedules it). */
typedef enum { SUT_PIN_CORE = 0, SUT_PIN_PU, SUT_PIN_NONE } sut_pin;

typedef struct sut_topo sut_topo;
struct hwloc_topology; /* hwloc's hwloc_topology_t is a pointer to it */

/* Load the topology of this machine. Returns SUT_OK, or SUT_ENOTSUP with hwloc's
 * reason in why (then *out is NULL), or SUT_ENOMEM. */
int sut_topo_open(sut_topo **out, char *why, size_t whylen);
/* Free; accepts NULL. */
void sut_topo_close(sut_topo *t);

/* Number of cores (SUT_PIN_CORE) or PUs (SUT_PIN_PU, SUT_PIN_NONE) online; >= 1.
 * With t == NULL: the online processor count for either. */
unsigned sut_topo_count(const sut_topo *t, sut_pin unit);

/* "AMD EPYC (2 cores)" into buf: hwloc's CPUModel of the first package, else
 * /proc/cpuinfo's model name, else "unknown CPU". */
void sut_topo_device(const sut_topo *t, char *buf, size_t len);

/* The loaded hwloc topology (owned by t, read-only), or NULL when t is NULL. For
 * sut/cpu/place.c. */
struct hwloc_topology *sut_topo_hwloc(const sut_topo *t);

/* The CPUs the calling thread may run on, read back from the OS, as a list string
 * ("0", "0-3", "0,2"); "?" when it cannot be read. */
void sut_topo_cpus_self(const sut_topo *t, char *buf, size_t len);

#endif /* SUT_CPU_TOPO_H */
