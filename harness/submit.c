/*
 * harness/submit.c - `mlsysbench submit pack|check|send`: pack run folders with the
 * system description into a signed bundle, check a bundle the way the leaderboard
 * does (harness/check.c), and upload one to a leaderboard server (libcurl).
 */
#include "harness/submit.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "hardware_profiles/hwp.h"
#include "harness/harness.h"
#include "reports/runfolder.h"

#define MB_TOKEN_MAX 256

void mb_print_submit_help(FILE *f) {
  fputs(
      "NAME\n"
      "    mlsysbench submit - pack, check and upload a submission bundle\n"
      "\n"
      "SYNOPSIS\n"
      "    mlsysbench submit pack RUN_DIR... --team NAME [--token-file F] -o FILE.mlsb\n"
      "    mlsysbench submit check FILE.mlsb [--token-file F] [--json]\n"
      "    mlsysbench submit send FILE.mlsb --to URL [--token-file F] [--timeout S]\n"
      "\n"
      "DESCRIPTION\n"
      "    pack   one gzip-compressed tar archive: the run folders (runs/NAME/...), a\n"
      "           system description (system.json: hwloc topology, OS, CPU and the\n"
      "           hardware profiles the runs used), a manifest (manifest.json: schema\n"
      "           mlsysbench.bundle version 1, team, the SHA-256 of every file) and its\n"
      "           HMAC-SHA256 signature with the team's token (manifest.sig).\n"
      "    check  what the leaderboard checks: the archive is complete, the schema\n"
      "           version is known, every file matches its hash, the signature verifies\n"
      "           (when a token is given), and for every run the statistics, the headline\n"
      "           metric and the validity rules (minimum duration, query and sample counts,\n"
      "           latency bound, early stopping) recomputed from samples.csv with the\n"
      "           loadgen's own code agree with results.json, as do the seeds and the\n"
      "           settings. Every problem is listed as FILE: key 'K': value 'V': what is\n"
      "           wrong (kind). A run that is honestly INVALID is not a problem: the\n"
      "           leaderboard shows it as INVALID.\n"
      "    send   POST the bundle to URL/submissions with \"Authorization: Bearer TOKEN\"\n"
      "           and print the server's verdict.\n"
      "\n"
      "OPTIONS\n"
      "    --team NAME        the team (1-63 letters, digits, '.', '_', '-')\n"
      "    --token-file F     the team's token (first line of F); otherwise the\n"
      "                       MLSB_TEAM_TOKEN environment variable. check without a token\n"
      "                       checks everything but the signature and says so\n"
      "    -o, --out FILE     the bundle to write (through a temporary file)\n"
      "    --to URL           the leaderboard, e.g. http://127.0.0.1:8080\n"
      "    --timeout S        give up on the upload after S seconds (default 120)\n"
      "    --json             check: print the verdict as JSON\n"
      "    -h, --help         this page\n"
      "\n"
      "EXIT STATUS\n"
      "    0 packed / no problems / accepted, 1 problems found / refused by the server,\n"
      "    2 bad usage or an input that cannot be used, 3 it could not be done (I/O, out of\n"
      "    memory), 5 send: no verdict from the server\n"
      "\n"
      "EXAMPLES\n"
      "    export MLSB_TEAM_TOKEN=$(cat team.token)\n"
      "    mlsysbench submit pack runs/kws-ss runs/kws-server --team owls -o owls.mlsb\n"
      "    mlsysbench submit check owls.mlsb\n"
      "    mlsysbench submit send owls.mlsb --to http://leaderboard.lab:8080\n",
      f);
}

/* ---- shared pieces ---------------------------------------------------------------- */
bool mb_token_well_formed(const char *token) {
  size_t np = strlen(MB_TOKEN_PREFIX);
  if (token == NULL || strncmp(token, MB_TOKEN_PREFIX, np) || strlen(token) != np + MB_TOKEN_HEX)
    return false;
  return strspn(token + np, "0123456789abcdef") == MB_TOKEN_HEX;
}

