#ifndef TENANT_WHATSAPP_COPENSSL_SHIM_H
#define TENANT_WHATSAPP_COPENSSL_SHIM_H
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

// HMAC-SHA-256 keyed once: OpenSSL 3's one-shot HMAC() looks the algorithm up in the provider store and hashes the
// key on every call (about half the cost of verifying a token). A context keyed at start is copied per call
// instead; copying reads the template only, so threads share it (it is never updated after it was made).

/// A context holding HMAC-SHA-256 keyed with `key`, or NULL; freed with EVP_MAC_CTX_free.
static inline EVP_MAC_CTX *tw_hmac_sha256_keyed(const unsigned char *key, size_t key_length) {
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (mac == NULL) return NULL;
    EVP_MAC_CTX *context = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
    if (context == NULL) return NULL;
    OSSL_PARAM parameters[2];
    parameters[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    parameters[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_init(context, key, key_length, parameters) != 1) {
        EVP_MAC_CTX_free(context);
        return NULL;
    }
    return context;
}

/// Writes HMAC-SHA-256 of `data` under the key of `keyed` into `mac` (32 bytes); 1 on success, 0 otherwise.
static inline int tw_hmac_sha256(const EVP_MAC_CTX *keyed, const unsigned char *data, size_t length,
                                 unsigned char *mac) {
    EVP_MAC_CTX *context = EVP_MAC_CTX_dup(keyed);
    if (context == NULL) return 0;
    size_t written = 0;
    int ok = EVP_MAC_update(context, data, length) == 1 && EVP_MAC_final(context, mac, &written, 32) == 1
        && written == 32;
    EVP_MAC_CTX_free(context);
    return ok;
}
#endif
