/*
 * reports/bundle.h - the submission bundle (prefix rpt_bundle_ / rpt_problems_): one
 * gzip-compressed tar archive (libarchive) that carries a team's run folders to a
 * leaderboard, with a manifest of SHA-256 hashes signed by the team's token.
 *
 * Layout of a bundle (every path one or more components of [A-Za-z0-9._-], no "..",
 * regular files only):
 *
 *     manifest.json          schema "mlsysbench.bundle", RPT_BUNDLE_SCHEMA_VERSION:
 *                            team, created_utc, tool_version, nonce (random, so two
 *                            packs of the same folders differ), runs (names), files
 *                            (path, bytes, sha256 of every other file)
 *     manifest.sig           "hmac-sha256:<64 hex>\n", HMAC-SHA256 of the exact bytes of
 *                            manifest.json keyed with the team's token (OpenSSL)
 *     system.json            the machine (hwloc topology, OS, CPU) and the hardware
 *                            profiles the runs used
 *     runs/<name>/<file>     each run folder's files (results.json, samples.csv, ...)
 *
 * The SHA-256 of manifest.json identifies a submission (a leaderboard refuses the same
 * one twice). Reading a bundle checks what can be checked without the token and
 * without re-deriving metrics: the archive is complete, the manifest has the right
 * schema, every file is listed with the right size and hash and nothing unlisted is
 * there. rpt_bundle_verify_signature() checks the signature with a token; the
 * re-derivation of metrics from samples.csv is the harness's (it needs loadgen).
 *
 * Problems are collected, not returned one at a time: a checker lists every problem
 * with the file, the key, the value and what is wrong (rpt_problems).
 *
 * Ownership: rpt_bundle and rpt_problems own all they point to; their _destroy
 * functions free it and accept NULL. Thread-safety: no shared state; distinct objects
 * may be used from distinct threads (libarchive, OpenSSL 3 and json-c are reentrant).
 */
#ifndef RPT_BUNDLE_H
#define RPT_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reports/status.h"

struct json_object;

#define RPT_BUNDLE_SCHEMA "mlsysbench.bundle"
#define RPT_BUNDLE_SCHEMA_VERSION 1
#define RPT_BUNDLE_MAX_BYTES (256ULL << 20) /* most bytes all files may hold, unpacked */
#define RPT_BUNDLE_MAX_FILES 4096
#define RPT_BUNDLE_MAX_RUNS 64
#define RPT_SHA256_HEX 65                  /* 64 hex digits and the NUL */

/* ---- problems: what a checker found ------------------------------------------------- */
/* Kinds, from the worst: one table makes the enum and rpt_problem_kind_name(). */
#define RPT_PROBLEM_MAP(X)                                                     \
  X(MALFORMED, "malformed")     /* not a readable bundle: truncated, not an     \
                                   archive, no or unparsable manifest */       \
  X(SCHEMA, "schema")           /* wrong schema name or unsupported version */ \
  X(SIGNATURE, "signature")     /* does not verify with the token given */     \
  X(TAMPERED, "tampered")       /* a file differs from its manifest entry, is  \
                                   missing, or is not listed */                \
  X(INCONSISTENT, "inconsistent") /* results.json disagrees with samples.csv   \
                                     and the rules */

typedef enum {
#define RPT_PROBLEM_ENUM_(id, name) RPT_PROBLEM_##id,
  RPT_PROBLEM_MAP(RPT_PROBLEM_ENUM_)
#undef RPT_PROBLEM_ENUM_
  RPT_PROBLEM_KIND_COUNT
} rpt_problem_kind;

const char *rpt_problem_kind_name(rpt_problem_kind k);

typedef struct rpt_problem {
  rpt_problem_kind kind;
  char *file;   /* path inside the bundle ("runs/a/results.json", "runs/a/samples.csv:12"),
                   or "bundle" for the archive itself */
  char *key;    /* the JSON key or column, NULL when none */
  char *value;  /* the offending value as text, NULL when none */
  char *what;   /* what is wrong and, where it helps, what to do */
} rpt_problem;

typedef struct rpt_problems {
  size_t count, cap;
  rpt_problem *items;
  bool oom;     /* a problem could not be recorded (out of memory): treat as failed */
} rpt_problems;

void rpt_problems_init(rpt_problems *p);
void rpt_problems_destroy(rpt_problems *p);
/* Append a problem (strings copied; key/value may be NULL; what is printf-style).
 * Out of memory sets p->oom instead of failing silently. */
