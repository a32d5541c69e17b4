
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_REASONING_H_INCLUDED_
#define _CC_REASONING_H_INCLUDED_


/*
 * OpenAI's reasoning_effort on Bedrock, pure: which model families reason
 * and how each is asked to (additionalModelRequestFields), and what that
 * changes in inferenceConfig.
 *
 *   Anthropic Claude (3.7 and 4 onwards): "thinking":{"type":"enabled",
 *     "budget_tokens":N}; Bedrock wants maxTokens above the budget and no
 *     temperature, topP only from 0.95 to 1, and no forced tool.
 *   Amazon Nova 2: "reasoningConfig":{"type":"enabled",
 *     "maxReasoningEffort":"low"|"medium"|"high"}; with "high" Bedrock
 *     wants no temperature, topP or maxTokens.
 *   Any other model: nothing is sent (the glue logs it at debug level).
 */


#include "cc_json.h"


typedef enum {
    CC_REASONING_UNSET = 0,       /* not in the request: the default */
    CC_REASONING_OFF,             /* "none", or the directive's "off" */
    CC_REASONING_MINIMAL,
    CC_REASONING_LOW,
    CC_REASONING_MEDIUM,
    CC_REASONING_HIGH
} cc_reasoning_e;


typedef enum {
    CC_REASONING_OTHER = 0,
    CC_REASONING_CLAUDE,
    CC_REASONING_NOVA2
} cc_reasoning_family_e;


/* what one Bedrock call asks for */
typedef struct {
    cc_reasoning_family_e     family;   /* OTHER: no reasoning is asked */
    cc_reasoning_e            effort;
    int64_t                   budget;   /* Claude's budget_tokens */
    const char               *level;    /* Nova's maxReasoningEffort */
} cc_reasoning_plan_t;


/* Claude's budget_tokens per effort (Bedrock's minimum is 1024) */
#define CC_REASONING_BUDGET_LOW      1024
#define CC_REASONING_BUDGET_MEDIUM   2048
#define CC_REASONING_BUDGET_HIGH     4096

/* Claude's answer room when the client set no max tokens */
#define CC_REASONING_ANSWER_TOKENS   1024


/* "none", "minimal", "low", "medium", "high" (and "off"): CC_OK */
int cc_reasoning_parse(const cc_str_t *s, cc_reasoning_e *out);

/* the family of a Bedrock model id, inference profile or ARN */
cc_reasoning_family_e cc_reasoning_family(const cc_str_t *model_id);

/*
 * The plan of a call: the request's effort, else the default; none when
 * off, for a family that does not reason, or for Claude when a tool is
 * forced (forced_tool), which Claude refuses with thinking.
 */
void cc_reasoning_plan(cc_reasoning_e request, cc_reasoning_e dflt,
    const cc_str_t *model_id, int forced_tool, cc_reasoning_plan_t *plan);

/* "additionalModelRequestFields":{...} when the plan asks for reasoning */
int cc_reasoning_gen(yajl_gen g, const cc_reasoning_plan_t *plan);

/* the same fields, inside an additionalModelRequestFields already open */
int cc_reasoning_gen_fields(yajl_gen g, const cc_reasoning_plan_t *plan);

/*
 * Claude's maxTokens with thinking: the budget plus the client's max
 * tokens (CC_REASONING_ANSWER_TOKENS when none), so that the budget
 * never eats the answer.
 */
int64_t cc_reasoning_max_tokens(const cc_reasoning_plan_t *plan,
    int64_t max_tokens);


#endif /* _CC_REASONING_H_INCLUDED_ */
