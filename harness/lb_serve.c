/*
 * harness/lb_serve.c - the leaderboard's HTTP server (libmicrohttpd, a thread pool):
 * POST /submissions runs the submission checker on the uploaded bundle and stores it;
 * GET / (HTML), /api/leaderboard.json and /api/leaderboard.csv read the store. The
 * store is one SQLite connection behind a mutex; the checker runs outside it. SIGINT
 * and SIGTERM are taken with sigtimedwait on the main thread (blocked in the others),
 * then the daemon stops (its threads finish their requests) and the caller closes the
 * database. HTTP statuses are listed in `mlsysbench leaderboard --help`.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "harness/harness.h"
#include "harness/leaderboard.h"

typedef struct mb_srv {
  mb_lb *lb;
  pthread_mutex_t lock;          /* serializes use of lb */
  size_t max_upload;
} mb_srv;

typedef struct mb_req {          /* one POST in progress */
  unsigned char *buf;
  size_t len, cap;
  bool too_big;
  bool answered;                 /* a response was queued before the body ended */
} mb_req;

/* ---- responses ---------------------------------------------------------------------- */
static enum MHD_Result mb_send(struct MHD_Connection *c, unsigned status, const char *type,
                               char *body, size_t len) {
  struct MHD_Response *r =
      MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
  if (r == NULL) {
    free(body);
    return MHD_NO;
  }
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  if (status == MHD_HTTP_UNAUTHORIZED)
    MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"mlsysbench\"");
  if (!strncmp(type, "text/html", 9))
    MHD_add_response_header(r, "Content-Security-Policy", "default-src 'none'; "
                            "style-src 'unsafe-inline'; script-src 'unsafe-inline'");
  enum MHD_Result rc = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return rc;
}

/* A JSON answer: doc (consumed; NULL makes a plain refusal) with status, http_status
 * and message added. */
static enum MHD_Result mb_send_json(struct MHD_Connection *c, unsigned status,
                                    json_object *doc, const char *state, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static enum MHD_Result mb_send_json(struct MHD_Connection *c, unsigned status,
                                    json_object *doc, const char *state, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (doc == NULL) doc = json_object_new_object();
  if (doc == NULL) return MHD_NO;
  json_object_object_add(doc, "status", json_object_new_string(state));
  json_object_object_add(doc, "http_status", json_object_new_int((int)status));
  json_object_object_add(doc, "message", json_object_new_string(msg));
  char *text = NULL;
  size_t len = 0;
  const char *s = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
  len = strlen(s);
  text = malloc(len + 2);
  if (text) memcpy(text, s, len), text[len++] = '\n', text[len] = '\0';
  json_object_put(doc);
  return text ? mb_send(c, status, "application/json", text, len) : MHD_NO;
}

/* ---- GET ------------------------------------------------------------------------------ */
static enum MHD_Result mb_get(mb_srv *s, struct MHD_Connection *c, const char *url) {
  int (*write)(mb_lb *, FILE *) = NULL;
  const char *type = NULL;
  if (!strcmp(url, "/") || !strcmp(url, "/index.html"))
    write = mb_lb_write_html, type = "text/html; charset=utf-8";
  else if (!strcmp(url, "/api/leaderboard.json"))
    write = mb_lb_write_json, type = "application/json";
  else if (!strcmp(url, "/api/leaderboard.csv"))
    write = mb_lb_write_csv, type = "text/csv; charset=utf-8";
  if (write == NULL)
    return mb_send_json(c, MHD_HTTP_NOT_FOUND, NULL, "not found", "no page %s: try /, "
                        "/api/leaderboard.json, /api/leaderboard.csv or POST /submissions", url);
  char *body = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&body, &len);
  if (f == NULL) return MHD_NO;
  pthread_mutex_lock(&s->lock);
  int rc = write(s->lb, f);
  pthread_mutex_unlock(&s->lock);
  fclose(f);
  if (rc != MB_LB_OK) {
    free(body);
    return mb_send_json(c, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, "error",
                        "the leaderboard database could not be read");
  }
  return mb_send(c, MHD_HTTP_OK, type, body, len);
}

/* ---- POST /submissions ------------------------------------------------------------------ */
/* The HTTP status for the worst problem of a verdict. */
static unsigned mb_status_of(const mb_verdict *v) {
  switch (rpt_problems_worst(&v->problems)) {
    case RPT_PROBLEM_MALFORMED:
    case RPT_PROBLEM_SCHEMA: return MHD_HTTP_BAD_REQUEST;
    case RPT_PROBLEM_SIGNATURE: return MHD_HTTP_FORBIDDEN;
    default: return MHD_HTTP_UNPROCESSABLE_CONTENT;
  }
}

