
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_ROUND_H_INCLUDED_
#define _CC_ROUND_H_INCLUDED_


/*
 * The state of one client response, which may span several Bedrock rounds
 * when server-side tools run inside nginx: the role chunk, the client
 * tool-call index counter and the usage sums belong to the response;
 * text, tool uses and the stop reason belong to the round.  Both paths
 * keep it here: the streaming one (cc_sse.h) and the non-streaming one
 * (cc_converse.h).
 *
 * After a round (CC_DONE from cc_stream_event(), or cc_converse_round()):
 * cc_stream_round_tool_uses() tells whether server tools must run; if so
 * run them, cc_stream_next_round() and call Bedrock again.
 */


#include "cc_json.h"


/* the largest count reported: 2^53 - 1, exact in any JSON reader */
#define CC_USAGE_MAX  9007199254740991LL


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
    cc_buf_t                  input;

    /* the parsed input: set by the Converse path, else see cc_tool_input */
    cc_json_t                *input_json;

    int64_t                   block;        /* contentBlockIndex */
    int64_t                   index;        /* client tool-call index, or
                                               -1 for a server tool */

    unsigned                  server:1;     /* executed by nginx, hidden */
    unsigned                  nonempty:1;   /* a fragment had bytes */
    unsigned                  stopped:1;    /* contentBlockStop seen */
} cc_tool_use_t;


