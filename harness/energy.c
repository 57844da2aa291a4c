/*
 * harness/energy.c - energy meters behind one table of function pointers (RAPL via
 * powercap sysfs, NVML via dlopen, TDP x time estimate, the LPM01A monitor), the
 * "auto" choice between them, and the sampler thread that reads a meter between
 * start and stop so counter wraps and power changes are not missed. See energy.h.
 */
#include "harness/energy.h"
#include "harness/lpm01a.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *mb_energy_strerror(int status) {
  switch (status) {
#define MB_ENERGY_TEXT_(name, value, text) \
  case MB_ENERGY_##name:                   \
    return text;
    MB_ENERGY_STATUS_MAP(MB_ENERGY_TEXT_)
#undef MB_ENERGY_TEXT_
  }
  return "unknown status";
}

void mb_energy_options_default(mb_energy_options *o) { memset(o, 0, sizeof *o); }

/* ---- small helpers ----------------------------------------------------------------- */

#define UNAVAILABLE 1 /* a backend's open: this machine lacks the source (reason set) */

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void say(char *buf, size_t len, const char *fmt, ...) {
  if (!buf || len == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, len, fmt, ap);
  va_end(ap);
}

/* Append "; text" (or text when buf is empty). */
static void append(char *buf, size_t len, const char *fmt, ...) {
  size_t used = strlen(buf);
  if (used && used + 2 < len) {
    memcpy(buf + used, "; ", 3);
    used += 2;
  }
  if (used + 1 >= len) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf + used, len - used, fmt, ap);
  va_end(ap);
}

/* ---- reading sysfs files: one reader for text and numbers ----------------------- */

int mb_energy_read_file(void *ctx, const char *path, char *buf, size_t len) {
  (void)ctx;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  ssize_t n = read(fd, buf, len);
  int err = errno;
  close(fd);
  return n < 0 ? -err : (int)n;
}

/* The file's text, trailing whitespace removed. 0 or -errno. */
static int read_text(const mb_energy_options *o, const char *path, char *buf, size_t len) {
  mb_energy_read_fn rd = o->read_file ? o->read_file : mb_energy_read_file;
  int n = rd(o->read_ctx, path, buf, len - 1);
  if (n < 0) return n;
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\t')) n--;
  buf[n] = '\0';
  return 0;
}

/* The file's unsigned decimal number. 0, -errno, or -EINVAL when it is not one. */
static int read_u64(const mb_energy_options *o, const char *path, uint64_t *out) {
  char buf[32], *end;
  int rc = read_text(o, path, buf, sizeof buf);
  if (rc) return rc;
  errno = 0;
  unsigned long long v = strtoull(buf, &end, 10);
  if (buf[0] < '0' || buf[0] > '9' || *end || errno) return -EINVAL;
  *out = v;
  return 0;
}

/* ---- backends -------------------------------------------------------------------- */

typedef struct backend {
  const char *name;
  /* Probe the source. MB_ENERGY_OK, UNAVAILABLE (reason written), MB_ENERGY_ENOMEM. */
  int (*open)(void **self, const char *arg, const mb_energy_options *o, char *reason,
              size_t len);
  void (*start)(void *self);  /* the start reading; failures kept for the report */
  void (*sample)(void *self); /* a periodic reading on the sampler thread; NULL: none */
  void (*stop)(void *self);   /* the stop reading */
  /* joules, domains, method, estimate of the window into out; false with out->reason
   * when a reading failed during it. */
  bool (*report)(void *self, double interval_s, mb_energy_report *out);
  void (*close)(void *self);
} backend;

/* ---- RAPL through powercap ----------------------------------------------------------- */

#define ROOT_MAX 1024                /* the powercap root path */
#define ZONE_PATH_MAX (ROOT_MAX + 128) /* root/intel-rapl:N/intel-rapl:N:M/energy_uj */

typedef struct rapl_zone {
  char energy_path[ZONE_PATH_MAX];
  char name[48];       /* "package-0", "package-0/dram" */
  bool in_total;
  uint64_t max_uj;     /* max_energy_range_uj: energy_uj wraps to 0 past it */
  uint64_t last_uj;    /* the last reading */
  uint64_t total_uj;   /* accumulated since start */
} rapl_zone;

typedef struct rapl {
  const mb_energy_options *o;
  char root[ROOT_MAX];
  size_t n;
  rapl_zone zone[MB_ENERGY_MAX_DOMAINS];
  char failure[sizeof ((mb_energy_report *)0)->reason];
} rapl;

