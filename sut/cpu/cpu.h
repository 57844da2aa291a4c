/*
 * sut/cpu/cpu.h - the CPU adapter's entry in the backend table (private to sut/).
 *
 * Spec: "cpu" or "cpu:key=value,key=value" with
 *   pin=core|pu|none   what each worker is bound to (default core; sut_options.pin,
 *                      --pin, overrides it)
 *   spin_us=N          how long an idle worker spins before it sleeps (default 20)
 * The CPUs to use are sut_options.cpus (--cpus, OS numbers); placement rules in
 * sut/cpu/place.h. The former cores= / pus= options are refused with a pointer to
 * --cpus and --pin.
 *
 * sut_options.threads: 0 = one worker per core among the allowed CPUs (per PU with
 * pin pu), N > 0 = N workers (round-robin over the cores or PUs), -1 = inline,
 * SUT_THREADS_AUTO = inline for compute-free workloads (null), else 0.
 * sut_options.batch: most samples a worker claims at once (default 1024
 * compute-free, else 16; smaller queries are split finer so every worker gets a
 * share).
 *
 * Thread-safety and ownership: as for any backend, see sut/sut.h.
 */
#ifndef SUT_CPU_CPU_H
#define SUT_CPU_CPU_H

#include "sut/sut.h"

extern const sut_backend sut_cpu_backend;

#endif /* SUT_CPU_CPU_H */
