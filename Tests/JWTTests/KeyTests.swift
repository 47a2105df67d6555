import Foundation
import Testing

@testable import JWT

/// Which keys are accepted: secret length, PEM format, key type, RSA size and curve (made by `cryptography` at
/// test time; only public keys leave the Python process, except the one private key that must be refused).
@Suite("Verification keys")
struct KeyTests {
    static let keyScript = #"""
        import json
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec, rsa, ed25519
        def public(key):
            return key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        rsa2048 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        print(json.dumps({
            "rsa2048": public(rsa2048),
            "rsa1024": public(rsa.generate_private_key(public_exponent=65537, key_size=1024)),
            "p256": public(ec.generate_private_key(ec.SECP256R1())),
            "p384": public(ec.generate_private_key(ec.SECP384R1())),
            "secp256k1": public(ec.generate_private_key(ec.SECP256K1())),
            "ed25519": public(ed25519.Ed25519PrivateKey.generate()),
            "rsaPKCS1": rsa2048.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.PKCS1).decode(),
            "rsaPrivate": rsa2048.private_bytes(serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode(),
        }))
        """#

    static let pems: [String: String] = {
        (try? Python.json(keyScript) as? [String: String]) ?? [:]
    }()

    private func key(_ name: String, _ algorithm: JWTAlgorithm) throws -> JWTVerificationKey {
        let pem = try #require(Self.pems[name], "python3 with cryptography made no \(name) key")
        return try JWTVerificationKey(publicKeyPEM: Array(pem.utf8), algorithm: algorithm)
    }

    @Test func requiresAnHMACSecretOfAtLeast32Bytes() throws {
        #expect(throws: JWTKeyError(.secretTooShort(minimumBytes: 32))) {
            try JWTVerificationKey(hmacSecret: Array(repeating: 1, count: 31))
        }
        #expect(throws: JWTKeyError(.secretTooShort(minimumBytes: 32))) { try JWTVerificationKey(hmacSecret: []) }
        #expect(try JWTVerificationKey(hmacSecret: Array(repeating: 1, count: 32)).algorithm == .hs256)
    }

    @Test func acceptsRSA2048ForRS256AndP256ForES256() throws {
        #expect(try key("rsa2048", .rs256).algorithm == .rs256)
        #expect(try key("rsaPKCS1", .rs256).algorithm == .rs256)
        #expect(try key("p256", .es256).algorithm == .es256)
    }

    @Test func refusesAKeyOfTheWrongTypeForTheAlgorithm() throws {
        #expect(throws: JWTKeyError(.wrongKeyType(expected: "EC", algorithm: .es256))) { try key("rsa2048", .es256) }
        #expect(throws: JWTKeyError(.wrongKeyType(expected: "RSA", algorithm: .rs256))) { try key("p256", .rs256) }
        #expect(throws: JWTKeyError(.wrongKeyType(expected: "EC", algorithm: .es256))) { try key("ed25519", .es256) }
        #expect(throws: JWTKeyError(.wrongKeyKind(.hs256))) { try key("p256", .hs256) }
    }

    @Test func refusesSmallRSAKeysAndOtherCurves() throws {
        #expect(throws: JWTKeyError(.rsaKeyTooSmall(bits: 1024, minimumBits: 2048))) { try key("rsa1024", .rs256) }
        #expect(throws: JWTKeyError(.wrongCurve)) { try key("p384", .es256) }
        #expect(throws: JWTKeyError(.wrongCurve)) { try key("secp256k1", .es256) }
    }

    @Test func refusesWhatIsNotAPEMPublicKey() throws {
        #expect(throws: JWTKeyError(.notAPublicKeyPEM)) { try key("rsaPrivate", .rs256) }
        for text in ["", "not a key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"] {
            #expect(throws: JWTKeyError(.notAPublicKeyPEM)) {
                try JWTVerificationKey(publicKeyPEM: Array(text.utf8), algorithm: .rs256)
            }
        }
    }

    @Test func errorDescriptionsNeverQuoteTheKey() throws {
        let pem = try #require(Self.pems["rsaPrivate"])
        do {
            _ = try JWTVerificationKey(publicKeyPEM: Array(pem.utf8), algorithm: .es256)
            Issue.record("a private key was accepted")
        } catch {
            #expect(!error.description.contains("PRIVATE"))
            #expect(!error.description.contains(pem.split(separator: "\n")[1]))
        }
    }

    @Test func refusesES256SignaturesOfTheWrongLengthOrInDER() throws {
        let key = try JWTVerificationKey(publicKeyPEM: Array(RFCExampleTests.a3PublicKey.utf8), algorithm: .es256)
        let verifier = JWTVerifier(key: key, clock: RFCExampleTests.insideValidity)
        let parts = RFCExampleTests.a3Token.split(separator: ".").map(String.init)
        let raw = try #require(TokenFactory.decode(parts[2]))
        let der = try #require(JWTVerificationKey.derSignature(fromJOSE: raw))
        for signature in [raw + [0], Array(raw.dropLast()), [0] + raw, der, raw + raw] {
            let token = "\(parts[0]).\(parts[1]).\(TokenFactory.encode(signature))"
            #expect(throws: JWTError(.invalidSignature)) { try verifier.verify(token) }
        }
    }
}
