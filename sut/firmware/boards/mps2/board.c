/*
 * sut/firmware/boards/mps2/board.c - the MPS2 AN385/AN386 port: CMSDK UART0 and TIMER0
 * drivers, the sut_fw_port over them, and main. The image serves one model, chosen at
 * build time: -DSUT_FW_IMAGE=kws -DSUT_FW_IMAGE_UP=KWS (the Makefile's `make firmware`
 * builds one image per workload and board).
 *
 * UART0: 115200 baud divider (ignored by QEMU), transmit by polling, receive by
 * sleeping (WFI) until the RX interrupt. TIMER0 counts down from 25e6 - 1 at 25 MHz and
 * interrupts once a second; now_us = seconds x 10^6 + elapsed ticks / 25, modulo 2^32 (a
 * 32-bit microsecond counter, as MLPerf Tiny's th_timestamp assumes).
 *
 * The counter pauses while the core waits for a character (get_char stops TIMER0 and
 * starts it again after each character, even one already there), so it counts the
 * core's own time. A timed region (m-lap-us-T0 .. T1 of one infer) never waits for
 * input, so T1 - T0 is exact; and because each restart lines the 25 MHz tick grid up
 * with the instruction that restarts it, under QEMU -icount the difference depends on
 * the executed instructions alone and repeats exactly across runs (with a free-running
 * timer the phase of T0 against the tick grid follows the host's real time, and T1 - T0
 * varies by 1 us). Absolute values leave out the idle time between commands.
 */
#include <stdint.h>

#include "fw_models.h"
#include "sut/firmware/boards/mps2/board.h"
#include "sut/firmware/fw.h"

#define MPS2_REG(addr) (*(volatile uint32_t *)(addr))

#define MPS2_SYSCLK_HZ 25000000u
#define MPS2_BAUD 115200u

#define MPS2_UART0 0x40004000u
#define MPS2_UART_DATA MPS2_REG(MPS2_UART0 + 0x00)
#define MPS2_UART_STATE MPS2_REG(MPS2_UART0 + 0x04)    /* bit 0 TX full, 1 RX full */
#define MPS2_UART_CTRL MPS2_REG(MPS2_UART0 + 0x08)     /* 0 TX en, 1 RX en, 3 RX irq en */
#define MPS2_UART_INT MPS2_REG(MPS2_UART0 + 0x0C)      /* write 1s to clear */
#define MPS2_UART_BAUDDIV MPS2_REG(MPS2_UART0 + 0x10)

#define MPS2_TIMER0 0x40000000u
#define MPS2_TIMER_CTRL MPS2_REG(MPS2_TIMER0 + 0x00)
#define MPS2_TIMER_EN 1u
#define MPS2_TIMER_IRQ_EN 8u
#define MPS2_TIMER_VALUE MPS2_REG(MPS2_TIMER0 + 0x04)
#define MPS2_TIMER_RELOAD MPS2_REG(MPS2_TIMER0 + 0x08)
#define MPS2_TIMER_INT MPS2_REG(MPS2_TIMER0 + 0x0C)

#define MPS2_NVIC_ISER0 MPS2_REG(0xE000E100u)
#define MPS2_IRQ_UART0_RX 0
#define MPS2_IRQ_TIMER0 8

#define MPS2_TICKS_PER_US (MPS2_SYSCLK_HZ / 1000000u)
#define MPS2_RELOAD (MPS2_SYSCLK_HZ - 1u)

/* The image's model and its buffer sizes (fw_models.h). */
#define MPS2_CAT_(a, b) a##b
#define MPS2_CAT(a, b) MPS2_CAT_(a, b)
#define MPS2_MODEL MPS2_CAT(sut_fw_model_, SUT_FW_IMAGE)
#define MPS2_SIZE(what) MPS2_CAT(MPS2_CAT(SUT_FW_, SUT_FW_IMAGE_UP), what)

/* Seconds counted by the TIMER0 interrupt (the one board global). */
static volatile uint32_t mps2_seconds;

void mps2_timer0_irq(void)
{
  MPS2_TIMER_INT = 1;
  mps2_seconds++;
}

void mps2_uart0_rx_irq(void)
{
  MPS2_UART_INT = 2; /* the character stays in DATA; get_char reads it */
}

static void mps2_put_char(void *ctx, char c)
{
  while (MPS2_UART_STATE & 1u)
    ;
  MPS2_UART_DATA = (uint8_t)c;
}

void mps2_uart_puts(const char *s)
{
  while (*s)
    mps2_put_char(0, *s++);
}

/* Blocking: sleep until a character is there, TIMER0 paused (header comment).
 * Interrupts are masked while checking, so one arriving between the check and WFI still
 * wakes the core. */
static int mps2_get_char(void *ctx)
{
  MPS2_TIMER_CTRL = MPS2_TIMER_IRQ_EN;
  for (;;) {
    __asm volatile("cpsid i" ::: "memory");
    if (MPS2_UART_STATE & 2u)
      break;
    __asm volatile("wfi" ::: "memory");
    __asm volatile("cpsie i" ::: "memory");
  }
  __asm volatile("cpsie i" ::: "memory");
  int c = (int)(MPS2_UART_DATA & 0xFFu);
  MPS2_TIMER_CTRL = MPS2_TIMER_EN | MPS2_TIMER_IRQ_EN;
  return c;
}

static uint32_t mps2_now_us(void *ctx)
{
  uint32_t s, ticks;
  do {
    s = mps2_seconds;
    ticks = MPS2_RELOAD - MPS2_TIMER_VALUE;
  } while (s != mps2_seconds);
  return s * 1000000u + ticks / MPS2_TICKS_PER_US;
}

static void mps2_hw_init(void)
{
  MPS2_UART_BAUDDIV = MPS2_SYSCLK_HZ / MPS2_BAUD;
  MPS2_UART_CTRL = 1u | 2u | 8u;
  MPS2_TIMER_RELOAD = MPS2_RELOAD;
  MPS2_TIMER_VALUE = MPS2_RELOAD;
  MPS2_TIMER_CTRL = MPS2_TIMER_EN | MPS2_TIMER_IRQ_EN;
  MPS2_NVIC_ISER0 = (1u << MPS2_IRQ_UART0_RX) | (1u << MPS2_IRQ_TIMER0);
}

void mps2_main(void)
{
  static float db[MPS2_SIZE(_DB_BYTES) / 4];
  static float out[MPS2_SIZE(_OUT_ELEMS)];
  static int32_t scratch[MPS2_SIZE(_SCRATCH_BYTES) / 4 + 1];
  static sut_fw fw;
  const sut_fw_port port = {0, mps2_put_char, mps2_get_char, mps2_now_us, 0};
  const sut_fw_buffers buf = {db, sizeof db, out, MPS2_SIZE(_OUT_ELEMS), scratch,
                              sizeof scratch};
  mps2_hw_init();
  int rc = sut_fw_init(&fw, &port, &MPS2_MODEL, &buf, SUT_FW_MODE_PERFORMANCE);
  if (rc != SUT_FW_OK) {
    mps2_uart_puts("e-[firmware init: ");
    mps2_uart_puts(sut_fw_strerror(rc));
    mps2_uart_puts("]\r\n");
    for (;;)
      __asm volatile("wfi");
  }
  sut_fw_boot(&fw);
  sut_fw_serve(&fw);
}
