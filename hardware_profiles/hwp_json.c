/*
 * hardware_profiles/hwp_json.c - hardware profile files: JSON text to hwp_profile with
 * json-c (a message naming the file and the field for anything wrong: syntax with
 * line:column, wrong schema or version, missing, unknown or mistyped fields, values that
 * break the rules of hwp_validate), and hwp_profile back to a JSON file.
 */
#include "hardware_profiles/internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#define HWP_MAX_FILE_BYTES (1 << 20) /* a profile is a few KiB; refuse anything huge */

typedef struct hwp__reader {
  const char *origin; /* the file name in messages */
  char *err;
  size_t errlen;
} hwp__reader;

static int hwp__fail(const hwp__reader *r, int status, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int hwp__fail(const hwp__reader *r, int status, const char *field, const char *fmt, ...) {
  char why[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  return hwp__errf(r->err, r->errlen, status, "%s: field '%s': %s", r->origin, field, why);
}

/* "parent.key", or "key" at the top. */
static void hwp__join(char *buf, size_t len, const char *parent, const char *key) {
  snprintf(buf, len, "%s%s%s", parent, parent[0] ? "." : "", key);
}

/* Every key of obj must be in allowed (NULL-terminated). */
static int hwp__known_keys(const hwp__reader *r, json_object *obj, const char *parent,
                           const char *const *allowed) {
  char field[160];
  json_object_object_foreach(obj, key, value) {
    (void)value;
    size_t i = 0;
    while (allowed[i] != NULL && strcmp(allowed[i], key) != 0) i++;
    if (allowed[i] == NULL) {
      hwp__join(field, sizeof field, parent, key);
      return hwp__fail(r, HWP_EFORMAT, field, "unknown field (see hardware_profiles/README.md)");
    }
  }
  return HWP_OK;
}

static const char *hwp__type_word(json_type t) {
  switch (t) {
  case json_type_object: return "an object";
  case json_type_array: return "an array";
  case json_type_string: return "a string";
  case json_type_double:
  case json_type_int: return "a number";
  default: return "something else";
  }
}

/* obj[key] into *out, of type want (json_type_double accepts any number). A missing
 * member is an error when required, else *out = NULL and HWP_OK. */
static int hwp__member(const hwp__reader *r, json_object *obj, const char *parent,
                       const char *key, json_type want, int required, json_object **out) {
  char field[160];
  hwp__join(field, sizeof field, parent, key);
  *out = NULL;
  json_object *v;
  if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
    return required ? hwp__fail(r, HWP_EFORMAT, field, "missing") : HWP_OK;
  json_type got = json_object_get_type(v);
  int ok = got == want || (want == json_type_double && got == json_type_int);
  if (!ok)
    return hwp__fail(r, HWP_EFORMAT, field, "must be %s, not %s", hwp__type_word(want),
                     hwp__type_word(got));
  *out = v;
  return HWP_OK;
}

static int hwp__read_text(const hwp__reader *r, json_object *obj, const char *key, char **dst) {
  json_object *v;
  int rc = hwp__member(r, obj, "", key, json_type_string, 1, &v);
  if (rc != HWP_OK) return rc;
  return hwp_set_text(dst, json_object_get_string(v));
}

/* {"value": N, "source": "..."} at parent.key; absent leaves f absent. */
static int hwp__read_figure(const hwp__reader *r, json_object *obj, const char *parent,
                            const char *key, hwp_figure *f) {
  static const char *const keys[] = {"value", "source", NULL};
  char field[160];
  json_object *o, *value, *source;
  int rc = hwp__member(r, obj, parent, key, json_type_object, 0, &o);
  if (rc != HWP_OK || o == NULL) return rc;
  hwp__join(field, sizeof field, parent, key);
  if ((rc = hwp__known_keys(r, o, field, keys)) != HWP_OK) return rc;
  if ((rc = hwp__member(r, o, field, "value", json_type_double, 1, &value)) != HWP_OK) return rc;
  if ((rc = hwp__member(r, o, field, "source", json_type_string, 1, &source)) != HWP_OK) return rc;
  return hwp_set_figure(f, json_object_get_double(value), json_object_get_string(source));
}

static int hwp__read_header(const hwp__reader *r, json_object *root, hwp_profile *p) {
  json_object *v;
  int rc = hwp__member(r, root, "", "schema", json_type_string, 0, &v);
  if (rc != HWP_OK || v == NULL || strcmp(json_object_get_string(v), HWP_SCHEMA) != 0)
    return hwp__fail(r, HWP_ESCHEMA, "schema", "must be \"%s\"; is this a hardware profile?",
                     HWP_SCHEMA);
  rc = hwp__member(r, root, "", "schema_version", json_type_int, 0, &v);
  if (rc != HWP_OK || v == NULL || json_object_get_int64(v) != HWP_SCHEMA_VERSION)
    return hwp__fail(r, HWP_ESCHEMA, "schema_version",
                     "must be %d (the version this build reads)", HWP_SCHEMA_VERSION);
  if ((rc = hwp__read_text(r, root, "name", &p->name)) != HWP_OK) return rc;
  if ((rc = hwp__read_text(r, root, "description", &p->description)) != HWP_OK) return rc;
  rc = hwp__member(r, root, "", "kind", json_type_string, 1, &v);
  if (rc != HWP_OK) return rc;
  if (hwp_kind_parse(json_object_get_string(v), &p->kind) != HWP_OK)
    return hwp__fail(r, HWP_EFORMAT, "kind", "unknown kind \"%s\" (cpu, gpu or mcu)",
                     json_object_get_string(v));
  return HWP_OK;
}

/* "peak_flops" or "peak_flops_per_core": an object with a figure per precision. */
static int hwp__read_peaks(const hwp__reader *r, json_object *root, const char *key,
                           int required, hwp_figure *set) {
  static const char *const keys[] = {"fp32", "fp16", "bf16", "int8", NULL};
  json_object *o;
  int rc = hwp__member(r, root, "", key, json_type_object, required, &o);
  if (rc != HWP_OK || o == NULL) return rc;
  if ((rc = hwp__known_keys(r, o, key, keys)) != HWP_OK) return rc;
  for (int i = 0; i < HWP_PRECISION_COUNT && rc == HWP_OK; i++)
    rc = hwp__read_figure(r, o, key, hwp_precision_name((hwp_precision)i), &set[i]);
  return rc;
}

static int hwp__read_level(const hwp__reader *r, json_object *o, size_t i, hwp_profile *p) {
  static const char *const keys[] = {"level", "bandwidth_bytes_per_s", "capacity_bytes", NULL};
  char field[64], lfield[80];
  json_object *v;
  hwp_mem_level level;
  hwp_memory *m;
  snprintf(field, sizeof field, "memory[%zu]", i);
  snprintf(lfield, sizeof lfield, "%s.level", field);
  if (!json_object_is_type(o, json_type_object))
    return hwp__fail(r, HWP_EFORMAT, field, "must be an object");
  int rc = hwp__known_keys(r, o, field, keys);
  if (rc == HWP_OK) rc = hwp__member(r, o, field, "level", json_type_string, 1, &v);
  if (rc != HWP_OK) return rc;
  if (hwp_mem_level_parse(json_object_get_string(v), &level) != HWP_OK)
    return hwp__fail(r, HWP_EFORMAT, lfield,
                     "unknown level \"%s\" (L1, L2, L3, DRAM, HBM, SRAM, flash)",
                     json_object_get_string(v));
  if (hwp_add_memory(p, level, &m) != HWP_OK)
    return hwp__fail(r, HWP_EFORMAT, lfield, "level %s appears twice",
                     hwp_mem_level_name(level));
  rc = hwp__read_figure(r, o, field, "bandwidth_bytes_per_s", &m->bandwidth_bytes_per_s);
  if (rc == HWP_OK) rc = hwp__read_figure(r, o, field, "capacity_bytes", &m->capacity_bytes);
  return rc;
}

static int hwp__read_memory(const hwp__reader *r, json_object *root, hwp_profile *p) {
  json_object *a;
  int rc = hwp__member(r, root, "", "memory", json_type_array, 1, &a);
  if (rc != HWP_OK) return rc;
  size_t n = json_object_array_length(a);
  if (n == 0 || n > HWP_MEM_LEVEL_COUNT)
    return hwp__fail(r, HWP_EFORMAT, "memory", "needs one to %d levels (got %zu)",
                     HWP_MEM_LEVEL_COUNT, n);
  for (size_t i = 0; i < n && rc == HWP_OK; i++)
    rc = hwp__read_level(r, json_object_array_get_idx(a, i), i, p);
  return rc;
}

static int hwp__read_profile(const hwp__reader *r, json_object *root, hwp_profile *p) {
  static const char *const keys[] = {"schema", "schema_version", "name", "kind", "description",
                                     "peak_flops", "peak_flops_per_core", "memory",
                                     "tdp_watts", "clock_hz", "cores", NULL};
  int rc = hwp__read_header(r, root, p);
  if (rc == HWP_OK) rc = hwp__known_keys(r, root, "", keys);
  if (rc == HWP_OK) rc = hwp__read_peaks(r, root, "peak_flops", 1, p->peak_flops);
  if (rc == HWP_OK) rc = hwp__read_peaks(r, root, "peak_flops_per_core", 0, p->peak_flops_per_core);
  if (rc == HWP_OK) rc = hwp__read_memory(r, root, p);
  if (rc == HWP_OK) rc = hwp__read_figure(r, root, "", "tdp_watts", &p->tdp_watts);
  if (rc == HWP_OK) rc = hwp__read_figure(r, root, "", "clock_hz", &p->clock_hz);
  if (rc == HWP_OK) rc = hwp__read_figure(r, root, "", "cores", &p->cores);
  return rc;
}

/* Line and column (1-based) of byte offset off in text. */
static void hwp__line_col(const char *text, size_t off, int *line, int *col) {
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < off && text[i] != '\0'; i++) {
    if (text[i] == '\n') {
      ++*line;
      *col = 1;
    } else {
      ++*col;
    }
  }
}

/* Parse text as one JSON object. */
static int hwp__parse_json(const hwp__reader *r, const char *text, json_object **root) {
  json_tokener *tok = json_tokener_new();
  if (tok == NULL) return hwp__errf(r->err, r->errlen, HWP_ENOMEM, "%s: out of memory", r->origin);
  size_t len = strlen(text);
  int line, col, rc = HWP_OK;
  *root = json_tokener_parse_ex(tok, text, (int)len);
  enum json_tokener_error jerr = json_tokener_get_error(tok);
  size_t end = json_tokener_get_parse_end(tok);
  const char *why = jerr != json_tokener_success ? json_tokener_error_desc(jerr)
                    : end + strspn(text + end, " \t\r\n") != len ? "text after the JSON object"
                    : *root == NULL || !json_object_is_type(*root, json_type_object)
                        ? "a profile must be one JSON object"
                        : NULL;
  if (jerr == json_tokener_continue) why = "unexpected end of file";
  if (why != NULL) {
    hwp__line_col(text, end, &line, &col);
    rc = hwp__errf(r->err, r->errlen, HWP_EFORMAT, "%s:%d:%d: %s", r->origin, line, col, why);
    json_object_put(*root);
    *root = NULL;
  }
  json_tokener_free(tok);
  return rc;
}

int hwp_load_string(const char *text, const char *origin, hwp_profile *p, char *err,
                    size_t errlen) {
  if (p == NULL) return hwp__errf(err, errlen, HWP_EINVAL, "no profile to load into");
  hwp_profile_init(p);
  hwp__reader r = {origin ? origin : "profile", err, errlen};
  if (text == NULL) return hwp__errf(err, errlen, HWP_EINVAL, "%s: no text", r.origin);
  json_object *root;
  int rc = hwp__parse_json(&r, text, &root);
  if (rc == HWP_OK) rc = hwp__read_profile(&r, root, p);
  if (rc == HWP_ENOMEM) hwp__errf(err, errlen, rc, "%s: out of memory", r.origin);
  if (rc == HWP_OK) rc = hwp__validate(p, r.origin, err, errlen);
  json_object_put(root);
  if (rc != HWP_OK) hwp_destroy(p);
  return rc;
}

/* The whole file as a NUL-terminated string into *text (caller frees). */
static int hwp__slurp(const char *path, char **text, char *err, size_t errlen) {
  int rc = HWP_OK;
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return hwp__errf(err, errlen, HWP_EIO, "%s: cannot open: %s", path, strerror(errno));
  char *buf = malloc(HWP_MAX_FILE_BYTES + 1);
  if (buf == NULL) {
    rc = hwp__errf(err, errlen, HWP_ENOMEM, "%s: out of memory", path);
    goto done;
  }
  size_t n = fread(buf, 1, HWP_MAX_FILE_BYTES + 1, f);
  if (ferror(f) || n > HWP_MAX_FILE_BYTES) {
    rc = hwp__errf(err, errlen, HWP_EIO, "%s: %s", path,
                   ferror(f) ? "cannot read" : "larger than 1 MiB; not a hardware profile");
    free(buf);
    goto done;
  }
  buf[n] = '\0';
  *text = buf;
done:
  fclose(f);
  return rc;
}

int hwp_load_file(const char *path, hwp_profile *p, char *err, size_t errlen) {
  if (p == NULL || path == NULL) return hwp__errf(err, errlen, HWP_EINVAL, "no file or profile");
  hwp_profile_init(p);
  char *text = NULL;
  int rc = hwp__slurp(path, &text, err, errlen);
  if (rc != HWP_OK) return rc;
  rc = hwp_load_string(text, path, p, err, errlen);
  free(text);
  if (rc == HWP_OK && hwp_set_text(&p->path, path) != HWP_OK) {
    hwp_destroy(p);
    rc = hwp__errf(err, errlen, HWP_ENOMEM, "%s: out of memory", path);
  }
  return rc;
}

/* ---- writing -------------------------------------------------------------------- */

/* A whole number up to 2^53 as an integer; anything else as the shortest decimal text
 * that reads back to the same double. */
static json_object *hwp__json_number(double v) {
  if (v == floor(v) && fabs(v) <= 9007199254740992.0) return json_object_new_int64((int64_t)v);
  char buf[40];
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) break;
  }
  return json_object_new_double_s(v, buf);
}

