internal import COpenSSL

extension SecretsError {
    /// A ``Kind/cryptoFailure(function:reason:)`` for `function`, with the reason OpenSSL queued for this thread.
    ///
    /// Empties the thread's error queue, so that a later failure is not blamed on this one. OpenSSL's reason
    /// strings name the failure ("bad decrypt", "malloc failure"), never the data.
    static func openSSLFailure(in function: String) -> SecretsError {
        let code = ERR_get_error()
        ERR_clear_error()
        let reason = ERR_reason_error_string(code).map { String(cString: $0) } ?? "no reason given"
        return SecretsError(.cryptoFailure(function: function, reason: reason))
    }
}
