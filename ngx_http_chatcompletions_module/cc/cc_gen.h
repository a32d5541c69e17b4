
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


#include <setjmp.h>
#include <yajl/yajl_gen.h>

#include "cc_core.h"


/*
 * What yajl's allocator hooks draw from.  yajl 2.1 does not check what
 * its allocator returns: given NULL it writes through it.  So the hooks
 * never return NULL.  yajl is only ever called with abort set (the
 * parser's feed and finish, a generator's creation), and when the arena
 * refuses, the hook records it and jumps there: the call is abandoned
 * and the handle is not used again (the arena owns its memory).  A hook
 * called without abort set (a bug) gets a static spare region if the
 * size fits, else the process aborts rather than corrupt memory.
 */
typedef struct {
    cc_alloc_t               *alloc;
    jmp_buf                  *abort;
    unsigned                  failed:1;
} cc_yajl_mem_t;


/*
 * What a generator from cc_gen_create() prints into, grown in an arena.
 * What comes out (cc_gen_output()) is checked to be UTF-8: an invalid
 * byte becomes U+FFFD, so it is valid UTF-8 whatever went in.  A printer
 * that knows its first bytes are UTF-8 (made of checked text alone) says
 * so in valid, and those are not checked again.
 */
typedef struct {
    cc_alloc_t               *alloc;
    cc_buf_t                  buf;
    cc_yajl_mem_t             mem;          /* the generator's */
    size_t                    valid;        /* buf's first bytes: UTF-8 */
    size_t                    replaced;     /* invalid bytes replaced */
    unsigned                  nomem:1;      /* an append failed */
} cc_gen_out_t;


/* yajl allocator hooks that draw from m->alloc (free is a no-op) */
void cc_yajl_alloc_funcs(cc_yajl_mem_t *m, yajl_alloc_funcs *funcs);

/* yajl_gen helpers */
#define cc_gen_lit(g, s)                                                    \
    yajl_gen_string(g, (const unsigned char *) s, sizeof(s) - 1)
#define cc_gen_str(g, s)  yajl_gen_string(g, (s)->data, (s)->len)

/*
 * cc_gen_out_init() empties o for the arena a; cc_gen_create() makes a
 * generator that prints into o (NULL: no memory); set o->buf.len and
 * o->valid to 0 to reuse o.  cc_gen_add() adds bytes of its own between
 * documents ("data: ", "\n\n"); cc_gen_output() appends what o holds
 * to *out, in the arena a: CC_ERROR if an allocation failed on the way.
 * A generator allocates nothing after its creation: all it prints goes
 * into o.
 */
void cc_gen_out_init(cc_gen_out_t *o, cc_alloc_t *a);
yajl_gen cc_gen_create(cc_alloc_t *a, cc_gen_out_t *o);

/*
 * A generator and what it prints into, both in the arena a (NULL: no
 * memory): for a caller that keeps one and empties it before each use.
 */
typedef struct {
    yajl_gen                  gen;
    cc_gen_out_t              out;
} cc_gen_t;

cc_gen_t *cc_gen_new(cc_alloc_t *a);
void cc_gen_add(cc_gen_out_t *o, const char *p, size_t len);
int cc_gen_output(cc_alloc_t *a, cc_gen_out_t *o, cc_str_t *out);


#endif /* _CC_GEN_H_INCLUDED_ */
