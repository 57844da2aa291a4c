/*
 * sut/serial/serial.h - the serial (microcontroller) adapter's entry in the backend
 * table, and its spec (private to sut/).
 *
 * Spec: "serial:PATH[,key=value...]" with
 *   baud=N         line speed (default 115200; a pty ignores it)
 *   io-manager     speak through an EEMBC IO manager ("dut <cmd>%", "[dut]: " lines)
 *   timeout_ms=N   answer timeout of ordinary commands (default 2000)
 *   window_ms=N    Offline: DUT time of each window (default 10000, MLPerf Tiny's 10 s)
 *   windows=N      Offline: windows, each on a different input (default 5; median)
 *   warmup=N       Offline: warm-up inferences before each window (default 10)
 *
 * What it does: sut_open opens the port (termios raw 8N1), sends name% to sync and
 * profile% and checks m-model-[...] against the workload (kws -> kws01, vww -> vww01,
 * ic -> ic01, ad -> ad01; a mismatch fails with both names). One worker thread owns
 * the link; issued samples queue on the host in front of the single DUT (Server
 * arrivals wait there, so their latency counts from the scheduled time).
 *   - every scenario but Offline performance, and accuracy mode: per sample, the input
 *     is sent (db load + db chunks, skipped when that sample is already on the DUT),
 *     then `infer 1 0`; the sample completes when the answer's m-ready arrives, with
 *     the m-results values as its output (f32). The DUT-timed latency is the m-lap-us
 *     difference (modulo 2^32).
 *   - Offline performance: MLPerf Tiny windows. A calibration `infer 1 0` sizes N so a
 *     window lasts >= window_ms of DUT time; then `infer N warmup` on `windows`
 *     different inputs; the query's samples are completed window by window; the
 *     DUT-timed throughput is the median of N / (T1 - T0).
 * Inputs go over the wire in the firmware's f32 format (sut/firmware/fw.h): the
 * sample's input tensor exactly as the CPU SUT sees it, binary32 little-endian.
 *
 * Faults: a timeout, a boot banner (reset), an e-[...] answer or a malformed answer
 * gets one re-sync (name%) and one retry of the sample (its input sent again); a hang-up
 * (EIO/POLLHUP) gets one re-open of the device. A second failure ends the run through
 * lg_test_fail(): loadgen stops issuing, the samples done so far are kept, and the run
 * is INVALID with reason sut_failed and the message. sut_info.device_timing has the
 * DUT-timed figures, the recoveries and the faults.
 */
#ifndef SUT_SERIAL_SERIAL_H
#define SUT_SERIAL_SERIAL_H

#include "sut/sut.h"

extern const sut_backend sut_serial_backend;

/* The MLPerf Tiny model name a workload runs as ("kws01"), or NULL when it has none. */
const char *sut_serial_model_for(const char *workload);

#endif /* SUT_SERIAL_SERIAL_H */
