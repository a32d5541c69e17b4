
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_FUZZ_STREAM_H_INCLUDED_
#define _CC_FUZZ_STREAM_H_INCLUDED_


/*
 * The response both response harnesses (fuzz_sse, fuzz_converse) build,
 * set up as request.c's make_id() sets it: its id, created and model,
 * the separator between rounds, and "get_loan_options" as the one
 * server tool.  Include after fuzz_util.h.
 */


#include "cc_round.h"


#define FZ_ID          "chatcmpl-fuzz0123456789abcdefghij"
#define FZ_MODEL       "amazon.nova-lite-v1:0"
#define FZ_CREATED     1700000000
#define FZ_SERVER      "get_loan_options"


static inline int
fz_server_tool(void *data, const cc_str_t *name)
{
    const char  *server;

    server = data;

    return name->len == strlen(server)
           && memcmp(name->data, server, name->len) == 0;
}


static inline void
fz_stream_init(cc_stream_t *s, unsigned include_usage)
{
    cc_stream_init(s);

    s->id.data = (u_char *) FZ_ID;
    s->id.len = sizeof(FZ_ID) - 1;
    s->created = FZ_CREATED;
    s->model.data = (u_char *) FZ_MODEL;
    s->model.len = sizeof(FZ_MODEL) - 1;
    s->include_usage = include_usage;
    s->is_server_tool = fz_server_tool;
    s->is_server_tool_data = (void *) FZ_SERVER;
    s->separator.data = (u_char *) " ";
    s->separator.len = 1;
}


#endif /* _CC_FUZZ_STREAM_H_INCLUDED_ */
