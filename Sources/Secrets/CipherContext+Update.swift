internal import COpenSSL

extension CipherContext {
    /// `EVP_EncryptUpdate` or `EVP_DecryptUpdate`: context, output, output length, input, input length.
    typealias Update = (
        OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<Int32>?, UnsafePointer<UInt8>?, Int32
    ) -> Int32

    /// Feeds `data` as GCM's associated data: authenticated, not encrypted.
    ///
    /// EVP_EncryptInit(3): "To specify additional authenticated data (AAD), a call to EVP_CipherUpdate(),
    /// EVP_EncryptUpdate() or EVP_DecryptUpdate() should be made with the output parameter out set to NULL."
    func authenticate(_ data: [UInt8], with update: Update, _ function: String) throws(SecretsError) {
        guard !data.isEmpty else { return }
        let length = try Self.length(of: data, function)
        var written: Int32 = 0
        try check(update(handle, nil, &written, data, length), function)
    }

    /// The output of `update` over `input`: as many bytes as went in, GCM being a stream mode.
    func transform(_ input: [UInt8], with update: Update, _ function: String) throws(SecretsError) -> [UInt8] {
        guard !input.isEmpty else { return [] }
        let length = try Self.length(of: input, function)
        var output = [UInt8](repeating: 0, count: input.count)
        var written: Int32 = 0
        try check(update(handle, &output, &written, input, length), function)
        guard written == length else {
            throw SecretsError(.cryptoFailure(function: function, reason: "wrote \(written) of \(length) bytes"))
        }
        return output
    }

    /// The length of `bytes` as OpenSSL's `int`, or a failure for inputs of 2 GiB and more.
    private static func length(of bytes: [UInt8], _ function: String) throws(SecretsError) -> Int32 {
        guard let length = Int32(exactly: bytes.count) else {
            throw SecretsError(.cryptoFailure(function: function, reason: "input longer than OpenSSL's int"))
        }
        return length
    }
}
