
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _NGX_HTTP_CHATCOMPLETIONS_SSE_H_INCLUDED_
#define _NGX_HTTP_CHATCOMPLETIONS_SSE_H_INCLUDED_


/*
 * The response side: Bedrock ConverseStream events become OpenAI
 * chat.completion.chunk SSE events, Converse responses become
 * chat.completion objects, Bedrock errors become OpenAI errors.
 *
 * One cc_stream_t describes one client response, which may span several
 * Bedrock rounds when server-side tools run inside nginx: the role chunk,
 * the client tool-call index counter and the usage sums belong to the
 * response; text, tool uses and the stop reason belong to the round.
 *
 * Streaming, per decoded eventstream message:
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
 * Non-streaming, per round: cc_converse_round() then the same
 * cc_stream_round_tool_uses() / cc_stream_next_round(); at the end
 * cc_completion_build().  cc_completion() does a single round in one call.
 *
 * Every string handed out points into the arena (or into the caller's own
 * strings): nothing refers to the payload bytes after a call returns.
 * Every emitted SSE event is "data: " + compact JSON + "\n\n".
 *
 * sse.c streams, converse.c keeps the rounds and builds the non-streaming
 * completion, errors.c (errors.h) maps Bedrock's errors.
 */


#include "ngx_http_chatcompletions_json.h"
#include "ngx_http_chatcompletions_errors.h"


typedef struct {
    int64_t                   input;        /* inputTokens */
    int64_t                   output;       /* outputTokens */
    int64_t                   total;        /* totalTokens */
    int64_t                   cache_read;   /* cacheReadInputTokens */
    int64_t                   cache_write;  /* cacheWriteInputTokens */
} cc_usage_t;


typedef struct {
    cc_str_t                  id;           /* toolUseId */
    cc_str_t                  name;

    /*
     * The arguments as JSON text: the streamed fragments concatenated
     * ("{}" when they were all empty), or the Converse input serialized
     * compactly.  Complete only once the block stopped.
     */
    cc_str_t                  input;

    /* the parsed input: set by the Converse path, else see cc_tool_input */
    cc_json_t                *input_json;

    int64_t                   block;        /* contentBlockIndex */
    int64_t                   index;        /* client tool-call index, or
                                               -1 for a server tool */
    size_t                    cap;          /* of input.data, streaming */

    unsigned                  server:1;     /* executed by nginx, hidden */
    unsigned                  nonempty:1;   /* a fragment had bytes */
    unsigned                  stopped:1;    /* contentBlockStop seen */
} cc_tool_use_t;


/* what the glue needs of a finished round; arrays are in block order */
typedef struct {
    cc_str_t                  text;         /* the round's text */
    cc_str_t                  stop_reason;  /* "" if none was sent */
    cc_usage_t                usage;        /* this round only */

    cc_tool_use_t           **tools;        /* all tool uses */
    size_t                    ntools;
    cc_tool_use_t           **server;       /* those nginx executes */
    size_t                    nserver;
    cc_tool_use_t           **client;       /* those shown to the client */
    size_t                    nclient;

    /* non-streaming only: Converse output.message as Bedrock sent it */
    cc_json_t                *message;
} cc_round_t;


/* an in-stream failure, mapped for the client (cc_stream_error) */
typedef struct {
    const char               *type;         /* OpenAI error type */
    const char               *code;         /* NULL: null */
    cc_str_t                  message;      /* for the client */
    cc_str_t                  name;         /* Bedrock's exception or error
                                               name, or the event type */
    char                      detail[128];  /* for the log only */
} cc_stream_fault_t;


/* an output buffer that a yajl generator prints into, grown in an arena */
typedef struct {
    cc_alloc_t               *alloc;
    u_char                   *data;
    size_t                    len;
    size_t                    cap;
    unsigned                  nomem:1;
} cc_sse_buf_t;