/* Add key: value to obj; on NULL value or failure clears *ok (and frees value). */
static void hwp__put(json_object *obj, const char *key, json_object *value, int *ok) {
  if (value == NULL || json_object_object_add(obj, key, value) != 0) {
    json_object_put(value);
    *ok = 0;
  }
}

static json_object *hwp__json_figure(const hwp_figure *f) {
  json_object *o = json_object_new_object();
  int ok = o != NULL;
  if (ok) hwp__put(o, "value", hwp__json_number(f->value), &ok);
  if (ok) hwp__put(o, "source", json_object_new_string(f->source), &ok);
  if (!ok) json_object_put(o);
  return ok ? o : NULL;
}

static void hwp__put_figure(json_object *obj, const char *key, const hwp_figure *f, int *ok) {
  if (*ok && f->present) hwp__put(obj, key, hwp__json_figure(f), ok);
}

static void hwp__put_peaks(json_object *root, const char *key, const hwp_figure *set, int *ok) {
  int any = 0;
  for (int i = 0; i < HWP_PRECISION_COUNT; i++) any |= set[i].present;
  if (!*ok || !any) return;
  json_object *o = json_object_new_object();
  for (int i = 0; i < HWP_PRECISION_COUNT && o != NULL; i++)
    hwp__put_figure(o, hwp_precision_name((hwp_precision)i), &set[i], ok);
  hwp__put(root, key, o, ok);
}

