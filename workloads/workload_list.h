/* SPDX-License-Identifier: MIT */
/*
 * Every workload, listed once (stress-ng's X-macro list is the model).
 * Read by the agent (its table of guest programs) and by the harness (the
 * power-cut scenario's variants), so neither side matches names by hand.
 *
 *   PMT_WORKLOAD(NAME, PROMISES, NEEDS_FIO)
 *
 * NAME is the file workloads/NAME.c, exporting pmt_workload_NAME.
 * PROMISES: it streams intents and promises (promise.h), so power cuts can
 * check it.  NEEDS_FIO: its guest needs the initramfs with Debian's fio.
 * Adding a workload: its file, and one line here.
 */
PMT_WORKLOAD(append_fsync,        1, 0)
PMT_WORKLOAD(overwrite_fdatasync, 1, 0)
PMT_WORKLOAD(rename_replace,      1, 0)
PMT_WORKLOAD(create_unlink,       1, 0)
PMT_WORKLOAD(falloc_punch,        1, 0)
PMT_WORKLOAD(dax_mmap,            1, 0)
PMT_WORKLOAD(fio_verify,          1, 1)
PMT_WORKLOAD(fill,                0, 0)
