internal import COpenSSL

/// AES-256-GCM through OpenSSL's EVP interface, with a 12-byte nonce and a 16-byte tag (NIST SP 800-38D).
///
/// Package access so that the known-answer test can run a published vector with its fixed nonce; the product
/// seals only through ``SecretBox``, which draws a fresh nonce for every seal.
package enum AESGCM {
    /// The key length of AES-256, in bytes.
    package static let keyLength = 32
    /// The nonce length, in bytes: SP 800-38D §8.2 recommends 96 bits, the one length GCM uses without hashing it.
    package static let nonceLength = 12
    /// The tag length, in bytes: the full 128 bits.
    package static let tagLength = 16

    /// The ciphertext of `plaintext` followed by its tag, which also covers `additionalData`.
    ///
    /// `key` must be ``keyLength`` bytes and `nonce` ``nonceLength`` bytes; a nonce must never be used twice with
    /// one key.
    package static func seal(
        _ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], additionalData: [UInt8]
    ) throws(SecretsError) -> [UInt8] {
        precondition(
            key.count == keyLength && nonce.count == nonceLength, "AES-256-GCM needs a 32-byte key, 12-byte nonce")
        let context = try CipherContext()
        try context.check(EVP_EncryptInit_ex(context.handle, EVP_aes_256_gcm(), nil, nil, nil), "EVP_EncryptInit_ex")
        try setNonceLength(of: context)
        try context.check(EVP_EncryptInit_ex(context.handle, nil, nil, key, nonce), "EVP_EncryptInit_ex")
        try context.authenticate(additionalData, with: EVP_EncryptUpdate, "EVP_EncryptUpdate")
        let ciphertext = try context.transform(plaintext, with: EVP_EncryptUpdate, "EVP_EncryptUpdate")
        // GCM is a stream mode: EVP_EncryptFinal_ex writes no bytes, it only completes the tag.
        var scratch = [UInt8](repeating: 0, count: tagLength)
        var written: Int32 = 0
        try context.check(EVP_EncryptFinal_ex(context.handle, &scratch, &written), "EVP_EncryptFinal_ex")
        var tag = [UInt8](repeating: 0, count: tagLength)
        try context.check(
            EVP_CIPHER_CTX_ctrl(context.handle, EVP_CTRL_GCM_GET_TAG, Int32(tagLength), &tag), "EVP_CIPHER_CTX_ctrl")
        return ciphertext + tag
    }

    /// The plaintext of `ciphertext`, once `tag` verifies over it and `additionalData`.
    ///
    /// Throws ``SecretsError/Kind/authenticationFailed`` when the tag does not verify; no byte of the unverified
    /// plaintext leaves this function.
    package static func open(
        _ ciphertext: ArraySlice<UInt8>, tag: ArraySlice<UInt8>, key: [UInt8], nonce: ArraySlice<UInt8>,
        additionalData: [UInt8]
    ) throws(SecretsError) -> [UInt8] {
        precondition(
            key.count == keyLength && nonce.count == nonceLength, "AES-256-GCM needs a 32-byte key, 12-byte nonce")
        precondition(tag.count == tagLength, "AES-256-GCM here uses a 16-byte tag")
        let context = try CipherContext()
        try context.check(EVP_DecryptInit_ex(context.handle, EVP_aes_256_gcm(), nil, nil, nil), "EVP_DecryptInit_ex")
        try setNonceLength(of: context)
        try context.check(EVP_DecryptInit_ex(context.handle, nil, nil, key, Array(nonce)), "EVP_DecryptInit_ex")
        try context.authenticate(additionalData, with: EVP_DecryptUpdate, "EVP_DecryptUpdate")
        let plaintext = try context.transform(Array(ciphertext), with: EVP_DecryptUpdate, "EVP_DecryptUpdate")
        var expectedTag = Array(tag)
        try context.check(
            EVP_CIPHER_CTX_ctrl(context.handle, EVP_CTRL_GCM_SET_TAG, Int32(tagLength), &expectedTag),
            "EVP_CIPHER_CTX_ctrl")
        // EVP_EncryptInit(3): "EVP_DecryptFinal_ex() will return an error code if ... the tag does not verify".
        var scratch = [UInt8](repeating: 0, count: tagLength)
        var written: Int32 = 0
        guard EVP_DecryptFinal_ex(context.handle, &scratch, &written) == 1 else {
            ERR_clear_error()
            throw SecretsError(.authenticationFailed)
        }
        return plaintext
    }

    /// Sets the nonce length explicitly rather than relying on GCM's default, so the two can never disagree.
    private static func setNonceLength(of context: borrowing CipherContext) throws(SecretsError) {
        try context.check(
            EVP_CIPHER_CTX_ctrl(context.handle, EVP_CTRL_GCM_SET_IVLEN, Int32(nonceLength), nil), "EVP_CIPHER_CTX_ctrl")
    }
}
