/* SPDX-License-Identifier: MIT */
/*
 * The pmtorture agent protocol: the one contract between the host harness
 * and the guest agent.  Both sides compile this header and agent_proto.c.
 *
 * Transport: a virtio-serial port named PMT_AGENT_PORT_NAME.  Each message
 * is one JSON object on one line, terminated by '\n'.  A line longer than
 * PMT_MSG_MAX (newline included) is an error for the receiver: it discards
 * the line up to the next newline and reports the error; it never crashes.
 *
 * host -> guest, a request:
 *     {"id":7,"cmd":"mkfs","args":{"fs":"xfs","dev":"/dev/pmem0"}}
 * guest -> host, the reply to request id 7 (exactly one per request):
 *     {"id":7,"ok":true,"result":{...}}
 *     {"id":7,"ok":false,"error":"one line of text"}
 * guest -> host, an event (no id; may arrive at any time):
 *     {"event":"ready","proto":1,"kernel":"6.1.0-56-amd64","boot_ms":2310}
 *     {"event":"log","text":"..."}
 *     {"event":"error","error":"malformed request: ..."}
 *
 * Commands (args -> result); every "output" is the captured stdout+stderr,
 * cut to PMT_OUTPUT_MAX bytes:
 *   ping      {}                                  -> {}
 *   exec      {"argv":[..],"timeout_ms":N}        -> {"exit":N,"output":".."}
 *             (exit is -1 with "signal":N if the child was killed)
 *   mkfs      {"fs":"ext4|xfs","dev":"..","opts":[..]}  -> {"exit":N,"output":".."}
 *   mount     {"fs":"..","dev":"..","dir":"..","opts":"..",
 *              "drop_caches":0|1,"mark":".."}   -> {"dax":true|false,"prepare_ms":N}
 *             (fails with ok:false and the errno text if mount(2) fails;
 *              "dax" tells whether the mounted fs reports DAX active;
 *              drop_caches 1 and mark do what those commands do, first:
 *              a crash state's mount in one request, prepare_ms their time)
 *   umount    {"dir":".."}                        -> {}
 *   fsck      {"fs":"..","dev":".."}              -> {"exit":N,"output":".."}
 *             (read-only: e2fsck -fn / xfs_repair -n)
 *   devices   {}                                  -> {"pmem":[{"dev":"/dev/pmem0",
 *                "size":N,"region":"region0","provider":"..",
 *                "deep_flush":"..","persistence_domain":"..",
 *                "mode":"raw|fsdax|..","dax":true|false}, ..]}
 *   mark      {"name":".."}                       -> {}   (writes a marker to /dev/kmsg)
 *   dmesg     {"since":".."}                      -> {"text":".."} (after the marker)
 *   run       {"workload":"name","dir":"..","args":{..}} -> workload's own result
 *             (a workload, an injector's guest half or an agent probe:
 *              guest-image/agent/programs.c)
 *   verify    {"dir":"..","promises":[..]}       -> {"checked":N,"broken_count":M,
 *                "broken":[{"promise":{..},"observed":".."}, ..]}
 *             (the promises of workloads/promise.h, checked against the
 *              files; "allow" intents: guest-image/agent/cmd_verify.c)
 *   drop_caches {"dev":".."}                      -> {}  (after the host rewrote
 *             the backing file: sync, BLKFLSBUF, drop page/dentry/inode caches)
 *   poweroff  {}                                  -> {} then the guest powers off
 */
#ifndef PMT_AGENT_PROTO_H
#define PMT_AGENT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#define PMT_PROTO_VERSION	1
#define PMT_AGENT_PORT_NAME	"org.pmtorture.agent"
#define PMT_MSG_MAX		(256 * 1024)	/* one message line, newline included */
#define PMT_OUTPUT_MAX		(64 * 1024)	/* captured command output in a reply */

enum pmt_msg_kind {
	PMT_MSG_INVALID = 0,
	PMT_MSG_REQUEST,	/* host -> guest */
	PMT_MSG_REPLY,		/* guest -> host */
	PMT_MSG_EVENT,		/* guest -> host */
};

/*
 * A decoded message.  The pointers point into @root, which the caller
 * releases with pmt_msg_release().  Fields that do not apply are NULL/0.
 */
