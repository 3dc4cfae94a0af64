/* SPDX-License-Identifier: MIT */
/*
 * The system calls that the power-cut shim (shim.c) interposes, made
 * straight to the kernel with syscall(2).  durable.c and uffd_track.c are
 * linked into the shim: had they called libc's open, close, fsync,
 * fdatasync, mmap or munmap, the dynamic linker would resolve those to
 * the shim's own wrappers, and a flush would re-enter the shim (its lock,
 * its fd table) from inside itself.  With these, the wrappers are entered
 * only from QEMU.  In the harness and bench-durable, where nothing is
 * interposed, they do what libc's would.  x86-64 Linux: openat(2) with
 * AT_FDCWD for open, mmap(2) with a byte offset.
 */
#ifndef PMT_SYS_RAW_H
#define PMT_SYS_RAW_H

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

/* open(2): an fd, or -1 with errno.  @mode is used with O_CREAT only. */
static inline int pmt_raw_open(const char *path, int flags, mode_t mode)
{
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

/* openat(2): an fd, or -1 with errno. */
static inline int pmt_raw_openat(int dfd, const char *path, int flags, mode_t mode)
{
	return (int)syscall(SYS_openat, dfd, path, flags, mode);
}

/* close(2): 0, or -1 with errno. */
static inline int pmt_raw_close(int fd)
{
	return (int)syscall(SYS_close, fd);
}

/* fsync(2): 0, or -1 with errno. */
static inline int pmt_raw_fsync(int fd)
{
	return (int)syscall(SYS_fsync, fd);
}

/* fdatasync(2): 0, or -1 with errno. */
static inline int pmt_raw_fdatasync(int fd)
{
	return (int)syscall(SYS_fdatasync, fd);
}

/* mmap(2): the address, or MAP_FAILED with errno. */
static inline void *pmt_raw_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

/* munmap(2): 0, or -1 with errno. */
static inline int pmt_raw_munmap(void *addr, size_t len)
{
	return (int)syscall(SYS_munmap, addr, len);
}

#endif
