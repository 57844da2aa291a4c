/*
 * sut/cpu/cpu.h - the CPU adapter's entry in the backend table (private to sut/).
 *
 * Spec: "cpu" or "cpu:key=value,key=value" with
 *   pin=core|pu|none   what each worker is bound to (default core)
 *   cores=LIST         bind workers round-robin to these cores (implies pin=core)
 *   pus=LIST           ... to these PUs / hardware threads (implies pin=pu)
 *   spin_us=N          how long an idle worker spins before it sleeps (default 20)
 * LIST is hwloc logical numbers joined with '+' (',' separates options): "0-3+6".
 * A core or PU this machine does not have is SUT_ENOTSUP with the reason.
 *
 * sut_options.threads: 0 = one worker per physical core (or per listed unit),
 * N > 0 = N workers, -1 = inline, SUT_THREADS_AUTO = inline for compute-free
 * workloads (null), else 0. sut_options.batch: most samples a worker claims at once
 * (default 1024 compute-free, else 16; smaller queries are split finer so every
 * worker gets a share).
 *
 * Thread-safety and ownership: as for any backend, see sut/sut.h.
 */
#ifndef SUT_CPU_CPU_H
#define SUT_CPU_CPU_H

#include "sut/sut.h"

extern const sut_backend sut_cpu_backend;

#endif /* SUT_CPU_CPU_H */
