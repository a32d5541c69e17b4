
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_BEDROCK_H_INCLUDED_
#define _CC_BEDROCK_H_INCLUDED_


/*
 * Amazon Bedrock's Converse request, pure: no nginx, only the JSON unit
 * and yajl.  The request side flows one way: cc_chat.h parses the OpenAI
 * request, cc_messages.h and cc_turns.h normalize it to Bedrock's turns, and
 * all three build the cc_chat_t defined here, under the rules Bedrock
 * sets (blank text, tool names and ids, schemas), which are here too.
 * cc_bedrock_body() serializes the result, cc_model_path() gives its URI
 * path.
 */


#include "cc_json.h"
#include "cc_reasoning.h"
#include "cc_structured.h"


/* OpenAI limits that Bedrock shares or that the module enforces */
#define CC_CHAT_MAX_STOP         4
#define CC_CHAT_MAX_NAME_LEN     64
#define CC_CHAT_MAX_ID_LEN       64
#define CC_CHAT_MAX_TOKENS       2147483647


typedef enum {
    CC_BLOCK_TEXT = 0,
    CC_BLOCK_TOOL_USE,
    CC_BLOCK_TOOL_RESULT,
    CC_BLOCK_IMAGE,
    CC_BLOCK_REASONING
} cc_block_type_e;


/*
 * TEXT: text.
 * TOOL_USE: id, name, input (always a JSON object; invalid or empty
 *   OpenAI arguments become {}).
 * TOOL_RESULT: id, result_text; result_json is set as well when the text
 *   is a JSON object, and is then sent as {"json":...} instead of the
 *   text (a result_json that is not an object is ignored: Bedrock takes
 *   objects only); a blank text is sent as "(empty result)", since
 *   Bedrock rejects blank text; is_error sends "status":"error".
 * IMAGE: name is Bedrock's format (png, jpeg, gif, webp), text the
 *   client's base64 bytes, checked (cc_image.h).
 * REASONING: text and signature ({"reasoningText":...}), or redacted
 *   ({"redactedContent":...}, base64 as Bedrock sent it); sent only to a
 *   model that reasons in this call, first in an assistant turn.
 */
typedef struct {
    cc_block_type_e           type;
    cc_str_t                  text;
    cc_str_t                  id;
    cc_str_t                  name;
    cc_json_t                *input;
    cc_str_t                  result_text;
    cc_json_t                *result_json;
    cc_str_t                  signature;
    cc_str_t                  redacted;
    unsigned                  is_error:1;
} cc_block_t;


typedef enum {
    CC_ROLE_USER = 0,
    CC_ROLE_ASSISTANT
} cc_role_e;


typedef struct {
    cc_role_e                 role;
    cc_block_t               *blocks;
    size_t                    nblocks;
    size_t                    nalloc;
} cc_message_t;


typedef struct {
    cc_str_t                  name;
    cc_str_t                  description;       /* empty: omitted */
    cc_json_t                *schema;            /* {"type":"object",...} */
} cc_tool_t;


typedef enum {
    CC_TOOL_CHOICE_DEFAULT = 0,
    CC_TOOL_CHOICE_AUTO,
    CC_TOOL_CHOICE_NONE,
    CC_TOOL_CHOICE_REQUIRED,
    CC_TOOL_CHOICE_NAMED
} cc_tool_choice_e;


/* service tiers, OpenAI's and Bedrock's names: a set of them */
#define CC_TIER_DEFAULT          0x01
#define CC_TIER_PRIORITY         0x02
#define CC_TIER_FLEX             0x04


typedef struct {
    cc_str_t                  key;
    cc_str_t                  value;
} cc_pair_t;


/*
 * What cc_extras.h reads of a request: service_tier (the Bedrock tier to
 * ask for, empty: the configured one), metadata and user (Bedrock's
 * requestMetadata), parallel_tool_calls (-1 when absent), and the images
 * counted.
 */
typedef struct {
    cc_str_t                  service_tier;
    cc_pair_t                *metadata;
    size_t                    nmetadata;
    int                       parallel_tool_calls;
    size_t                    nimages;
} cc_extras_t;


/*
 * What the configuration and the attempt give cc_extras.h: the guardrail
 * (an empty id: none; trace and stream empty: Bedrock's defaults), the
 * latency, the service tier sent and the tiers clients may ask for, the
 * image limits, whether metadata and user are forwarded; the attempt's
 * model id and whether it streams.
 */
typedef struct {
    cc_str_t                  guardrail_id;
    cc_str_t                  guardrail_version;
    cc_str_t                  guardrail_trace;
    cc_str_t                  guardrail_stream;
    cc_str_t                  latency;
    cc_str_t                  service_tier;
    unsigned                  tiers_allowed;
    size_t                    image_max;         /* decoded bytes, 0: 3.75 MB */
    size_t                    images_max;        /* 0: 20 */
    unsigned                  request_metadata:1; /* metadata, user read */

    cc_str_t                  model;
    unsigned                  stream:1;
} cc_extras_conf_t;