static enum MHD_Result mb_store(mb_srv *s, struct MHD_Connection *c, const mb_req *q,
                                mb_verdict *v, long long team_id) {
  json_object *doc = mb_verdict_json(v, "accepted");
  char err[700];
  long long id = 0;
  if (doc == NULL) return MHD_NO;
  const char *text = json_object_to_json_string(doc);
  pthread_mutex_lock(&s->lock);
  int rc = mb_lb_store(s->lb, team_id, v, q->buf, q->len, text, &id, err, sizeof err);
  pthread_mutex_unlock(&s->lock);
  if (rc == MB_LB_EEXIST)
    return mb_send_json(c, MHD_HTTP_CONFLICT, doc, "refused", "%s: a replayed bundle is "
                        "refused; pack the runs again to submit them anew", err);
  if (rc != MB_LB_OK) {
    fprintf(stderr, "leaderboard: %s\n", err);
    return mb_send_json(c, MHD_HTTP_INTERNAL_SERVER_ERROR, doc, "error",
                        "the submission could not be stored; nothing was written");
  }
  json_object_object_add(doc, "submission_id", json_object_new_int64(id));
  return mb_send_json(c, MHD_HTTP_CREATED, doc, "accepted", "stored as submission %lld with "
                      "%zu runs", id, v->n_entries);
}

static enum MHD_Result mb_submission(mb_srv *s, struct MHD_Connection *c, mb_req *q) {
  const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
  char team[96];
  long long team_id = 0;
  if (auth == NULL || strncmp(auth, "Bearer ", 7))
    return mb_send_json(c, MHD_HTTP_UNAUTHORIZED, NULL, "refused", "no token: send the team "
                        "token as \"Authorization: Bearer TOKEN\" (mlsysbench submit send does)");
  pthread_mutex_lock(&s->lock);
  int rc = mb_lb_team_of_token(s->lb, auth + 7, &team_id, team, sizeof team);
  pthread_mutex_unlock(&s->lock);
  if (rc != MB_LB_OK)
    return mb_send_json(c, rc == MB_LB_ENOTFOUND ? MHD_HTTP_UNAUTHORIZED
                                                 : MHD_HTTP_INTERNAL_SERVER_ERROR, NULL,
                        "refused", rc == MB_LB_ENOTFOUND ? "unknown token: no team has it "
                        "(ask for one with `mlsysbench leaderboard add-team`)"
                                                         : "the team database could not be read");
  if (q->len == 0)
    return mb_send_json(c, MHD_HTTP_BAD_REQUEST, NULL, "refused", "empty body: POST the "
                        "bundle made by `mlsysbench submit pack`");
  mb_verdict *v = malloc(sizeof *v);
  if (v == NULL) return MHD_NO;
  char token_of[128];
  snprintf(token_of, sizeof token_of, "team '%s'", team);
  rc = mb_check_bundle(q->buf, q->len, auth + 7, token_of, v);
  enum MHD_Result r;
  if (v->bundle.team && strcmp(v->bundle.team, team))
    r = mb_send_json(c, MHD_HTTP_FORBIDDEN, mb_verdict_json(v, "refused"), "refused", "the "
                     "bundle is for team '%s' but the token given is the token of team '%s'",
                     v->bundle.team, team);
  else if (rc == MB_SUBMIT_ERROR)
    r = mb_send_json(c, MHD_HTTP_INTERNAL_SERVER_ERROR, mb_verdict_json(v, "error"), "error",
                     "the checker could not run (out of memory or no temporary folder)");
  else if (rc != MB_SUBMIT_OK)
    r = mb_send_json(c, mb_status_of(v), mb_verdict_json(v, "refused"), "refused", "the "
                     "checker found %zu problem%s", v->problems.count,
                     v->problems.count == 1 ? "" : "s");
  else
    r = mb_store(s, c, q, v, team_id);
  mb_verdict_destroy(v);
  free(v);
  return r;
}

/* Append a piece of the body, or mark the upload too big (the rest is dropped). */
static void mb_take(mb_srv *s, mb_req *q, const char *data, size_t n) {
  if (q->too_big || q->len + n > s->max_upload) {
    q->too_big = true;
    return;
  }
  if (q->len + n > q->cap) {
    size_t cap = q->cap ? q->cap : 65536;
    while (cap < q->len + n) cap *= 2;
    unsigned char *b = realloc(q->buf, cap);
    if (b == NULL) {
      q->too_big = true;
      return;
    }
    q->buf = b, q->cap = cap;
  }
  memcpy(q->buf + q->len, data, n);
  q->len += n;
}