/* Why path cannot be read, with what to do about it. */
static void rapl_explain(const rapl *r, const char *path, int err, char *reason,
                         size_t len) {
  if (err == EACCES || err == EPERM)
    say(reason, len,
        "cannot read %s: %s. Since Linux 5.10 RAPL energy_uj is readable by root only "
        "(CVE-2020-8694, the PLATYPUS power side channel): run mlsysbench as root, or "
        "let users read it until reboot with `sudo chmod o+r %s/intel-rapl:*/energy_uj "
        "%s/intel-rapl:*/intel-rapl:*/energy_uj`, or for good with a udev rule: "
        "ACTION==\"add\", SUBSYSTEM==\"powercap\", RUN+=\"/bin/chmod o+r /sys%%p/energy_uj\"",
        path, strerror(err), r->root, r->root);
  else if (err == EINVAL)
    say(reason, len, "cannot read %s: not a decimal number", path);
  else
    say(reason, len, "cannot read %s: %s", path, strerror(err));
}

static int cmp_unsigned(const void *a, const void *b) {
  unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
  return (x > y) - (x < y);
}

/* The numbers N of the entries "intel-rapl:N" of dir (parent < 0) or
 * "intel-rapl:P:N" with P == parent, sorted. 0 or the errno of opendir. */
static int zone_indices(const char *dir, int parent, unsigned *idx, size_t cap,
                        size_t *n) {
  DIR *d = opendir(dir);
  *n = 0;
  if (!d) return errno;
  for (struct dirent *de; (de = readdir(d)) != NULL;) {
    unsigned a = 0, b = 0;
    int end = 0;
    bool top = parent < 0 && sscanf(de->d_name, "intel-rapl:%u%n", &a, &end) == 1 &&
               de->d_name[end] == '\0';
    bool sub = parent >= 0 &&
               sscanf(de->d_name, "intel-rapl:%u:%u%n", &a, &b, &end) == 2 &&
               de->d_name[end] == '\0' && a == (unsigned)parent;
    if ((top || sub) && *n < cap) idx[(*n)++] = top ? a : b;
  }
  closedir(d);
  qsort(idx, *n, sizeof *idx, cmp_unsigned);
  return 0;
}

/* Add the zone in dir (a subzone of `package` when that is not NULL). */
static int rapl_add_zone(rapl *r, const char *dir, const char *package, char *reason,
                         size_t len) {
  if (r->n == MB_ENERGY_MAX_DOMAINS) {
    say(reason, len, "more than %d RAPL zones under %s", MB_ENERGY_MAX_DOMAINS, r->root);
    return UNAVAILABLE;
  }
  rapl_zone *z = &r->zone[r->n];
  char path[ZONE_PATH_MAX], name[40];
  const char *failed = path;
  snprintf(path, sizeof path, "%s/name", dir);
  int rc = read_text(r->o, path, name, sizeof name);
  if (!rc) {
    snprintf(path, sizeof path, "%s/max_energy_range_uj", dir);
    rc = read_u64(r->o, path, &z->max_uj);
  }
  snprintf(z->energy_path, sizeof z->energy_path, "%s/energy_uj", dir);
  if (!rc) {
    failed = z->energy_path;
    rc = read_u64(r->o, z->energy_path, &z->last_uj);
  }
  if (rc) {
    rapl_explain(r, failed, -rc, reason, len);
    return UNAVAILABLE;
  }
  if (package) snprintf(z->name, sizeof z->name, "%.20s/%.20s", package, name);
  else snprintf(z->name, sizeof z->name, "%s", name);
  z->in_total = package ? strcmp(name, "dram") == 0 : strncmp(name, "package", 7) == 0;
  r->n++;
  return MB_ENERGY_OK;
}

/* Package p and its subzones. */
static int rapl_add_package(rapl *r, unsigned p, char *reason, size_t len) {
  char dir[ZONE_PATH_MAX], sub[ZONE_PATH_MAX];
  snprintf(dir, sizeof dir, "%s/intel-rapl:%u", r->root, p);
  int rc = rapl_add_zone(r, dir, NULL, reason, len);
  if (rc) return rc;
  char package[48];
  snprintf(package, sizeof package, "%s", r->zone[r->n - 1].name);
  unsigned idx[MB_ENERGY_MAX_DOMAINS];
  size_t n = 0;
  zone_indices(dir, (int)p, idx, MB_ENERGY_MAX_DOMAINS, &n);
  for (size_t i = 0; i < n && !rc; i++) {
    snprintf(sub, sizeof sub, "%s/intel-rapl:%u/intel-rapl:%u:%u", r->root, p, p, idx[i]);
    rc = rapl_add_zone(r, sub, package, reason, len);
  }
  return rc;
}

