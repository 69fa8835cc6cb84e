/*
 * Board port: Nordic nRF52832 (Cortex-M4F, 512 KiB flash at 0x0, 64 KiB RAM), e.g. the
 * nRF52 DK (PCA10040). Built and sized by `make footprint`; it cannot run in this repository's
 * emulator (QEMU has no nRF52 machine), so it is the footprint reference for a real part.
 *   0x00000000  flash, NVMC-programmed: boot partition (the bootloader runs here), slots,
 *               scratch, storage: the partitions of `dfukit sim --geometry nrf52832`
 *   0x20000000  RAM, 64 KiB; the top 512 bytes are the boot -> application shared area
 *   0x40002000  UART0 (legacy UART registers, polled), 115200 8N1 on the DK's VCOM pins
 *   0x4001E000  NVMC
 * Only #defines: the linker scripts are run through the C preprocessor with this file.
 */
#ifndef DFU_BOARD_NRF52832_H
#define DFU_BOARD_NRF52832_H

#define BOARD_NAME "nrf52832"

#define BOARD_BOOT_ADDR 0x00000000
#define BOARD_BOOT_SIZE 0x0000C000

#define BOARD_RAM_ADDR 0x20000000
#define BOARD_RAM_SIZE 0x00010000
#define BOARD_SHARED_SIZE 0x200
#define BOARD_SHARED_ADDR (BOARD_RAM_ADDR + BOARD_RAM_SIZE - BOARD_SHARED_SIZE)

#define BOARD_BOOT_STACK_SIZE 0x1000
#define BOARD_APP_STACK_SIZE 0x1400

#define BOARD_FLASH_ADDR 0x00000000
#define BOARD_FLASH_SIZE 0x00080000
#define BOARD_FLASH_SECTOR 0x1000
#define BOARD_FLASH_ALIGN 4

#define BOARD_SLOT0_OFF 0x0000C000
#define BOARD_SLOT1_OFF 0x0003E000
#define BOARD_SLOT_SIZE 0x00032000
/* Boot outcome record log: sectors 1-2 of the storage partition (0x7A000), as dfukit sim. */
#define BOARD_BOOTLOG_OFF 0x0007B000
#define BOARD_BOOTLOG_SIZE 0x00002000

#define BOARD_IMG_HDR_SIZE 0x200
#define BOARD_APP_ADDR (BOARD_FLASH_ADDR + BOARD_SLOT0_OFF + BOARD_IMG_HDR_SIZE)
#define BOARD_APP_SIZE (BOARD_SLOT_SIZE - BOARD_IMG_HDR_SIZE - 0x3000)

#define BOARD_CPU_HZ 64000000
#define BOARD_NVMC_BASE 0x4001E000
#define BOARD_UART0_BASE 0x40002000
#define BOARD_UART_TX_PIN 6 /* nRF52 DK VCOM */
#define BOARD_UART_RX_PIN 8
#define BOARD_UART_BAUD_115200 0x01D7E000 /* BAUDRATE register value */

/* nRF52832 interrupt lines (POWER_CLOCK .. I2S/FPU: 39). */
#define BOARD_IRQS 39

#endif