static enum MHD_Result mb_post(mb_srv *s, struct MHD_Connection *c, const char *data,
                               size_t *size, void **con_cls) {
  mb_req *q = *con_cls;
  if (q == NULL) { /* headers only: refuse an announced oversize body before reading it */
    if ((q = calloc(1, sizeof *q)) == NULL) return MHD_NO;
    *con_cls = q;
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > s->max_upload) {
      q->answered = true;
      return mb_send_json(c, MHD_HTTP_CONTENT_TOO_LARGE, NULL, "refused", "the upload is %s "
                          "bytes; this leaderboard takes at most %zu", cl, s->max_upload);
    }
    return MHD_YES;
  }
  if (*size) {
    if (!q->answered) mb_take(s, q, data, *size);
    *size = 0;
    return MHD_YES;
  }
  if (q->answered) return MHD_YES;
  if (q->too_big)
    return mb_send_json(c, MHD_HTTP_CONTENT_TOO_LARGE, NULL, "refused", "the upload is larger "
                        "than %zu bytes, the most this leaderboard takes", s->max_upload);
  return mb_submission(s, c, q);
}

static enum MHD_Result mb_handle(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version,
                                 const char *data, size_t *size, void **con_cls) {
  mb_srv *s = cls;
  (void)version;
  if (!strcmp(url, "/submissions")) {
    if (!strcmp(method, MHD_HTTP_METHOD_POST)) return mb_post(s, c, data, size, con_cls);
    return mb_send_json(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, "refused",
                        "%s /submissions: only POST", method);
  }
  if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
    return mb_send_json(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, "refused",
                        "%s %s: only GET (POST goes to /submissions)", method, url);
  return mb_get(s, c, url);
}

static void mb_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  (void)cls, (void)c, (void)toe;
  mb_req *q = *con_cls;
  if (q) free(q->buf), free(q);
  *con_cls = NULL;
}

/* ---- the daemon ----------------------------------------------------------------------- */
static unsigned mb_bound_port(struct MHD_Daemon *d) {
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_LISTEN_FD);
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  if (info == NULL || getsockname(info->listen_fd, (struct sockaddr *)&a, &len) != 0) return 0;
  return ntohs(a.sin_port);
}

int mb_lb_serve(mb_lb *lb, const mb_lb_serve_opts *o) {
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->port)};
  if (inet_pton(AF_INET, o->bind, &addr.sin_addr) != 1) {
    fprintf(stderr, "mlsysbench leaderboard serve: --bind '%s': want an IPv4 address such as "
            "127.0.0.1 or 0.0.0.0\n", o->bind);
    return MB_EXIT_USAGE;
  }
  mb_srv s = {lb, PTHREAD_MUTEX_INITIALIZER, o->max_upload};
  sigset_t stop, old;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, &old); /* the daemon's threads inherit the mask */
  signal(SIGPIPE, SIG_IGN);
  struct MHD_Daemon *d = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, (uint16_t)o->port, NULL, NULL,
      mb_handle, &s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
      MHD_OPTION_THREAD_POOL_SIZE, (unsigned)o->threads, MHD_OPTION_CONNECTION_TIMEOUT,
      (unsigned)120, MHD_OPTION_NOTIFY_COMPLETED, mb_completed, &s, MHD_OPTION_END);
  if (d == NULL) {
    fprintf(stderr, "mlsysbench leaderboard serve: cannot listen on %s:%u: %s (is the port "
            "in use? try another --port)\n", o->bind, o->port, strerror(errno));
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return MB_EXIT_ERROR;
  }
  printf("leaderboard: serving http://%s:%u/ (POST /submissions, GET /, "
         "/api/leaderboard.json, /api/leaderboard.csv); Ctrl-C stops\n", o->bind, mb_bound_port(d));
  fflush(stdout);
  int sig = -1;
  struct timespec tick = {1, 0};
  while (sig < 0) {
    sig = sigtimedwait(&stop, NULL, &tick);
    if (sig < 0 && errno != EAGAIN && errno != EINTR) break;
  }
  printf("leaderboard: %s, stopping\n", sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "error");
  MHD_stop_daemon(d);
  pthread_mutex_destroy(&s.lock);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  printf("leaderboard: stopped\n");
  return sig == SIGINT || sig == SIGTERM ? MB_EXIT_OK : MB_EXIT_ERROR;
}