int mb_read_token(const char *cmd, const char *token_file, char *buf, size_t len) {
  buf[0] = '\0';
  if (token_file) {
    FILE *f = fopen(token_file, "r");
    if (f == NULL || fgets(buf, (int)len, f) == NULL) {
      fprintf(stderr, "mlsysbench %s: --token-file %s: %s\n", cmd, token_file,
              f ? "empty" : strerror(errno));
      if (f) fclose(f);
      return MB_SUBMIT_USAGE;
    }
    fclose(f);
  } else if (getenv("MLSB_TEAM_TOKEN")) {
    snprintf(buf, len, "%s", getenv("MLSB_TEAM_TOKEN"));
  }
  size_t n = strlen(buf);
  while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) buf[--n] = '\0';
  if (n && !mb_token_well_formed(buf)) {
    fprintf(stderr, "mlsysbench %s: the token in %s is not a team token: want '%s' and %d "
            "lower-case hex digits, as `mlsysbench leaderboard add-team` prints it\n", cmd,
            token_file ? token_file : "MLSB_TEAM_TOKEN", MB_TOKEN_PREFIX, MB_TOKEN_HEX);
    buf[0] = '\0';
    return MB_SUBMIT_USAGE;
  }
  return MB_SUBMIT_OK;
}

int mb_read_whole(const char *path, unsigned char **data, size_t *size, char *err,
                  size_t errlen) {
  *data = NULL, *size = 0;
  FILE *f = fopen(path, "rb");
  struct stat st;
  if (f == NULL || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    snprintf(err, errlen, "%s: %s", path, f ? "not a regular file" : strerror(errno));
    if (f) fclose(f);
    return MB_SUBMIT_USAGE;
  }
  *data = malloc((size_t)st.st_size + 1);
  if (*data == NULL || fread(*data, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
    snprintf(err, errlen, "%s: cannot read %lld bytes", path, (long long)st.st_size);
    free(*data), *data = NULL;
    fclose(f);
    return MB_SUBMIT_USAGE;
  }
  fclose(f);
  *size = (size_t)st.st_size;
  return MB_SUBMIT_OK;
}

/* ---- pack ------------------------------------------------------------------------- */
/* The hardware profiles named by the runs' results.json, each once, as parsed JSON. */
static void mb_add_profiles(json_object *sys, const char *const *dirs, size_t n) {
  json_object *profiles = json_object_new_object();
  for (size_t i = 0; i < n; i++) {
    char path[1200], err[512];
    rpt_results r;
    snprintf(path, sizeof path, "%s/results.json", dirs[i]);
    if (rpt_results_read_json(path, &r, err, sizeof err) != RPT_OK) continue;
    const char *name = r.host.hardware_profile;
    hwp_profile p;
    hwp_profile_init(&p);
    if (name && !json_object_object_get_ex(profiles, name, NULL) &&
        hwp_find(name, &p, err, sizeof err) == HWP_OK && p.path)
      json_object_object_add(profiles, name, json_object_from_file(p.path));
    hwp_destroy(&p);
    rpt_results_destroy(&r);
  }
  json_object_object_add(sys, "hardware_profiles", profiles);
}

/* system.json: this machine (hwloc, uname) and the runs' hardware profiles. Caller
 * frees the text. NULL when out of memory. */
static char *mb_system_json(const char *const *dirs, size_t n) {
  rpt_results host;
  rpt_results_init(&host);
  mb_host_describe(&host.host);
  json_object *all = rpt_results_to_json(&host), *h = NULL, *sys = json_object_new_object();
  char *text = NULL;
  if (all && sys && json_object_object_get_ex(all, "host", &h)) {
    json_object_object_add(sys, "schema", json_object_new_string("mlsysbench.system"));
    json_object_object_add(sys, "schema_version", json_object_new_int(1));
    json_object_object_add(sys, "packed_on", json_object_get(h));
    mb_add_profiles(sys, dirs, n);
    text = strdup(json_object_to_json_string_ext(sys, JSON_C_TO_STRING_PRETTY));
  }
  json_object_put(all), json_object_put(sys);
  rpt_results_destroy(&host);
  return text;
}

typedef struct mb_submit_opts {
  const char *team, *token_file, *out, *to;
  long timeout_s;
  bool json;
  int n_args;
  char **args;
} mb_submit_opts;

static int mb_submit_pack(const mb_submit_opts *o) {
  char token[MB_TOKEN_MAX], err[1200], sha[RPT_SHA256_HEX];
  if (o->n_args < 1 || !o->team || !o->out) {
    fprintf(stderr, "mlsysbench submit pack: needs RUN_DIR..., --team NAME and -o FILE "
            "(see `mlsysbench submit --help`)\n");
    return MB_SUBMIT_USAGE;
  }
  for (int i = 0; i < o->n_args; i++) { /* a bundle holds run folders, not run sets */
    const char *d = o->args[i];
    size_t reps = rpt_runfolder_set_reps(d);
    if (rpt_runfolder_is_ab(d))
      fprintf(stderr, "mlsysbench submit pack: %s holds two run sets, A and B (`run --repeat "
              "--ab`): pass the run folders to submit, e.g. %s/A/rep-01\n", d, d);
    else if (reps)
      fprintf(stderr, "mlsysbench submit pack: %s is a run set of %zu repetition%s: pass the "
              "run folders to submit (%s/rep-01 to %s/rep-%02zu)\n", d, reps,
              reps == 1 ? "" : "s", d, d, reps);
    if (reps || rpt_runfolder_is_ab(d)) return MB_SUBMIT_USAGE;
  }
  if (mb_read_token("submit pack", o->token_file, token, sizeof token)) return MB_SUBMIT_USAGE;
  char *sys = mb_system_json((const char *const *)o->args, (size_t)o->n_args);
  if (sys == NULL) {
    fprintf(stderr, "mlsysbench submit pack: out of memory\n");
    return MB_SUBMIT_ERROR;
  }
  rpt_bundle_pack_opts po = {o->team, token, (const char *const *)o->args, (size_t)o->n_args,
                             sys, MB_VERSION, o->out};
  int rc = rpt_bundle_pack(&po, sha, err, sizeof err);
  free(sys);
  if (rc != RPT_OK) {
    fprintf(stderr, "mlsysbench submit pack: %s\n", err);
    return rc == RPT_EIO || rc == RPT_ENOMEM ? MB_SUBMIT_ERROR : MB_SUBMIT_USAGE;
  }
  struct stat st;
  stat(o->out, &st);
  printf("bundle: %s (%d runs, %lld bytes, team %s, manifest sha256 %s)\n", o->out, o->n_args,
         (long long)st.st_size, o->team, sha);
  return MB_SUBMIT_OK;
}

/* ---- check ------------------------------------------------------------------------ */
static void mb_print_verdict(const mb_verdict *v, const char *file, bool token_given) {
  char line[2048];
  printf("bundle: %s\n", file);
  if (v->bundle.team) printf("team: %s\n", v->bundle.team);
  if (v->bundle.manifest_sha256[0]) printf("manifest sha256: %s\n", v->bundle.manifest_sha256);
  printf("signature: %s\n", v->signature_checked  ? "verified"
                            : !v->bundle.manifest ? "not checked (the bundle could not be read)"
                            : token_given         ? "NOT verified (see below)"
                                                  : "not checked (no token: --token-file or "
                                                    "MLSB_TEAM_TOKEN)");
  for (size_t i = 0; i < v->n_entries; i++) {
    const mb_entry *e = &v->entries[i];
    printf("run %s: %s %s %s on %s: %s", e->run, e->workload, e->scenario, e->mode, e->sut,
           e->validity);
    if (isfinite(e->metric)) printf(", %s %.6g %s", e->metric_name, e->metric, e->unit);
    if (e->reasons[0]) printf(" (%s)", e->reasons);
    printf("\n");
  }
  if (v->problems.count == 0) {
    printf("check: OK, every figure agrees with samples.csv and the rules\n");
    return;
  }
  printf("check: %zu problem%s\n", v->problems.count, v->problems.count == 1 ? "" : "s");
  for (size_t i = 0; i < v->problems.count; i++)
    printf("  %s\n", rpt_problem_format(&v->problems.items[i], line, sizeof line));
}

static int mb_submit_check(const mb_submit_opts *o) {
  char token[MB_TOKEN_MAX], err[1200];
  unsigned char *data;
  size_t size;
  if (o->n_args != 1) {
    fprintf(stderr, "mlsysbench submit check: needs one bundle FILE\n");
    return MB_SUBMIT_USAGE;
  }
  if (mb_read_token("submit check", o->token_file, token, sizeof token)) return MB_SUBMIT_USAGE;
  if (mb_read_whole(o->args[0], &data, &size, err, sizeof err)) {
    fprintf(stderr, "mlsysbench submit check: %s\n", err);
    return MB_SUBMIT_USAGE;
  }
  mb_verdict *v = malloc(sizeof *v);
  if (v == NULL) {
    free(data);
    return MB_SUBMIT_ERROR;
  }
  char token_of[1100];
  snprintf(token_of, sizeof token_of, "from %s", o->token_file ? o->token_file : "MLSB_TEAM_TOKEN");
  int rc = mb_check_bundle(data, size, token[0] ? token : NULL, token_of, v);
  if (o->json) {
    json_object *j = mb_verdict_json(v, rc == MB_SUBMIT_OK ? "ok" : "problems");
    if (j) puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY));
    json_object_put(j);
  } else {
    mb_print_verdict(v, o->args[0], token[0] != '\0');
  }
  mb_verdict_destroy(v);
  free(v);
  free(data);
  return rc;
}

