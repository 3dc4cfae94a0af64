/* SPDX-License-Identifier: MIT */
/*
 * The guest snapshot cache: one QEMU migration stream per guest
 * configuration, taken from a guest stopped at agent ready, so that a case
 * restores a guest in ~0.3 s instead of booting a kernel in ~3 s (TCG).
 *
 * What it relies on (QEMU 7.2, measured):
 * - The pmem backends are memory-backend-file,share=on: with the migration
 *   capability x-ignore-shared their pages stay in the backing file and out
 *   of the stream (~120 MB for a 512 MiB guest), and a restored QEMU maps
 *   the case's own backing file.
 * - virtio-pmem is not migratable: it has no VMStateDescription, so neither
 *   its virtio state nor its PCI config space is in the stream, and a
 *   restored guest's driver waits forever for flush replies.  A snapshot
 *   guest therefore boots with the pmem driver left out and the PCI function
 *   removed, and gets the device after the restore (guest-image/pmem-attach).
 *   That also keeps the guest from having read anything of a backing file
 *   (NVDIMM labels, info blocks) before the snapshot.
 *
 * A snapshot is DIR/NAME.snap (the stream) and DIR/NAME.json (its key and
 * the agent's "ready" event), NAME a hash of the key.  The key is every
 * input that shapes the guest: the QEMU binary (path, size, mtime), the
 * kernel's and initramfs's content hashes, and the whole QEMU command line
 * with the per-case paths replaced (machine, CPU, memory, accel, device
 * kinds and sizes, the kernel command line and so the modules it loads).
 * A lookup compares the whole key text, not only its hash.  Both files are
 * written under temporary names and renamed; the cache is bounded by
 * PMT_SNAPSHOT_CACHE_MB, the least recently used going first.
 */
#ifndef PMT_SNAPSHOT_H
#define PMT_SNAPSHOT_H

#include <json-c/json.h>
#include <limits.h>
#include <stdint.h>

/* The cache's bound; ~120 MB a snapshot for a 512 MiB guest. */
#define PMT_SNAPSHOT_CACHE_MB 4096

struct pmt_snapshot {
	char dir[PATH_MAX];		/* the cache folder */
	char name[24];			/* hex of the key's hash */
	char *key;			/* the key text (malloc'd) */
	char stream[PATH_MAX];		/* DIR/NAME.snap */
	char meta[PATH_MAX];		/* DIR/NAME.json */
	char tmp[PATH_MAX];		/* DIR/NAME.snap.tmp.PID, while one is taken */
};

/*
 * Fill @s for a guest whose command line, with the per-case paths replaced
 * by placeholders, is @key_argv (NULL-terminated); @kernel, @initrd and
 * @qemu are the files it runs.  Creates @dir if needed.  0, or -1 with a
 * one-line reason (a file that cannot be read or hashed, no cache folder).
 */
int pmt_snapshot_init(struct pmt_snapshot *s, const char *dir, char *const key_argv[],
		      const char *qemu, const char *kernel, const char *initrd,
		      char *err, size_t errlen);
void pmt_snapshot_free(struct pmt_snapshot *s);

/*
 * The meta of the snapshot of exactly this key, as a new reference, or NULL
 * when there is none (or it is incomplete).  Its members: "ready" (the
 * agent's ready event, an object), "console" (what the guest printed on its
 * console up to the snapshot), "key", "bytes", "qemu_version", "taken".  A
 * hit marks the snapshot as used (for the cache's LRU).
 */
struct json_object *pmt_snapshot_lookup(const struct pmt_snapshot *s);

/*
 * The stream was written to s->tmp: give it its name and write its meta
 * (the key, @ready, @qemu_version, @console), then bound the cache.  0, or
 * -1 with a reason; s->tmp is gone either way.
 */
int pmt_snapshot_commit(struct pmt_snapshot *s, struct json_object *ready,
			const char *qemu_version, const char *console, char *err, size_t errlen);

/* Remove the snapshot (one that failed to restore) and any s->tmp. */
void pmt_snapshot_drop(const struct pmt_snapshot *s);

/* Remove the least recently used snapshots of @dir until they take at most
 * @max_bytes.  Returns how many were removed. */
int pmt_snapshot_evict(const char *dir, unsigned long long max_bytes);

#endif