static int rapl_enumerate(rapl *r, char *reason, size_t len) {
  unsigned pk[MB_ENERGY_MAX_DOMAINS];
  size_t n = 0;
  int err = zone_indices(r->root, -1, pk, MB_ENERGY_MAX_DOMAINS, &n);
  if (err) {
    say(reason, len,
        "no powercap tree: cannot open %s: %s (a kernel without the intel_rapl "
        "powercap driver, or a VM that does not expose RAPL)",
        r->root, strerror(err));
    return UNAVAILABLE;
  }
  if (n == 0) {
    say(reason, len,
        "no RAPL zones (intel-rapl:N) under %s: load the driver (`sudo modprobe "
        "intel_rapl_msr`) or use a CPU that exposes RAPL",
        r->root);
    return UNAVAILABLE;
  }
  int rc = MB_ENERGY_OK;
  for (size_t i = 0; i < n && !rc; i++) rc = rapl_add_package(r, pk[i], reason, len);
  return rc;
}

static int rapl_open(void **self, const char *arg, const mb_energy_options *o,
                     char *reason, size_t len) {
  (void)arg;
  rapl *r = calloc(1, sizeof *r);
  if (!r) return MB_ENERGY_ENOMEM;
  r->o = o;
  snprintf(r->root, sizeof r->root, "%s",
           o->powercap_root ? o->powercap_root : MB_ENERGY_POWERCAP_ROOT);
  int rc = rapl_enumerate(r, reason, len);
  if (rc) {
    free(r);
    return rc;
  }
  *self = r;
  return MB_ENERGY_OK;
}

/* Read every zone; with accumulate, add the growth since the last reading (one wrap
 * of energy_uj at max_energy_range_uj is taken into account; the sampler reads often
 * enough that there is never more than one between readings). */
static void rapl_read_all(rapl *r, bool accumulate) {
  for (size_t i = 0; i < r->n; i++) {
    rapl_zone *z = &r->zone[i];
    uint64_t v = 0;
    int rc = read_u64(r->o, z->energy_path, &v);
    if (rc) {
      if (!r->failure[0]) rapl_explain(r, z->energy_path, -rc, r->failure, sizeof r->failure);
      continue;
    }
    if (accumulate) z->total_uj += v >= z->last_uj ? v - z->last_uj : z->max_uj - z->last_uj + v;
    z->last_uj = v;
  }
}

static void rapl_start(void *self) {
  rapl *r = self;
  r->failure[0] = '\0';
  for (size_t i = 0; i < r->n; i++) r->zone[i].total_uj = 0;
  rapl_read_all(r, false);
}

static void rapl_sample(void *self) { rapl_read_all(self, true); }

static bool rapl_report(void *self, double interval_s, mb_energy_report *out) {
  (void)interval_s;
  rapl *r = self;
  if (r->failure[0]) {
    say(out->reason, sizeof out->reason, "%s", r->failure);
    return false;
  }
  uint64_t total = 0;
  for (size_t i = 0; i < r->n; i++) {
    mb_energy_domain *d = &out->domains[out->n_domains++];
    snprintf(d->name, sizeof d->name, "%s", r->zone[i].name);
    d->joules = (double)r->zone[i].total_uj / 1e6;
    d->in_total = r->zone[i].in_total;
    if (d->in_total) total += r->zone[i].total_uj;
  }
  out->joules = (double)total / 1e6;
  say(out->method, sizeof out->method,
      "RAPL powercap energy_uj, read by a sampler (wraps at max_energy_range_uj); "
      "total = package + dram zones");
  return true;
}

static void rapl_close(void *self) { free(self); }

static const backend RAPL = {"rapl", rapl_open, rapl_start, rapl_sample,
                             rapl_sample, rapl_report, rapl_close};

/* ---- NVML through dlopen ----------------------------------------------------------------- */

#define NVML_MAX_GPUS MB_ENERGY_MAX_DOMAINS

typedef struct nvml_gpu {
  mb_nvml_device dev;
  char label[MB_ENERGY_DOMAIN_NAME]; /* "gpu-0", or "gpu-0000:65:00.0" when chosen */
  bool energy_counter;       /* nvmlDeviceGetTotalEnergyConsumption works */
  unsigned long long start_mj;
  double joules;             /* this window */
  uint64_t last_ns;          /* power integration: the last sample */
  double last_w;
} nvml_gpu;

typedef struct nvml {
  void *lib;                 /* dlopen handle; NULL with a handed-in table */
  mb_energy_nvml_api api;
  bool initialized;
  unsigned n;
  nvml_gpu gpu[NVML_MAX_GPUS];
  char failure[256];
} nvml;

