/*
 * sut/cpu/topo.h - machine topology and thread pinning for the CPU SUT (private).
 *
 * A thin layer over hwloc: how many cores / PUs there are, the CPU model string, and
 * binding the calling thread to one core or PU with the result read back. When hwloc
 * cannot load a topology, sut_topo_open fails with the reason and callers run with
 * topo == NULL: every function here accepts NULL and then falls back to sysconf,
 * /proc/cpuinfo and sched_getaffinity (and pins nothing).
 *
 * Thread-safety: after sut_topo_open the object is only read; sut_topo_pin_self and
 * sut_topo_cpus_self may run on many threads at once (each binds only itself).
 * Ownership: sut_topo_open hands out the object, sut_topo_close frees it.
 */
#ifndef SUT_CPU_TOPO_H
#define SUT_CPU_TOPO_H

#include <stdbool.h>
#include <stddef.h>

/* What a worker is bound to. */
typedef enum { SUT_PIN_CORE = 0, SUT_PIN_PU, SUT_PIN_NONE } sut_pin;

typedef struct sut_topo sut_topo;

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

/* Bind the calling thread to core or PU number `unit` (logical index, < count) and
 * verify by reading the binding back. Returns SUT_OK, SUT_ENOTSUP (t is NULL or
 * unit is SUT_PIN_NONE), SUT_EINVAL (no such unit) or SUT_EDEVICE (binding failed or
 * read back differently); the reason goes to why. */
int sut_topo_pin_self(const sut_topo *t, sut_pin unit_kind, unsigned unit, char *why,
                      size_t whylen);

/* The CPUs the calling thread may run on, read back from the OS, as a list string
 * ("0", "0-3", "0,2"); "?" when it cannot be read. */
void sut_topo_cpus_self(const sut_topo *t, char *buf, size_t len);

#endif /* SUT_CPU_TOPO_H */