typedef struct {
    cc_str_t                  model;             /* as sent; empty if absent */

    /* 1, 0, or -1 when absent or null (the glue decides from Accept) */
    int                       stream;

    unsigned                  include_usage:1;
    unsigned                  has_temperature:1;
    unsigned                  has_top_p:1;

    /*
     * temperature: OpenAI's 0..2 is validated, then clamped to Bedrock's
     * 0..1; the *_text literals are what the body carries, so that 0.7
     * stays "0.7" (a clamped value is "1"); when a literal is empty the
     * double is printed instead
     */
    double                    temperature;
    double                    top_p;
    cc_str_t                  temperature_text;
    cc_str_t                  top_p_text;

    /*
     * max_completion_tokens, else max_tokens, clamped to the configured
     * limit (which also applies when neither was sent); 0 = unset
     */
    int64_t                   max_tokens;

    cc_str_t                 *stop;              /* empty strings dropped */
    size_t                    nstop;

    /* the configured prompt, then system and developer texts, non-blank */
    cc_str_t                 *system;
    size_t                    nsystem;

    cc_message_t             *messages;
    size_t                    nmessages;
    size_t                    nalloc;

    /* the request's own (client-side) function tools */
    cc_tool_t                *tools;
    size_t                    ntools;

    cc_tool_choice_e          tool_choice;
    cc_str_t                  tool_choice_name;

    cc_extras_t               extras;            /* cc_extras.h */
    /* response_format (cc_structured.h) */
    cc_response_format_t      response_format;

    /* reasoning_effort; UNSET: the configured default */
    cc_reasoning_e            reasoning;
} cc_chat_t;


typedef struct {
    /* placed BEFORE the request's system messages; empty: none */
    cc_str_t                  system_prompt;

    /*
     * tools executed by nginx; listed in toolConfig before the request's
     * tools, and a request tool of the same name is left out
     */
    cc_tool_t                *server_tools;
    size_t                    nserver_tools;

    /*
     * the synthetic user turn put before a conversation that starts with
     * the assistant (Vapi's spoken greeting); empty: "Hello."
     */
    cc_str_t                  first_user_text;

    /* maxTokens is clamped to this when > 0 (and set to it when unset) */
    int64_t                   max_tokens_limit;

    cc_extras_conf_t          extras;            /* cc_extras.h */
    /*
     * The Bedrock model id of the call (the glue sets it per attempt):
     * it decides native structured output and the reasoning family.
     */
    cc_str_t                  model_id;

    cc_structured_mode_e      structured_mode;
    cc_reasoning_e            reasoning_default;

    /* prompt caching: a cachePoint after the system list, the tools */
    unsigned                  cache_system:1;
    unsigned                  cache_tools:1;
} cc_chat_options_t;


/* a name and where it was found, for sorting and finding duplicates */
typedef struct {
    cc_str_t                  name;
    size_t                    index;
} cc_name_ref_t;


/*
 * The Converse / ConverseStream body as compact JSON: system, messages,
 * inferenceConfig, toolConfig, outputConfig, additionalModelRequestFields.
 * CC_OK or CC_ERROR (no memory).
 */
int cc_bedrock_body(cc_alloc_t *a, const cc_chat_t *chat,
    const cc_chat_options_t *opts, cc_str_t *out);

/*
 * "/model/{id}/converse-stream" (stream) or "/model/{id}/converse", the
 * id percent-encoded as one path segment by cc_uri_escape() (cc_uri.h):
 * every byte outside A-Za-z0-9-_.~ becomes %XX (":" -> %3A, "/" -> %2F).
 * NUL-terminated.
 */
int cc_model_path(cc_alloc_t *a, const cc_str_t *model_id, int stream,
    cc_str_t *out);

/* 1 if a message holds a toolUse or toolResult block */
int cc_has_tool_blocks(const cc_chat_t *chat);
/* 1: the call carries response_format in a forced tool (cc_structured.h) */
int cc_bedrock_forced_tool(const cc_chat_t *chat,
    const cc_chat_options_t *opts);

/* the reasoning asked of the call (cc_reasoning.h) */
void cc_bedrock_reasoning(const cc_chat_t *chat,
    const cc_chat_options_t *opts, cc_reasoning_plan_t *plan);

/* 1 if the id is a valid Bedrock toolUseId: [a-zA-Z0-9_.:-]{1,64} */
int cc_tool_id_valid(const cc_str_t *id);

/* 1 if the name is a valid Bedrock tool name: [a-zA-Z0-9_-]{1,64} */
int cc_tool_name_valid(const cc_str_t *name);

/* what Bedrock calls blank: whitespace only, Unicode spaces included */
int cc_is_blank(const u_char *p, size_t len);

/* {"type":"object","properties":{}} in the arena; NULL: no memory */
cc_json_t *cc_default_schema(cc_alloc_t *a);

/* qsort() order of cc_name_ref_t: by name, then by index */
int cc_name_ref_cmp(const void *one, const void *two);

/* what a blank toolResult is sent as: Bedrock rejects blank text */
extern cc_str_t  cc_empty_result_text;


#endif /* _CC_BEDROCK_H_INCLUDED_ */
