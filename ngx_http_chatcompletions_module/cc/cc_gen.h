
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_GEN_H_INCLUDED_
#define _CC_GEN_H_INCLUDED_


/*
 * yajl in the arena: the allocator hooks that give yajl's handles (the
 * parser's and the generators') memory from an arena, and generators
 * that print into a growable arena buffer.
 */


#include <yajl/yajl_gen.h>

#include "cc_core.h"


/* what a generator from cc_gen_create() prints into, grown in an arena */
typedef struct {
    cc_alloc_t               *alloc;
    cc_buf_t                  buf;
    unsigned                  nomem:1;      /* an append failed */
} cc_gen_out_t;


/* yajl allocator hooks that draw from the arena (free is a no-op) */
void cc_yajl_alloc_funcs(cc_alloc_t *a, yajl_alloc_funcs *funcs);

/* a yajl generator whose memory comes from the arena */
yajl_gen cc_gen_alloc(cc_alloc_t *a);

/* yajl_gen helpers */
#define cc_gen_lit(g, s)                                                    \
    yajl_gen_string(g, (const unsigned char *) s, sizeof(s) - 1)
#define cc_gen_str(g, s)  yajl_gen_string(g, (s)->data, (s)->len)

/* copy a finished generator's buffer into the arena */
int cc_gen_finish(cc_alloc_t *a, yajl_gen g, cc_str_t *out);

/*
 * cc_gen_out_init() empties o for the arena a; cc_gen_create() makes a
 * generator that prints into o; set o->buf.len to 0 to reuse o.
 * cc_gen_add() adds bytes of its own between documents ("data: ",
 * "\n\n"); cc_gen_output() appends what o holds to *out, in the arena
 * a: CC_ERROR if an allocation failed on the way.
 */
void cc_gen_out_init(cc_gen_out_t *o, cc_alloc_t *a);
yajl_gen cc_gen_create(cc_alloc_t *a, cc_gen_out_t *o);
void cc_gen_add(cc_gen_out_t *o, const char *p, size_t len);
int cc_gen_output(cc_alloc_t *a, cc_gen_out_t *o, cc_str_t *out);


#endif /* _CC_GEN_H_INCLUDED_ */
