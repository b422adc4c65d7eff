/*
 * meshbox-crypto: the two hot paths of header verification (Keccak-256 and secp256k1 signer
 * recovery) as a Node-API addon. Built libc-free (-nostdlib, see scripts/build-native.ts): the
 * few C library functions it calls (malloc, free, memcpy, memset, memcmp, abort) bind at load
 * time to whichever libc the node process has, so one file per CPU serves glibc and musl.
 *
 * JS contract (agent/chain/native.ts wraps it):
 *   keccak256(data: Uint8Array, out: Uint8Array) -> undefined   out[0..32) = Keccak-256(data)
 *   recoverAddress(digest: Uint8Array(32), seal: Uint8Array(65), out: Uint8Array(20)) -> boolean
 *     seal = r || s || v with v in 0..3; true and out = the signer's address, or false when the
 *     seal recovers no key (r or s zero or >= n, r not an x-coordinate). High s is accepted.
 *   recoverPublicKey(digest, seal, out: Uint8Array(65)) -> boolean   the same, out = 0x04 || x || y
 * Callers pass `out` so the hot path allocates nothing here.
 */
#include <stdlib.h>
#include <node_api.h>
#include "include/secp256k1.h"
#include "include/secp256k1_recovery.h"
#include "keccak.h"

/* libsecp256k1 is built with USE_EXTERNAL_DEFAULT_CALLBACKS so it needs no stdio. An illegal
 * argument is a bug of ours: the call already returns 0, which answers "no signer". */
void secp256k1_default_illegal_callback_fn(const char *message, void *data) { (void)message; (void)data; }
void secp256k1_default_error_callback_fn(const char *message, void *data) { (void)message; (void)data; abort(); }

/* One verification context per Node environment (main thread, each worker): ~1 MB of tables for
 * ECMULT_WINDOW_SIZE 15, built on first use so an agent that never verifies never pays for it. */
typedef struct { secp256k1_context *ctx; } instance_t;

static void instance_free(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  instance_t *inst = data;
  if (inst->ctx != NULL) secp256k1_context_destroy(inst->ctx);
  free(inst);
}

static int bytes_arg(napi_env env, napi_value value, const char *name, size_t min, size_t max, uint8_t **data, size_t *len) {
  bool is_typed = false;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  void *ptr = NULL;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, value, &type, len, &ptr, &buffer, &offset) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", name);
    return 0;
  }
  if (*len < min || *len > max) {
    napi_throw_range_error(env, "ERR_INVALID_ARG_VALUE", name);
    return 0;
  }
  *data = ptr;
  return 1;
}

static napi_value js_keccak256(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint8_t *data, *out;
  size_t len, out_len;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "keccak256(data, out)");
    return NULL;
  }
  if (!bytes_arg(env, argv[0], "data must be a Uint8Array", 0, SIZE_MAX, &data, &len)) return NULL;
  if (!bytes_arg(env, argv[1], "out must be a Uint8Array of at least 32 bytes", 32, SIZE_MAX, &out, &out_len)) return NULL;
  keccak256(data, len, out);
  return NULL;
}

/* The uncompressed public key (0x04 || x || y) behind a seal; 0 when it recovers none. */
static int recover_key(const instance_t *inst, const uint8_t *digest, const uint8_t *seal, uint8_t key[65]) {
  secp256k1_ecdsa_recoverable_signature sig;
  secp256k1_pubkey pubkey;
  size_t key_len = 65;
  return seal[64] <= 3 &&
    secp256k1_ecdsa_recoverable_signature_parse_compact(inst->ctx, &sig, seal, seal[64]) &&
    secp256k1_ecdsa_recover(inst->ctx, &pubkey, &sig, digest) &&
    secp256k1_ec_pubkey_serialize(inst->ctx, key, &key_len, &pubkey, SECP256K1_EC_UNCOMPRESSED);
}

/* Shared by both recover functions: (digest, seal, out) checked, the context built if needed. */
static instance_t *recover_args(napi_env env, napi_callback_info info, size_t out_min, uint8_t **digest, uint8_t **seal, uint8_t **out) {
  size_t argc = 3, len;
  napi_value argv[3];
  instance_t *inst = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "expected (digest, seal, out)");
    return NULL;
  }
  if (!bytes_arg(env, argv[0], "digest must be a Uint8Array of 32 bytes", 32, 32, digest, &len)) return NULL;
  if (!bytes_arg(env, argv[1], "seal must be a Uint8Array of 65 bytes", 65, 65, seal, &len)) return NULL;
  if (!bytes_arg(env, argv[2], out_min == 20 ? "out must be a Uint8Array of at least 20 bytes" : "out must be a Uint8Array of at least 65 bytes", out_min, SIZE_MAX, out, &len)) return NULL;
  if (napi_get_instance_data(env, (void **)&inst) != napi_ok || inst == NULL) {
    napi_throw_error(env, "ERR_MESHBOX_CRYPTO", "module not initialised");
    return NULL;
  }
  if (inst->ctx == NULL) inst->ctx = secp256k1_context_create(SECP256K1_CONTEXT_VERIFY);
  return inst;
}

static napi_value boolean(napi_env env, int value) {
  napi_value result;
  napi_get_boolean(env, value, &result);
  return result;
}

static napi_value js_recover_address(napi_env env, napi_callback_info info) {
  uint8_t *digest, *seal, *out, key[65], hash[32];
  instance_t *inst = recover_args(env, info, 20, &digest, &seal, &out);
  if (inst == NULL) return NULL;
  if (!recover_key(inst, digest, seal, key)) return boolean(env, 0);
  keccak256(key + 1, 64, hash); /* the address: the last 20 bytes of keccak(x || y) */
  for (int i = 0; i < 20; i++) out[i] = hash[12 + i];
  return boolean(env, 1);
}

static napi_value js_recover_public_key(napi_env env, napi_callback_info info) {
  uint8_t *digest, *seal, *out;
  instance_t *inst = recover_args(env, info, 65, &digest, &seal, &out);
  if (inst == NULL) return NULL;
  return boolean(env, recover_key(inst, digest, seal, out));
}

NAPI_MODULE_INIT() {
  instance_t *inst = calloc(1, sizeof *inst);
  if (inst == NULL || napi_set_instance_data(env, inst, instance_free, NULL) != napi_ok) {
    free(inst);
    napi_throw_error(env, "ERR_MESHBOX_CRYPTO", "out of memory");
    return NULL;
  }
  napi_property_descriptor props[] = {
    { "keccak256", NULL, js_keccak256, NULL, NULL, NULL, napi_enumerable, NULL },
    { "recoverAddress", NULL, js_recover_address, NULL, NULL, NULL, napi_enumerable, NULL },
    { "recoverPublicKey", NULL, js_recover_public_key, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
