// SPDX-License-Identifier: MIT
/*
 * Dirty-page tracking with userfaultfd async write-protect and
 * PAGEMAP_SCAN; see uffd_track.h.  libc only: linked into the QEMU shim.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sys_raw.h"
#include "uffd_track.h"

#define TRACK_PAGE	4096u
#define VEC_LEN		512u	/* regions per PAGEMAP_SCAN call */

/*
 * WP_ASYNC: the kernel resolves write faults itself.  WP_HUGETLBFS_SHMEM:
 * file-backed uffd-wp needs pte markers; the kernel offers this bit only
 * when it has them, so asking for it makes a kernel that could not track
 * a file mapping fail here, at one clear step, rather than at register
 * time (it also lets the backing file live on tmpfs).  WP_UNPOPULATED is
 * implied by WP_ASYNC; asked for so the intent is explicit.
 */
#define WANT_FEATURES	(UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_HUGETLBFS_SHMEM | \
			 UFFD_FEATURE_WP_UNPOPULATED)

static void close_keep_errno(int fd)
{
	int e = errno;

	if (fd >= 0)
		pmt_raw_close(fd);
	errno = e;
}

static void mark(struct pmt_uffd *t, uint64_t from, uint64_t to)
{
	uint64_t a = (from - t->start) / TRACK_PAGE;
	uint64_t b = (to - t->start) / TRACK_PAGE;

	if (b > t->npages)
		b = t->npages;
	for (uint64_t p = a; p < b; p++)
		t->bits[p / 64] |= 1ull << (p % 64);
}

/*
 * One PAGEMAP_SCAN pass over the range with @flags and category masks;
 * every reported region is marked.  If @rearm, the regions are also
 * write-protected with UFFDIO_WRITEPROTECT (for empty ptes, which
 * PM_SCAN_WP_MATCHING leaves alone: it re-protects written pages only).
 */
static int scan(struct pmt_uffd *t, uint64_t flags, uint64_t inverted, uint64_t mask,
		int rearm)
{
	uint64_t end = t->start + t->npages * TRACK_PAGE;
	uint64_t cur = t->start;

	while (cur < end) {
		struct pm_scan_arg arg = {
			.size = sizeof(arg),
			.flags = flags,
			.start = cur,
			.end = end,
			.vec = (uint64_t)(uintptr_t)t->vec,
			.vec_len = t->vec_len,
			.category_inverted = inverted,
			.category_mask = mask,
			.return_mask = mask,
		};
		long n = ioctl(t->pagemap_fd, PAGEMAP_SCAN, &arg);

		if (n < 0)
			return -1;
		for (long i = 0; i < n; i++) {
			const struct page_region *r = &t->vec[i];

			if (rearm) {
				struct uffdio_writeprotect wp = {
					.range = { r->start, r->end - r->start },
					.mode = UFFDIO_WRITEPROTECT_MODE_WP,
				};

				if (ioctl(t->uffd, UFFDIO_WRITEPROTECT, &wp) < 0)
					return -1;
			}
			mark(t, r->start, r->end);
		}
		/* walk_end < end: the output buffer filled; go on from there. */
		if (arg.walk_end <= cur) {
			errno = EIO;	/* no progress: never loop forever */
			return -1;
		}
		cur = arg.walk_end;
	}
	return 0;
}

