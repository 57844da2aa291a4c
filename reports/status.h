/*
 * reports/status.h - status codes of the reports module (prefix rpt_).
 *
 * One X-macro table makes the enum and rpt_strerror(), so the two cannot drift apart.
 * 0 is success, every error is negative. Functions that fail also write a message
 * into a caller's (char *err, size_t errlen) buffer naming the file, the line or
 * field, and the cause; err may be NULL when the caller does not want it.
 */
#ifndef RPT_STATUS_H
#define RPT_STATUS_H

#define RPT_STATUS_MAP(X)                                                      \
  X(OK, 0, "success")                                                          \
  X(EINVAL, -1, "invalid argument")                                            \
  X(ENOMEM, -2, "out of memory")                                               \
  X(EIO, -3, "cannot read or write file")                                      \
  X(EFORMAT, -4, "malformed file")                                             \
  X(ESCHEMA, -5, "wrong schema or unsupported schema version")                 \
  X(EEXIST, -6, "no free name for the run folder")

typedef enum {
#define RPT_STATUS_ENUM_(name, value, text) RPT_##name = (value),
  RPT_STATUS_MAP(RPT_STATUS_ENUM_)
#undef RPT_STATUS_ENUM_
} rpt_status;

/* Message for a status code; never NULL ("unknown status" for foreign codes). */
const char *rpt_strerror(int status);

#endif /* RPT_STATUS_H */