/* what the glue needs of a finished round; arrays are in block order */
typedef struct {
    cc_str_t                  text;         /* the round's text (none
                                               with drop_text) */
    unsigned                  has_text:1;   /* text was shown */

    /*
     * the round's reasoning (reasoningContent): its text and signature,
     * and redactedContent as Bedrock sent it (base64); empty: none
     */
    cc_str_t                  reasoning;
    cc_str_t                  signature;
    cc_str_t                  redacted;

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


typedef struct {
    /* set by the glue after cc_stream_init(), constant for the response */
    cc_str_t                  id;           /* "chatcmpl-..." */
    int64_t                   created;      /* unix seconds */
    cc_str_t                  model;        /* echoed model name */
    unsigned                  include_usage:1;

    /*
     * A stream whose rounds' text never goes back to Bedrock (no server
     * tools): the text is not kept, so a stream's memory does not grow
     * with the answer.
     */
    unsigned                  drop_text:1;

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
     * Optional, set by the glue per attempt: the name of response_format's
     * forced tool (cc_structured.h).  Its input is the answer's content
     * (streamed as content deltas), the text around it is dropped, and it
     * is no tool call: finish_reason "stop".
     */
    cc_str_t                  structured_tool;

    /*
     * Optional: an arena for the per-event temporaries (the payload's
     * DOM, the event's SSE bytes); anything kept is copied to the arena
     * passed to the calls.
     * The glue may destroy it between cc_stream_event() calls.  NULL:
     * everything comes from the arena passed to the calls.
     */
    cc_alloc_t               *scratch;

    /*
     * Streaming: the generator and what it prints into, emptied for every
     * call.  Nothing of the stream stays in them from one call to the
     * next, so streams translated one at a time may share one (the glue
     * gives all those of a worker the same, in memory of its own); NULL:
     * made in the arena of the first call.
     */
    cc_gen_t                 *sse;

    /* response state */
    cc_alloc_t               *keep;         /* the arena of what is kept */
    cc_str_t                  head;         /* {"id":..,"model":".." */
    cc_str_t                  text_head;    /* a text chunk's bytes before */
    cc_str_t                  text_tail;    /* and after its JSON string */

    int64_t                   next_index;   /* client tool calls shown */
    cc_usage_t                usage;        /* summed over the rounds */
    cc_str_t                  stop_reason;  /* the last one seen */
    const char               *finish_reason;   /* once finished */

    /* cc_extras.h: the guardrail's trace (JSON) and the tier, if told */
    cc_str_t                  guardrail_trace;
    cc_str_t                  service_tier;

    /* parallel_tool_calls false: one client tool call at most is shown */
    unsigned                  one_tool_call:1;

    /* non-streaming: the text and client tool calls of all rounds */
    cc_buf_t                  content;
    cc_buf_t                  calls;        /* cc_tool_use_t * */

    /*
     * non-streaming: the reasoning text of all rounds, and the last
     * signature and redacted content seen
     */
    cc_buf_t                  reasoning_all;
    cc_str_t                  signature;
    cc_str_t                  redacted;

    /*
     * round state: the buffers hold the text and the tool uses that
     * round's cc_str_t and arrays show
     */
    cc_round_t                round;
    cc_buf_t                  text;
    cc_buf_t                  tools;
    cc_buf_t                  server;
    cc_buf_t                  client;
    cc_buf_t                  reasoning;
    cc_buf_t                  signature_buf;
    cc_buf_t                  redacted_buf;
    int64_t                   structured_block;  /* -1: none yet */
    unsigned                  structured_seen:1; /* its input had bytes */

    unsigned                  role_sent:1;
    unsigned                  text_frame_utf8:1; /* text_head, _tail */
    unsigned                  text_shown:1; /* text shown in the response */
    unsigned                  text_ws:1;    /* ... and it ended in space */
    unsigned                  round_done:1; /* metadata seen */
    unsigned                  finished:1;
} cc_stream_t;


/* zeroes everything; then set id, created, model and the options */
void cc_stream_init(cc_stream_t *s);

/* the current round: text, tool uses (all, server, client), usage */
int cc_stream_round_tool_uses(cc_stream_t *s, cc_round_t *round);

/*
 * Starts a new round: forgets the round's text, tool uses and stop
 * reason (what was handed out stays valid), keeps the role chunk, the
 * client tool index counter and the usage sums.
 */
void cc_stream_next_round(cc_stream_t *s);

/* OpenAI finish_reason for a Bedrock stopReason (NULL or "": "stop") */
const char *cc_finish_reason(const cc_str_t *stop_reason);

/*
 * A tool use's input as a JSON object, parsed once from the streamed text
 * and cached: what cc_chat_append_message() wants for the history.  Text
 * that is not a JSON object gives an empty object and a reason in err
 * (err[0] is '\0' otherwise).  NULL only when out of memory.
 */
cc_json_t *cc_tool_input(cc_alloc_t *a, cc_tool_use_t *t, char *err,
    size_t errlen);


/* for the two paths, cc_sse.c and cc_converse.c */

/*
 * A tool use of the round (id and name copied to a), server or client as
 * is_server_tool says; a client one gets the next index.  NULL: no memory.
 */
cc_tool_use_t *cc_round_tool_add(cc_alloc_t *a, cc_stream_t *s,
    const cc_str_t *id, const cc_str_t *name, int64_t block);

/* the round's tool use of a contentBlockIndex, or NULL */
cc_tool_use_t *cc_round_tool_find(cc_stream_t *s, int64_t block);

/*
 * Adds non-empty text to the round.  *sep is what to show before it (the
 * separator, at a seam between rounds) or NULL.  CC_ERROR: no memory.
 */
int cc_round_text(cc_alloc_t *a, cc_stream_t *s, const cc_str_t *text,
    const cc_str_t **sep);

/*
 * Adds a reasoning delta to the round: text, signature or redacted (any
 * may be NULL).  CC_ERROR: no memory.
 */
int cc_round_reasoning(cc_alloc_t *a, cc_stream_t *s, const cc_str_t *text,
    const cc_str_t *signature, const cc_str_t *redacted);

/* 1 if the name is response_format's forced tool */
int cc_round_is_structured(cc_stream_t *s, const cc_str_t *name);

/* the round's stopReason, kept as given (copy it first if need be) */
void cc_round_stop(cc_stream_t *s, const cc_str_t *stop_reason);

/* the round ends: its usage (Bedrock's usage object or NULL) is added */
void cc_round_end(cc_stream_t *s, const cc_json_t *usage);
void cc_round_end_usage(cc_stream_t *s, const cc_usage_t *u);

/*
 * The response's finish_reason: "tool_calls" only if some were shown; a
 * round bound reached on a server tool is a plain stop.
 */
const char *cc_round_finish_reason(cc_stream_t *s);

/*
 * {"prompt_tokens":..,"completion_tokens":..,"total_tokens":..,
 *  "prompt_tokens_details":{"cached_tokens":..}}; with prompt caching
 * (cache reads or writes) prompt_tokens counts the cached tokens too, as
 * OpenAI's does, total_tokens is prompt plus completion, and
 * "cache_read_input_tokens" and "cache_creation_input_tokens" follow.
 */
int cc_usage_gen(yajl_gen g, const cc_usage_t *u);

/* prompt_tokens and total_tokens as cc_usage_gen() gives them */
int64_t cc_usage_prompt(const cc_usage_t *u);
int64_t cc_usage_total(const cc_usage_t *u);


#endif /* _CC_ROUND_H_INCLUDED_ */