static void hwp__put_memory(json_object *root, const hwp_profile *p, int *ok) {
  json_object *a = json_object_new_array();
  for (size_t i = 0; i < p->n_memory && a != NULL && *ok; i++) {
    const hwp_memory *m = &p->memory[i];
    json_object *o = json_object_new_object();
    if (o != NULL) hwp__put(o, "level", json_object_new_string(hwp_mem_level_name(m->level)), ok);
    if (o != NULL) hwp__put_figure(o, "bandwidth_bytes_per_s", &m->bandwidth_bytes_per_s, ok);
    if (o != NULL) hwp__put_figure(o, "capacity_bytes", &m->capacity_bytes, ok);
    if (o == NULL || json_object_array_add(a, o) != 0) {
      json_object_put(o);
      *ok = 0;
    }
  }
  if (*ok) hwp__put(root, "memory", a, ok);
  else json_object_put(a);
}

static json_object *hwp__to_json(const hwp_profile *p) {
  json_object *root = json_object_new_object();
  int ok = root != NULL;
  if (ok) hwp__put(root, "schema", json_object_new_string(HWP_SCHEMA), &ok);
  if (ok) hwp__put(root, "schema_version", json_object_new_int(HWP_SCHEMA_VERSION), &ok);
  if (ok) hwp__put(root, "name", json_object_new_string(p->name), &ok);
  if (ok) hwp__put(root, "kind", json_object_new_string(hwp_kind_name(p->kind)), &ok);
  if (ok) hwp__put(root, "description", json_object_new_string(p->description), &ok);
  hwp__put_peaks(root, "peak_flops", p->peak_flops, &ok);
  hwp__put_peaks(root, "peak_flops_per_core", p->peak_flops_per_core, &ok);
  if (ok) hwp__put_memory(root, p, &ok);
  hwp__put_figure(root, "tdp_watts", &p->tdp_watts, &ok);
  hwp__put_figure(root, "clock_hz", &p->clock_hz, &ok);
  hwp__put_figure(root, "cores", &p->cores, &ok);
  if (!ok) json_object_put(root);
  return ok ? root : NULL;
}

