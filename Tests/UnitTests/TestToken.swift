import COpenSSL
import Foundation

/// HS256 tokens for the request-level tests, signed with OpenSSL's one-shot `HMAC()`.
enum TestToken {
    static let secret = ConfigurationTests.secret
    static let now = Int(Date().timeIntervalSince1970)

    /// A token for `tenantId` (or with the given claims as raw JSON), valid for ten minutes.
    static func make(tenantID: String = "t1", claims: String? = nil, secret: String = secret) -> String {
        let payload = claims ?? #"{"sub":"u1","tenantId":"\#(tenantID)","exp":\#(now + 600)}"#
        let input = encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8)) + "." + encode(Array(payload.utf8))
        var mac = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let key = Array(secret.utf8)
        let data = Array(input.utf8)
        _ = HMAC(EVP_sha256(), key, Int32(key.count), data, data.count, &mac, &length)
        return input + "." + encode(mac)
    }

    private static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
