// SPDX-License-Identifier: MIT
/*
 * The libvirt backend: the same guest as vm_qemu.c, defined as a transient
 * domain through libvirt's C API, so that pmtorture runs where libvirt owns
 * the machines (a CI host, qemu+ssh:// remote hosts).
 *
 * - The domain is started with VIR_DOMAIN_START_AUTODESTROY: libvirt
 *   destroys it when our connection closes, so no guest outlives the
 *   harness even when the harness is SIGKILLed (the kernel closes the
 *   socket, the daemon notices).
 * - The agent channel is a virtio-serial <channel type='unix'> in mode
 *   'connect': the harness listens on rundir/agent.sock and QEMU connects,
 *   as with the QEMU backend.  The socket path is on the daemon's host.
 * - libvirt owns QMP; the harness reaches it only through
 *   virDomainQemuMonitorCommand, so vm->qmp_up stays false here.
 * - virtio-pmem: libvirt 9.0 (Debian 12) starts QEMU with
 *   <memory model='virtio-pmem'> and then fails the start with "virtio-pmem
 *   memory device info is not handled yet"; 9.1.0 stopped treating unknown
 *   memory device models as an error (commit d427102f, "qemu: Don't error
 *   out on 'unknown' memory model in qemuMonitorJSONGetMemoryDeviceInfo()").
 *   Before 9.1.0 the device goes through <qemu:commandline> instead.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>

#include "log.h"
#include "proc.h"
#include "text.h"
#include "util.h"
#include "vm.h"

/* First libvirt that starts a domain with <memory model='virtio-pmem'>. */
#define LV_NATIVE_VIRTIO_PMEM	9001000UL
#define LV_POLL_MS		50	/* domain state poll while waiting */
#define LV_LABEL_KIB		128	/* NVDIMM label area, needed for fsdax */

struct lv_state {
	virConnectPtr conn;
	virDomainPtr dom;
	char name[128];
	bool local;			/* daemon on this host: its log files are ours to read */
};

static void lv_silent(void *opaque, virErrorPtr e)
{
	/* libvirt prints every error to stderr by default; we report our own. */
	(void)opaque;
	(void)e;
}

static const char *lv_error(void)
{
	const char *m = virGetLastErrorMessage();

	return m && *m ? m : "unknown libvirt error";
}

/* <tag>text</tag>, the text escaped; numbers go through fprintf directly. */
static void xml_tag_text(FILE *f, const char *indent, const char *tag, const char *text)
{
	fprintf(f, "%s<%s>", indent, tag);
	pmt_xml_escape(f, text);
	fprintf(f, "</%s>\n", tag);
}