static const struct {
  const char *symbol;
  size_t offset;
  bool optional;
} NVML_SYMBOLS[] = {
    {"nvmlInit_v2", offsetof(mb_energy_nvml_api, init), false},
    {"nvmlShutdown", offsetof(mb_energy_nvml_api, shutdown), false},
    {"nvmlErrorString", offsetof(mb_energy_nvml_api, error_string), false},
    {"nvmlDeviceGetCount_v2", offsetof(mb_energy_nvml_api, device_count), false},
    {"nvmlDeviceGetHandleByIndex_v2", offsetof(mb_energy_nvml_api, device_handle), false},
    {"nvmlDeviceGetTotalEnergyConsumption", offsetof(mb_energy_nvml_api, total_energy), true},
    {"nvmlDeviceGetPowerUsage", offsetof(mb_energy_nvml_api, power_usage), true},
    {"nvmlDeviceGetHandleByPciBusId_v2", offsetof(mb_energy_nvml_api, device_by_pci), true},
};

static const char *nvml_error(const nvml *v, int rc) {
  const char *s = v->api.error_string ? v->api.error_string(rc) : NULL;
  return s ? s : "unknown NVML error";
}

/* Fill v->api from the library (or the handed-in table). */
static int nvml_load(nvml *v, const mb_energy_options *o, char *reason, size_t len) {
  if (o->nvml_api) {
    v->api = *o->nvml_api;
    return MB_ENERGY_OK;
  }
  const char *lib = o->nvml_library ? o->nvml_library : MB_ENERGY_NVML_LIBRARY;
  v->lib = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
  if (!v->lib) {
    say(reason, len, "NVIDIA driver library %s not found (dlopen: %s)", lib, dlerror());
    return UNAVAILABLE;
  }
  for (size_t i = 0; i < sizeof NVML_SYMBOLS / sizeof NVML_SYMBOLS[0]; i++) {
    void *p = dlsym(v->lib, NVML_SYMBOLS[i].symbol);
    if (!p && !NVML_SYMBOLS[i].optional) {
      say(reason, len, "%s has no %s: the NVIDIA driver is too old", lib,
          NVML_SYMBOLS[i].symbol);
      return UNAVAILABLE;
    }
    memcpy((char *)&v->api + NVML_SYMBOLS[i].offset, &p, sizeof p);
  }
  return MB_ENERGY_OK;
}

/* GPU i's handle: the i-th GPU, or the one on bus_id (then the only one). */
static int nvml_handle(nvml *v, unsigned i, const char *bus_id, char *reason, size_t len) {
  nvml_gpu *g = &v->gpu[i];
  if (bus_id) snprintf(g->label, sizeof g->label, "gpu-%.40s", bus_id);
  else snprintf(g->label, sizeof g->label, "gpu-%u", i);
  if (bus_id && !v->api.device_by_pci) {
    say(reason, len, "the NVIDIA driver has no nvmlDeviceGetHandleByPciBusId_v2 to find "
        "the GPU at %s", bus_id);
    return UNAVAILABLE;
  }
  int rc = bus_id ? v->api.device_by_pci(bus_id, &g->dev) : v->api.device_handle(i, &g->dev);
  if (rc) {
    if (bus_id) say(reason, len, "nvmlDeviceGetHandleByPciBusId_v2(%s): %s", bus_id, nvml_error(v, rc));
    else say(reason, len, "nvmlDeviceGetHandleByIndex_v2(%u): %s", i, nvml_error(v, rc));
    return UNAVAILABLE;
  }
  return MB_ENERGY_OK;
}

/* GPU i: its handle and whether it has the energy counter or at least power. */
static int nvml_probe_gpu(nvml *v, unsigned i, const char *bus_id, char *reason, size_t len) {
  nvml_gpu *g = &v->gpu[i];
  int rc = nvml_handle(v, i, bus_id, reason, len);
  if (rc) return rc;
  unsigned long long mj;
  unsigned mw;
  rc = v->api.total_energy ? v->api.total_energy(g->dev, &mj) : -1;
  g->energy_counter = rc == 0;
  if (g->energy_counter) return MB_ENERGY_OK;
  rc = v->api.power_usage ? v->api.power_usage(g->dev, &mw) : -1;
  if (rc == 0) return MB_ENERGY_OK;
  say(reason, len,
      "%s: neither nvmlDeviceGetTotalEnergyConsumption nor nvmlDeviceGetPowerUsage "
      "is supported (%s)",
      g->label, rc < 0 ? "missing from the driver" : nvml_error(v, rc));
  return UNAVAILABLE;
}

