import JWT
import Testing

/// The published examples of RFC 7515 (JWS) appendix A and RFC 7520 (JOSE cookbook) §4.4, with their keys.
///
/// The RFC 7515 tokens carry `exp` 1300819380 (2011-03-22T18:43:00Z), so the clock is pinned just before it. The
/// JWK public keys of A.2 and A.3 are written here as the equivalent PEM SubjectPublicKeyInfo blocks (public keys
/// only; no private key is needed to verify).
@Suite("RFC examples")
struct RFCExampleTests {
    static let insideValidity = JWTClock.fixed(at: 1_300_819_000)
    static let payload =
        "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"

    /// RFC 7515 A.1.1: the HS256 key `k`, as bytes.
    static let a1Secret: [UInt8] = [
        3, 35, 53, 75, 43, 15, 165, 188, 131, 126, 6, 101, 119, 123, 166, 143, 90, 179, 40, 230, 240, 84, 201, 40,
        169, 15, 132, 178, 210, 80, 46, 191, 211, 251, 90, 146, 210, 6, 71, 239, 150, 138, 180, 195, 119, 98, 61, 34,
        61, 46, 33, 114, 5, 46, 79, 8, 192, 205, 154, 245, 103, 208, 128, 163,
    ]
    static let a1Token =
        "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.\(payload).dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

    /// RFC 7515 A.2.1: the RSA public key (`n`, `e` = AQAB).
    static let a2PublicKey = """
        -----BEGIN PUBLIC KEY-----
        MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAofgWCuLjybRlzo0tZWJj
        NiuSfb4p4fAkd/wWJcyQoTbji9k0l8W26mPddxHmfHQp+Vaw+4qPCJrcS2mJPMEz
        P1Pt0Bm4d4QlL+yRT+SFd2lZS+pCgNMsD1W/YpRPEwOWvG6b32690r2jZ47soMZo
        9wGzjb/7OMg0LOL+bSf63kpaSHSXndS5z5rexMdbBYUsLA9e+KXBdQOS+UTo7WTB
        EMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6/I5IhlJH7aGhyxX
        FvUK+DWNmoudF8NAco9/h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXp
        oQIDAQAB
        -----END PUBLIC KEY-----
        """
    static let a2Token =
        "eyJhbGciOiJSUzI1NiJ9.\(payload)."
        + "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujG"
        + "bds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K"
        + "0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6"
        + "LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"

    /// RFC 7515 A.3.1: the P-256 public key (`x`, `y`).
    static let a3PublicKey = """
        -----BEGIN PUBLIC KEY-----
        MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEf83OJ3D2xF1Bg8vub9tLe1gHMzV7
        6e8Tus9uPHvRVEXH8UTNG72bfocs3+257rn0s2ldbqkLJK2KRiMohYjlrQ==
        -----END PUBLIC KEY-----
        """
    static let a3Token =
        "eyJhbGciOiJFUzI1NiJ9.\(payload)."
        + "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"

    /// RFC 7515 A.5: the unsecured JWS (`alg: none`, empty signature).
    static let a5Token = "eyJhbGciOiJub25lIn0.\(payload)."

    /// RFC 7520 §4.4: HS256 with the 32-byte symmetric key `hJtXIZ2u...` over a text payload (not JWT claims).
    static let rfc7520Secret = "hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg"
    static let rfc7520Token =
        "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjNzAzNyJ9."
        + "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwg"
        + "YW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9m"
        + "ZiB0by4.s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0"

    static func verifier(_ key: JWTVerificationKey, clock: JWTClock = insideValidity) -> JWTVerifier {
        JWTVerifier(key: key, clock: clock)
    }

    @Test func rfc7515A1HS256Verifies() throws {
        let claims = try Self.verifier(JWTVerificationKey(hmacSecret: Self.a1Secret)).verify(Self.a1Token)
        #expect(claims.string("iss") == "joe")
        #expect(claims["http://example.com/is_root"] == .bool(true))
    }

    @Test func rfc7515A2RS256Verifies() throws {
        let key = try JWTVerificationKey(publicKeyPEM: Array(Self.a2PublicKey.utf8), algorithm: .rs256)
        #expect(try Self.verifier(key).verify(Self.a2Token).string("iss") == "joe")
    }

    @Test func rfc7515A3ES256Verifies() throws {
        let key = try JWTVerificationKey(publicKeyPEM: Array(Self.a3PublicKey.utf8), algorithm: .es256)
        #expect(try Self.verifier(key).verify(Self.a3Token).string("iss") == "joe")
    }

    @Test func rfc7515A5UnsecuredTokenIsRejectedByEveryVerifier() throws {
        let keys = [
            try JWTVerificationKey(hmacSecret: Self.a1Secret),
            try JWTVerificationKey(publicKeyPEM: Array(Self.a2PublicKey.utf8), algorithm: .rs256),
            try JWTVerificationKey(publicKeyPEM: Array(Self.a3PublicKey.utf8), algorithm: .es256),
        ]
        for key in keys {
            #expect(throws: JWTError(.algorithmNone, name: "alg")) { try Self.verifier(key).verify(Self.a5Token) }
        }
    }

    @Test func rfc7515ExamplesAreExpiredAfterTheirExpiryPlusLeeway() throws {
        let key = try JWTVerificationKey(hmacSecret: Self.a1Secret)
        #expect(
            try Self.verifier(key, clock: .fixed(at: 1_300_819_380 + 59)).verify(Self.a1Token).string("iss") == "joe")
        let error = #expect(throws: JWTError.self) {
            try Self.verifier(key, clock: .fixed(at: 1_300_819_380 + 60)).verify(Self.a1Token)
        }
        #expect(error?.isExpired == true)
    }

    @Test func rfc7515ExamplesDoNotCrossVerify() throws {
        let rsa = try JWTVerificationKey(publicKeyPEM: Array(Self.a2PublicKey.utf8), algorithm: .rs256)
        let ec = try JWTVerificationKey(publicKeyPEM: Array(Self.a3PublicKey.utf8), algorithm: .es256)
        #expect(throws: JWTError(.algorithmNotAllowed, name: "alg")) { try Self.verifier(rsa).verify(Self.a3Token) }
        #expect(throws: JWTError(.algorithmNotAllowed, name: "alg")) { try Self.verifier(ec).verify(Self.a1Token) }
    }

    @Test func rfc7520Section4_4HS256Verifies() throws {
        let secret = try #require(TokenFactory.decode(Self.rfc7520Secret))
        let jws = try Self.verifier(JWTVerificationKey(hmacSecret: secret)).verifySignature(Self.rfc7520Token)
        #expect(String(decoding: jws.payload, as: UTF8.self).hasPrefix("It’s a dangerous business, Frodo"))
        #expect(jws.header["kid"] == "018c0ae5-4d9b-471b-bfd6-eef314bc7037")
    }
}