/* <qemu:arg value='...'/> built from printf arguments. */
static void qemu_arg(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void qemu_arg(FILE *f, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	fputs("    <qemu:arg value='", f);
	pmt_xml_escape(f, s ? s : "");
	fputs("'/>\n", f);
	free(s);
}

/* An absolute path for the daemon, whose working directory is not ours. */
static const char *abs_path(const char *path, char *buf)
{
	return realpath(path, buf) ? buf : path;
}

/*
 * Long because it writes the domain XML in document order, an element or two a line with
 * the reason beside it; the <qemu:commandline> part is the one piece that could be its
 * own function.
 */
static char *build_xml(const struct pmt_vm_config *cfg, const char *name, const char *agent_path,
		       bool native_pmem)
{
	char kernel[PATH_MAX], initrd[PATH_MAX], logdir[PATH_MAX], console[PATH_MAX + 16];
	char disk[PATH_MAX], esc[PATH_MAX * 2];
	bool nvdimm = false, cmdline = false;
	char *xml = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&xml, &len);

	if (!f)
		return NULL;
	snprintf(console, sizeof(console), "%s/console.log", abs_path(cfg->logdir, logdir));

	fprintf(f, "<domain type='%s' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n",
		cfg->accel == PMT_ACCEL_KVM ? "kvm" : "qemu");
	xml_tag_text(f, "  ", "name", name);
	/* Device memory (virtio-pmem, nvdimm) needs slots and maxmem, and
	 * libvirt wants a NUMA cell for them. */
	fprintf(f, "  <maxMemory slots='%d' unit='MiB'>%d</maxMemory>\n", PMT_VM_MAX_DISKS,
		cfg->mem_mb + 8192);
	fprintf(f, "  <memory unit='MiB'>%d</memory>\n", cfg->mem_mb);
	fprintf(f, "  <vcpu>%d</vcpu>\n", cfg->smp);
	fprintf(f, "  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n");
	xml_tag_text(f, "    ", "kernel", abs_path(cfg->kernel, kernel));
	xml_tag_text(f, "    ", "initrd", abs_path(cfg->initrd, initrd));
	xml_tag_text(f, "    ", "cmdline", cfg->append);
	fprintf(f, "  </os>\n");
	/* Without <acpi/> libvirt passes -no-acpi, and the NVDIMM's NFIT is ACPI. */
	fprintf(f, "  <features><acpi/></features>\n");
	fprintf(f, "  <cpu mode='maximum' migratable='off'>\n"
		   "    <numa><cell id='0' cpus='0-%d' memory='%d' unit='MiB'/></numa>\n"
		   "  </cpu>\n", cfg->smp - 1, cfg->mem_mb);
	/* Like -no-reboot: a guest that reboots or panics (panic=-1) ends. */
	fprintf(f, "  <on_poweroff>destroy</on_poweroff>\n"
		   "  <on_reboot>destroy</on_reboot>\n"
		   "  <on_crash>destroy</on_crash>\n");
	fprintf(f, "  <devices>\n");
	if (cfg->qemu[0] == '/')
		xml_tag_text(f, "    ", "emulator", cfg->qemu);
	fprintf(f, "    <controller type='usb' model='none'/>\n");
	/* The balloon would take a PCI slot that the command-line pmem device may want. */
	fprintf(f, "    <memballoon model='none'/>\n");
	fprintf(f, "    <serial type='file'><source path='");
	pmt_xml_escape(f, console);
	fprintf(f, "'/><target port='0'/></serial>\n");
	fprintf(f, "    <channel type='unix'><source mode='connect' path='");
	pmt_xml_escape(f, agent_path);
	fprintf(f, "'/><target type='virtio' name='%s'/></channel>\n", PMT_AGENT_PORT_NAME);
	for (int i = 0; i < cfg->ndisks; i++) {
		const struct pmt_vm_disk *d = &cfg->disks[i];

		if (d->kind == PMT_DEV_VIRTIO_PMEM && !native_pmem) {
			cmdline = true;
			continue;
		}
		fprintf(f, "    <memory model='%s' access='shared'>\n      <source>",
			d->kind == PMT_DEV_NVDIMM ? "nvdimm" : "virtio-pmem");
		xml_tag_text(f, "", "path", abs_path(d->path, disk));
		fprintf(f, "</source>\n      <target><size unit='KiB'>%llu</size>",
			(unsigned long long)(d->size >> 10));
		if (d->kind == PMT_DEV_NVDIMM) {
			nvdimm = true;
			/* The label area lets the guest make an fsdax namespace. */
			fprintf(f, "<node>0</node><label><size unit='KiB'>%d</size></label>",
				LV_LABEL_KIB);
		}
		fprintf(f, "</target>\n    </memory>\n");
	}
	fprintf(f, "  </devices>\n");
	if (cmdline || nvdimm || cfg->env[0]) {
		fprintf(f, "  <qemu:commandline>\n");
		for (int i = 0; i < cfg->ndisks; i++) {
			const struct pmt_vm_disk *d = &cfg->disks[i];

			if (d->kind != PMT_DEV_VIRTIO_PMEM || native_pmem)
				continue;
			qemu_arg(f, "-object");
			qemu_arg(f, "memory-backend-file,id=pmtmem%d,share=on,mem-path=%s,size=%llu", i,
				 pmt_vm_qemu_escape(abs_path(d->path, disk), esc, sizeof(esc)),
				 (unsigned long long)d->size);
			qemu_arg(f, "-device");
			/* An explicit slot on pcie.0 that libvirt's own allocation does not use. */
			qemu_arg(f, "virtio-pmem-pci,memdev=pmtmem%d,id=pmem%d,bus=pcie.0,addr=%#x", i,
				 i, 0x10 + i);
		}
		/* libvirt has no element for it; QEMU merges repeated -machine options.
		 * mem-ctrl makes the region report a persistence_domain, as in vm_qemu.c. */
		if (nvdimm) {
			qemu_arg(f, "-machine");
			qemu_arg(f, "nvdimm-persistence=mem-ctrl");
		}
		/* QEMU's environment (the power-cut shim's LD_PRELOAD and settings). */
		for (int i = 0; i < (int)ARRAY_SIZE(cfg->env) && cfg->env[i]; i++) {
			const char *eq = strchr(cfg->env[i], '=');

			if (!eq)
				continue;
			fprintf(f, "    <qemu:env name='%.*s' value='", (int)(eq - cfg->env[i]),
				cfg->env[i]);
			pmt_xml_escape(f, eq + 1);
			fprintf(f, "'/>\n");
		}
		fprintf(f, "  </qemu:commandline>\n");
	}
	fprintf(f, "</domain>\n");
	if (fclose(f)) {
		free(xml);
		return NULL;
	}
	return xml;
}

