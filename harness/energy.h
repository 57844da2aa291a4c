/*
 * harness/energy.h - energy over the timed region (prefix mb_energy_).
 *
 * Sources (the --energy spec):
 *   rapl         Intel/AMD RAPL through the powercap sysfs tree
 *                (/sys/class/powercap/intel-rapl:N and its subzones): energy_uj read
 *                at start, every sampling interval (so no counter wrap is missed) and
 *                at stop; total = package zones + dram subzones.
 *   nvml         NVIDIA GPUs through libnvidia-ml.so.1 (dlopen, no build dependency):
 *                nvmlDeviceGetTotalEnergyConsumption at start and stop, or where a GPU
 *                lacks it, nvmlDeviceGetPowerUsage sampled and integrated. Every GPU,
 *                or with options.nvml_pci_bus_id only that one (the CUDA SUT's
 *                device, found with nvmlDeviceGetHandleByPciBusId_v2; its domain is
 *                named "gpu-<bus id>").
 *   estimate     TDP x duration of the timed region, from the hardware profile;
 *                always labelled estimate.
 *   lpm01a:PATH[,volt=3000m][,baud=N]  the STM32 LPM01A serial power monitor
 *                (harness/lpm01a.h): 1 kHz energy samples between start and stop; per
 *                inference from the windows between the DUT's timestamp edges. A
 *                monitor that does not answer is unavailable with the reason.
 *   auto         rapl if it works here, else nvml, else estimate when a TDP is known,
 *                else unavailable with every source's reason (the reasons of the
 *                sources passed over are kept in the report either way).
 * A source this machine lacks is not an error: mb_energy_open succeeds and the report
 * says available = false with the reason (never 0 joules).
 *
 * Order of calls (the harness):
 *
 *     mb_energy_options o; mb_energy_options_default(&o);
 *     o.tdp_watts = profile_tdp; o.tdp_source = profile_name;
 *     mb_energy *e;
 *     mb_energy_open(&e, opts->energy, &o, err, sizeof err);   // EINVAL: bad spec
 *     lg_hooks.timed(ctx, true)  -> mb_energy_start(e);
 *     lg_hooks.timed(ctx, false) -> mb_energy_stop(e);         (start again resets)
 *     mb_energy_result(e, samples_completed, &report);        copy into results.json
 *     mb_energy_close(e);
 *
 * Thread-safety: one mb_energy must be used by one thread at a time, except
 * mb_energy_samples(), which any thread may call. Between start and stop a sampler
 * thread of its own reads the meter; stop joins it. No globals: meters may coexist.
 */
#ifndef MB_ENERGY_H
#define MB_ENERGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- status codes: one table makes the enum and mb_energy_strerror() ---------- */
#define MB_ENERGY_STATUS_MAP(X)                                         \
  X(OK, 0, "success")                                                   \
  X(EINVAL, -1, "invalid argument")                                     \
  X(ENOMEM, -2, "out of memory")                                        \
  X(EPHASE, -3, "call not allowed in this phase")                       \
  X(ESYS, -4, "a system call failed")

typedef enum {
#define MB_ENERGY_ENUM_(name, value, text) MB_ENERGY_##name = (value),
  MB_ENERGY_STATUS_MAP(MB_ENERGY_ENUM_)
#undef MB_ENERGY_ENUM_
} mb_energy_status;

/* Message for a status code; never NULL ("unknown status" for foreign codes). */
const char *mb_energy_strerror(int status);

/* ---- the report -------------------------------------------------------------------- */
#define MB_ENERGY_MAX_DOMAINS 16
#define MB_ENERGY_DOMAIN_NAME 48

typedef struct mb_energy_domain {
  char name[MB_ENERGY_DOMAIN_NAME]; /* "package-0", "package-0/dram", "package-0/core",
                                       "gpu-0", "gpu-0000:65:00.0" */
  double joules;
  bool in_total;  /* counted in mb_energy_report.joules (core and uncore are inside
                     their package, psys contains everything: listed, not added) */
} mb_energy_domain;

/* Plain data: the harness copies it into results.json. When available is false the
 * energy numbers are NAN and reason says why. */
typedef struct mb_energy_report {
  bool available;
  char source[32];           /* "rapl", "nvml", "estimate", "lpm01a"; "auto" when
                                auto found nothing */
  char method[128];          /* how it was measured or estimated */
  bool estimate;             /* true for TDP x time */
  double joules;             /* over the timed region */
  double avg_watts;          /* joules / interval_s */
  double joules_per_inference; /* NAN when inferences was 0 */
  double interval_s;         /* start..stop (measured even when unavailable) */
  double sampling_interval_s;/* the sampler's period; 0 when nothing was sampled
                                (estimate; NVML with energy counters) */
  uint64_t samples;          /* sampler passes in the last window (lpm01a: the
                                monitor's samples) */
  size_t windows;            /* lpm01a: windows between timestamp edge pairs */
  double median_window_joules; /* lpm01a: their median; joules_per_inference is it
                                divided by inferences / windows */
  size_t n_domains;
  mb_energy_domain domains[MB_ENERGY_MAX_DOMAINS];
  char reason[1024];         /* why unavailable (auto: every source's reason); when
                                available, auto's note of why the sources before the
                                chosen one were passed over (e.g. RAPL needing root),
                                else empty */
} mb_energy_report;