/* ---- send ------------------------------------------------------------------------- */
typedef struct mb_buf {
  char *data;
  size_t len;
} mb_buf;

static size_t mb_collect(char *ptr, size_t size, size_t n, void *ctx) {
  mb_buf *b = ctx;
  size_t add = size * n;
  if (b->len + add > (1u << 24)) return 0; /* a verdict is small; refuse a flood */
  char *d = realloc(b->data, b->len + add + 1);
  if (d == NULL) return 0;
  memcpy(d + b->len, ptr, add);
  b->data = d, b->len += add;
  d[b->len] = '\0';
  return add;
}

int mb_submit_upload(const char *url, const char *token, const void *data, size_t size,
                     long timeout_s, long *http_status, char **body, char *err,
                     size_t errlen) {
  char full[1024], auth[MB_TOKEN_MAX + 32];
  const char *scheme = strstr(url, "://");
  const char *path = scheme ? strchr(scheme + 3, '/') : NULL;
  snprintf(full, sizeof full, "%s%s", url, path == NULL ? "/submissions"
                                           : !strcmp(path, "/") ? "submissions" : "");
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
  mb_buf b = {NULL, 0};
  *body = NULL, *http_status = 0;
  CURL *c = curl_easy_init();
  struct curl_slist *h = curl_slist_append(NULL, auth);
  struct curl_slist *h2 = h ? curl_slist_append(h, "Content-Type: application/octet-stream") : NULL;
  if (c == NULL || h2 == NULL) {
    snprintf(err, errlen, "%s: out of memory", full);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return MB_SUBMIT_UNREACHABLE;
  }
  curl_easy_setopt(c, CURLOPT_URL, full);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h2);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, data);
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)size);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, mb_collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout_s < 10 ? timeout_s : 10L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  CURLcode cr = curl_easy_perform(c);
  if (cr == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, http_status);
  curl_slist_free_all(h2);
  curl_easy_cleanup(c);
  if (cr != CURLE_OK) {
    snprintf(err, errlen, "%s: %s", full, curl_easy_strerror(cr));
    free(b.data);
    return MB_SUBMIT_UNREACHABLE;
  }
  *body = b.data ? b.data : strdup("");
  return MB_SUBMIT_OK;
}