int pmt_uffd_arm(struct pmt_uffd *t, void *addr, size_t len, const char **step)
{
	struct uffdio_api api = { .api = UFFD_API, .features = WANT_FEATURES };
	struct uffdio_register reg;
	struct uffdio_writeprotect wp;
	uint64_t nwords;

	memset(t, 0, sizeof(*t));
	t->uffd = t->pagemap_fd = -1;
	if (((uintptr_t)addr | len) % TRACK_PAGE || !len) {
		*step = "range not page-aligned";
		errno = EINVAL;
		return -1;
	}
	t->start = (uint64_t)(uintptr_t)addr;
	t->npages = len / TRACK_PAGE;

	*step = "userfaultfd";
	t->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	/* vm.unprivileged_userfaultfd=0 without CAP_SYS_PTRACE: user-mode
	 * only is still allowed, and async WP never delivers a fault. */
	if (t->uffd < 0 && errno == EPERM)
		t->uffd = (int)syscall(SYS_userfaultfd,
				       O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (t->uffd < 0)
		goto fail;
	*step = "UFFDIO_API (WP_ASYNC)";
	if (ioctl(t->uffd, UFFDIO_API, &api) < 0)
		goto fail;
	if ((api.features & WANT_FEATURES) != WANT_FEATURES) {
		errno = EOPNOTSUPP;
		goto fail;
	}
	*step = "UFFDIO_REGISTER (MODE_WP)";
	reg = (struct uffdio_register){ .range = { t->start, len },
					.mode = UFFDIO_REGISTER_MODE_WP };
	if (ioctl(t->uffd, UFFDIO_REGISTER, &reg) < 0)
		goto fail;
	if (!(reg.ioctls & (1ull << _UFFDIO_WRITEPROTECT))) {
		errno = EOPNOTSUPP;
		goto fail;
	}
	*step = "UFFDIO_WRITEPROTECT";
	wp = (struct uffdio_writeprotect){ .range = { t->start, len },
					   .mode = UFFDIO_WRITEPROTECT_MODE_WP };
	if (ioctl(t->uffd, UFFDIO_WRITEPROTECT, &wp) < 0)
		goto fail;
	*step = "open /proc/self/pagemap";
	t->pagemap_fd = pmt_raw_open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC, 0);
	if (t->pagemap_fd < 0)
		goto fail;
	*step = "memory";
	nwords = (t->npages + 63) / 64;
	t->bits = calloc((size_t)nwords, sizeof(*t->bits));
	t->vec_len = VEC_LEN;
	t->vec = calloc(t->vec_len, sizeof(*t->vec));
	if (!t->bits || !t->vec) {
		errno = ENOMEM;
		goto fail;
	}
	t->armed = 1;
	/* A first scan proves PAGEMAP_SCAN works here (ENOTTY before 6.7),
	 * and that the whole range is async-WP (EPERM otherwise). */
	if (pmt_uffd_collect(t, NULL, NULL, step) < 0)
		goto fail;
	return 0;
fail:
	{
		int e = errno;

		pmt_uffd_disarm(t);
		errno = e;
	}
	return -1;
}

int64_t pmt_uffd_collect(struct pmt_uffd *t, int (*cb)(uint64_t page, void *arg),
			 void *arg, const char **step)
{
	uint64_t nwords = (t->npages + 63) / 64;
	int64_t count = 0;

	if (!t->armed) {
		*step = "not armed";
		errno = EINVAL;
		return -1;
	}
	memset(t->bits, 0, (size_t)nwords * sizeof(*t->bits));
	/* Written pages, re-protected atomically in the same walk. */
	*step = "PAGEMAP_SCAN (written, WP_MATCHING)";
	if (scan(t, PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC, 0, PAGE_IS_WRITTEN, 0) < 0)
		goto fail;
	/*
	 * Empty ptes: neither present nor a swap entry, so not even a pte
	 * marker holds their protection.  Arming leaves none (every empty
	 * pte gets a marker), but a written page that writeback cleaned and
	 * reclaim then unmapped comes back as one, and PAGEMAP_SCAN does not
	 * call it written.  Protect those again and treat them as written:
	 * the caller compares before journaling, so the extra pages cost a
	 * read each, usually none at all.
	 */
	*step = "PAGEMAP_SCAN (unprotected empty ptes)";
	if (scan(t, PM_SCAN_CHECK_WPASYNC, PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
		 PAGE_IS_PRESENT | PAGE_IS_SWAPPED, 1) < 0)
		goto fail;
	for (uint64_t w = 0; w < nwords; w++) {
		uint64_t word = t->bits[w];

		t->bits[w] = 0;
		while (word) {
			uint64_t page = w * 64 + (uint64_t)__builtin_ctzll(word);
			int r;

			word &= word - 1;
			count++;
			if (!cb)
				continue;
			r = cb(page, arg);
			if (r < 0) {
				/* The protection of these pages is already
				 * reset: the caller must compare in full. */
				memset(t->bits, 0, (size_t)nwords * sizeof(*t->bits));
				return r;
			}
		}
	}
	return count;
fail:
	return -1;
}

void pmt_uffd_disarm(struct pmt_uffd *t)
{
	/* Closing the userfaultfd unregisters the range and clears the
	 * protection: the mapping behaves as if never tracked. */
	close_keep_errno(t->uffd);
	close_keep_errno(t->pagemap_fd);
	free(t->bits);
	free(t->vec);
	memset(t, 0, sizeof(*t));
	t->uffd = t->pagemap_fd = -1;
}
