/* SPDX-License-Identifier: MIT */
/*
 * Moving a running guest to a second QEMU on this host, the way a VM's
 * life moves it: live migration, or a save to a file and a restore.  For
 * the vmevent injector (injectors/vmevent.c); qemu backend only.
 *
 * What it relies on (QEMU 7.2):
 * - The new QEMU gets the same command line plus -incoming defer
 *   (vm_qemu.c's qemu_spawn, the snapshot restore's path), the migration
 *   capabilities x-ignore-shared and events, and migrate-incoming fd:N.
 *   The pmem backends are memory-backend-file,share=on, so with
 *   x-ignore-shared both QEMUs map the same backing file and its pages are
 *   not in the stream.
 * - "migrate fd:NAME" after getfd streams into any file descriptor: a
 *   socketpair whose other end the new QEMU inherited (live: the guest
 *   runs during the precopy, stops for the last pass only) or a regular
 *   file (stop first).  A completed incoming migration of a running
 *   source starts the guest by itself; "cont" is harmless then.
 * - Devices with no VMStateDescription (virtio-pmem) are neither migrated
 *   nor refused: the new QEMU's copy starts reset.  That is what the
 *   vmevent cases observe; nothing here works around it.
 * The new QEMU's QMP and agent channels replace @vm's: the harness owns
 * the listening sockets, and the guest's virtio-serial port reconnects to
 * the new chardev.  The first QEMU's logs are kept as qemu.source.log,
 * console.source.log, qmp.source.log and agent.source.log.
 */
#ifndef PMT_VM_MOVE_H
#define PMT_VM_MOVE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pmt_vm;

/*
 * Move @vm's running guest to a new QEMU: @live migrates over a socketpair
 * while the guest runs; otherwise the guest is stopped, saved to @file,
 * the first QEMU ends, and the new one restores @file and goes on.  0 with
 * @vm on the new QEMU (its agent answered uname -r) and the first QEMU
 * gone; @info (may be NULL) gets "ms", "bytes" (file only) and
 * "source_exit".  -1 with why in @err: then no QEMU of @vm is left
 * (vm->exited), and the caller's case is BROK.
 */
int pmt_vm_move(struct pmt_vm *vm, bool live, const char *file, struct json_object *info,
		int64_t deadline_ms, char *err, size_t errlen);

/* vm_qemu.c, for this file only. */
/*
 * Spawn a QEMU for @vm's configuration and take over its channels; with
 * @stream_fd >= 0 it runs -incoming defer and restores that stream (the
 * fd must be inheritable), else it boots cold.  0, or -1 with why.
 */
int pmt_qemu_spawn(struct pmt_vm *vm, int stream_fd, const char *preamble, int64_t deadline_ms,
		   char *err, size_t errlen);
/*
 * Send @vm's migration stream into @fd (x-ignore-shared): @live leaves the
 * guest running and returns once the migration started; otherwise it
 * stops the guest first and returns when the stream is complete.  0 or -1.
 */
int pmt_qemu_save_stream(struct pmt_vm *vm, int fd, bool live, int64_t deadline_ms,
			 char *err, size_t errlen);

#endif
