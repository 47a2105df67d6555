internal import COpenSSL

extension JWTVerificationKey {
    /// Whether `signature` signs `signingInput` (the ASCII `header.payload`) under this key and its algorithm.
    ///
    /// Every failure is just `false`; OpenSSL's per-thread error queue is emptied afterwards so that a stale entry
    /// never surfaces in a later libpq or libcurl TLS call on the same thread.
    func isValidSignature(_ signature: [UInt8], of signingInput: ArraySlice<UInt8>) -> Bool {
        defer { ERR_clear_error() }
        switch material {
        case .secret(let keyed):
            return Self.macMatches(signature, keyed: keyed, signingInput: signingInput)
        case .publicKey(let key, let signatureLength):
            guard signature.count == signatureLength else { return false }
            if algorithm == .es256 {
                guard let der = Self.derSignature(fromJOSE: signature) else { return false }
                return Self.digestVerify(key: key, signature: der, signingInput: signingInput)
            }
            return Self.digestVerify(key: key, signature: signature, signingInput: signingInput)
        }
    }

    /// HMAC-SHA-256 of the input, compared in constant time (`CRYPTO_memcmp`) with a signature of exactly 32 bytes.
    private static func macMatches(_ signature: [UInt8], keyed: OpaquePointer, signingInput: ArraySlice<UInt8>) -> Bool
    {
        let macLength = 32
        guard signature.count == macLength else { return false }
        var mac = [UInt8](repeating: 0, count: macLength)
        let computed = signingInput.withUnsafeBufferPointer { data in
            mac.withUnsafeMutableBufferPointer { output in
                tw_hmac_sha256(keyed, data.baseAddress, data.count, output.baseAddress) == 1
            }
        }
        guard computed else { return false }
        return CRYPTO_memcmp(mac, signature, macLength) == 0
    }

    /// `EVP_DigestVerify` with SHA-256: PKCS#1 v1.5 for an RSA key (its default padding), ECDSA for an EC key.
    private static func digestVerify(key: OpaquePointer, signature: [UInt8], signingInput: ArraySlice<UInt8>) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, EVP_sha256(), nil, key) == 1 else { return false }
        return signature.withUnsafeBufferPointer { signatureBytes in
            signingInput.withUnsafeBufferPointer { data in
                // 1 is a valid signature; 0 is a wrong one and a negative value an error: both refuse.
                EVP_DigestVerify(
                    context, signatureBytes.baseAddress, signatureBytes.count, data.baseAddress, data.count)
                    == 1
            }
        }
    }

    /// The DER `ECDSA-Sig-Value` OpenSSL verifies, from the JOSE form: `r || s`, 32 big-endian bytes each
    /// (RFC 7518 §3.4). The caller has checked the length; r or s out of range fails the verification itself.
    static func derSignature(fromJOSE signature: [UInt8]) -> [UInt8]? {
        guard signature.count == 64, let ecdsaSignature = ECDSA_SIG_new() else { return nil }
        defer { ECDSA_SIG_free(ecdsaSignature) }
        let (r, s) = signature.withUnsafeBufferPointer { bytes in
            (BN_bin2bn(bytes.baseAddress, 32, nil), BN_bin2bn(bytes.baseAddress! + 32, 32, nil))
        }
        // ECDSA_SIG_set0 takes ownership of both numbers on success only.
        guard let r, let s, ECDSA_SIG_set0(ecdsaSignature, r, s) == 1 else {
            BN_free(r)
            BN_free(s)
            return nil
        }
        let length = i2d_ECDSA_SIG(ecdsaSignature, nil)
        guard length > 0 else { return nil }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return i2d_ECDSA_SIG(ecdsaSignature, &cursor)
        }
        return written == length ? der : nil
    }
}
