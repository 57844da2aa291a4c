/*
 * harness/counters.c - counters over the timed region on each SUT worker thread:
 * PAPI events (one event set per worker, PAPI_attach) and the kernel's software
 * counters (perf_event_open per worker), summed after stop; plus the harness's own
 * counters published as PAPI software-defined events. See counters.h for the API.
 *
 * Availability is decided in steps, and the first failure's reason is kept:
 *   open:   each PAPI event is added to a probe event set on the calling thread
 *           (PAPI_add_named_event; cumulatively, so counter conflicts show);
 *   attach: per thread, PAPI_attach + the events again, perf_event_open per counter;
 *   start/stop: PAPI_start/PAPI_stop, the perf ioctls and read.
 * An event set exists only while it is usable: whatever fails is released at once.
 */
#include "harness/counters.h"

#include <assert.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <math.h>
#include <papi.h>
#include <sde_lib.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* ---- status text ---------------------------------------------------------------- */

const char *mb_counters_strerror(int status) {
  switch (status) {
#define MB_COUNTERS_TEXT_(name, value, text) \
  case MB_COUNTERS_##name:                   \
    return text;
    MB_COUNTERS_STATUS_MAP(MB_COUNTERS_TEXT_)
#undef MB_COUNTERS_TEXT_
  }
  return "unknown status";
}

/* ---- the software counters: one table for names, units and perf configs -------- */

typedef struct sw_event {
  const char *name;
  uint64_t config;    /* PERF_COUNT_SW_* */
  const char *unit;
  /* When the kernel forbids counting kernel mode (perf_event_paranoid >= 2 without
   * CAP_PERFMON): NULL = the count happens in the kernel, so it is unavailable;
   * "" = counting user mode only gives the same number; else the caveat to report. */
  const char *user_only;
} sw_event;

static const sw_event SW_EVENTS[] = {
    {"task-clock", PERF_COUNT_SW_TASK_CLOCK, "ns", ""},
    {"context-switches", PERF_COUNT_SW_CONTEXT_SWITCHES, "count", NULL},
    {"cpu-migrations", PERF_COUNT_SW_CPU_MIGRATIONS, "count", NULL},
    {"page-faults", PERF_COUNT_SW_PAGE_FAULTS, "count",
     "user-space page faults only (kernel counting not permitted)"},
};
#define N_SW (sizeof SW_EVENTS / sizeof SW_EVENTS[0])

/* ---- the collector ------------------------------------------------------------------ */

typedef enum { PHASE_OPEN, PHASE_ATTACHED, PHASE_RUNNING, PHASE_STOPPED } phase;

typedef struct counter {
  char name[64];
  bool available;
  char reason[256];    /* why unavailable, or a caveat */
  double total;        /* over the last window, summed over threads */
  bool exclude_kernel; /* perf: counting user mode only */
} counter;

