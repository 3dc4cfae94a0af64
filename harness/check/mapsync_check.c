// SPDX-License-Identifier: MIT
/*
 * The mapsync scenario's judge (harness/scenarios/mapsync.c says what it
 * probes): MAP_SYNC must be refused with EOPNOTSUPP on virtio-pmem, whose
 * guest stores are durable only after a flush the host turns into
 * fsync(), and accepted on an fsdax NVDIMM.  A refusal counts only where
 * DAX is active on the file and a plain MAP_SHARED mapping works.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mapsync_check.h"

#define PERSISTENCE_WARNING "unable to guarantee persistence of writes"

static bool get_bool(struct json_object *o, const char *key, bool *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_boolean))
		return false;
	*out = json_object_get_boolean(v);
	return true;
}

/* Reads {"ok":bool,"errno":N,"error":".."}; false if malformed. */
static bool get_map_result(struct json_object *res, const char *key, bool *ok, int *err,
			   const char **text)
{
	struct json_object *m, *v;

	if (!json_object_object_get_ex(res, key, &m) || !get_bool(m, "ok", ok))
		return false;
	*err = json_object_object_get_ex(m, "errno", &v) ? json_object_get_int(v) : 0;
	*text = json_object_object_get_ex(m, "error", &v) ? json_object_get_string(v) : "";
	return true;
}

enum pmt_verdict pmt_mapsync_judge(enum pmt_device_kind device, struct json_object *result,
				   char *reason, size_t len)
{
	bool sync_ok, shared_ok, file_dax;
	int sync_errno, shared_errno;
	const char *sync_text, *shared_text;

	if (!get_map_result(result, "map_sync", &sync_ok, &sync_errno, &sync_text) ||
	    !get_map_result(result, "map_shared", &shared_ok, &shared_errno, &shared_text) ||
	    !get_bool(result, "file_dax", &file_dax)) {
		snprintf(reason, len, "malformed mapsync result from the guest");
		return PMT_BROK;
	}
	/* Without a working plain mapping, a MAP_SYNC refusal means nothing. */
	if (!shared_ok) {
		snprintf(reason, len, "control mmap(MAP_SHARED) failed: %s (errno %d)",
			 shared_text, shared_errno);
		return PMT_BROK;
	}
	/* Non-DAX files refuse MAP_SYNC too: a refusal is only evidence under DAX. */
	if (!file_dax) {
		snprintf(reason, len, "DAX is not active on the test file, so MAP_SYNC proves nothing");
		return PMT_BROK;
	}
	if (device == PMT_DEV_VIRTIO_PMEM) {
		if (sync_ok) {
			snprintf(reason, len, "expected MAP_SYNC to fail with EOPNOTSUPP on virtio-pmem, "
				 "observed: mapping accepted");
			return PMT_FAIL;
		}
		if (sync_errno != EOPNOTSUPP) {
			snprintf(reason, len, "expected MAP_SYNC to fail with EOPNOTSUPP (%d), "
				 "observed: %s (errno %d)", EOPNOTSUPP, sync_text, sync_errno);
			return PMT_FAIL;
		}
		snprintf(reason, len, "MAP_SYNC refused with EOPNOTSUPP");
		return PMT_PASS;
	}
	if (!sync_ok) {
		snprintf(reason, len, "expected MAP_SYNC to succeed on fsdax NVDIMM, "
			 "observed: %s (errno %d)", sync_text, sync_errno);
		return PMT_FAIL;
	}
	snprintf(reason, len, "MAP_SYNC accepted");
	return PMT_PASS;
}

/* Record the guest's persistence warning (pmem.c) next to the region's attributes. */
static void record_dmesg(struct pmt_case *c)
{
	struct json_object *args = json_object_new_object(), *res = NULL, *v;
	char err[256];

	json_object_object_add(args, "since", json_object_new_string("case-start"));
	if (pmt_case_agent(c, "dmesg", args, &res, err, sizeof(err)) == 0 &&
	    json_object_object_get_ex(res, "text", &v))
		json_object_object_add(c->details, "persistence_warning",
				       json_object_new_boolean(strstr(json_object_get_string(v),
								     PERSISTENCE_WARNING) != NULL));
	json_object_put(res);
	json_object_put(args);
}

enum pmt_verdict pmt_mapsync_check(struct pmt_case *c, struct json_object *result,
				      char *reason, size_t len)
{
	enum pmt_verdict v = pmt_mapsync_judge(c->device, result, reason, len);

	record_dmesg(c);
	return v;
}
