
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_PHONE_H_INCLUDED_
#define _CC_PHONE_H_INCLUDED_


/*
 * The caller's phone number, for tools that look a customer up by it.
 *
 * Sources, in order of trust: Vapi's call data, metadata fields the
 * deployment names, a configured request header, and last the caller's
 * own words.  Every candidate is normalized to E.164 ("+15550100199");
 * one that is not a phone number is skipped and the lookup goes on.
 *
 * All of it is caller-controlled input (caller ID can be spoofed, and a
 * caller can say any number): a tool must treat the number as a claim,
 * not as authentication.  The number is personal data: the glue must
 * never write it into a log message.
 *
 * The rules of the normalization are in cc_phone_e164.h.
 */


#include "cc_json.h"


typedef enum {
    CC_PHONE_NONE = 0,
    CC_PHONE_CALL,          /* call.customer.number, customer.number */
    CC_PHONE_METADATA,      /* metadata[name], or a top-level name */
    CC_PHONE_HEADER,        /* the configured request header */
    CC_PHONE_TEXT           /* said by the caller in a user message */
} cc_phone_source_e;


/*
 * The whole lookup over a parsed request body:
 *
 *   1. call.customer.number, then customer.number (Vapi);
 *   2. metadata[name] for each of the nnames metadata_names in order,
 *      then root[name] for each (Vapi's metadataSendMode "destructured"
 *      spreads the metadata at the top level); a string or an integer
 *      literal;
 *   3. header_value (NULL or empty: none);
 *   4. the user messages from the latest backwards, their content string
 *      or their text parts from the last backwards.
 *
 * A candidate of 1 to 3 is one number: digits with the separators space,
 * tab, - . ( ) / (and Unicode spaces and dashes), optionally "tel:", a
 * leading '+' or "plus".  default_cc may be NULL or empty: then only
 * international numbers are accepted.
 *
 * In 4 the last phone number a caller said counts, as written by people
 * or by speech-to-text engines: digit groups ("555 010 0199",
 * "+1 (555) 010-0199", "555.010.0199"), digit words ("five five five
 * zero one zero...", "oh" for zero, "double five", "triple oh"), and
 * mixes of both.  Amounts ("$1,200", "12.50", "20%", "300 dollars"),
 * dates, ordinals, numbers under 7 digits and numbers that follow words
 * such as "account", "card" or "pin" are not phone numbers.  Commas,
 * full stops and fillers ("uh", "um") may split the groups of one
 * number; when such a run is no number as a whole, its last valid piece
 * is taken ("call 555 010 0199, 555 010 0198").
 *
 * out is the E.164 number, NUL-terminated in the arena.
 * phoneNumber.number is Vapi's own (the assistant's) number: never used.
 * CC_OK with out and source set; CC_DONE (source CC_PHONE_NONE) when no
 * source holds a phone number; CC_ERROR when out of memory.
 */
int cc_phone_find(cc_alloc_t *a, const cc_json_t *root,
    const cc_str_t *metadata_names, size_t nnames,
    const cc_str_t *header_value, const cc_str_t *default_cc, cc_str_t *out,
    cc_phone_source_e *source);

/* "call", "metadata", "header", "text" or "none", for logs */
const char *cc_phone_source_name(cc_phone_source_e s);


#endif /* _CC_PHONE_H_INCLUDED_ */