static int nvml_probe(nvml *v, const mb_energy_options *o, char *reason, size_t len) {
  int rc = nvml_load(v, o, reason, len);
  if (rc) return rc;
  rc = v->api.init();
  if (rc) {
    say(reason, len, "nvmlInit_v2: %s", nvml_error(v, rc));
    return UNAVAILABLE;
  }
  v->initialized = true;
  rc = v->api.device_count(&v->n);
  if (rc || v->n == 0) {
    say(reason, len, "NVML finds no GPU%s%s", rc ? ": " : "", rc ? nvml_error(v, rc) : "");
    return UNAVAILABLE;
  }
  if (v->n > NVML_MAX_GPUS) v->n = NVML_MAX_GPUS;
  if (o->nvml_pci_bus_id) { /* only the SUT's GPU */
    v->n = 1;
    return nvml_probe_gpu(v, 0, o->nvml_pci_bus_id, reason, len);
  }
  for (unsigned i = 0; i < v->n && !rc; i++) rc = nvml_probe_gpu(v, i, NULL, reason, len);
  return rc;
}

static void nvml_close(void *self) {
  nvml *v = self;
  if (v->initialized) v->api.shutdown();
  if (v->lib) dlclose(v->lib);
  free(v);
}

static int nvml_open(void **self, const char *arg, const mb_energy_options *o,
                     char *reason, size_t len) {
  (void)arg;
  nvml *v = calloc(1, sizeof *v);
  if (!v) return MB_ENERGY_ENOMEM;
  int rc = nvml_probe(v, o, reason, len);
  if (rc) {
    nvml_close(v);
    return rc;
  }
  *self = v;
  return MB_ENERGY_OK;
}

static void nvml_fail(nvml *v, const char *call, unsigned i, int rc) {
  if (!v->failure[0])
    say(v->failure, sizeof v->failure, "%s(%s) during the run: %s", call, v->gpu[i].label,
        nvml_error(v, rc));
}

/* One power sample of a GPU without the energy counter, integrated (trapezoid). */
static void nvml_power_step(nvml *v, unsigned i, bool first) {
  nvml_gpu *g = &v->gpu[i];
  unsigned mw = 0;
  int rc = v->api.power_usage(g->dev, &mw);
  uint64_t t = now_ns();
  if (rc) {
    nvml_fail(v, "nvmlDeviceGetPowerUsage", i, rc);
    return;
  }
  double w = mw / 1000.0;
  if (!first) g->joules += (g->last_w + w) / 2 * (double)(t - g->last_ns) / 1e9;
  g->last_w = w;
  g->last_ns = t;
}

/* The energy counter reading (mJ) of a GPU that has one; 0 on failure (recorded). */
static unsigned long long nvml_energy_mj(nvml *v, unsigned i) {
  unsigned long long mj = 0;
  int rc = v->api.total_energy(v->gpu[i].dev, &mj);
  if (rc) nvml_fail(v, "nvmlDeviceGetTotalEnergyConsumption", i, rc);
  return mj;
}

static void nvml_start(void *self) {
  nvml *v = self;
  v->failure[0] = '\0';
  for (unsigned i = 0; i < v->n; i++) {
    v->gpu[i].joules = 0;
    if (v->gpu[i].energy_counter) v->gpu[i].start_mj = nvml_energy_mj(v, i);
    else nvml_power_step(v, i, true);
  }
}

static void nvml_sample(void *self) {
  nvml *v = self;
  for (unsigned i = 0; i < v->n; i++)
    if (!v->gpu[i].energy_counter) nvml_power_step(v, i, false);
}

static void nvml_stop(void *self) {
  nvml *v = self;
  for (unsigned i = 0; i < v->n; i++) {
    nvml_gpu *g = &v->gpu[i];
    if (g->energy_counter) g->joules = (double)(nvml_energy_mj(v, i) - g->start_mj) / 1e3;
    else nvml_power_step(v, i, false);
  }
}

static bool nvml_report(void *self, double interval_s, mb_energy_report *out) {
  (void)interval_s;
  nvml *v = self;
  if (v->failure[0]) {
    say(out->reason, sizeof out->reason, "%s", v->failure);
    return false;
  }
  unsigned counters = 0;
  for (unsigned i = 0; i < v->n; i++) {
    mb_energy_domain *d = &out->domains[out->n_domains++];
    snprintf(d->name, sizeof d->name, "%s", v->gpu[i].label);
    d->joules = v->gpu[i].joules;
    d->in_total = true;
    out->joules += d->joules;
    counters += v->gpu[i].energy_counter;
  }
  if (counters == v->n) { /* read at start and stop only: nothing was sampled */
    out->sampling_interval_s = 0;
    out->samples = 0;
  }
  say(out->method, sizeof out->method, "%s",
      counters == v->n ? "NVML total energy counter (nvmlDeviceGetTotalEnergyConsumption, "
                         "mJ) at start and stop"
      : counters == 0  ? "NVML power (nvmlDeviceGetPowerUsage, mW) sampled and "
                         "integrated (trapezoid); this GPU has no energy counter"
                       : "NVML energy counter where the GPU has one, else power "
                         "(nvmlDeviceGetPowerUsage) sampled and integrated");
  return true;
}