struct mb_counters {
  bool required;
  phase phase;
  size_t n_papi;
  counter papi[MB_COUNTERS_MAX_PAPI];
  counter sw[N_SW];
  int papi_cid;       /* PAPI component of the events; -1 until the first is added */
  size_t n_threads;
  pid_t *tids;
  int *eventsets;     /* [thread]: a usable PAPI event set, or PAPI_NULL */
  int *papi_pos;      /* [thread * MB_COUNTERS_MAX_PAPI + event]: index in the set, -1 */
  int *sw_fds;        /* [thread * N_SW + counter]: perf fd, or -1 */
  uint64_t start_ns, stop_ns;
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

pid_t mb_counters_gettid(void) { return (pid_t)syscall(SYS_gettid); }

static void say(char *buf, size_t len, const char *fmt, ...) {
  if (!buf || len == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, len, fmt, ap);
  va_end(ap);
}

/* Mark k unavailable with a reason; the first failure's reason is the one kept. */
static void set_unavailable(counter *k, const char *fmt, ...) {
  if (!k->available) return;
  k->available = false;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(k->reason, sizeof k->reason, fmt, ap);
  va_end(ap);
}

static bool papi_missing(const mb_counters *c, const counter **first) {
  for (size_t i = 0; i < c->n_papi; i++)
    if (!c->papi[i].available) {
      if (first) *first = &c->papi[i];
      return true;
    }
  return false;
}

/* The --counters-required failure: what, why, what to do. */
static int required_failure(const mb_counters *c, char *err, size_t errlen) {
  const counter *k = NULL;
  if (!c->required || !papi_missing(c, &k)) return MB_COUNTERS_OK;
  say(err, errlen,
      "counter %s cannot be counted: %s. --counters-required asks for every "
      "requested event: choose events that `papi_avail` lists as available on this "
      "machine, or drop --counters-required to report them as unavailable",
      k->name, k->reason);
  return MB_COUNTERS_EUNAVAILABLE;
}

/* ---- spec parsing ------------------------------------------------------------------- */

static bool is_sw_name(const char *name) {
  for (size_t i = 0; i < N_SW; i++)
    if (strcmp(SW_EVENTS[i].name, name) == 0) return true;
  return false;
}

static int add_papi_name(mb_counters *c, const char *name, size_t len, char *err,
                         size_t errlen) {
  if (len >= sizeof c->papi[0].name) {
    say(err, errlen, "--counters: event name '%.*s' is too long (at most %zu characters)",
        (int)len, name, sizeof c->papi[0].name - 1);
    return MB_COUNTERS_EINVAL;
  }
  char buf[sizeof c->papi[0].name];
  memcpy(buf, name, len);
  buf[len] = '\0';
  if (is_sw_name(buf)) return MB_COUNTERS_OK; /* always counted anyway */
  for (size_t i = 0; i < c->n_papi; i++)
    if (strcmp(c->papi[i].name, buf) == 0) return MB_COUNTERS_OK; /* listed twice */
  if (c->n_papi == MB_COUNTERS_MAX_PAPI) {
    say(err, errlen, "--counters: more than %d events", MB_COUNTERS_MAX_PAPI);
    return MB_COUNTERS_EINVAL;
  }
  counter *k = &c->papi[c->n_papi++];
  memcpy(k->name, buf, len + 1);
  k->available = true;
  return MB_COUNTERS_OK;
}

static int parse_list(mb_counters *c, const char *list, char *err, size_t errlen);

/* One comma-separated item, spaces trimmed; "default" expands. */
static int parse_item(mb_counters *c, const char *s, size_t len, char *err,
                      size_t errlen) {
  while (len && (*s == ' ' || *s == '\t')) s++, len--;
  while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
  if (len == 0) return MB_COUNTERS_OK;
  if (len == 7 && strncmp(s, "default", 7) == 0)
    return parse_list(c, MB_COUNTERS_DEFAULT, err, errlen);
  return add_papi_name(c, s, len, err, errlen);
}

static int parse_list(mb_counters *c, const char *list, char *err, size_t errlen) {
  for (const char *s = list;;) {
    const char *comma = strchr(s, ',');
    size_t len = comma ? (size_t)(comma - s) : strlen(s);
    int rc = parse_item(c, s, len, err, errlen);
    if (rc || !comma) return rc;
    s = comma + 1;
  }
}

static int parse_spec(mb_counters *c, const char *spec, char *err, size_t errlen) {
  if (!spec || !*spec || strcmp(spec, "none") == 0) return MB_COUNTERS_OK;
  return parse_list(c, spec, err, errlen);
}

/* ---- perf_event_open ------------------------------------------------------------ */

static int perf_open(pid_t tid, uint32_t type, uint64_t config, bool exclude_kernel) {
  struct perf_event_attr a;
  memset(&a, 0, sizeof a);
  a.type = type;
  a.size = sizeof a;
  a.config = config;
  a.disabled = 1;
  a.exclude_kernel = exclude_kernel;
  a.exclude_hv = 1;
  return (int)syscall(SYS_perf_event_open, &a, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

/* kernel.perf_event_paranoid as text ("?" when it cannot be read). */
static void perf_paranoid(char buf[16]) {
  snprintf(buf, 16, "?");
  FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
  if (!f) return;
  int v;
  if (fscanf(f, "%d", &v) == 1) snprintf(buf, 16, "%d", v);
  fclose(f);
}

/* ---- PAPI ----------------------------------------------------------------------- */

static unsigned long papi_thread_id(void) { return (unsigned long)mb_counters_gettid(); }

/* Initialize PAPI unless someone in the process already did. 0 or -1 with why. */
static int papi_ensure_init(char *why, size_t len) {
  if (PAPI_is_initialized() != PAPI_NOT_INITED) return 0;
  int rc = PAPI_library_init(PAPI_VER_CURRENT);
  if (rc != PAPI_VER_CURRENT) {
    say(why, len, "PAPI_library_init: %s",
        rc > 0 ? "libpapi version differs from the papi.h we were built with"
               : PAPI_strerror(rc));
    return -1;
  }
  rc = PAPI_thread_init(papi_thread_id);
  if (rc != PAPI_OK) {
    say(why, len, "PAPI_thread_init: %s", PAPI_strerror(rc));
    return -1;
  }
  return 0;
}

/* The CPU's own PMU name among a PAPI component's ("amd64_fam19h_zen4"), or "?". */
static const char *papi_cpu_pmu(const PAPI_component_info_t *ci) {
  const char *pmu = "?";
  for (int i = 0; i < PAPI_PMU_MAX && ci->pmu_names[i]; i++)
    if (strncmp(ci->pmu_names[i], "perf", 4) != 0) pmu = ci->pmu_names[i];
  return pmu;
}

/* Why hardware events fail here, for the reason of an event PAPI could not add:
 * the component is disabled; or the kernel gives no hardware counter (asked
 * directly: perf_event_open of instructions, the test PAPI itself makes); or PAPI
 * has no presets for this CPU. Empty when none of these explains it. */
static void papi_hint(const char *event, char *hint, size_t len) {
  hint[0] = '\0';
  int cid = PAPI_get_component_index("perf_event");
  const PAPI_component_info_t *ci = PAPI_get_component_info(cid < 0 ? 0 : cid);
  if (!ci) return;
  if (ci->disabled) {
    say(hint, len, "; PAPI component %s is disabled: %.150s", ci->name,
        ci->disabled_reason);
    return;
  }
  int fd = perf_open(0, PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, true);
  int err = errno;
  if (fd >= 0) close(fd);
  char paranoid[16];
  perf_paranoid(paranoid);
  if (fd < 0 && (err == EACCES || err == EPERM))
    say(hint, len, "; the kernel refuses hardware counters (kernel.perf_event_paranoid = "
        "%s; PAPI component %s)", paranoid, ci->name);
  else if (fd < 0)
    say(hint, len, "; PAPI component %s: the kernel has no hardware counters here "
        "(perf_event_open(instructions): %s; e.g. a VM without a virtual PMU)",
        ci->name, strerror(err));
  else if (ci->num_preset_events == 0 && strncmp(event, "PAPI_", 5) == 0)
    say(hint, len, "; PAPI component %s has no preset events for PMU %s (not in this "
        "PAPI's papi_events.csv): name native events, `papi_native_avail` lists them",
        ci->name, papi_cpu_pmu(ci));
}

/* k failed in `call` with PAPI status rc (on thread tid, 0 = the probe). */
static void papi_fail(counter *k, const char *call, int rc, pid_t tid) {
  char hint[200], where[32] = "";
  papi_hint(k->name, hint, sizeof hint);
  if (tid) say(where, sizeof where, " on thread %d", (int)tid);
  set_unavailable(k, "%s(%s)%s: %s%s", call, k->name, where, PAPI_strerror(rc), hint);
}

/* Every still-available event failed at a per-thread step (create/attach/start/stop). */
static void papi_fail_all(mb_counters *c, const char *call, int rc, pid_t tid) {
  const char *hint = "";
  if (rc == PAPI_ENOEVNT && strcmp(call, "PAPI_attach") == 0)
    hint = " (PAPI's perf_event component checks the right to attach by opening a "
           "hardware instructions event, which this machine cannot count)";
  for (size_t i = 0; i < c->n_papi; i++)
    set_unavailable(&c->papi[i], "%s(thread %d): %s%s", call, (int)tid,
                    PAPI_strerror(rc), hint);
}

static void papi_release(int *es) {
  if (*es == PAPI_NULL) return;
  long long values[MB_COUNTERS_MAX_PAPI];
  int state = 0;
  if (PAPI_state(*es, &state) == PAPI_OK && (state & PAPI_RUNNING))
    PAPI_stop(*es, values);
  PAPI_cleanup_eventset(*es);
  PAPI_destroy_eventset(es);
  *es = PAPI_NULL;
}

/* Add event i to the probe set; all events must come from one component. */
static void papi_probe_event(mb_counters *c, int es, counter *k) {
  int rc = PAPI_add_named_event(es, k->name);
  if (rc != PAPI_OK) {
    papi_fail(k, "PAPI_add_named_event", rc, 0);
    return;
  }
  int code = 0;
  PAPI_event_name_to_code(k->name, &code);
  int cid = PAPI_get_event_component(code);
  if (c->papi_cid < 0) c->papi_cid = cid;
  if (cid == c->papi_cid) return;
  PAPI_remove_named_event(es, k->name);
  const PAPI_component_info_t *a = PAPI_get_component_info(cid);
  const PAPI_component_info_t *b = PAPI_get_component_info(c->papi_cid);
  set_unavailable(k, "event of PAPI component %s, but the run counts component %s "
                  "(one component per worker thread)",
                  a ? a->name : "?", b ? b->name : "?");
}

/* Check each event on the calling thread (cumulatively: conflicts show). */
static void papi_probe(mb_counters *c) {
  char why[256];
  if (c->n_papi == 0) return;
  if (papi_ensure_init(why, sizeof why)) {
    for (size_t i = 0; i < c->n_papi; i++) set_unavailable(&c->papi[i], "%s", why);
    return;
  }
  int es = PAPI_NULL;
  int rc = PAPI_create_eventset(&es);
  if (rc != PAPI_OK) {
    papi_fail_all(c, "PAPI_create_eventset", rc, mb_counters_gettid());
    return;
  }
  for (size_t i = 0; i < c->n_papi; i++) papi_probe_event(c, es, &c->papi[i]);
  papi_release(&es);
}

static bool papi_any_available(const mb_counters *c) {
  for (size_t i = 0; i < c->n_papi; i++)
    if (c->papi[i].available) return true;
  return false;
}

/* Create thread t's event set bound to the events' component and attached to it. */
static int papi_attach_set(mb_counters *c, size_t t) {
  int *es = &c->eventsets[t];
  const char *call = "PAPI_create_eventset";
  int rc = PAPI_create_eventset(es);
  if (rc == PAPI_OK) {
    call = "PAPI_assign_eventset_component";
    rc = PAPI_assign_eventset_component(*es, c->papi_cid);
  }
  if (rc == PAPI_OK) {
    call = "PAPI_attach";
    rc = PAPI_attach(*es, (unsigned long)c->tids[t]);
  }
  if (rc == PAPI_OK) return 0;
  papi_fail_all(c, call, rc, c->tids[t]);
  papi_release(es);
  return -1;
}

static void papi_attach_thread(mb_counters *c, size_t t) {
  int *pos = &c->papi_pos[t * MB_COUNTERS_MAX_PAPI];
  if (!papi_any_available(c) || papi_attach_set(c, t)) return;
  int next = 0;
  for (size_t i = 0; i < c->n_papi; i++) {
    if (!c->papi[i].available) continue;
    int rc = PAPI_add_named_event(c->eventsets[t], c->papi[i].name);
    if (rc == PAPI_OK)
      pos[i] = next++;
    else
      papi_fail(&c->papi[i], "PAPI_add_named_event", rc, c->tids[t]);
  }
  if (next == 0) papi_release(&c->eventsets[t]);
}

static void papi_start_thread(mb_counters *c, size_t t) {
  if (c->eventsets[t] == PAPI_NULL) return;
  int rc = PAPI_start(c->eventsets[t]); /* zeroes the counters */
  if (rc == PAPI_OK) return;
  papi_fail_all(c, "PAPI_start", rc, c->tids[t]);
  papi_release(&c->eventsets[t]);
}

static void papi_stop_thread(mb_counters *c, size_t t) {
  if (c->eventsets[t] == PAPI_NULL) return;
  long long v[MB_COUNTERS_MAX_PAPI];
  int rc = PAPI_stop(c->eventsets[t], v);
  if (rc != PAPI_OK) {
    papi_fail_all(c, "PAPI_stop", rc, c->tids[t]);
    papi_release(&c->eventsets[t]);
    return;
  }
  const int *pos = &c->papi_pos[t * MB_COUNTERS_MAX_PAPI];
  for (size_t i = 0; i < c->n_papi; i++)
    if (pos[i] >= 0) c->papi[i].total += (double)v[pos[i]];
}

/* ---- perf software counters ----------------------------------------------------- */

static void perf_fail(counter *k, const char *call, pid_t tid, int err) {
  char hint[200] = "", paranoid[16];
  perf_paranoid(paranoid);
  if (err == EACCES || err == EPERM)
    say(hint, sizeof hint,
        "; kernel.perf_event_paranoid = %s forbids it without CAP_PERFMON: run as "
        "root or `sudo sysctl kernel.perf_event_paranoid=1`",
        paranoid);
  else if (err == ESRCH)
    say(hint, sizeof hint, "; the thread has exited");
  set_unavailable(k, "%s(%s, thread %d): %s%s", call, k->name, (int)tid, strerror(err),
                  hint);
}

/* Open counter s on thread tid, falling back to user mode only when the kernel
 * refuses kernel-mode counting and the counter still means the same there. */
static int perf_open_counter(counter *k, const sw_event *ev, pid_t tid) {
  int fd = perf_open(tid, PERF_TYPE_SOFTWARE, ev->config, k->exclude_kernel);
  if (fd < 0 && (errno == EACCES || errno == EPERM) && !k->exclude_kernel &&
      ev->user_only) {
    fd = perf_open(tid, PERF_TYPE_SOFTWARE, ev->config, true);
    if (fd >= 0) {
      char paranoid[16];
      perf_paranoid(paranoid);
      k->exclude_kernel = true;
      if (*ev->user_only)
        say(k->reason, sizeof k->reason, "%s; kernel.perf_event_paranoid = %s",
            ev->user_only, paranoid);
    }
  }
  if (fd < 0) perf_fail(k, "perf_event_open", tid, errno);
  return fd;
}

static void perf_close_counter(mb_counters *c, size_t s) {
  for (size_t t = 0; t < c->n_threads; t++) {
    int *fd = &c->sw_fds[t * N_SW + s];
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
}

static void perf_attach_thread(mb_counters *c, size_t t) {
  for (size_t s = 0; s < N_SW; s++) {
    if (!c->sw[s].available) continue;
    int fd = perf_open_counter(&c->sw[s], &SW_EVENTS[s], c->tids[t]);
    c->sw_fds[t * N_SW + s] = fd;
    if (fd < 0) perf_close_counter(c, s); /* a partial sum would be wrong */
  }
}

/* The ioctl (and for stop, the read) of counter s on every thread. */
static void perf_switch(mb_counters *c, size_t s, bool on) {
  for (size_t t = 0; t < c->n_threads && c->sw[s].available; t++) {
    int fd = c->sw_fds[t * N_SW + s];
    uint64_t v = 0;
    bool ok = on ? ioctl(fd, PERF_EVENT_IOC_RESET, 0) == 0 &&
                       ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) == 0
                 : ioctl(fd, PERF_EVENT_IOC_DISABLE, 0) == 0 &&
                       read(fd, &v, sizeof v) == (ssize_t)sizeof v;
    if (!ok) {
      perf_fail(&c->sw[s], on ? "perf start" : "perf stop", c->tids[t], errno);
      perf_close_counter(c, s);
      return;
    }
    c->sw[s].total += (double)v;
  }
}

/* ---- public API ------------------------------------------------------------------ */

int mb_counters_open(mb_counters **out, const char *spec, bool required, char *err,
                     size_t errlen) {
  if (!out) return MB_COUNTERS_EINVAL;
  *out = NULL;
  say(err, errlen, "%s", "");
  mb_counters *c = calloc(1, sizeof *c);
  if (!c) return MB_COUNTERS_ENOMEM;
  c->required = required;
  c->papi_cid = -1;
  for (size_t s = 0; s < N_SW; s++) {
    snprintf(c->sw[s].name, sizeof c->sw[s].name, "%s", SW_EVENTS[s].name);
    c->sw[s].available = true;
  }
  int rc = parse_spec(c, spec, err, errlen);
  if (rc) goto fail;
  papi_probe(c);
  rc = required_failure(c, err, errlen);
  if (rc) goto fail;
  *out = c;
  return MB_COUNTERS_OK;
fail:
  free(c);
  return rc;
}

static void release_threads(mb_counters *c) {
  for (size_t t = 0; c->eventsets && t < c->n_threads; t++)
    papi_release(&c->eventsets[t]);
  for (size_t s = 0; c->sw_fds && s < N_SW; s++) perf_close_counter(c, s);
  free(c->eventsets);
  free(c->papi_pos);
  free(c->sw_fds);
  free(c->tids);
  c->eventsets = c->papi_pos = c->sw_fds = NULL;
  c->tids = NULL;
  c->n_threads = 0;
}

static int alloc_threads(mb_counters *c, const pid_t *tids, size_t n) {
  c->n_threads = n;
  c->tids = malloc(n * sizeof *c->tids);
  c->eventsets = malloc(n * sizeof *c->eventsets);
  c->papi_pos = malloc(n * MB_COUNTERS_MAX_PAPI * sizeof *c->papi_pos);
  c->sw_fds = malloc(n * N_SW * sizeof *c->sw_fds);
  if (!c->tids || !c->eventsets || !c->papi_pos || !c->sw_fds) return -1;
  for (size_t t = 0; t < n; t++) {
    c->tids[t] = tids ? tids[t] : mb_counters_gettid();
    c->eventsets[t] = PAPI_NULL;
  }
  for (size_t i = 0; i < n * MB_COUNTERS_MAX_PAPI; i++) c->papi_pos[i] = -1;
  for (size_t i = 0; i < n * N_SW; i++) c->sw_fds[i] = -1;
  return 0;
}

int mb_counters_attach(mb_counters *c, const pid_t *tids, size_t n, char *err,
                       size_t errlen) {
  if (!c) return MB_COUNTERS_EINVAL;
  if (c->phase != PHASE_OPEN) return MB_COUNTERS_EPHASE;
  say(err, errlen, "%s", "");
  if (!tids || n == 0) tids = NULL, n = 1;
  int rc = MB_COUNTERS_ENOMEM;
  if (alloc_threads(c, tids, n)) goto fail;
  for (size_t t = 0; t < n; t++) {
    papi_attach_thread(c, t);
    perf_attach_thread(c, t);
  }
  rc = required_failure(c, err, errlen);
  if (rc) goto fail;
  c->phase = PHASE_ATTACHED;
  return MB_COUNTERS_OK;
fail:
  release_threads(c);
  return rc;
}

int mb_counters_start(mb_counters *c) {
  if (!c) return MB_COUNTERS_EINVAL;
  if (c->phase != PHASE_ATTACHED && c->phase != PHASE_STOPPED) return MB_COUNTERS_EPHASE;
  for (size_t i = 0; i < c->n_papi; i++) c->papi[i].total = 0;
  for (size_t s = 0; s < N_SW; s++) c->sw[s].total = 0;
  c->start_ns = now_ns();
  for (size_t t = 0; t < c->n_threads; t++) papi_start_thread(c, t);
  for (size_t s = 0; s < N_SW; s++) perf_switch(c, s, true);
  c->phase = PHASE_RUNNING;
  return required_failure(c, NULL, 0);
}

int mb_counters_stop(mb_counters *c) {
  if (!c) return MB_COUNTERS_EINVAL;
  if (c->phase != PHASE_RUNNING) return MB_COUNTERS_EPHASE;
  for (size_t s = 0; s < N_SW; s++) perf_switch(c, s, false);
  for (size_t t = 0; t < c->n_threads; t++) papi_stop_thread(c, t);
  c->stop_ns = now_ns();
  c->phase = PHASE_STOPPED;
  return required_failure(c, NULL, 0);
}

/* One result entry from a counter. */
static void fill_value(mb_counter_value *v, const counter *k, const char *unit,
                       const char *source, uint64_t inferences) {
  snprintf(v->name, sizeof v->name, "%s", k->name);
  snprintf(v->unit, sizeof v->unit, "%s", unit);
  snprintf(v->source, sizeof v->source, "%s", source);
  snprintf(v->reason, sizeof v->reason, "%s", k->reason);
  v->available = k->available;
  v->total = k->available ? k->total : NAN;
  v->per_inference = k->available && inferences ? k->total / (double)inferences : NAN;
}

static const counter *find_papi(const mb_counters *c, const char *name) {
  for (size_t i = 0; i < c->n_papi; i++)
    if (strcmp(c->papi[i].name, name) == 0) return &c->papi[i];
  return NULL;
}

static void fill_ipc(const mb_counters *c, mb_counters_report *out) {
  const char *names[2] = {"PAPI_TOT_INS", "PAPI_TOT_CYC"};
  const counter *k[2];
  out->ipc = NAN;
  for (int i = 0; i < 2; i++) {
    k[i] = find_papi(c, names[i]);
    if (!k[i] || !k[i]->available) {
      say(out->ipc_reason, sizeof out->ipc_reason, "IPC needs %s and %s; %s %s",
          names[0], names[1], names[i], k[i] ? "is unavailable" : "was not requested");
      return;
    }
  }
  if (k[1]->total <= 0) {
    say(out->ipc_reason, sizeof out->ipc_reason, "IPC: PAPI_TOT_CYC counted 0 cycles");
    return;
  }
  out->ipc_available = true;
  out->ipc = k[0]->total / k[1]->total;
}

int mb_counters_result(const mb_counters *c, uint64_t inferences,
                       mb_counters_report *out) {
  if (!c || !out) return MB_COUNTERS_EINVAL;
  memset(out, 0, sizeof *out);
  if (c->phase != PHASE_STOPPED) return MB_COUNTERS_EPHASE;
  for (size_t i = 0; i < c->n_papi; i++)
    fill_value(&out->counters[out->count++], &c->papi[i], "count", "papi", inferences);
  for (size_t s = 0; s < N_SW; s++)
    fill_value(&out->counters[out->count++], &c->sw[s], SW_EVENTS[s].unit, "perf",
               inferences);
  fill_ipc(c, out);
  out->threads = c->n_threads;
  out->interval_s = (double)(c->stop_ns - c->start_ns) / 1e9;
  return MB_COUNTERS_OK;
}

void mb_counters_close(mb_counters *c) {
  if (!c) return;
  release_threads(c);
  free(c);
}

/* ---- SDE: the harness's own counters ----------------------------------------------- */

/*
 * The one exception to "no mutable globals" in this module, and why: SDE names are
 * per process, and libsde 7.0 (Debian 12) keeps the first address registered under a
 * name for good: registering the name again with another address is accepted but
 * ignored, unregistering and registering again reads freed memory, and
 * papi_sde_init after papi_sde_shutdown crashes. So the published values live in
 * static storage, registration (idempotent with the same address) is never undone,
 * and an mb_counters_sde handle only names that storage.
 */
static_assert(sizeof(_Atomic long long) == sizeof(long long) && ATOMIC_LLONG_LOCK_FREE == 2,
              "libsde reads the counters as plain long long");

static _Atomic long long sde_values[MB_COUNTERS_SDE_COUNT]; /* read by libsde in place */

/* No papi_sde_describe_counter either: libsde 7.0 leaks the name it is given. */
static const struct {
  const char *name, *unit;
} SDE_COUNTERS[MB_COUNTERS_SDE_COUNT] = {
    {"samples_issued", "count"},
    {"samples_completed", "count"},
    {"bytes_in", "bytes"},
    {"bytes_out", "bytes"},
};

struct mb_counters_sde {
  _Atomic long long *value; /* sde_values */
};

int mb_counters_sde_open(mb_counters_sde **out, char *err, size_t errlen) {
  if (!out) return MB_COUNTERS_EINVAL;
  *out = NULL;
  mb_counters_sde *s = calloc(1, sizeof *s);
  if (!s) return MB_COUNTERS_ENOMEM;
  papi_handle_t handle = papi_sde_init(MB_COUNTERS_SDE_LIBRARY);
  if (!handle) {
    say(err, errlen, "papi_sde_init(%s) failed", MB_COUNTERS_SDE_LIBRARY);
    goto fail;
  }
  s->value = sde_values;
  for (size_t i = 0; i < MB_COUNTERS_SDE_COUNT; i++) {
    atomic_store_explicit(&s->value[i], 0, memory_order_relaxed);
    int r = papi_sde_register_counter(handle, SDE_COUNTERS[i].name,
                                      PAPI_SDE_RO | PAPI_SDE_DELTA, PAPI_SDE_long_long,
                                      (void *)&s->value[i]);
    if (r != SDE_OK) {
      say(err, errlen, "papi_sde_register_counter(%s::%s): error %d",
          MB_COUNTERS_SDE_LIBRARY, SDE_COUNTERS[i].name, r);
      goto fail;
    }
  }
  *out = s;
  return MB_COUNTERS_OK;
fail:
  free(s);
  return MB_COUNTERS_ESYS;
}

void mb_counters_sde_update(mb_counters_sde *s, uint64_t samples_issued,
                            uint64_t samples_completed, uint64_t bytes_in,
                            uint64_t bytes_out) {
  if (!s) return;
  const uint64_t v[MB_COUNTERS_SDE_COUNT] = {samples_issued, samples_completed, bytes_in,
                                             bytes_out};
  for (size_t i = 0; i < MB_COUNTERS_SDE_COUNT; i++)
    atomic_store_explicit(&s->value[i], (long long)v[i], memory_order_relaxed);
}

size_t mb_counters_sde_values(const mb_counters_sde *s, uint64_t inferences,
                              mb_counter_value out[MB_COUNTERS_SDE_COUNT]) {
  if (!s || !out) return 0;
  for (size_t i = 0; i < MB_COUNTERS_SDE_COUNT; i++) {
    counter k = {.available = true};
    snprintf(k.name, sizeof k.name, "%s", SDE_COUNTERS[i].name);
    k.total = (double)atomic_load_explicit(&s->value[i], memory_order_relaxed);
    fill_value(&out[i], &k, SDE_COUNTERS[i].unit, "sde", inferences);
  }
  return MB_COUNTERS_SDE_COUNT;
}

void mb_counters_sde_close(mb_counters_sde *s) { free(s); }