void rpt_problems_add(rpt_problems *p, rpt_problem_kind kind, const char *file,
                      const char *key, const char *value, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* The worst kind recorded, or RPT_PROBLEM_KIND_COUNT when there are none. */
rpt_problem_kind rpt_problems_worst(const rpt_problems *p);
/* One line per problem: "FILE: key 'K': value 'V': WHAT (KIND)"; into buf, truncated
 * to len. Returns buf. */
const char *rpt_problem_format(const rpt_problem *pr, char *buf, size_t len);
/* A JSON array of {kind, file, key, value, what}; NULL when out of memory. */
struct json_object *rpt_problems_to_json(const rpt_problems *p);

/* ---- hashing and signing (OpenSSL libcrypto) ---------------------------------------- */
/* Lower-case hex SHA-256 of n bytes into hex[RPT_SHA256_HEX]. RPT_OK or RPT_ENOMEM. */
int rpt_sha256_hex(const void *data, size_t n, char hex[RPT_SHA256_HEX]);
/* The same of the contents of a file. RPT_OK, RPT_EIO ("path: why"), RPT_ENOMEM;
 * *bytes gets the file's size. */
int rpt_sha256_file(const char *path, char hex[RPT_SHA256_HEX], uint64_t *bytes, char *err,
                    size_t errlen);
/* HMAC-SHA256 of n bytes keyed with token, as hex. RPT_OK, RPT_EINVAL (empty token),
 * RPT_ENOMEM. */
int rpt_hmac_sha256_hex(const char *token, const void *data, size_t n,
                        char hex[RPT_SHA256_HEX]);
/* Whether a team name is acceptable: 1-63 characters of [A-Za-z0-9._-], starting with a
 * letter or digit. */
bool rpt_team_name_valid(const char *name);

/* ---- writing ------------------------------------------------------------------------- */
typedef struct rpt_bundle_pack_opts {
  const char *team;               /* rpt_team_name_valid */
  const char *token;              /* the team's token (signs the manifest); not empty */
  const char *const *run_dirs;    /* run folders; each must hold results.json and
                                     samples.csv; its regular files are packed */
  size_t n_runs;                  /* 1..RPT_BUNDLE_MAX_RUNS */
  const char *system_json;        /* the system description (JSON text) */
  const char *tool_version;       /* git describe of the packer */
  const char *out_path;           /* written through a temporary file beside it and
                                     renamed, so it is complete or absent */
} rpt_bundle_pack_opts;

/* Pack. Run names are the folders' base names (made unique with -2, -3, ...).
 * RPT_OK, with the manifest's SHA-256 in manifest_sha256 when not NULL; RPT_EINVAL (bad
 * team, empty token, no runs, a folder without results.json or samples.csv, a file
 * name that cannot go in a bundle), RPT_EIO, RPT_ENOMEM, with "what: why" in err. */
int rpt_bundle_pack(const rpt_bundle_pack_opts *o, char manifest_sha256[RPT_SHA256_HEX],
                    char *err, size_t errlen);

/* ---- reading ------------------------------------------------------------------------- */
typedef struct rpt_bundle_file {
  char *path;                     /* as in the archive: "runs/ss/results.json" */
  unsigned char *data;            /* its bytes (NUL-terminated, not counted in size) */
  size_t size;
} rpt_bundle_file;

typedef struct rpt_bundle {
  int schema_version;
  char *team;
  char *created_utc;
  char *tool_version;
  char manifest_sha256[RPT_SHA256_HEX]; /* of manifest.json's bytes: the submission id */
  size_t n_runs;
  char *runs[RPT_BUNDLE_MAX_RUNS];      /* run names, as listed in the manifest */
  size_t n_files;
  rpt_bundle_file *files;         /* every archive entry but manifest.json/.sig */
  unsigned char *manifest;        /* manifest.json's bytes (NUL-terminated) */
  size_t manifest_size;
  char *signature;                /* manifest.sig's hex digits, NULL when absent */
} rpt_bundle;

/*
 * Read a bundle from memory and check its structure (see the top of this file),
 * adding every problem to *problems (initialized by the caller). Returns RPT_OK when
 * the bundle could be read far enough to check it further (problems may still hold
 * TAMPERED entries), RPT_EFORMAT when it is not a readable bundle (a MALFORMED or
 * SCHEMA problem says why), RPT_ENOMEM. *b is initialized here; destroy it either way.
 */
int rpt_bundle_read_mem(const void *data, size_t size, rpt_bundle *b,
                        rpt_problems *problems);
/* The same from a file; RPT_EIO (a MALFORMED problem names the path) when unreadable. */
int rpt_bundle_read_file(const char *path, rpt_bundle *b, rpt_problems *problems);
void rpt_bundle_destroy(rpt_bundle *b);

/* The file at path inside the bundle, or NULL. */
const rpt_bundle_file *rpt_bundle_find(const rpt_bundle *b, const char *path);

/* Check manifest.sig against the token (constant-time compare). true when it
 * verifies; otherwise adds a SIGNATURE problem that says why (missing signature, or
 * signed with another token: the bundle was altered or re-signed by another team).
 * token_of says whose token was used, for the message ("team 'owls'" when known,
 * "from owls.token" otherwise); NULL: not known. */
bool rpt_bundle_verify_signature(const rpt_bundle *b, const char *token,
                                 const char *token_of, rpt_problems *problems);

/* Write every file of the bundle under dir (which must exist), recreating runs/<name>/.
 * RPT_OK, RPT_EIO with "path: why" in err. */
int rpt_bundle_extract(const rpt_bundle *b, const char *dir, char *err, size_t errlen);

#endif /* RPT_BUNDLE_H */
