// SPDX-License-Identifier: MIT
/*
 * hosthwpoison: a host page behind the virtio-pmem backing file is
 * poisoned.  The host kernel's memory_failure() would SIGBUS QEMU
 * (BUS_MCEERR_AO/AR), QEMU would turn that into a machine check for the
 * guest (kvm_arch_on_sigbus_vcpu), and the guest's memory_failure() would
 * signal the process mapping the page.
 *
 * That needs CONFIG_MEMORY_FAILURE on the host.  The probe below decides
 * before anything boots, without side effects: madvise(MADV_HWPOISON) is
 * no probe, since where the option exists it really poisons a page as root
 * (ERRORS-FACTS.md B.4).  Missing (as on the machines this was built on):
 * SKIP with the reason.
 *
 * Not built yet: the injection itself (madvise(MADV_HWPOISON) on QEMU's
 * mapping of the backing file, from inside QEMU through the shim, when a
 * file DIR/poison appears).  It cannot be exercised on a host without
 * MEMORY_FAILURE, so a host that has it gets SKIP "not built yet" too,
 * never a PASS for an injection that did not happen.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "case.h"
#include "declare.h"
#include "injector.h"
#include "util.h"

/*
 * Does the host kernel under @root ("/" normally; a fake tree in the unit
 * test) have CONFIG_MEMORY_FAILURE?  1 yes, 0 no, -1 cannot tell; @why
 * gets one line saying what decided.  Reads files only.
 * (Declared here and in tests/unit/test_hosthwpoison.c: no header needed
 * for one function and its test.)
 */
int pmt_host_memory_failure(const char *root, char *why, size_t len);

/*
 * CONFIG_MEMORY_FAILURE in @root/proc/config.gz: 1 "=y", 0 "is not set"
 * or absent from a readable config, -1 unreadable.  gzip -dc does the
 * decompression (the harness does not link zlib).
 */
static int config_gz_says(const char *root)
{
	char path[PATH_MAX], line[256];
	int fds[2], found = 0, status;
	bool any = false;
	FILE *f;
	pid_t pid;

	if (pmt_fmt(path, sizeof(path), "%s/proc/config.gz", root) || access(path, R_OK) ||
	    pipe(fds))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(fds[1], 1);
		if (null >= 0)
			dup2(null, 2);
		close(fds[0]);
		execlp("gzip", "gzip", "-dc", path, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	if (!f) {
		close(fds[0]);
		waitpid(pid, &status, 0);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		any = true;
		if (!strncmp(line, "CONFIG_MEMORY_FAILURE=y", 23))
			found = 1;
	}
	fclose(f);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) || !any)
		return -1;
	return found;
}

int pmt_host_memory_failure(const char *root, char *why, size_t len)
{
	char vm[PATH_MAX], knob[PATH_MAX];
	struct stat st;
	int cfg;

	if (!strcmp(root, "/"))
		root = "";	/* "/proc/...", not "//proc/..." in the reason */
	if (pmt_fmt(vm, sizeof(vm), "%s/proc/sys/vm", root) ||
	    pmt_fmt(knob, sizeof(knob), "%s/memory_failure_recovery", vm)) {
		snprintf(why, len, "path too long under %s", root);
		return -1;
	}
	if (stat(vm, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(why, len, "cannot tell whether the host has CONFIG_MEMORY_FAILURE: "
			 "%s is not readable", vm);
		return -1;
	}
	cfg = config_gz_says(root);
	/* The sysctl exists exactly when mm/memory-failure.c is built in. */
	if (stat(knob, &st) == 0) {
		snprintf(why, len, "host has CONFIG_MEMORY_FAILURE (%s exists%s)", knob,
			 cfg == 0 ? "; /proc/config.gz disagrees" : "");
		return 1;
	}
	if (cfg == 1) {
		snprintf(why, len, "cannot tell whether the host has CONFIG_MEMORY_FAILURE: "
			 "%s is missing but /proc/config.gz has it", knob);
		return -1;
	}
	snprintf(why, len, "host kernel lacks CONFIG_MEMORY_FAILURE (no %s%s)", knob,
		 cfg == 0 ? "; /proc/config.gz agrees" : "");
	return 0;
}

/* Decided before booting: a SKIP, with what decided it. */
static int hosthwpoison_probe(const struct pmt_case *c, char *why, size_t len)
{
	char found[PATH_MAX + 160];
	int r = pmt_host_memory_failure("/", found, sizeof(found));

	(void)c;
	if (r <= 0)
		snprintf(why, len, "%s", found);
	else
		snprintf(why, len, "%s, but the host-side injection (MADV_HWPOISON through the QEMU "
			 "shim) is not built yet", found);
	return 1;
}

PMT_INJECTOR(hosthwpoison,
	"host page behind the backing file poisoned: QEMU SIGBUS, guest MCE "
	"(needs host MEMORY_FAILURE; not built yet)",
	.devices = PMT_ON_VIRTIO_PMEM,
	/* No fire: were probe ever to let a case through, it is BROK "fault did
	 * not fire", never a PASS for an injection that did not happen. */
	.probe = hosthwpoison_probe);

/* ---- the scenario that runs it ---- */

/*
 * hosthwpoison: a host page behind the virtio-pmem backing file is
 * poisoned (injectors/hosthwpoison.c), judged against errors.tsv.  The
 * injector's probe decides before the boot; today it is always a SKIP.
 */

PMT_INJECTOR_SCENARIO(hosthwpoison,
	"host page behind the backing file poisoned: QEMU SIGBUS, guest MCE (needs host MEMORY_FAILURE)",
	.devices = PMT_ON_VIRTIO_PMEM, .filesystems = PMT_NAMES("ext4"),
	.dax = PMT_DAX_ON,
	.checker = PMT_CHECK_EXPECTATIONS);
