/*
 * The packet codec (packet.c) exposed to JavaScript, so tests can check the
 * exact bytes the engine sends and how it reads replies without a socket.
 */
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

#include "napi_check.h"
#include "packet.h"


static void set_num(napi_env env, napi_value obj, const char *key, double v) {
  napi_value n;
  napi_create_double(env, v, &n);
  napi_set_named_property(env, obj, key, n);
}

/* buildEchoRequest(ident, seq, size, token, checksum) -> Buffer: the bytes send() writes (for tests). */
static napi_value build_echo_js(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t ident, seq, size, token;
  bool with_sum;
  CHECK(napi_get_value_uint32(env, argv[0], &ident));
  CHECK(napi_get_value_uint32(env, argv[1], &seq));
  CHECK(napi_get_value_uint32(env, argv[2], &size));
  CHECK(napi_get_value_uint32(env, argv[3], &token));
  CHECK(napi_get_value_bool(env, argv[4], &with_sum));
  if (size < 28 || size > 65535) {
    napi_throw_range_error(env, NULL, "size must be an IP packet size from 28 to 65535");
    return NULL;
  }
  void *data;
  napi_value buf;
  CHECK(napi_create_buffer(env, size - 20, &data, &buf));
  np_build_echo((uint8_t *)data, (uint16_t)ident, (uint16_t)seq, size, token, with_sum);
  return buf;
}

/* parseEchoReply(buffer, raw, ident) -> { seq, token, bytes } | null: what the poll loop accepts (for tests). */
static napi_value parse_reply_js(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data;
  size_t len;
  bool raw;
  uint32_t ident;
  CHECK(napi_get_buffer_info(env, argv[0], &data, &len));
  CHECK(napi_get_value_bool(env, argv[1], &raw));
  CHECK(napi_get_value_uint32(env, argv[2], &ident));
  reply_t r;
  if (!np_parse_reply((const uint8_t *)data, len, raw, (uint16_t)ident, &r)) {
    CHECK(napi_get_null(env, &out));
    return out;
  }
  CHECK(napi_create_object(env, &out));
  set_num(env, out, "seq", r.seq);
  set_num(env, out, "token", r.token);
  set_num(env, out, "bytes", (double)r.bytes);
  return out;
}

napi_status np_export_codec(napi_env env, napi_value exports) {
  napi_value fn;
  napi_status st = napi_create_function(env, "buildEchoRequest", NAPI_AUTO_LENGTH, build_echo_js, NULL, &fn);
  if (st == napi_ok) st = napi_set_named_property(env, exports, "buildEchoRequest", fn);
  if (st == napi_ok) st = napi_create_function(env, "parseEchoReply", NAPI_AUTO_LENGTH, parse_reply_js, NULL, &fn);
  if (st == napi_ok) st = napi_set_named_property(env, exports, "parseEchoReply", fn);
  return st;
}
