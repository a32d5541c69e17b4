
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _NGX_HTTP_CHATCOMPLETIONS_CHAT_H_INCLUDED_
#define _NGX_HTTP_CHATCOMPLETIONS_CHAT_H_INCLUDED_


/*
 * The OpenAI Chat Completions request as a cc_chat_t, pure: no nginx,
 * only the JSON unit and yajl.
 *
 * cc_chat_parse() validates the request DOM and normalizes the
 * conversation to Bedrock's rules (first turn from the user, strict
 * alternation, no blank text, every toolUse answered by a toolResult in
 * the next turn); cc_chat_append_message() extends the history for the
 * server-side tool loop; cc_bedrock_body() (bedrock.h) serializes the
 * result.  Strings in the result point into the DOM and the arena;
 * nothing is copied that need not be.
 */


#include "ngx_http_chatcompletions_json.h"


/* OpenAI limits that Bedrock shares or that the module enforces */
#define CC_CHAT_MAX_STOP         4
#define CC_CHAT_MAX_NAME_LEN     64
#define CC_CHAT_MAX_ID_LEN       64
#define CC_CHAT_MAX_TOKENS       2147483647


/*
 * An OpenAI error: status 400 and type "invalid_request_error" for bad
 * input; status 500, type "server_error" when the arena is exhausted.
 * code is NULL for JSON null; an empty param is JSON null as well.
 */
typedef struct {
    int                       status;
    const char               *type;
    const char               *code;
    cc_str_t                  param;
    cc_str_t                  message;
} cc_error_t;


typedef enum {
    CC_BLOCK_TEXT = 0,
    CC_BLOCK_TOOL_USE,
    CC_BLOCK_TOOL_RESULT
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
 */
typedef struct {
    cc_block_type_e           type;
    cc_str_t                  text;
    cc_str_t                  id;
    cc_str_t                  name;
    cc_json_t                *input;
    cc_str_t                  result_text;
    cc_json_t                *result_json;
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
} cc_chat_options_t;


/*
 * CC_OK, or CC_ERROR with err filled in (400 for bad input, 500 when the
 * arena is exhausted).  Unknown fields are ignored at every level.
 */
int cc_chat_parse(cc_alloc_t *a, const cc_json_t *root,
    const cc_chat_options_t *opts, cc_chat_t *chat, cc_error_t *err);

/*
 * The server-side tool loop: append the assistant's round (text and
 * toolUse blocks), then a user turn of toolResults.  A message of the same
 * role as the last one is merged into it (toolResults first in a user
 * message); blank text blocks are dropped.  The blocks are copied, the
 * strings and JSON they point to are not.  CC_OK or CC_ERROR (no memory).
 */
int cc_chat_append_message(cc_alloc_t *a, cc_chat_t *chat, cc_role_e role,
    const cc_block_t *blocks, size_t n);


#endif /* _NGX_HTTP_CHATCOMPLETIONS_CHAT_H_INCLUDED_ */
