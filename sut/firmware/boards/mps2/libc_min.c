/*
 * sut/firmware/boards/mps2/libc_min.c - the few C library functions the firmware
 * calls (and gcc emits for copies), so the image links without a C library: memcpy,
 * memset, strlen, strcmp, strncmp, strchr. Compiled with -fno-builtin and
 * -fno-tree-loop-distribute-patterns so the loops stay loops.
 */
#include <stddef.h>
#include <string.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
  unsigned char *d = dst;
  const unsigned char *s = src;
  if ((((size_t)d | (size_t)s) & 3u) == 0) /* word copies when both are aligned */
    for (; n >= 4; n -= 4, d += 4, s += 4)
      *(unsigned *)d = *(const unsigned *)s;
  while (n--)
    *d++ = *s++;
  return dst;
}

void *memset(void *dst, int c, size_t n)
{
  unsigned char *d = dst;
  while (n--)
    *d++ = (unsigned char)c;
  return dst;
}

size_t strlen(const char *s)
{
  size_t n = 0;
  while (s[n])
    n++;
  return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
  for (; n; n--, a++, b++) {
    if (*a != *b)
      return (unsigned char)*a - (unsigned char)*b;
    if (!*a)
      return 0;
  }
  return 0;
}

int strcmp(const char *a, const char *b)
{
  return strncmp(a, b, (size_t)-1);
}

char *strchr(const char *s, int c)
{
  for (;; s++) {
    if (*s == (char)c)
      return (char *)s;
    if (!*s)
      return NULL;
  }
}