struct pmt_msg {
	enum pmt_msg_kind kind;
	long long id;			/* request and reply */
	const char *cmd;		/* request */
	struct json_object *args;	/* request: always an object */
	bool ok;			/* reply */
	struct json_object *result;	/* reply with ok: always an object */
	const char *error;		/* reply without ok */
	const char *event;		/* event name */
	struct json_object *root;	/* the whole message (owned) */
};

/*
 * Decode one line (without its newline).  Returns 0 and fills @msg, or
 * -1 and writes a one-line reason to @err.  Never trusts the peer: wrong
 * types, missing members, non-objects, NULs and trailing garbage are all
 * errors.
 */
int pmt_msg_decode(const char *line, size_t len, struct pmt_msg *msg,
		   char *err, size_t errlen);
void pmt_msg_release(struct pmt_msg *msg);

/*
 * Encoders return a malloc'd line ending in '\n' (caller frees), or NULL
 * if the message would exceed PMT_MSG_MAX.  @args/@result may be NULL
 * (an empty object is sent); their reference is not consumed.
 */
char *pmt_encode_request(long long id, const char *cmd, struct json_object *args);
char *pmt_encode_reply_ok(long long id, struct json_object *result);
char *pmt_encode_reply_err(long long id, const char *error);
char *pmt_encode_event(const char *event, struct json_object *fields);

/*
 * A bounded line reader.  Feed it bytes as they arrive; take complete
 * lines out.  A line longer than PMT_MSG_MAX is reported once as
 * PMT_LINE_TOO_LONG and its remaining bytes are dropped up to the next
 * newline, so one bad message does not poison the stream.
 */
enum pmt_line_status {
	PMT_LINE_NONE = 0,	/* no complete line buffered */
	PMT_LINE_OK,		/* line and len hold one line, without '\n' */
	PMT_LINE_TOO_LONG,	/* an oversized line was dropped */
};

struct pmt_linebuf {
	char *buf;
	size_t len;		/* bytes buffered */
	size_t start;		/* first byte not yet handed out */
	bool discarding;	/* inside an oversized line */
	bool too_long;		/* an oversized line is still to be reported */
	size_t too_long_at;	/* ...after the lines buffered before this offset */
};

void pmt_linebuf_init(struct pmt_linebuf *lb);
void pmt_linebuf_free(struct pmt_linebuf *lb);
/* Append bytes; returns 0, or -1 on allocation failure. */
int pmt_linebuf_feed(struct pmt_linebuf *lb, const char *data, size_t n);
/* Take the next line; valid until the next feed/next call. */
enum pmt_line_status pmt_linebuf_next(struct pmt_linebuf *lb,
				      const char **line, size_t *len);

/*
 * UTF-8, for text that came from the other side.  A guest may send any
 * bytes; what the harness keeps and writes (summary.json, junit.xml) must
 * be valid UTF-8, so strings are sanitized where they enter.
 *
 * pmt_utf8_char_len: the length (1..4) of the valid UTF-8 character at @s
 * (at most @n bytes), or 0 when the bytes there are not one (a stray
 * continuation byte, an overlong form, a surrogate, beyond U+10FFFF, or
 * a sequence cut short).
 */
size_t pmt_utf8_char_len(const char *s, size_t n);
/* The longest prefix of @s[0..len) of at most @max bytes that does not end
 * inside a valid character. */
size_t pmt_utf8_cut(const char *s, size_t len, size_t max);
/*
 * Copy @in[0..inlen) to @out (size @outlen, always NUL-terminated), every
 * invalid byte and every NUL replaced by U+FFFD; when @out is full the copy
 * stops on a character boundary.  Returns the bytes written.
 */
size_t pmt_utf8_sanitize(char *out, size_t outlen, const char *in, size_t inlen);
/* In place, for a NUL-terminated @s in a buffer of @size bytes. */
void pmt_utf8_fix(char *s, size_t size);
/*
 * Make every string and member name in the tree under @o valid UTF-8
 * without NULs.  Returns how many were replaced, or -1 on allocation
 * failure.
 */
int pmt_json_sanitize(struct json_object *o);

#endif /* PMT_AGENT_PROTO_H */
