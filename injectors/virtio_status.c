// SPDX-License-Identifier: MIT
/* The virtio-pmem device's state over QMP (virtio_status.h). */
#include <stdio.h>
#include <string.h>

#include "json_util.h"
#include "qmp.h"
#include "util.h"
#include "vm.h"
#include "virtio_status.h"

#define VS_QMP_TIMEOUT_MS	10000

int pmt_virtio_pmem_state(struct pmt_case *c, struct pmt_virtio_state *st, char *err, size_t errlen)
{
	struct json_object *list = NULL, *args, *ret = NULL, *status, *sts;
	int rc;

	memset(st, 0, sizeof(*st));
	if (!c->vm || !c->vm->qmp_up || c->vm->exited) {
		snprintf(err, errlen, "no QMP: the guest is not running");
		return -1;
	}
	if (pmt_qmp_execute(&c->vm->qmp, "x-query-virtio", NULL, &list,
			    pmt_now_ms() + VS_QMP_TIMEOUT_MS, err, errlen))
		return -1;
	for (size_t i = 0; i < pmt_json_len(list); i++) {
		struct json_object *d = json_object_array_get_idx(list, i);

		if (!strcmp(pmt_json_str(d, "name"), "virtio-pmem")) {
			snprintf(st->path, sizeof(st->path), "%s", pmt_json_str(d, "path"));
			break;
		}
	}
	json_object_put(list);
	if (!st->path[0]) {
		snprintf(err, errlen, "x-query-virtio lists no virtio-pmem device");
		return -1;
	}
	args = json_object_new_object();
	json_object_object_add(args, "path", json_object_new_string(st->path));
	rc = pmt_qmp_execute(&c->vm->qmp, "x-query-virtio-status", args, &ret,
			     pmt_now_ms() + VS_QMP_TIMEOUT_MS, err, errlen);
	json_object_put(args);
	if (rc)
		return -1;
	status = json_object_object_get(ret, "status");
	sts = json_object_object_get(status, "statuses");
	for (size_t i = 0; i < pmt_json_len(sts); i++)
		if (strstr(pmt_json_text(json_object_array_get_idx(sts, i)), "NEEDS_RESET"))
			st->needs_reset = true;
	st->broken = pmt_json_bool(ret, "broken", false);
	st->raw = json_object_new_object();
	json_object_object_add(st->raw, "path", json_object_new_string(st->path));
	json_object_object_add(st->raw, "statuses", sts ? json_object_get(sts) : json_object_new_array());
	json_object_object_add(st->raw, "broken", json_object_new_boolean(st->broken));
	json_object_object_add(st->raw, "needs_reset", json_object_new_boolean(st->needs_reset));
	json_object_put(ret);
	return 0;
}
