internal import COpenSSL

/// The one owner of an `EVP_CIPHER_CTX`: made for one seal or open and freed when it ends, on every path.
///
/// Non-copyable, so that the handle cannot be shared or freed twice. EVP_CIPHER_CTX_free(3): "clears all
/// information from a cipher context and frees any allocated memory associated with it, including ctx itself",
/// which wipes the expanded key as well.
struct CipherContext: ~Copyable {
    /// The `EVP_CIPHER_CTX *`, an opaque C type imported as `OpaquePointer`; valid until `deinit`.
    let handle: OpaquePointer

    /// A fresh context, or ``SecretsError/Kind/cryptoFailure(function:reason:)`` when OpenSSL has no memory.
    init() throws(SecretsError) {
        guard let handle = EVP_CIPHER_CTX_new() else { throw .openSSLFailure(in: "EVP_CIPHER_CTX_new") }
        self.handle = handle
    }

    deinit {
        EVP_CIPHER_CTX_free(handle)
    }

    /// Throws a crypto failure naming `function` unless `result` is OpenSSL's success value, 1.
    func check(_ result: Int32, _ function: String) throws(SecretsError) {
        guard result == 1 else { throw .openSSLFailure(in: function) }
    }
}