/* Print the server's JSON verdict in the same words as `submit check`. */
static int mb_print_answer(long status, const char *body) {
  json_object *doc = json_tokener_parse(body), *v;
  if (doc == NULL || !json_object_object_get_ex(doc, "status", &v)) {
    fprintf(stderr, "mlsysbench submit send: HTTP %ld and not a verdict: %.300s\n", status, body);
    json_object_put(doc);
    return MB_SUBMIT_UNREACHABLE;
  }
  const char *verdict = json_object_get_string(v);
  bool accepted = status == 200 || status == 201;
  json_object *msg = json_object_object_get_ex(doc, "message", &msg) ? msg : NULL;
  if (!accepted) /* the refusal first, so no line below reads as accepted */
    printf("REFUSED by the server (HTTP %ld, %s): %s\nnothing was stored; the runs below "
           "were checked but are NOT on the leaderboard\n", status, verdict,
           msg ? json_object_get_string(msg) : "no reason given");
  else
    printf("server: HTTP %ld, %s\n", status, verdict);
  if (json_object_object_get_ex(doc, "submission_id", &v))
    printf("submission: %s\n", json_object_get_string(v));
  if (accepted && msg) printf("message: %s\n", json_object_get_string(msg));
  json_object *runs = json_object_object_get_ex(doc, "runs", &runs) ? runs : NULL;
  for (size_t i = 0; runs && i < json_object_array_length(runs); i++) {
    json_object *r = json_object_array_get_idx(runs, i), *f[4];
    const char *keys[4] = {"run", "workload", "scenario", "validity"};
    for (int k = 0; k < 4; k++) json_object_object_get_ex(r, keys[k], &f[k]);
    printf("%srun %s: %s %s %s%s\n", accepted ? "" : "  ", json_object_get_string(f[0]),
           json_object_get_string(f[1]), json_object_get_string(f[2]),
           json_object_get_string(f[3]), accepted ? "" : " (not stored)");
  }
  json_object *probs = json_object_object_get_ex(doc, "problems", &probs) ? probs : NULL;
  for (size_t i = 0; probs && i < json_object_array_length(probs); i++) {
    json_object *p = json_object_array_get_idx(probs, i), *f[5];
    const char *keys[5] = {"file", "key", "value", "what", "kind"};
    rpt_problem pr = {0};
    char *s[5], line[2048];
    for (int k = 0; k < 5; k++)
      s[k] = json_object_object_get_ex(p, keys[k], &f[k]) && f[k] ? (char *)json_object_get_string(f[k]) : NULL;
    pr.file = s[0], pr.key = s[1], pr.value = s[2], pr.what = s[3];
    for (int k = 0; k < RPT_PROBLEM_KIND_COUNT; k++)
      if (s[4] && !strcmp(s[4], rpt_problem_kind_name((rpt_problem_kind)k))) pr.kind = (rpt_problem_kind)k;
    printf("  %s\n", rpt_problem_format(&pr, line, sizeof line));
  }
  int rc = accepted ? MB_SUBMIT_OK : MB_SUBMIT_PROBLEMS;
  json_object_put(doc);
  return rc;
}