/* Write text + newline to tmp, then rename it over path. */
static int hwp__write_atomic(const char *path, const char *text, char *err, size_t errlen) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
    return hwp__errf(err, errlen, HWP_EINVAL, "%s: path too long", path);
  FILE *f = fopen(tmp, "w");
  if (f == NULL)
    return hwp__errf(err, errlen, HWP_EIO, "%s: cannot write: %s", path, strerror(errno));
  int ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
  int saved = errno;
  if (fclose(f) != 0 && ok) {
    ok = 0;
    saved = errno;
  }
  if (ok && rename(tmp, path) != 0) {
    ok = 0;
    saved = errno;
  }
  if (ok) return HWP_OK;
  unlink(tmp);
  return hwp__errf(err, errlen, HWP_EIO, "%s: cannot write: %s", path, strerror(saved));
}

int hwp_write_file(const hwp_profile *p, const char *path, char *err, size_t errlen) {
  if (p == NULL || path == NULL) return hwp__errf(err, errlen, HWP_EINVAL, "no profile or path");
  int rc = hwp__validate(p, path, err, errlen);
  if (rc != HWP_OK) return rc;
  json_object *root = hwp__to_json(p);
  if (root == NULL) return hwp__errf(err, errlen, HWP_ENOMEM, "%s: out of memory", path);
  const char *text = json_object_to_json_string_ext(
      root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
  rc = text != NULL ? hwp__write_atomic(path, text, err, errlen)
                    : hwp__errf(err, errlen, HWP_ENOMEM, "%s: out of memory", path);
  json_object_put(root);
  return rc;
}