static void write_text(const struct pmt_vm_config *cfg, const char *name, const char *text)
{
	char path[PATH_MAX + 32];

	if (!text)
		return;
	snprintf(path, sizeof(path), "%s/%s", cfg->logdir, name);
	pmt_write_file_atomic(path, text, strlen(text));
}

/*
 * libvirt keeps QEMU's stderr and its own start/stop lines in
 * /var/log/libvirt/qemu/NAME.log on the daemon's host.  With a local daemon,
 * copy it to the case's qemu.log, where pmt_vm_describe_exit() looks.
 */
static void copy_domain_log(struct pmt_vm *vm)
{
	struct lv_state *s = vm->priv;
	char src[PATH_MAX];
	char *text;
	size_t n;

	if (!s || !s->local || !s->name[0])
		return;
	snprintf(src, sizeof(src), "/var/log/libvirt/qemu/%s.log", s->name);
	text = pmt_read_file(src, 1 << 20, &n);
	if (text)
		write_text(&vm->cfg, "qemu.log", text);
	free(text);
}

/* Is the domain still running?  A transient domain that ended is gone: 0. */
static bool lv_active(struct lv_state *s)
{
	return s && s->dom && virDomainIsActive(s->dom) == 1;
}

static void lv_mark_exited(struct pmt_vm *vm)
{
	if (vm->exited)
		return;
	vm->exited = true;
	vm->wstatus = 0;
	copy_domain_log(vm);
}

/*
 * One QMP command through libvirt, logged to qmp.log in the transcript
 * format of chan.c.  libvirt marks the domain "tainted" for it, which is
 * what we want a reader of its logs to know.
 */
