/*
 * sut/serial/port.c - termios raw 8N1 serial port with poll() timeouts; see port.h.
 */
#include "sut/serial/port.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

int sut_serial_set_any_baud(int fd, unsigned baud); /* baud.c */

struct sut_serial_port {
  int fd;
  char path[512];
  char error[768];
};

const char *sut_serial_port_strerror(int status) {
  switch (status) {
#define SUT_SERIAL_PORT_TEXT_(name, value, text) \
  case (value):                                  \
    return text;
    SUT_SERIAL_PORT_STATUS_MAP(SUT_SERIAL_PORT_TEXT_)
#undef SUT_SERIAL_PORT_TEXT_
  }
  return "unknown status";
}

long long sut_serial_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(sut_serial_port *p, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(sut_serial_port *p, int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->error, sizeof p->error, fmt, ap);
  va_end(ap);
  return status;
}

static const struct {
  unsigned baud;
  speed_t code;
} BAUDS[] = {{1200, B1200},       {2400, B2400},       {4800, B4800},
             {9600, B9600},       {19200, B19200},     {38400, B38400},
             {57600, B57600},     {115200, B115200},   {230400, B230400},
             {460800, B460800},   {500000, B500000},   {921600, B921600},
             {1000000, B1000000}, {1500000, B1500000}, {2000000, B2000000},
             {3000000, B3000000}, {4000000, B4000000}};

/* Raw 8N1, no flow control. VMIN 1 with O_NONBLOCK: a read with nothing queued fails
 * EAGAIN, so a read of 0 bytes means hang-up (VMIN 0 would return 0 for both). */
static int configure(sut_serial_port *p, unsigned baud) {
  struct termios t;
  if (tcgetattr(p->fd, &t))
    return fail(p, errno == ENOTTY ? SUT_SERIAL_PORT_ENOTTY : SUT_SERIAL_PORT_EOPEN,
                "%s: %s: give the serial device of the board (e.g. /dev/ttyACM0)", p->path,
                errno == ENOTTY ? "not a serial device (tcgetattr: not a terminal)"
                                : strerror(errno));
  cfmakeraw(&t);
  t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CSTOPB | CRTSCTS);
  t.c_cflag |= CS8 | CLOCAL | CREAD;
  t.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  speed_t code = 0;
  for (size_t i = 0; i < sizeof BAUDS / sizeof BAUDS[0]; i++)
    if (BAUDS[i].baud == baud) code = BAUDS[i].code;
  if (code && (cfsetispeed(&t, code) || cfsetospeed(&t, code)))
    return fail(p, SUT_SERIAL_PORT_EBAUD, "%s: baud %u: %s", p->path, baud, strerror(errno));
  if (tcsetattr(p->fd, TCSANOW, &t))
    return fail(p, SUT_SERIAL_PORT_EOPEN, "%s: tcsetattr: %s", p->path, strerror(errno));
  if (!code && sut_serial_set_any_baud(p->fd, baud))
    return fail(p, SUT_SERIAL_PORT_EBAUD, "%s: baud %u is not supported by this device or "
                "kernel (termios2 BOTHER: %s)", p->path, baud, strerror(errno));
  tcflush(p->fd, TCIOFLUSH);
  return SUT_SERIAL_PORT_OK;
}

int sut_serial_port_open(sut_serial_port **out, const char *path, unsigned baud, char *err,
                         size_t errlen) {
  if (!out || !path || !baud) {
    if (err && errlen) snprintf(err, errlen, "serial port: path and baud are required");
    return SUT_SERIAL_PORT_EINVAL;
  }
  *out = NULL;
  sut_serial_port *p = calloc(1, sizeof *p);
  if (!p) return SUT_SERIAL_PORT_ENOMEM;
  snprintf(p->path, sizeof p->path, "%s", path);
  int rc = SUT_SERIAL_PORT_OK;
  p->fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (p->fd < 0) {
    rc = fail(p, SUT_SERIAL_PORT_EOPEN, "%s: cannot open: %s%s", path, strerror(errno),
              errno == EACCES ? " (add yourself to the dialout group: sudo usermod -aG "
                                "dialout $USER, then log in again)"
              : errno == ENOENT ? " (is the board plugged in? ls /dev/ttyACM* /dev/ttyUSB*)"
                                : "");
    goto fail_open;
  }
  rc = configure(p, baud);
  if (rc) goto fail_configure;
  *out = p;
  return SUT_SERIAL_PORT_OK;
fail_configure:
  close(p->fd);
fail_open:
  if (err && errlen) snprintf(err, errlen, "%s", p->error);
  free(p);
  return rc;
}

/* Wait for events on the port until the deadline; 1 ready, 0 timeout, or a status. */
static int wait_for(sut_serial_port *p, short events, long long deadline_ms) {
  for (;;) {
    long long left = deadline_ms - sut_serial_now_ms();
    struct pollfd pfd = {p->fd, events, 0};
    int n = poll(&pfd, 1, left > 0 ? (int)left : 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(p, SUT_SERIAL_PORT_EIO, "%s: poll: %s", p->path, strerror(errno));
    if (n == 0) return 0;
    if (pfd.revents & events) return 1; /* read what is there first, even with HUP */
    if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))
      return fail(p, SUT_SERIAL_PORT_EHUP, "%s: the device hung up (POLLHUP): unplugged, "
                  "reset, or the program behind it exited", p->path);
  }
}

static int io_error(sut_serial_port *p, const char *call) {
  if (errno == EIO || errno == ENXIO || errno == ENODEV)
    return fail(p, SUT_SERIAL_PORT_EHUP, "%s: %s: %s: the device went away (unplugged, or "
                "the program behind it exited)", p->path, call, strerror(errno));
  return fail(p, SUT_SERIAL_PORT_EIO, "%s: %s: %s", p->path, call, strerror(errno));
}

int sut_serial_port_write(sut_serial_port *p, const void *buf, size_t n, int timeout_ms) {
  const char *b = buf;
  long long deadline = sut_serial_now_ms() + timeout_ms;
  while (n) {
    ssize_t w = write(p->fd, b, n);
    if (w > 0) {
      b += w, n -= (size_t)w;
      continue;
    }
    if (w < 0 && errno != EAGAIN && errno != EINTR) return io_error(p, "write");
    int rc = wait_for(p, POLLOUT, deadline);
    if (rc < 0) return rc;
    if (rc == 0)
      return fail(p, SUT_SERIAL_PORT_ETIMEOUT, "%s: write: no room for %zu bytes within "
                  "%d ms", p->path, n, timeout_ms);
  }
  return SUT_SERIAL_PORT_OK;
}

long sut_serial_port_read(sut_serial_port *p, void *buf, size_t cap, int timeout_ms) {
  long long deadline = sut_serial_now_ms() + timeout_ms;
  for (;;) {
    ssize_t r = read(p->fd, buf, cap);
    if (r > 0) return (long)r;
    if (r == 0)
      return fail(p, SUT_SERIAL_PORT_EHUP, "%s: end of file: the device went away", p->path);
    if (errno != EAGAIN && errno != EINTR) return io_error(p, "read");
    int rc = wait_for(p, POLLIN, deadline);
    if (rc <= 0) return rc;
  }
}

const char *sut_serial_port_error(const sut_serial_port *p) { return p ? p->error : ""; }

const char *sut_serial_port_path(const sut_serial_port *p) { return p ? p->path : ""; }

void sut_serial_port_close(sut_serial_port *p) {
  if (!p) return;
  close(p->fd);
  free(p);
}
