/*
 * sut/firmware/boards/mps2/startup.c - reset and vector table of the MPS2 AN385/AN386
 * firmware: copies .data, zeroes .bss, enables the FPU on the Cortex-M4F, and calls
 * mps2_main (board.c). Faults print "e-[fault]" on UART0 and stop.
 */
#include <stdint.h>

#include "sut/firmware/boards/mps2/board.h"

extern uint32_t mps2_data_start, mps2_data_end, mps2_data_load, mps2_bss_start,
    mps2_bss_end, mps2_stack_top;

#define MPS2_CPACR (*(volatile uint32_t *)0xE000ED88u)

void mps2_reset(void) __attribute__((noreturn));
static void mps2_fault(void) __attribute__((noreturn));

void mps2_reset(void)
{
  const uint32_t *src = &mps2_data_load;
  for (uint32_t *dst = &mps2_data_start; dst < &mps2_data_end;)
    *dst++ = *src++;
  for (uint32_t *dst = &mps2_bss_start; dst < &mps2_bss_end;)
    *dst++ = 0;
#if defined(__ARM_FP)
  MPS2_CPACR |= 0xFu << 20; /* CP10 and CP11: full access to the FPU */
  __asm volatile("dsb\n\tisb" ::: "memory");
#endif
  mps2_main();
}

static void mps2_fault(void)
{
  mps2_uart_puts("\r\ne-[fault]\r\n");
  for (;;)
    __asm volatile("wfi");
}

/* Cortex-M vector table: initial SP, 15 system exceptions, then the AN385's IRQs
 * (0 UART0 RX, 8 TIMER0). */
typedef void (*mps2_vector)(void);
__attribute__((section(".vectors"), used)) static const mps2_vector mps2_vectors[16 + 9] = {
    (mps2_vector)&mps2_stack_top,
    mps2_reset,
    mps2_fault, /* NMI */
    mps2_fault, /* HardFault */
    mps2_fault, /* MemManage */
    mps2_fault, /* BusFault */
    mps2_fault, /* UsageFault */
    0, 0, 0, 0,
    mps2_fault, /* SVCall */
    mps2_fault, /* DebugMon */
    0,
    mps2_fault, /* PendSV */
    mps2_fault, /* SysTick */
    mps2_uart0_rx_irq, /* IRQ 0: UART0 RX */
    mps2_fault, mps2_fault, mps2_fault, mps2_fault, mps2_fault, mps2_fault, mps2_fault,
    mps2_timer0_irq, /* IRQ 8: TIMER0 */
};
