import Foundation
import JWT
import Testing

/// Tokens minted by an independent implementation, PyJWT (with keys `cryptography` makes at test time), verify;
/// the same tokens with any one character changed do not.
@Suite("PyJWT interoperability")
struct PyJWTInteropTests {
    /// Mints one token per algorithm; prints `{"HS256": {"token": ...}, "RS256": {"token": ..., "pem": ...}, ...}`.
    /// Private keys live only inside this Python process.
    static let mintScript = #"""
        import json, sys, jwt
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        secret, now = sys.argv[1].encode(), int(sys.argv[2])
        claims = {"sub": "user-1", "tenantId": "t1", "iat": now, "exp": now + 600,
                  "iss": "https://auth.example", "aud": ["tenant-whatsapp", "other"]}
        def pem(private):
            return private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ec_key = ec.generate_private_key(ec.SECP256R1())
        print(json.dumps({
            "HS256": {"token": jwt.encode(claims, secret, algorithm="HS256")},
            "RS256": {"token": jwt.encode(claims, rsa_key, algorithm="RS256"), "pem": pem(rsa_key)},
            "ES256": {"token": jwt.encode(claims, ec_key, algorithm="ES256"), "pem": pem(ec_key)},
        }))
        """#

    static let options = JWTValidationOptions(issuer: "https://auth.example", audience: "tenant-whatsapp")

    /// The minted tokens with a verifier for each.
    static func mint() throws -> [(algorithm: String, token: String, verifier: JWTVerifier)] {
        let secret = String(decoding: TokenFactory.secret, as: UTF8.self)
        let minted = try Python.json(mintScript, arguments: [secret, "\(Fixtures.now)"])
        return try ["HS256", "RS256", "ES256"].map { name in
            let entry = try #require(minted[name] as? [String: String])
            let token = try #require(entry["token"])
            let key =
                if let pem = entry["pem"] {
                    try JWTVerificationKey(
                        publicKeyPEM: Array(pem.utf8), algorithm: try #require(JWTAlgorithm(rawValue: name)))
                } else {
                    try JWTVerificationKey(hmacSecret: TokenFactory.secret)
                }
            return (name, token, JWTVerifier(key: key, options: options, clock: .fixed(at: Fixtures.now)))
        }
    }

    @Test func tokensMintedByPyJWTVerify() throws {
        for (algorithm, token, verifier) in try Self.mint() {
            let claims = try verifier.verify(token)
            #expect(claims.string("tenantId") == "t1", "\(algorithm)")
            #expect(claims.subject == "user-1", "\(algorithm)")
        }
    }

    @Test func anyOneChangedCharacterIsRefused() throws {
        for (algorithm, token, verifier) in try Self.mint() {
            var characters = Array(token.utf8)
            var accepted: [Int] = []
            for index in characters.indices {
                let original = characters[index]
                characters[index] = Self.replacement(for: original)
                if (try? verifier.verify(String(decoding: characters, as: UTF8.self))) != nil { accepted.append(index) }
                characters[index] = original
            }
            #expect(accepted.isEmpty, "\(algorithm): changing the character at \(accepted) still verified")
        }
    }

    @Test func aTokenMintedForOneAlgorithmFailsUnderTheOthers() throws {
        let minted = try Self.mint()
        for (algorithm, token, _) in minted {
            for (otherAlgorithm, _, verifier) in minted where otherAlgorithm != algorithm {
                #expect(throws: JWTError(.algorithmNotAllowed, name: "alg")) { try verifier.verify(token) }
            }
        }
    }

    /// Another base64url character, or a letter in place of a dot.
    private static func replacement(for byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "."): UInt8(ascii: "A")
        case UInt8(ascii: "A"): UInt8(ascii: "B")
        default: UInt8(ascii: "A")
        }
    }
}