static const backend NVML = {"nvml", nvml_open, nvml_start, nvml_sample,
                             nvml_stop, nvml_report, nvml_close};

/* ---- estimate: TDP x time ------------------------------------------------------------- */

typedef struct estimate {
  double tdp_watts;
  char source[200];
} estimate;

static int estimate_open(void **self, const char *arg, const mb_energy_options *o,
                         char *reason, size_t len) {
  (void)arg;
  if (!(o->tdp_watts > 0)) {
    say(reason, len,
        "no TDP known: the hardware profile%s%s has no tdp_watts, so TDP x time "
        "cannot be estimated (add it to the profile, or measure with rapl or nvml)",
        o->tdp_source ? " " : "", o->tdp_source ? o->tdp_source : "");
    return UNAVAILABLE;
  }
  estimate *s = calloc(1, sizeof *s);
  if (!s) return MB_ENERGY_ENOMEM;
  s->tdp_watts = o->tdp_watts;
  snprintf(s->source, sizeof s->source, "%s", o->tdp_source ? o->tdp_source : "(unnamed)");
  *self = s;
  return MB_ENERGY_OK;
}

static void no_reading(void *self) { (void)self; }

static bool estimate_report(void *self, double interval_s, mb_energy_report *out) {
  estimate *s = self;
  out->estimate = true;
  out->joules = s->tdp_watts * interval_s;
  say(out->method, sizeof out->method, "TDP x time from the hardware profile %s (%g W)",
      s->source, s->tdp_watts);
  return true;
}

static const backend ESTIMATE = {"estimate", estimate_open, no_reading, NULL,
                                 no_reading, estimate_report, free};

/* ---- lpm01a: the STM32 power monitor over serial (harness/lpm01a.c) -------------------- */

static int lpm01a_open(void **self, const char *arg, const mb_energy_options *o,
                       char *reason, size_t len) {
  (void)o;
  mb_lpm01a *l;
  if (mb_lpm01a_open(&l, arg, reason, len)) return UNAVAILABLE;
  *self = l;
  return MB_ENERGY_OK;
}

static void lpm01a_start(void *self) { mb_lpm01a_start(self); }
static void lpm01a_sample(void *self) { mb_lpm01a_poll(self); }
static void lpm01a_stop(void *self) { mb_lpm01a_stop(self); }
static void lpm01a_close(void *self) { mb_lpm01a_close(self); }

static bool lpm01a_report(void *self, double interval_s, mb_energy_report *out) {
  (void)interval_s;
  mb_lpm01a_result r;
  if (!mb_lpm01a_result_get(self, &r, out->reason, sizeof out->reason)) return false;
  out->joules = r.joules;
  out->windows = r.windows;
  out->median_window_joules = r.median_window_joules;
  out->sampling_interval_s = 0.001; /* the monitor's own 1 kHz, not the host's poll */
  out->samples = r.samples;
  say(out->method, sizeof out->method, "%s",
      r.windows ? "LPM01A 1 kHz energy samples; per inference: median over windows "
                  "between the DUT's timestamp edges / inferences per window"
                : "LPM01A 1 kHz energy samples over the timed region (no timestamp edges: "
                  "per inference = total / inferences)");
  return true;
}

static const backend LPM01A = {"lpm01a", lpm01a_open, lpm01a_start, lpm01a_sample,
                               lpm01a_stop, lpm01a_report, lpm01a_close};

/* ---- the meter ---------------------------------------------------------------------- */

typedef enum { PHASE_OPEN, PHASE_RUNNING, PHASE_STOPPED } phase;

struct mb_energy {
  mb_energy_options o;           /* strings point into the buffers below */
  char root[ROOT_MAX], tdp_source[200], nvml_library[PATH_MAX], nvml_bus_id[32];
  mb_energy_nvml_api nvml_api;
  const backend *be;             /* NULL: unavailable, reason says why */
  void *self;
  char source[32];
  char reason[sizeof ((mb_energy_report *)0)->reason];
  phase phase;
  uint64_t start_ns, stop_ns;
  unsigned interval_ms;
  pthread_t sampler;
  bool sampling;                 /* the sampler thread is running */
  pthread_mutex_t mu;            /* guards quit, with cv */
  pthread_cond_t cv;
  bool quit;
  _Atomic uint64_t samples;
};

