/*
 * loadgen/names.c - status messages, scenario/mode/reason names and their parsers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "loadgen/lg_internal.h"

const char *lg_strerror(int status) {
  switch (status) {
#define LG_STATUS_TEXT_(name, value, text) \
  case (value):                            \
    return text;
    LG_STATUS_MAP(LG_STATUS_TEXT_)
#undef LG_STATUS_TEXT_
  }
  return "unknown status";
}

static const char *const lg_scenario_names[LG_SCENARIO_COUNT] = {
    "SingleStream", "MultiStream", "Server", "Offline"};

/* Accepted spellings besides the MLPerf one, lower case without '-' or '_'. */
static const char *const lg_scenario_short[LG_SCENARIO_COUNT] = {"ss", "ms", "srv",
                                                                  "off"};

static const char *const lg_mode_names[LG_MODE_COUNT] = {"performance", "accuracy",
                                                          "find-peak"};

const char *lg_scenario_name(lg_scenario s) {
  return (unsigned)s < LG_SCENARIO_COUNT ? lg_scenario_names[s] : "unknown";
}

const char *lg_mode_name(lg_mode m) {
  return (unsigned)m < LG_MODE_COUNT ? lg_mode_names[m] : "unknown";
}

/* Copy text lower-cased without '-', '_' and spaces. */
static void lg_squash(const char *text, char *out, size_t len) {
  size_t j = 0;
  for (size_t i = 0; text[i] && j + 1 < len; i++) {
    char c = text[i];
    if (c == '-' || c == '_' || c == ' ') continue;
    out[j++] = (char)((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
  }
  out[j] = '\0';
}

int lg_scenario_parse(const char *text, lg_scenario *out) {
  char want[32], name[32];
  if (!text || !out) return LG_EINVAL;
  lg_squash(text, want, sizeof want);
  for (int i = 0; i < LG_SCENARIO_COUNT; i++) {
    lg_squash(lg_scenario_names[i], name, sizeof name);
    if (!strcmp(want, name) || !strcmp(want, lg_scenario_short[i])) {
      *out = (lg_scenario)i;
      return LG_OK;
    }
  }
  return LG_EINVAL;
}

int lg_mode_parse(const char *text, lg_mode *out) {
  char want[32], name[32];
  if (!text || !out) return LG_EINVAL;
  lg_squash(text, want, sizeof want);
  for (int i = 0; i < LG_MODE_COUNT; i++) {
    lg_squash(lg_mode_names[i], name, sizeof name);
    if (!strcmp(want, name) || (i == LG_MODE_PERFORMANCE && !strcmp(want, "perf")) ||
        (i == LG_MODE_FIND_PEAK && !strcmp(want, "findpeakperformance"))) {
      *out = (lg_mode)i;
      return LG_OK;
    }
  }
  return LG_EINVAL;
}

const char *lg_reason_name(lg_reason r) {
  switch (r) {
#define LG_REASON_NAME_(id, name, text) \
  case LG_REASON_##id:                  \
    return name;
    LG_REASON_MAP(LG_REASON_NAME_)
#undef LG_REASON_NAME_
    default:
      return "unknown";
  }
}

void lg_fmt(char *buf, size_t len, const char *fmt, ...) {
  va_list ap;
  if (!len) return;
  va_start(ap, fmt);
  vsnprintf(buf, len, fmt, ap);
  va_end(ap);
}
