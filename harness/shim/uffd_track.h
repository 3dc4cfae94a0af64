/* SPDX-License-Identifier: MIT */
/*
 * Dirty-page tracking of one shared file mapping with userfaultfd
 * asynchronous write-protect and PAGEMAP_SCAN (Linux >= 6.7).
 *
 * The range is registered with UFFDIO_REGISTER_MODE_WP on a userfaultfd
 * made with UFFD_FEATURE_WP_ASYNC, then write-protected.  With WP_ASYNC the
 * kernel resolves a write fault itself (no handler thread, no message): it
 * drops the page's write-protect bit and lets the store go on.  PAGEMAP_SCAN
 * on /proc/self/pagemap then lists the pages whose bit is gone ("written")
 * and, with PM_SCAN_WP_MATCHING, protects them again in the same walk under
 * the page-table lock, so no store is lost between the read and the reset.
 *
 * Regular file mappings (ext4, xfs) are allowed because WP_ASYNC with
 * WP-only registration accepts any memory type; file-backed uffd-wp always
 * keeps the protection of unpopulated ptes in pte markers, so pages not
 * faulted in yet are tracked too (WP_UNPOPULATED is the anonymous-memory
 * switch for the same thing, and WP_ASYNC implies it).
 *
 * What it cannot see: writes that reach the file other than through this
 * mapping (write(2) on an fd, another process's mapping).  For virtio-pmem
 * QEMU only maps the backing file, so there are none; the shim's first
 * flush after arming compares the whole file once to cover whatever was in
 * the file before the tracking started.
 *
 * Debian 12's <linux/userfaultfd.h> and <linux/fs.h> predate these
 * interfaces: the constants and structures below are copied from the
 * kernel UAPI (include/uapi/linux/userfaultfd.h, include/uapi/linux/fs.h,
 * Linux 6.7+), each under its own guard so newer headers win.
 */
#ifndef PMT_UFFD_TRACK_H
#define PMT_UFFD_TRACK_H

#include <stddef.h>
#include <stdint.h>
#include <linux/fs.h>
#include <linux/userfaultfd.h>
#include <linux/types.h>
#include <sys/ioctl.h>

#ifndef UFFD_FEATURE_WP_HUGETLBFS_SHMEM
#define UFFD_FEATURE_WP_HUGETLBFS_SHMEM		(1 << 12)
#endif
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED		(1 << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC			(1 << 15)
#endif

#ifndef PAGEMAP_SCAN
#define PAGEMAP_SCAN	_IOWR('f', 16, struct pm_scan_arg)

/* Bitmasks provided in pm_scan_args masks and reported in page_region.categories. */
#define PAGE_IS_WPALLOWED	(1 << 0)
#define PAGE_IS_WRITTEN		(1 << 1)
#define PAGE_IS_FILE		(1 << 2)
#define PAGE_IS_PRESENT		(1 << 3)
#define PAGE_IS_SWAPPED		(1 << 4)
#define PAGE_IS_PFNZERO		(1 << 5)
#define PAGE_IS_HUGE		(1 << 6)
#define PAGE_IS_SOFT_DIRTY	(1 << 7)

struct page_region {
	__u64 start;
	__u64 end;		/* exclusive */
	__u64 categories;
};

/* Flags for PAGEMAP_SCAN ioctl */
#define PM_SCAN_WP_MATCHING	(1 << 0)	/* Write protect the pages matched. */
#define PM_SCAN_CHECK_WPASYNC	(1 << 1)	/* Abort the scan when a non-WP-enabled page is found. */

struct pm_scan_arg {
	__u64 size;
	__u64 flags;
	__u64 start;
	__u64 end;
	__u64 walk_end;		/* written by the kernel: where the scan stopped */
	__u64 vec;
	__u64 vec_len;
	__u64 max_pages;
	__u64 category_inverted;
	__u64 category_mask;
	__u64 category_anyof_mask;
	__u64 return_mask;
};
#endif /* PAGEMAP_SCAN */

/* One tracked range.  Zero-initialise, then pmt_uffd_arm(). */
struct pmt_uffd {
	int uffd;			/* -1 (or 0 before arming): not armed */
	int pagemap_fd;
	int armed;
	uint64_t start;			/* page-aligned address of the range */
	uint64_t npages;
	uint64_t *bits;			/* one bit per page: collected this round */
	struct page_region *vec;	/* PAGEMAP_SCAN output buffer */
	size_t vec_len;
};

/*
 * Track writes to [addr, addr + len) (page-aligned, a MAP_SHARED mapping of
 * the caller's).  Returns 0, or -1 with errno and *step naming the step
 * that failed (for a one-line message); nothing stays set up on failure.
 */
int pmt_uffd_arm(struct pmt_uffd *t, void *addr, size_t len, const char **step);

/*
 * The pages written since the last call (or since arming), protected again
 * as they are read.  Also pages whose protection the kernel dropped without
 * a write being seen (a written page reclaimed after writeback leaves an
 * empty pte, which PAGEMAP_SCAN does not call written): they are
 * re-protected and reported too, a harmless superset.
 * Calls @cb(page index within the range, @arg) in ascending order, once
 * per page (@cb may be NULL: only reset and count); a negative return
 * from @cb stops the walk with that value.  Returns the number of pages,
 * the callback's value, or -1 with errno (then *step names the failed
 * step).  After any failure the pages are protected again but not all
 * were handed out: the caller must fall back to a full compare.
 */
int64_t pmt_uffd_collect(struct pmt_uffd *t, int (*cb)(uint64_t page, void *arg),
			 void *arg, const char **step);

/* Stop tracking: unregister and free everything.  Safe when not armed. */
void pmt_uffd_disarm(struct pmt_uffd *t);

#endif /* PMT_UFFD_TRACK_H */
