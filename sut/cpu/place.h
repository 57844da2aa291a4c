/*
 * sut/cpu/place.h - where the CPU SUT's workers run (private).
 *
 * A placement turns the CPUs the SUT may use (--cpus, an OS-index list such as
 * "0-3,6"; default every CPU of the machine) and a policy (--pin) into the number of
 * workers, the cpuset each worker is bound to, and the CPUs left over for the
 * loadgen thread. With A the allowed CPUs:
 *
 *   core  one unit per core that has a CPU in A; worker i is bound to unit i % units,
 *         that core's cpuset within A (the whole core unless --cpus splits it: the
 *         list is a hard limit)
 *   pu    one unit per PU (hardware thread) in A; worker i is bound to that PU
 *   none  units counted per core as for core; every worker is bound to all of A,
 *         so the OS schedules it (all CPUs of the machine without --cpus)
 *
 * The default worker count is the number of units. The spare CPUs are the machine's
 * CPUs that no worker is bound to. Bindings are made with
 * hwloc_set_cpubind(HWLOC_CPUBIND_THREAD) and read back with hwloc_get_cpubind.
 * Without a topology (hwloc failed) nothing is bound and nothing is spare.
 *
 * Thread-safety: after sut_place_init the object is only read; the bind and read-back
 * functions may run on many threads at once (each binds only the calling thread).
 * Ownership: sut_place_init hands out the placement, sut_place_destroy frees it; the
 * topology is borrowed and must outlive it.
 */
#ifndef SUT_CPU_PLACE_H
#define SUT_CPU_PLACE_H

#include <stddef.h>

#include "sut/cpu/topo.h"

typedef struct sut_place_request {
  const char *cpus;   /* allowed CPUs, OS indices "0-3,6"; NULL = all */
  sut_pin pin;        /* placement policy */
  unsigned threads;   /* workers; 0 = one per unit */
} sut_place_request;

typedef struct sut_place sut_place;

/* Build the placement for request r on topology t (NULL: no hwloc, then r->cpus must
 * be NULL). Returns SUT_OK; SUT_EINVAL when r->cpus is empty or not a list of
 * numbers and ranges; SUT_ENOTSUP when it names CPUs this machine lacks or there is
 * no topology to bind with (err names the value and the machine's CPUs, e.g.
 * "--cpus 0-7: this machine has CPUs 0-1 (no 2-7)"); SUT_ENOMEM. On error *out is
 * NULL. */
int sut_place_init(sut_place **out, const sut_topo *t, const sut_place_request *r,
                   char *err, size_t errlen);
/* Free; accepts NULL. */
void sut_place_destroy(sut_place *p);

/* Number of workers: r->threads, or the number of units (at most SUT_MAX_WORKERS). */
unsigned sut_place_workers(const sut_place *p);
/* The policy asked for. */
sut_pin sut_place_pin(const sut_place *p);
/* "core", "pu" or "none". */
const char *sut_pin_name(sut_pin pin);

/* Bind the calling thread to worker `worker`'s cpuset and verify by reading it back.
 * Returns SUT_OK, SUT_ENOTSUP (no topology), SUT_EDEVICE (binding failed or read
 * back differently) or SUT_ENOMEM; the reason goes to why. */
int sut_place_bind_self(const sut_place *p, unsigned worker, char *why, size_t whylen);
/* The CPUs the calling thread may run on, read back from the OS, as a list ("0-3"). */
void sut_place_cpus_self(const sut_place *p, char *buf, size_t len);

/* The spare CPUs as a list ("0", "4-7"); "" when the workers use every CPU or there
 * is no topology. */
void sut_place_spare(const sut_place *p, char *buf, size_t len);
/* Bind the calling thread to the spare CPUs when there are any, and write the
 * binding read back from the OS into where; else leave it alone and write why not
 * ("not pinned: the SUT uses every core"). Saves nothing: undoing it is the caller's
 * job. Returns SUT_OK, or SUT_EDEVICE / SUT_ENOMEM with the reason in where. */
int sut_place_bind_spare(const sut_place *p, char *where, size_t len);

#endif /* SUT_CPU_PLACE_H */
