/*
 * Board port: QEMU `mps2-an386` (Arm MPS2 FPGA image AN386, Cortex-M4), as emulated by
 * qemu-system-arm 7.2. Memory map (QEMU hw/arm/mps2.c, AN386 = AN385's map):
 *   0x00000000  ZBT SSRAM1, 4 MiB: the bootloader, loaded by `-kernel boot.elf`. QEMU reloads
 *               the ELF's segments on every reset, so the bootloader never writes here.
 *   0x20000000  ZBT SSRAM2/3, 4 MiB: RAM; the firmware uses the first 64 KiB (an nRF52832 has
 *               64 KiB), the top 512 bytes of them as the boot -> application shared area.
 *   0x21000000  PSRAM, 16 MiB: QEMU's machine RAM. `-M mps2-an386,memory-backend=fl -object
 *               memory-backend-file,id=fl,size=16M,mem-path=FLASH.img,share=on` maps FLASH.img
 *               here: every store lands in the file, so it survives resets and `kill -9`. It is
 *               the device's flash; its first 512 KiB carry the nRF52832 partitions of
 *               `dfukit sim` (4 KiB sectors), the rest is unused.
 *   0x40004000  CMSDK APB UART0 (the console: boot line + SMP console framing).
 * The application runs in place from the primary slot, right after its 0x200-byte header.
 *
 * Only #defines: the linker scripts are run through the C preprocessor with this file.
 */
#ifndef DFU_BOARD_QEMU_MPS2_AN386_H
#define DFU_BOARD_QEMU_MPS2_AN386_H

#define BOARD_NAME "qemu-mps2-an386"

/* Bootloader: in SSRAM1 at the reset vector address (48 KiB reserved, as the nRF52832 boot
 * partition). */
#define BOARD_BOOT_ADDR 0x00000000
#define BOARD_BOOT_SIZE 0x0000C000

/* RAM used by the firmware and the area the bootloader hands to the application. */
#define BOARD_RAM_ADDR 0x20000000
#define BOARD_RAM_SIZE 0x00010000
#define BOARD_SHARED_SIZE 0x200
#define BOARD_SHARED_ADDR (BOARD_RAM_ADDR + BOARD_RAM_SIZE - BOARD_SHARED_SIZE)

/* Stacks (main stack, just below the shared area; 32 bytes at the bottom are the MPU guard).
 * They must hold the worst case `make footprint` computes (checked there). */
#define BOARD_BOOT_STACK_SIZE 0x1000
#define BOARD_APP_STACK_SIZE 0x1400

/* Flash: the PSRAM window, NOR rules enforced by the driver (flash_psram.c). */
#define BOARD_FLASH_ADDR 0x21000000
#define BOARD_FLASH_SIZE 0x00080000
#define BOARD_FLASH_SECTOR 0x1000
#define BOARD_FLASH_ALIGN 4
#define BOARD_FLASH_ERASE_US 85000 /* per sector, as an nRF52832 page erase */
#define BOARD_FLASH_WORD_US 41     /* per 32-bit word written */

/* Partitions (flash offsets), as `dfukit sim --geometry nrf52832`. */
#define BOARD_SLOT0_OFF 0x0000C000
#define BOARD_SLOT1_OFF 0x0003E000
#define BOARD_SLOT_SIZE 0x00032000
/* Boot outcome record log: sectors 1-2 of the storage partition (0x7A000), as dfukit sim. */
#define BOARD_BOOTLOG_OFF 0x0007B000
#define BOARD_BOOTLOG_SIZE 0x00002000

/* Image header size (imgtool --header-size): the vector table follows it, 512-byte aligned. */
#define BOARD_IMG_HDR_SIZE 0x200

/* Application link window: slot 0 after the header, up to the trailer area (swap-using-move
 * needs one free sector and the trailer sectors at the end of the slot). */
#define BOARD_APP_ADDR (BOARD_FLASH_ADDR + BOARD_SLOT0_OFF + BOARD_IMG_HDR_SIZE)
#define BOARD_APP_SIZE (BOARD_SLOT_SIZE - BOARD_IMG_HDR_SIZE - 0x3000)

/* CMSDK APB UART0, timer 0 and their clock (QEMU's SYSCLK for MPS2). */
#define BOARD_UART0_BASE 0x40004000
#define BOARD_TIMER0_BASE 0x40000000
#define BOARD_SYSCLK_HZ 25000000
#define BOARD_UART_BAUD 115200

/* Interrupt lines of the NVIC (the vector table has 16 + BOARD_IRQS entries). */
#define BOARD_IRQS 32

#endif
