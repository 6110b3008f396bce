/* Node-API call checking shared by the addon's C files. */
#ifndef NETPROBE_NAPI_CHECK_H
#define NETPROBE_NAPI_CHECK_H

#include <node_api.h>

/* The error code thrown, per addon: define NAPI_CHECK_CODE before including. */
#ifndef NAPI_CHECK_CODE
#define NAPI_CHECK_CODE "EICMPNAPI"
#endif

/* Any failed Node-API call throws a JS error naming the call and returns NULL. */
#define CHECK(call)                                                           \
  do {                                                                        \
    if ((call) != napi_ok) {                                                  \
      napi_throw_error(env, NAPI_CHECK_CODE, "node-api call failed: " #call); \
      return NULL;                                                            \
    }                                                                         \
  } while (0)

#endif
