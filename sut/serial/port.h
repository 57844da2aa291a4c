/*
 * sut/serial/port.h - a serial port for the microcontroller SUT and the LPM01A energy
 * monitor (prefix sut_serial_port_): termios raw 8N1 at a chosen baud, O_NOCTTY,
 * non-blocking reads and writes with poll() timeouts, so no call waits forever.
 *
 * A pseudo-terminal (the simulated DUT, QEMU behind socat) works the same way; its
 * baud setting has no effect.
 *
 * Return codes: the functions return SUT_SERIAL_PORT_OK (0) or a negative status from
 * the table below, with the reason (path, call, errno text) in the port's error buffer
 * (sut_serial_port_error()). An unplugged USB adapter shows as EIO from read(2) or
 * POLLHUP/POLLERR from poll(2): both are SUT_SERIAL_PORT_EHUP.
 *
 * Thread-safety: none; one thread uses a port at a time. Ownership: open hands out the
 * port, close frees it (NULL accepted).
 */
#ifndef SUT_SERIAL_PORT_H
#define SUT_SERIAL_PORT_H

#include <stddef.h>

#define SUT_SERIAL_PORT_STATUS_MAP(X)                                            \
  X(OK, 0, "success")                                                           \
  X(EINVAL, -1, "invalid argument")                                             \
  X(EOPEN, -2, "cannot open the serial device")                                 \
  X(ENOTTY, -3, "not a serial device")                                          \
  X(EBAUD, -4, "baud rate not supported")                                       \
  X(ETIMEOUT, -5, "timed out")                                                  \
  X(EHUP, -6, "the serial device went away (unplugged, or its program exited)") \
  X(EIO, -7, "serial I/O error")                                                \
  X(ENOMEM, -8, "out of memory")

typedef enum {
#define SUT_SERIAL_PORT_ENUM_(name, value, text) SUT_SERIAL_PORT_##name = (value),
  SUT_SERIAL_PORT_STATUS_MAP(SUT_SERIAL_PORT_ENUM_)
#undef SUT_SERIAL_PORT_ENUM_
} sut_serial_port_status;

/* Message for a status code; never NULL. */
const char *sut_serial_port_strerror(int status);

typedef struct sut_serial_port sut_serial_port;

/* Open path raw 8N1 at baud (one of the standard rates 1200..4000000, 3686400
 * included where the kernel has it), O_NOCTTY | O_NONBLOCK, and discard what was
 * queued before. Errors: EINVAL (NULL), EOPEN (errno text in err), ENOTTY (path is
 * not a terminal), EBAUD, ENOMEM; err gets "path: why; what to do". */
int sut_serial_port_open(sut_serial_port **out, const char *path, unsigned baud, char *err,
                         size_t errlen);

/* Write all n bytes within timeout_ms. OK, ETIMEOUT, EHUP, EIO. */
int sut_serial_port_write(sut_serial_port *p, const void *buf, size_t n, int timeout_ms);

/* Wait up to timeout_ms for bytes and read what is there (at most cap). Returns the
 * number read (> 0), 0 on timeout, or EHUP / EIO. timeout_ms 0 polls once. */
long sut_serial_port_read(sut_serial_port *p, void *buf, size_t cap, int timeout_ms);

/* The last error's text ("" when none); lives as long as the port. */
const char *sut_serial_port_error(const sut_serial_port *p);

/* The device path the port was opened with. */
const char *sut_serial_port_path(const sut_serial_port *p);

void sut_serial_port_close(sut_serial_port *p);

/* Milliseconds on CLOCK_MONOTONIC, for deadlines. */
long long sut_serial_now_ms(void);

#endif /* SUT_SERIAL_PORT_H */