static int lv_qmp(struct pmt_vm *vm, const char *cmd, char **reply, char *err, size_t errlen)
{
	struct lv_state *s = vm->priv;
	char line[256], *out = NULL;

	snprintf(line, sizeof(line), "{\"execute\":\"%s\"}", cmd);
	if (vm->qmp_log)
		fprintf(vm->qmp_log, "%.3f -> %s\n", pmt_now_ms() / 1000.0, line);
	if (virDomainQemuMonitorCommand(s->dom, line, &out, 0) < 0) {
		snprintf(err, errlen, "QMP %s through libvirt: %s", cmd, lv_error());
		if (vm->qmp_log)
			fprintf(vm->qmp_log, "%.3f !! %s\n", pmt_now_ms() / 1000.0, err);
		return -1;
	}
	if (vm->qmp_log) {
		fprintf(vm->qmp_log, "%.3f <- %s\n", pmt_now_ms() / 1000.0, out);
		fflush(vm->qmp_log);
	}
	if (reply)
		*reply = out;
	else
		free(out);
	return 0;
}

/* Accept QEMU's connection, unless the domain ends or the deadline passes. */
static int accept_or_exit(struct pmt_vm *vm, int lfd, int64_t deadline_ms)
{
	for (;;) {
		struct pollfd pfd = { .fd = lfd, .events = POLLIN };
		int64_t left = deadline_ms - pmt_now_ms();
		int r;

		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = poll(&pfd, 1, left > 200 ? 200 : (int)left);
		if (r < 0 && errno != EINTR)
			return -1;
		if (r > 0 && (pfd.revents & POLLIN))
			return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (!lv_active(vm->priv)) {
			lv_mark_exited(vm);
			errno = ECHILD;
			return -1;
		}
	}
}

static int lv_fail(struct pmt_vm *vm, char *err, size_t errlen, const char *what)
{
	char line[512], path[PATH_MAX + 16];

	if (!vm->exited && !lv_active(vm->priv))
		lv_mark_exited(vm);
	line[0] = '\0';
	/* The last line of the domain's log: QEMU's or libvirt's reason. */
	if (vm->exited) {
		snprintf(path, sizeof(path), "%s/qemu.log", vm->cfg.logdir);
		pmt_last_line(path, NULL, "", line, sizeof(line));
	}
	snprintf(err, errlen, "%s%s%s", what, line[0] ? ": " : "", line);
	return -1;
}

/*
 * One function because the steps run in this order and share the connection, the agent's
 * listen socket and the XML, with one cleanup at out:; split, each piece would pass most
 * of them around.
 */
