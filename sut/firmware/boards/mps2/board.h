/*
 * sut/firmware/boards/mps2/board.h - the MPS2 AN385/AN386 board port of the mlsysbench
 * firmware (prefix mps2_): CMSDK UART0 at 0x40004000 (the first QEMU -serial) and CMSDK
 * TIMER0 at 0x40000000 (25 MHz) behind the sut_fw_port of sut/firmware/fw.h.
 *
 * Board code, not library code: the timer's seconds count lives in a global that its
 * interrupt handler increments. Single-threaded (plus the two interrupt handlers).
 */
#ifndef MPS2_BOARD_H
#define MPS2_BOARD_H

/* The firmware's main (board.c): starts the UART and timer and serves the protocol. */
void mps2_main(void) __attribute__((noreturn));

/* Send a NUL-terminated string on UART0 (busy-waits on the transmitter). */
void mps2_uart_puts(const char *s);

/* Interrupt handlers the vector table names. */
void mps2_uart0_rx_irq(void);
void mps2_timer0_irq(void);

#endif /* MPS2_BOARD_H */
