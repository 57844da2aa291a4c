/*
 * sut/serial/baud.c - any baud rate through Linux's termios2 (BOTHER), for rates
 * <termios.h> has no Bxxx constant for, such as the LPM01A's 3,686,400. Kept in its own
 * file because <asm/termbits.h> cannot be included together with <termios.h>.
 */
#include <asm/termbits.h>
#include <sys/ioctl.h>

int sut_serial_set_any_baud(int fd, unsigned baud);

/* Set input and output speed of fd to baud (termios2 BOTHER). 0 or -1 (errno set). */
int sut_serial_set_any_baud(int fd, unsigned baud) {
  struct termios2 t;
  if (ioctl(fd, TCGETS2, &t)) return -1;
  t.c_cflag &= ~(tcflag_t)CBAUD;
  t.c_cflag |= BOTHER;
  t.c_ispeed = baud;
  t.c_ospeed = baud;
  return ioctl(fd, TCSETS2, &t);
}