static int mb_submit_send(const mb_submit_opts *o) {
  char token[MB_TOKEN_MAX], err[1200];
  unsigned char *data;
  size_t size;
  if (o->n_args != 1 || !o->to) {
    fprintf(stderr, "mlsysbench submit send: needs one bundle FILE and --to URL\n");
    return MB_SUBMIT_USAGE;
  }
  if (mb_read_token("submit send", o->token_file, token, sizeof token)) return MB_SUBMIT_USAGE;
  if (!token[0]) {
    fprintf(stderr, "mlsysbench submit send: no token: give --token-file FILE or set "
            "MLSB_TEAM_TOKEN (from `mlsysbench leaderboard add-team`)\n");
    return MB_SUBMIT_USAGE;
  }
  if (mb_read_whole(o->args[0], &data, &size, err, sizeof err)) {
    fprintf(stderr, "mlsysbench submit send: %s\n", err);
    return MB_SUBMIT_USAGE;
  }
  long status;
  char *body;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int rc = mb_submit_upload(o->to, token, data, size, o->timeout_s, &status, &body, err, sizeof err);
  free(data);
  if (rc != MB_SUBMIT_OK) {
    fprintf(stderr, "mlsysbench submit send: %s\n", err);
  } else {
    rc = mb_print_answer(status, body);
    free(body);
  }
  curl_global_cleanup();
  return rc;
}

/* ---- the command ------------------------------------------------------------------ */
static int mb_submit_parse(int argc, char **argv, mb_submit_opts *o, bool *help) {
  static const struct option opts[] = {
      {"team", 1, 0, 't'}, {"token-file", 1, 0, 'k'}, {"out", 1, 0, 'o'},
      {"to", 1, 0, 'u'},   {"timeout", 1, 0, 'T'},    {"json", 0, 0, 'j'},
      {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  optind = 1;
  opterr = 1;
  o->timeout_s = 120;
  for (int c; (c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1;) {
    char *end;
    switch (c) {
      case 't': o->team = optarg; break;
      case 'k': o->token_file = optarg; break;
      case 'o': o->out = optarg; break;
      case 'u': o->to = optarg; break;
      case 'j': o->json = true; break;
      case 'T':
        o->timeout_s = strtol(optarg, &end, 10);
        if (*end || o->timeout_s < 1 || o->timeout_s > 3600) {
          fprintf(stderr, "mlsysbench submit: --timeout '%s': want seconds 1..3600\n", optarg);
          return MB_SUBMIT_USAGE;
        }
        break;
      case 'h': *help = true; return MB_SUBMIT_OK;
      default:
        fprintf(stderr, "mlsysbench submit: see `mlsysbench submit --help`\n");
        return MB_SUBMIT_USAGE;
    }
  }
  o->n_args = argc - optind;
  o->args = argv + optind;
  return MB_SUBMIT_OK;
}

int mb_cmd_submit(int argc, char **argv) {
  mb_submit_opts o = {0};
  bool help = false;
  const char *sub = argc > 1 ? argv[1] : "";
  if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
    mb_print_submit_help(stdout);
    return MB_SUBMIT_OK;
  }
  if (strcmp(sub, "pack") && strcmp(sub, "check") && strcmp(sub, "send")) {
    fprintf(stderr, "mlsysbench submit: '%s': use pack, check or send (see `mlsysbench "
            "submit --help`)\n", sub);
    return MB_SUBMIT_USAGE;
  }
  int rc = mb_submit_parse(argc - 1, argv + 1, &o, &help);
  if (rc || help) {
    if (help) mb_print_submit_help(stdout);
    return rc;
  }
  if (!strcmp(sub, "pack")) return mb_submit_pack(&o);
  if (!strcmp(sub, "check")) return mb_submit_check(&o);
  return mb_submit_send(&o);
}