static void copy_options(mb_energy *e, const mb_energy_options *o) {
  if (o) e->o = *o;
  else mb_energy_options_default(&e->o);
  if (e->o.powercap_root) {
    snprintf(e->root, sizeof e->root, "%s", e->o.powercap_root);
    e->o.powercap_root = e->root;
  }
  if (e->o.tdp_source) {
    snprintf(e->tdp_source, sizeof e->tdp_source, "%s", e->o.tdp_source);
    e->o.tdp_source = e->tdp_source;
  }
  if (e->o.nvml_library) {
    snprintf(e->nvml_library, sizeof e->nvml_library, "%s", e->o.nvml_library);
    e->o.nvml_library = e->nvml_library;
  }
  if (e->o.nvml_pci_bus_id) {
    snprintf(e->nvml_bus_id, sizeof e->nvml_bus_id, "%s", e->o.nvml_pci_bus_id);
    e->o.nvml_pci_bus_id = e->nvml_bus_id;
  }
  if (e->o.nvml_api) {
    e->nvml_api = *e->o.nvml_api;
    e->o.nvml_api = &e->nvml_api;
  }
  e->interval_ms = e->o.sampling_interval_ms ? e->o.sampling_interval_ms
                                             : MB_ENERGY_SAMPLING_MS;
}

/* Open one backend; UNAVAILABLE leaves the reason in e->reason. */
static int open_backend(mb_energy *e, const backend *be, const char *arg) {
  int rc = be->open(&e->self, arg, &e->o, e->reason, sizeof e->reason);
  if (rc == MB_ENERGY_OK) e->be = be;
  return rc;
}

/* auto: the first source that works, else every reason. */
static int open_auto(mb_energy *e) {
  const backend *order[] = {&RAPL, &NVML, &ESTIMATE};
  char why[sizeof e->reason] = "";
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
    e->reason[0] = '\0';
    int rc = open_backend(e, order[i], NULL);
    if (rc == MB_ENERGY_OK) { /* keep why the sources before it were passed over */
      snprintf(e->source, sizeof e->source, "%s", order[i]->name);
      snprintf(e->reason, sizeof e->reason, "%s", why);
    }
    if (rc != UNAVAILABLE) return rc;
    append(why, sizeof why, "%s: %s", order[i]->name, e->reason);
  }
  snprintf(e->reason, sizeof e->reason, "no energy source works here: %s", why);
  return UNAVAILABLE;
}

static const backend *const BACKENDS[] = {&RAPL, &NVML, &ESTIMATE, &LPM01A};

/* Pick the backend for spec (*be NULL for auto) and its argument (text after ':').
 * MB_ENERGY_OK or MB_ENERGY_EINVAL with the message in err. */
static int parse_spec(const char *spec, const backend **be, const char **arg, char *err,
                      size_t errlen) {
  const char *colon = spec ? strchr(spec, ':') : NULL;
  size_t len = colon ? (size_t)(colon - spec) : spec ? strlen(spec) : 0;
  bool has_arg = colon && colon[1] != '\0';
  *be = NULL;
  *arg = has_arg ? colon + 1 : NULL;
  bool is_auto = spec && len == 4 && strncmp(spec, "auto", 4) == 0;
  for (size_t i = 0; spec && i < sizeof BACKENDS / sizeof BACKENDS[0]; i++)
    if (strlen(BACKENDS[i]->name) == len && strncmp(spec, BACKENDS[i]->name, len) == 0)
      *be = BACKENDS[i];
  bool wants_arg = *be == &LPM01A;
  if ((is_auto || *be) && wants_arg == has_arg && (wants_arg || !colon)) return MB_ENERGY_OK;
  if (wants_arg)
    say(err, errlen, "--energy %s: lpm01a needs the serial device, e.g. lpm01a:/dev/ttyACM0",
        spec);
  else if (is_auto || *be)
    say(err, errlen, "--energy %s: %.*s takes no ':' argument", spec, (int)len, spec);
  else
    say(err, errlen, "--energy %s: unknown energy source; use rapl, nvml, estimate, "
        "lpm01a:PATH or auto", spec ? spec : "(none)");
  return MB_ENERGY_EINVAL;
}

int mb_energy_open(mb_energy **out, const char *spec, const mb_energy_options *o,
                   char *err, size_t errlen) {
  if (!out) return MB_ENERGY_EINVAL;
  *out = NULL;
  say(err, errlen, "%s", "");
  const backend *be;
  const char *arg;
  int rc = parse_spec(spec, &be, &arg, err, errlen);
  if (rc) return rc;
  mb_energy *e = calloc(1, sizeof *e);
  if (!e) return MB_ENERGY_ENOMEM;
  copy_options(e, o);
  snprintf(e->source, sizeof e->source, "%s", be ? be->name : "auto");
  rc = be ? open_backend(e, be, arg) : open_auto(e);
  if (rc < 0) goto fail_backend;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&e->cv, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_init(&e->mu, NULL);
  *out = e;
  return MB_ENERGY_OK;
fail_backend:
  say(err, errlen, "%s", mb_energy_strerror(rc));
  free(e);
  return rc;
}

