
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_CONVERSE_H_INCLUDED_
#define _CC_CONVERSE_H_INCLUDED_


/*
 * The non-streaming path of the response side: Converse responses,
 * round by round, become one OpenAI chat.completion object.  The
 * response's state is a cc_stream_t (cc_round.h).
 *
 * Per round: cc_converse_round(), then cc_stream_round_tool_uses() /
 * cc_stream_next_round() as for a stream; at the end
 * cc_completion_build().
 */


#include "cc_json.h"
#include "cc_errors.h"
#include "cc_round.h"


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


#endif /* _CC_CONVERSE_H_INCLUDED_ */
