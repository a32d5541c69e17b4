
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_EXTRAS_H_INCLUDED_
#define _CC_EXTRAS_H_INCLUDED_


/*
 * The Converse fields beyond the conversation, pure: the request's
 * service_tier, metadata, user and parallel_tool_calls read into
 * chat->extras (cc_extras_t, cc_bedrock.h); the configuration's guardrail,
 * latency and service tier (cc_extras_conf_t) written with them as
 * guardrailConfig, performanceConfig, serviceTier, requestMetadata and
 * additionalModelRequestFields; tool_choice "none" on a history with tool
 * blocks; and, in the answer, the guardrail's trace and the service tier
 * Bedrock reports (cc_stream_t).
 */


#include "cc_check.h"
#include "cc_round.h"
#include "cc_gen.h"


/* Bedrock's requestMetadata: entries, and the length of a key or value */
#define CC_EXTRAS_METADATA_MAX      16
#define CC_EXTRAS_METADATA_LEN      256

/* OpenAI's metadata: the length of a key and of a value */
#define CC_EXTRAS_OPENAI_KEY_LEN    64
#define CC_EXTRAS_OPENAI_VALUE_LEN  512


/* service_tier, metadata and user, parallel_tool_calls: CC_OK or CC_ERROR */
int cc_extras_parse(cc_parse_t *p, const cc_json_t *root);

/*
 * The members after toolConfig: guardrailConfig, requestMetadata,
 * performanceConfig, serviceTier, each only when there is something to
 * say.
 */
int cc_extras_gen(yajl_gen g, const cc_chat_t *chat,
    const cc_chat_options_t *opts);

/*
 * Claude's "tool_choice" member of additionalModelRequestFields (which
 * cc_bedrock_body() opens once for all its members) when
 * cc_extras_native_tool_choice()
 */
int cc_extras_gen_native(yajl_gen g, const cc_chat_t *chat);

/* 1 when the model id names Anthropic's Claude ("anthropic.claude") */
int cc_extras_is_claude(const cc_str_t *model);

/*
 * 1 when the tool choice travels in additionalModelRequestFields instead
 * of toolConfig.toolChoice: parallel_tool_calls false for Claude, which
 * takes Anthropic's disable_parallel_tool_use there (Bedrock refuses the
 * two tool choices together)
 */
int cc_extras_native_tool_choice(const cc_chat_t *chat,
    const cc_chat_options_t *opts);

/*
 * 1 when tool_choice is "none" and the history holds toolUse or
 * toolResult blocks: they are sent as text (cc_extras_tool_text()), so
 * that no toolConfig offers the client's tools (Converse has no "none")
 */
int cc_extras_tools_as_text(const cc_chat_t *chat);

/* a toolUse or toolResult block as the text that replaces it */
int cc_extras_tool_text(cc_alloc_t *a, const cc_block_t *b, cc_str_t *out);

/*
 * A metadata event's, or a Converse answer's, trace.guardrail (compact
 * JSON) and serviceTier.type, copied to s in the arena a: CC_ERROR when
 * out of memory.
 */
int cc_extras_meta(cc_alloc_t *a, cc_stream_t *s, const cc_json_t *ev);

/*
 * 1 when a tool call of the answer is left out: parallel_tool_calls false
 * (s->one_tool_call) and a client tool call was already shown; the
 * models that cannot be told (all but Claude) are held to it this way.
 * Server-side tools are never left out.
 */
int cc_extras_drop_tool_call(cc_stream_t *s, const cc_str_t *name);

/* "service_tier":"..." in a response object when Bedrock reported one */
int cc_extras_gen_tier(yajl_gen g, const cc_stream_t *s);


#endif /* _CC_EXTRAS_H_INCLUDED_ */
