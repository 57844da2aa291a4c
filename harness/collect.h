/*
 * harness/collect.h - collectors around one run (prefix mb_collect_): hardware profile,
 * counters, SDE counters and energy, started and stopped with loadgen's timed region.
 * Not thread-safe: one run, one thread (the loadgen's).
 */
#ifndef MB_COLLECT_H
#define MB_COLLECT_H

#include "hardware_profiles/hwp.h"
#include "harness/harness.h"
#include "sut/sut.h"
#include "workloads/workload.h"

typedef struct mb_collect mb_collect;

/* Load the profile (--profile; a named one must exist, auto may fail quietly), open the
 * counters on the SUT's workers (--counters, --counters-required) and the energy source
 * (--energy). Returns an MB_EXIT_* code with the reason in err; *out is set even on
 * failure (close it). */
int mb_collect_open(mb_collect **out, const mb_run_opts *o, const sut *s, const wl_info *w,
                    char *err, size_t errlen);
/* lg_hooks.timed: start or stop counters and energy. */
void mb_collect_timed(void *ctx, bool start);
/* Publish the harness's own counters (SDE) as the run goes. */
void mb_collect_progress(mb_collect *c, uint64_t issued, uint64_t completed);
/* Counters, energy and roofline blocks of r from the finished run. */
void mb_collect_fill(mb_collect *c, rpt_results *r, const lg_result *lr, const wl_info *w);
void mb_collect_close(mb_collect *c); /* accepts NULL */

#endif /* MB_COLLECT_H */