typedef struct {
    /* set by the glue after cc_stream_init(), constant for the response */
    cc_str_t                  id;           /* "chatcmpl-..." */
    int64_t                   created;      /* unix seconds */
    cc_str_t                  model;        /* echoed model name */
    unsigned                  include_usage:1;

    int                     (*is_server_tool)(void *data,
                                              const cc_str_t *name);
    void                     *is_server_tool_data;

    /*
     * Optional: inserted before the first text of a round when earlier
     * rounds showed text and neither side of the seam is whitespace, so
     * that "I'll check." and "You owe $5." do not run together.  Never
     * part of a round's own text (that goes back to Bedrock as is).
     * Empty by default: the model's text passes through untouched.
     */
    cc_str_t                  separator;

    /*
     * Optional: an arena for the per-event temporaries (the payload's
     * DOM); anything kept is copied to the arena passed to the calls.
     * The glue may destroy it between cc_stream_event() calls.  NULL:
     * everything comes from the arena passed to the calls.
     */
    cc_alloc_t               *scratch;

    /* response state */
    cc_alloc_t               *alloc;        /* the first call's arena */
    yajl_gen                  gen;          /* reused for every event */
    cc_sse_buf_t              buf;

    int64_t                   next_index;   /* client tool calls shown */
    cc_usage_t                usage;        /* summed over the rounds */
    cc_str_t                  stop_reason;  /* the last one seen */
    const char               *finish_reason;   /* once finished */

    /* non-streaming: the text and client tool calls of all rounds */
    cc_str_t                  content;
    size_t                    content_cap;
    cc_tool_use_t           **calls;
    size_t                    ncalls;
    size_t                    calls_cap;

    /* round state */
    cc_round_t                round;
    size_t                    text_cap;
    size_t                    tools_cap;
    size_t                    server_cap;
    size_t                    client_cap;

    unsigned                  role_sent:1;
    unsigned                  text_shown:1; /* text shown in the response */
    unsigned                  text_ws:1;    /* ... and it ended in space */
    unsigned                  round_done:1; /* metadata seen */
    unsigned                  finished:1;
} cc_stream_t;


/* zeroes everything; then set id, created, model and the options */
void cc_stream_init(cc_stream_t *s);

/*
 * One decoded eventstream message.  message_type is ":message-type";
 * type is ":event-type", ":exception-type" or ":error-code" according to
 * it; payload is the payload, or ":error-message" for "error" messages.
 * The SSE bytes to send are appended to *out: set out->len to 0 before
 * the first call (out->len 0 afterwards: nothing to send).  The arena a
 * must be the same on every call for one stream, and cc_stream_t must
 * not be moved once used (its generator prints into s->buf).
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

/* the current round: text, tool uses (all, server, client), usage */
int cc_stream_round_tool_uses(cc_stream_t *s, cc_round_t *round);

/*
 * Starts a new round: forgets the round's text, tool uses and stop
 * reason (what was handed out stays valid), keeps the role chunk, the
 * client tool index counter and the usage sums.
 */
void cc_stream_next_round(cc_stream_t *s);

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

/* OpenAI finish_reason for a Bedrock stopReason (NULL or "": "stop") */
const char *cc_finish_reason(const cc_str_t *stop_reason);

/*
 * Non-streaming round: reads a Converse response into the current round
 * (text, tool uses split by is_server_tool, stop reason, the message
 * DOM), adds its usage to the sums and its text and client tool calls to
 * the completion.  CC_ERROR: *err says what the client gets.
 */
int cc_converse_round(cc_alloc_t *a, cc_stream_t *s, const u_char *json,
    size_t len, cc_http_error_t *err);

/*
 * The chat.completion object for all rounds read so far, stored in *out:
 * content is the text of every round, tool_calls the client tool calls,
 * usage the sums, finish_reason from the last stopReason.
 */
int cc_completion_build(cc_alloc_t *a, cc_stream_t *s, cc_str_t *out);

/*
 * One Converse response to a chat.completion, using meta's id, created,
 * model, separator and is_server_tool.
 */
int cc_completion(cc_alloc_t *a, const cc_stream_t *meta,
    const u_char *converse_json, size_t len, cc_str_t *out,
    cc_http_error_t *err);

/*
 * A tool use's input as a JSON object, parsed once from the streamed text
 * and cached: what cc_chat_append_message() wants for the history.  Text
 * that is not a JSON object gives an empty object and a reason in err
 * (err[0] is '\0' otherwise).  NULL only when out of memory.
 */
cc_json_t *cc_tool_input(cc_alloc_t *a, cc_tool_use_t *t, char *err,
    size_t errlen);


#endif /* _NGX_HTTP_CHATCOMPLETIONS_SSE_H_INCLUDED_ */
