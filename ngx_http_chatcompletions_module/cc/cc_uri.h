
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_URI_H_INCLUDED_
#define _CC_URI_H_INCLUDED_


/*
 * URI paths as AWS sends and signs them: the one percent-encoder (a
 * Bedrock model id in its path, SigV4's canonical URI) and the
 * normalization of a path's segments (SigV4's canonical URI).
 */


#include "cc_core.h"


/*
 * AWS's URI encoding: every byte outside A-Za-z0-9-_.~ becomes %XX with
 * uppercase hex, "/" too unless keep_slash: 0 for a path label (a model
 * id in the Bedrock path), 1 for the SigV4 canonical URI.  With dst NULL,
 * returns the length needed; otherwise writes it and returns the length
 * written.
 */
size_t cc_uri_escape(u_char *dst, const u_char *src, size_t len,
    int keep_slash);

/*
 * path (len bytes, starting with "/") without its empty and "." segments,
 * each ".." removing the segment before it, the leading "/" and a
 * trailing "/" kept, into dst (never longer than path); returns the
 * length written.
 */
size_t cc_uri_normalize(u_char *dst, const u_char *path, size_t len);


#endif /* _CC_URI_H_INCLUDED_ */