/* ---- options and test seams ----------------------------------------------------------- */

/* Read up to len bytes of the small file at path into buf (not terminated).
 * Returns the number of bytes read, or -errno. The default is mb_energy_read_file. */
typedef int (*mb_energy_read_fn)(void *ctx, const char *path, char *buf, size_t len);

/* The default reader: open(2), read(2), close(2). ctx is unused. */
int mb_energy_read_file(void *ctx, const char *path, char *buf, size_t len);

/* The NVML entry points used, with NVML's own signatures (nvmlReturn_t is an int,
 * 0 = NVML_SUCCESS; nvmlDevice_t is an opaque pointer). Filled by dlopen+dlsym, or
 * handed in by a test. power_usage may be NULL; total_energy may be NULL (old driver). */
typedef struct mb_nvml_device_st *mb_nvml_device;
typedef struct mb_energy_nvml_api {
  int (*init)(void);                                         /* nvmlInit_v2 */
  int (*shutdown)(void);                                     /* nvmlShutdown */
  const char *(*error_string)(int result);                   /* nvmlErrorString */
  int (*device_count)(unsigned int *count);                  /* nvmlDeviceGetCount_v2 */
  int (*device_handle)(unsigned int index, mb_nvml_device *dev); /* ..HandleByIndex_v2 */
  int (*total_energy)(mb_nvml_device dev, unsigned long long *mj);
                                            /* nvmlDeviceGetTotalEnergyConsumption, mJ */
  int (*power_usage)(mb_nvml_device dev, unsigned int *mw);  /* nvmlDeviceGetPowerUsage */
  int (*device_by_pci)(const char *bus_id, mb_nvml_device *dev);
                                          /* nvmlDeviceGetHandleByPciBusId_v2; may be NULL */
} mb_energy_nvml_api;

typedef struct mb_energy_options {
  const char *powercap_root;      /* NULL = "/sys/class/powercap" */
  double tdp_watts;               /* for estimate; <= 0 = unknown */
  const char *tdp_source;         /* the hardware profile the TDP comes from */
  unsigned sampling_interval_ms;  /* sampler period; 0 = 100 */
  const char *nvml_library;       /* NULL = "libnvidia-ml.so.1" */
  const mb_energy_nvml_api *nvml_api; /* NULL = dlopen nvml_library (tests: a fake) */
  const char *nvml_pci_bus_id;    /* NULL = every GPU; else only this one, e.g.
                                     "0000:65:00.0" (the CUDA SUT's device) */
  mb_energy_read_fn read_file;    /* NULL = mb_energy_read_file (tests: inject errno) */
  void *read_ctx;
} mb_energy_options;

#define MB_ENERGY_POWERCAP_ROOT "/sys/class/powercap"
#define MB_ENERGY_NVML_LIBRARY "libnvidia-ml.so.1"
#define MB_ENERGY_SAMPLING_MS 100

/* All zero: the defaults above. */
void mb_energy_options_default(mb_energy_options *o);

/* ---- the meter ------------------------------------------------------------------------- */
typedef struct mb_energy mb_energy;

/*
 * Open the meter named by spec (see the top of this file); o may be NULL (defaults).
 * o and its strings are copied (the nvml_api table is copied too). The source is
 * probed here (RAPL: every zone read once; NVML: init and each GPU asked once).
 * Returns MB_ENERGY_OK also when the source is unavailable (the report says why),
 * MB_ENERGY_EINVAL for an unknown spec or "lpm01a" without a path (err says which
 * specs exist), MB_ENERGY_ENOMEM. On error *out is NULL; mb_energy_close frees.
 */
int mb_energy_open(mb_energy **out, const char *spec, const mb_energy_options *o,
                   char *err, size_t errlen);

/* Whether the source opened (a reading that fails later shows in the report);
 * *reason (may be NULL) gets the reason when not, "" when it did; it lives as long
 * as e. */
bool mb_energy_available(const mb_energy *e, const char **reason);

/* Take the start reading and start the sampler (right before the timed region).
 * Allowed after open and after stop. Returns MB_ENERGY_OK (a meter read failure is
 * reported by the report, not here), MB_ENERGY_EPHASE when running, MB_ENERGY_ESYS
 * when the sampler thread cannot be created. */
int mb_energy_start(mb_energy *e);

/* Stop the sampler and take the stop reading (right after the timed region).
 * MB_ENERGY_OK or MB_ENERGY_EPHASE when not running. */
int mb_energy_stop(mb_energy *e);

/* Sampler passes so far in the current window; thread-safe (tests wait on it). */
uint64_t mb_energy_samples(const mb_energy *e);

/* The last window's energy into *out (zeroed first). MB_ENERGY_OK; MB_ENERGY_EPHASE
 * before the first stop or while running, except for an unavailable source, whose
 * report (with the reason) is always given; MB_ENERGY_EINVAL for NULL arguments. */
int mb_energy_result(const mb_energy *e, uint64_t inferences, mb_energy_report *out);

/* Stop if running, release the source (nvmlShutdown, dlclose), free. Accepts NULL. */
void mb_energy_close(mb_energy *e);

#endif /* MB_ENERGY_H */