bool mb_energy_available(const mb_energy *e, const char **reason) {
  if (reason) *reason = e && !e->be ? e->reason : "";
  return e && e->be;
}

/* ---- the sampler thread ------------------------------------------------------------- */

static void add_ms(struct timespec *t, unsigned ms) {
  t->tv_nsec += (long)(ms % 1000) * 1000000L;
  t->tv_sec += ms / 1000 + t->tv_nsec / 1000000000L;
  t->tv_nsec %= 1000000000L;
}

static void *sampler_main(void *arg) {
  mb_energy *e = arg;
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  pthread_mutex_lock(&e->mu);
  while (!e->quit) {
    add_ms(&next, e->interval_ms);
    int rc = 0;
    while (!e->quit && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&e->cv, &e->mu, &next);
    if (e->quit) break;
    pthread_mutex_unlock(&e->mu);
    e->be->sample(e->self);
    atomic_fetch_add_explicit(&e->samples, 1, memory_order_relaxed);
    pthread_mutex_lock(&e->mu);
  }
  pthread_mutex_unlock(&e->mu);
  return NULL;
}

static void sampler_stop(mb_energy *e) {
  if (!e->sampling) return;
  pthread_mutex_lock(&e->mu);
  e->quit = true;
  pthread_cond_signal(&e->cv);
  pthread_mutex_unlock(&e->mu);
  pthread_join(e->sampler, NULL);
  e->sampling = false;
}

int mb_energy_start(mb_energy *e) {
  if (!e) return MB_ENERGY_EINVAL;
  if (e->phase == PHASE_RUNNING) return MB_ENERGY_EPHASE;
  atomic_store_explicit(&e->samples, 0, memory_order_relaxed);
  e->quit = false;
  if (e->be) e->be->start(e->self);
  e->start_ns = now_ns();
  e->phase = PHASE_RUNNING;
  if (!e->be || !e->be->sample) return MB_ENERGY_OK;
  if (pthread_create(&e->sampler, NULL, sampler_main, e)) return MB_ENERGY_ESYS;
  e->sampling = true;
  return MB_ENERGY_OK;
}

int mb_energy_stop(mb_energy *e) {
  if (!e) return MB_ENERGY_EINVAL;
  if (e->phase != PHASE_RUNNING) return MB_ENERGY_EPHASE;
  sampler_stop(e);
  if (e->be) e->be->stop(e->self);
  e->stop_ns = now_ns();
  e->phase = PHASE_STOPPED;
  return MB_ENERGY_OK;
}

uint64_t mb_energy_samples(const mb_energy *e) {
  return e ? atomic_load_explicit(&e->samples, memory_order_relaxed) : 0;
}

static void unavailable(mb_energy_report *out) {
  out->available = false;
  out->joules = out->avg_watts = out->joules_per_inference = NAN;
  out->n_domains = 0;
  out->method[0] = '\0';
}

int mb_energy_result(const mb_energy *e, uint64_t inferences, mb_energy_report *out) {
  if (!e || !out) return MB_ENERGY_EINVAL;
  memset(out, 0, sizeof *out);
  snprintf(out->source, sizeof out->source, "%s", e->source);
  if (e->phase == PHASE_STOPPED) out->interval_s = (double)(e->stop_ns - e->start_ns) / 1e9;
  if (!e->be) {
    say(out->reason, sizeof out->reason, "%s", e->reason);
    unavailable(out);
    return MB_ENERGY_OK;
  }
  if (e->phase != PHASE_STOPPED) return MB_ENERGY_EPHASE;
  out->samples = atomic_load_explicit(&e->samples, memory_order_relaxed);
  out->sampling_interval_s = e->be->sample ? e->interval_ms / 1000.0 : 0;
  out->available = e->be->report(e->self, out->interval_s, out);
  if (!out->available) {
    unavailable(out);
    return MB_ENERGY_OK;
  }
  say(out->reason, sizeof out->reason, "%s", e->reason); /* auto: sources passed over */
  out->avg_watts = out->interval_s > 0 ? out->joules / out->interval_s : NAN;
  out->joules_per_inference = inferences ? out->joules / (double)inferences : NAN;
  if (out->windows && inferences) /* inferences split evenly over the windows */
    out->joules_per_inference = out->median_window_joules * (double)out->windows / (double)inferences;
  return MB_ENERGY_OK;
}

void mb_energy_close(mb_energy *e) {
  if (!e) return;
  sampler_stop(e);
  if (e->be) e->be->close(e->self);
  pthread_cond_destroy(&e->cv);
  pthread_mutex_destroy(&e->mu);
  free(e);
}
