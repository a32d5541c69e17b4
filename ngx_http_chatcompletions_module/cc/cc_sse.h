
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_SSE_H_INCLUDED_
#define _CC_SSE_H_INCLUDED_


/*
 * The streaming path of the response side: Bedrock ConverseStream events
 * become OpenAI chat.completion.chunk SSE events.  The response's state
 * is a cc_stream_t (cc_round.h); Bedrock's errors are mapped by cc_errors.h.
 *
 * Per decoded eventstream message:
 *
 *     rc = cc_stream_event(a, s, &m.message_type,
 *                          m.message_type is "event" ? &m.event_type
 *                          : "exception" ? &m.exception_type
 *                          : &m.error_code,
 *                          "error" ? m.error_message.data : m.payload,
 *                          "error" ? m.error_message.len : m.payload_len,
 *                          &out, &fault);
 *
 *     send out (may be empty); then
 *     CC_OK     more events follow;
 *     CC_DONE   the round ended (metadata): cc_stream_round_tool_uses()
 *               tells whether server tools must run; if so run them,
 *               cc_stream_next_round() and call Bedrock again; otherwise
 *               cc_stream_finish();
 *     CC_ERROR  log fault, send cc_stream_error(fault) and close.
 *
 * Every string handed out points into the arena (or into the caller's own
 * strings): nothing refers to the payload bytes after a call returns.
 * Every emitted SSE event is "data: " + compact JSON + "\n\n".
 */


#include "cc_json.h"
#include "cc_errors.h"
#include "cc_round.h"


/*
 * One decoded eventstream message.  message_type is ":message-type";
 * type is ":event-type", ":exception-type" or ":error-code" according to
 * it; payload is the payload, or ":error-message" for "error" messages.
 * The SSE bytes to send are appended to *out: set out->len to 0 before
 * the first call (out->len 0 afterwards: nothing to send); with a scratch
 * arena (s->scratch) they are in it, to be copied before it is emptied.
 * The arena a must be the same on every call for one stream, and
 * cc_stream_t must not be moved once used (its generator prints into
 * s->out).
 *
 * CC_OK: continue.  CC_DONE: metadata ended the round (the final chunks
 * are not emitted: the glue decides whether another round follows).
 * CC_ERROR: an exception or error message, an unknown message type, an
 * unparseable payload or no memory; *fault is filled.
 */
int cc_stream_event(cc_alloc_t *a, cc_stream_t *s,
    const cc_str_t *message_type, const cc_str_t *type,
    const u_char *payload, size_t len, cc_str_t *out,
    cc_stream_fault_t *fault);

/*
 * The end of a stream, stored in *out (not appended): the role chunk if
 * none was sent, "{}" arguments for a client tool call whose block never
 * stopped, the finish chunk, the usage chunk if include_usage, and
 * "data: [DONE]".  s->finish_reason tells what was sent.
 */
int cc_stream_finish(cc_alloc_t *a, cc_stream_t *s, cc_str_t *out);

/*
 * A mid-stream error event then "data: [DONE]", stored in *out (not
 * appended).  code NULL: null.  s may be NULL.
 */
int cc_stream_error(cc_alloc_t *a, cc_stream_t *s, const char *type,
    const char *code, const cc_str_t *message, cc_str_t *out);


#endif /* _CC_SSE_H_INCLUDED_ */
