
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_IMAGE_H_INCLUDED_
#define _CC_IMAGE_H_INCLUDED_


/*
 * An OpenAI image_url content part as a Converse image block, pure: the
 * URL must be a base64 data URL of a PNG, JPEG, GIF or WebP image (the
 * module never fetches a URL a client names), the base64 is checked
 * whole, the decoded size and the count are bounded, and the first bytes
 * must be the format's signature.
 */


#include "cc_check.h"


/* Bedrock's limits: 3.75 MB an image, 20 images a request */
#define CC_IMAGE_MAX_SIZE     3932160
#define CC_IMAGE_MAX_COUNT    20


/*
 * part is {"type":"image_url","image_url":{"url":"data:...","detail":..}}
 * at path (messages[1].content[2]); CC_OK with out an image block, or
 * CC_ERROR with p->err filled (400, or 500 when out of memory).
 */
int cc_parse_image(cc_parse_t *p, const cc_json_t *part, const char *path,
    cc_block_t *out);

/*
 * The decoded length of standard base64 with its padding (length a
 * multiple of 4, "=" only at the end), or -1 when it is not that.
 */
long long cc_base64_decoded_len(const u_char *p, size_t len);


#endif /* _CC_IMAGE_H_INCLUDED_ */
