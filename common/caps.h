/* caps.h - Linux capabilities: what this process holds, what a mask names */
#ifndef CFIR_CAPS_H
#define CFIR_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/*
 * The capabilities a capture needs that this process lacks ("CAP_NET_RAW",
 * "CAP_SYS_ADMIN and CAP_NET_RAW"), NULL when it has them all. SETNS:
 * whether entering the container's namespace is part of it.
 */
const char *cfir_caps_missing(bool setns);

/* Capability names of a mask, as a JSON array ("CAP_SYS_ADMIN", ...). */
cJSON *cfir_caps_describe(uint64_t mask);

#endif