static int lv_start(struct pmt_vm *vm, int64_t deadline_ms, char *err, size_t errlen)
{
	static unsigned seq;
	struct pmt_vm_config *cfg = &vm->cfg;
	const char *uri = cfg->connect ? cfg->connect : "qemu:///system";
	char agent_path[PATH_MAX + 16], host[64] = "localhost", why[512];
	unsigned long libver = 0;
	struct lv_state *s;
	char *xml = NULL, *live = NULL, *reply = NULL;
	int agent_l = -1, fd, rc = -1;
	bool native;

	/* A vm may be started again after a failed start (the KVM probe). */
	vm->pid = -1;
	vm->pidfd = -1;
	vm->exited = false;
	vm->wstatus = 0;
	vm->qmp_up = vm->agent_up = false;
	vm->t_spawn_ms = vm->t_ready_ms = 0;
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	vm->priv = s;
	virSetErrorFunc(NULL, lv_silent);

	s->conn = virConnectOpen(uri);
	if (!s->conn) {
		snprintf(err, errlen, "cannot connect to libvirt at %s: %s", uri, lv_error());
		return -1;
	}
	/* No host part (qemu:///system): the daemon shares our file system. */
	s->local = strstr(uri, ":///") != NULL;
	if (virConnectGetLibVersion(s->conn, &libver) < 0) {
		snprintf(err, errlen, "libvirt at %s: no version: %s", uri, lv_error());
		return -1;
	}
	native = libver >= LV_NATIVE_VIRTIO_PMEM;
	gethostname(host, sizeof(host) - 1);
	/* Unique across the harnesses that may share one remote daemon. */
	snprintf(s->name, sizeof(s->name), "pmtorture-%s-%d-%u", host, (int)getpid(), seq++);
	pmt_debug("libvirt %lu.%lu.%lu at %s; virtio-pmem %s", libver / 1000000,
		  libver / 1000 % 1000, libver % 1000, uri,
		  native ? "as <memory model='virtio-pmem'>" : "through <qemu:commandline>");

	snprintf(agent_path, sizeof(agent_path), "%s/agent.sock", cfg->rundir);
	agent_l = pmt_vm_listen_unix(agent_path);
	if (agent_l < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", agent_path, strerror(errno));
		goto out;
	}
	xml = build_xml(cfg, s->name, agent_path, native);
	if (!xml) {
		snprintf(err, errlen, "cannot build the domain XML: %s", strerror(errno));
		goto out;
	}
	write_text(cfg, "domain-request.xml", xml);
	vm->qmp_log = pmt_vm_open_log(cfg, "qmp.log");
	vm->agent_log = pmt_vm_open_log(cfg, "agent.log");

	vm->t_spawn_ms = pmt_now_ms();
	/* Returns once QEMU runs; it has connected to agent.sock by then. */
	s->dom = virDomainCreateXML(s->conn, xml, VIR_DOMAIN_START_AUTODESTROY);
	if (!s->dom) {
		snprintf(err, errlen, "libvirt did not start the domain: %s", lv_error());
		copy_domain_log(vm);
		goto out;
	}
	live = virDomainGetXMLDesc(s->dom, 0);
	write_text(cfg, "domain.xml", live);
	if (lv_qmp(vm, "query-version", &reply, why, sizeof(why)) == 0)
		pmt_debug("%s: QEMU %s", s->name, reply);

	fd = accept_or_exit(vm, agent_l, deadline_ms);
	if (fd < 0) {
		lv_fail(vm, err, errlen, errno == ETIMEDOUT ?
			"QEMU did not connect the agent channel in time" :
			"the domain ended before QEMU connected the agent channel");
		goto out;
	}
	pmt_agent_init(&vm->agent, fd, -1, vm->agent_log);
	vm->agent_up = true;
	if (pmt_agent_wait_ready(&vm->agent, deadline_ms, why, sizeof(why))) {
		lv_fail(vm, err, errlen, why);
		goto out;
	}
	vm->t_ready_ms = pmt_now_ms();
	rc = 0;
out:
	pmt_vm_unlisten_unix(agent_l, agent_path);
	free(reply);
	free(live);
	free(xml);
	return rc;
}

static void lv_power_cut(struct pmt_vm *vm)
{
	struct lv_state *s = vm->priv;

	if (!s || !s->dom || vm->exited)
		return;
	/* Fails only when the domain has already gone, which is what we want. */
	virDomainDestroy(s->dom);
	lv_mark_exited(vm);
}

static int lv_wait_exit(struct pmt_vm *vm, int64_t deadline_ms)
{
	struct lv_state *s = vm->priv;

	if (vm->exited || !s || !s->dom)
		return 1;
	for (;;) {
		int64_t left;

		if (!lv_active(s)) {
			lv_mark_exited(vm);
			return 1;
		}
		left = deadline_ms - pmt_now_ms();
		if (left <= 0)
			return 0;
		/* No lifecycle events without an event loop thread: poll briefly. */
		usleep((useconds_t)(left > LV_POLL_MS ? LV_POLL_MS : left) * 1000);
	}
}

static void lv_release(struct pmt_vm *vm)
{
	struct lv_state *s = vm->priv;

	lv_power_cut(vm);
	pmt_vm_close_channels(vm);
	if (s) {
		if (s->dom)
			virDomainFree(s->dom);
		if (s->conn)
			virConnectClose(s->conn);
		free(s);
	}
	vm->priv = NULL;
}

const struct pmt_vm_backend pmt_vm_libvirt = {
	.name = "libvirt",
	.start = lv_start,
	.power_cut = lv_power_cut,
	.wait_exit = lv_wait_exit,
	.release = lv_release,
};
