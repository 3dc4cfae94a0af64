/* SPDX-License-Identifier: MIT */
/*
 * How a guest's CPU runs: KVM or QEMU's TCG.  The vm layer boots a guest
 * with one of them (struct pmt_vm_config); --accel (select/options.h) adds
 * AUTO, which the case runner turns into one of the two at the first boot.
 */
#ifndef PMT_ACCEL_H
#define PMT_ACCEL_H

enum pmt_accel {
	PMT_ACCEL_AUTO,		/* KVM if it reaches the agent in time, else TCG */
	PMT_ACCEL_KVM,
	PMT_ACCEL_TCG,
};

#endif
