/*
 * harness/lpm01a.h - the STMicroelectronics X-NUCLEO-LPM01A power monitor over its
 * serial text protocol (prefix mb_lpm01a_), the `--energy lpm01a:/dev/ttyUSB0` source of
 * harness/energy.c.
 *
 * Protocol (shared/SERIAL_PROTOCOL.md; ST UM2269): 3,686,400 baud 8N1; commands end
 * "\r\n" and are answered "ack <command>..." or "error <text>". Set-up, in order:
 *   htc                  take host control
 *   volt 3000m           supply voltage (the `volt=` option, default 3000m)
 *   freq 1k              1 kHz sampling
 *   acqtime inf          acquire until stopped
 *   eventsrc d7 fal      GPIO D7 falling edges (the DUT's timestamp pin) are events
 *   output energy        each sample is the energy of its period, in joules
 *   format ascii_dec     samples as text "MMMM-EE" = MMMM x 10^-EE
 *   pwr on               power the DUT
 * then `start` at the timed region's start and `stop` at its end; `hrc` gives the monitor
 * back at close. During acquisition the monitor streams one line per sample; a line that
 * starts "event" marks a timestamp edge of the DUT (its position in the sample stream
 * is the edge's time); "TimeStamp..." status lines and anything else are skipped.
 *
 * Energy: the whole window's joules = every sample between start and stop. Energy per
 * inference: the samples between consecutive pairs of edges (edge 1-2, 3-4, ...) are one
 * MLPerf Tiny window each; per-inference energy = median over windows of
 * window joules / inferences per window. Without edges (a performance-mode firmware),
 * joules / inferences over the whole timed region, and the method says so.
 *
 * Thread-safety: one thread at a time (energy.c's sampler thread calls _poll between
 * start and stop, the harness thread the rest, never at once). Ownership: open hands
 * out the monitor, close frees it (NULL accepted).
 */
#ifndef MB_LPM01A_H
#define MB_LPM01A_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MB_LPM01A_BAUD 3686400
#define MB_LPM01A_MAX_WINDOWS 64

typedef struct mb_lpm01a mb_lpm01a;

/* Open "PATH[,volt=3000m][,baud=N]", take host control and configure the monitor (the
 * set-up above). 0, or -1 with the reason in reason: the path, the command that failed,
 * the monitor's "error ..." text or the timeout, and what to check. */
int mb_lpm01a_open(mb_lpm01a **out, const char *arg, char *reason, size_t len);

/* `start`; clears the last window's samples. 0 or -1 (reason kept for the report). */
int mb_lpm01a_start(mb_lpm01a *l);
/* Read what the monitor has sent so far (never blocks more than a few ms). */
void mb_lpm01a_poll(mb_lpm01a *l);
/* `stop`, then read until its ack: every sample of the window is in. */
int mb_lpm01a_stop(mb_lpm01a *l);

typedef struct mb_lpm01a_result {
  uint64_t samples, edges;
  double joules;                  /* all samples between start and stop */
  size_t windows;                 /* complete edge pairs */
  double window_joules[MB_LPM01A_MAX_WINDOWS];
  double median_window_joules;    /* NAN without windows */
} mb_lpm01a_result;

/* The last window's figures. false with the reason when a command failed or the
 * stream broke during it. */
bool mb_lpm01a_result_get(const mb_lpm01a *l, mb_lpm01a_result *out, char *reason,
                          size_t len);

/* hrc and close; accepts NULL. */
void mb_lpm01a_close(mb_lpm01a *l);

/* Parse one sample line: "MMMM-EE" (ascii_dec) or a plain decimal ("1.5e-06"). */
bool mb_lpm01a_parse_sample(const char *line, double *joules);

#endif /* MB_LPM01A_H */
