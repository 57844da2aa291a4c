/*
 * hardware_profiles/measure.h - measuring this machine for its hardware profile (prefix
 * hwp_): the CPU's topology from hwloc, peak fp32 FMA throughput and STREAM-triad memory
 * bandwidth. `mlsysbench profile` (harness/profile.c) puts the figures into a profile.
 *
 * Each measurement runs a team of threads, one per physical core unless told
 * otherwise, each bound to its own core with hwloc, and reports the best of a few
 * repetitions: a peak is what the machine can do, so the fastest repetition is the
 * honest estimate of it (slower ones met interference).
 *
 * Thread-safety: a hwp_machine runs one measurement at a time; use it from one thread.
 */
#ifndef HWP_MEASURE_H
#define HWP_MEASURE_H

#include <stddef.h>
#include <stdint.h>

/* An open hwloc topology of this machine. Opaque; hwp_machine_open/close. */
typedef struct hwp_machine hwp_machine;

typedef struct hwp_machine_info {
  char cpu_model[128];        /* hwloc's CPUModel; "" when unknown */
  unsigned cores;             /* physical cores this process may run on (>= 1) */
  unsigned pus;               /* hardware threads (processing units) of those cores */
  unsigned packages;          /* sockets; 0 when unknown */
  uint64_t cache_bytes[3];    /* L1 data, L2, L3: one instance; 0 = none or unknown */
  unsigned cache_instances[3];/* how many of each */
  uint64_t llc_total_bytes;   /* every last-level cache together; 0 when unknown */
  uint64_t memory_bytes;      /* RAM of the machine's NUMA nodes; 0 when unknown */
} hwp_machine_info;

/* Load the topology into *out (the caller closes it). HWP_OK, or HWP_EIO / HWP_ENOMEM
 * with a message. */
int hwp_machine_open(hwp_machine **out, char *err, size_t errlen);
/* Release the topology; m may be NULL. */
void hwp_machine_close(hwp_machine *m);
/* What hwloc says about the machine; valid until hwp_machine_close. */
const hwp_machine_info *hwp_machine_describe(const hwp_machine *m);

typedef struct hwp_measurement {
  double value;        /* the best repetition: FLOP/s (FMA) or bytes/s (triad) */
  unsigned threads;    /* threads that ran */
  unsigned pinned;     /* how many of them hwloc bound to their own core */
  unsigned reps;       /* repetitions timed; value is the best of them */
  double seconds;      /* wall time spent, calibration and set-up included */
  uint64_t array_bytes;/* triad: bytes of each of the three arrays; FMA: 0 */
  char method[384];    /* how it was measured, for the profile's source text */
} hwp_measurement;

/* Peak fp32 FLOP/s of `threads` threads (0 = one per physical core; thread i is bound
 * to core i mod cores) running a register-blocked FMA kernel: 12 independent chains of
 * vector FMAs per thread with no memory traffic, in the widest form this CPU has
 * (AVX-512F, AVX2+FMA, NEON; else portable 4-lane vectors with separate multiply and
 * add). An FMA counts as 2 FLOPs per lane. About `seconds` in all (>= 0.01), split
 * into a calibration and 5 repetitions. HWP_OK, HWP_EINVAL, HWP_ENOMEM, HWP_EIO
 * (threads could not start), with a message. */
int hwp_measure_fma(hwp_machine *m, unsigned threads, double seconds, hwp_measurement *out,
                    char *err, size_t errlen);

/* Memory bandwidth in bytes/s by STREAM's triad, a[i] = b[i] + s*c[i] over three fp64
 * arrays of array_bytes each (0 = automatic: 4 x all last-level caches together, at least
 * 32 MiB, at most an eighth of RAM for the three), split between `threads` threads
 * (0 = one per core) that each touch their own part first (so pages live near their
 * core). Counted as STREAM does: 24 bytes per element per pass (write-allocate traffic
 * not counted). Best of as many passes as fit in `seconds` (3 to 100). The result is
 * checked. HWP_OK, HWP_EINVAL, HWP_ENOMEM, HWP_EIO (threads did not start, or a wrong
 * result), with a message. */
int hwp_measure_triad(hwp_machine *m, unsigned threads, double seconds, size_t array_bytes,
                      hwp_measurement *out, char *err, size_t errlen);

#endif /* HWP_MEASURE_H */
