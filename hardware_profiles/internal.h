/*
 * hardware_profiles/internal.h - helpers the hardware_profiles files share; not part of
 * the module's interface (hwp.h and measure.h are).
 */
#ifndef HWP_INTERNAL_H
#define HWP_INTERNAL_H

#include <stddef.h>

#include "hardware_profiles/hwp.h"

/* Format a message into err (when err is not NULL) and return status. */
int hwp__errf(char *err, size_t errlen, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* hwp_validate with the name its messages start with. */
int hwp__validate(const hwp_profile *p, const char *origin, char *err, size_t errlen);

#endif /* HWP_INTERNAL_H */
