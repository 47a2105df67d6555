import Foundation
import Testing

/// RS256 and ES256 deployments (`JWT_PUBLIC_KEY_FILE` + `JWT_ALGORITHM`) through nginx: tokens minted by PyJWT with
/// a key made at test time verify; the classic key confusion (an HS256 token MAC'd with the public key's PEM bytes,
/// Wycheproof tc 31, security case A5) does not. The private key never leaves the Python process.
@Suite("Public-key JWT deployments through nginx")
struct JWTPublicKeyThroughNginxTests {
    static let mintScript = #"""
        import json, sys, time, jwt
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        algorithm, path = sys.argv[1], sys.argv[2]
        if algorithm == "ES256":
            key = ec.generate_private_key(ec.SECP256R1())
        else:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        with open(path, "wb") as pem:
            pem.write(key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        now = int(time.time())
        claims = {"sub": "user-1", "tenantId": "t1", "iat": now, "exp": now + 600}
        print(json.dumps({
            "valid": jwt.encode(claims, key, algorithm=algorithm),
            "expired": jwt.encode(dict(claims, iat=now - 7200, exp=now - 3600), key, algorithm=algorithm),
        }))
        """#

    @Test(arguments: ["ES256", "RS256"])
    func verifiesItsOwnTokensAndRefusesKeyConfusion(algorithm: String) throws {
        let keyDirectory = try TestEnvironment.makeScratchDirectory("jwtkey")
        defer { try? FileManager.default.removeItem(at: keyDirectory) }
        let keyFile = keyDirectory.appendingPathComponent("public.pem")
        let minted = try Subprocess.run(["/usr/bin/env", "python3", "-c", Self.mintScript, algorithm, keyFile.path])
        try #require(minted.succeeded, "python3 with PyJWT (scripts/requirements-test.txt) failed: \(minted.error)")
        let tokens = try #require(
            try JSONSerialization.jsonObject(with: Data(minted.output.utf8)) as? [String: String])
        let pem = try String(contentsOf: keyFile, encoding: .utf8)

        let database = try TestPostgres.shared.createDatabase("jwtkey_\(UInt32.random(in: 0...UInt32.max))")
        let stack = try TestStack.start(
            databaseURL: database, threads: 2,
            environment: ["JWT_PUBLIC_KEY_FILE": keyFile.path, "JWT_ALGORITHM": algorithm])
        defer { stack.stop() }
        func send(_ token: String) throws -> (Int, String?) {
            let response = try stack.send(
                "GET", "/api/tenants/t1/whatsapp/status", headers: [("Authorization", "Bearer \(token)")])
            return (response.status, try response.jsonObject()["error"] as? String)
        }

        let valid = try #require(tokens["valid"])
        // Accepted: the handler looks the tenant up, and t1 does not exist in this database.
        #expect(try send(valid) == (404, "tenant_not_found"))
        #expect(try send(try #require(tokens["expired"])) == (401, "token_expired"))
        let confused = TestTokens.token(
            header: #"{"alg":"HS256","typ":"JWT"}"#, payload: TestTokens.claims(), secret: pem)
        #expect(try send(confused) == (401, "invalid_token"))
        let parts = valid.split(separator: ".").map(String.init)
        #expect(try send("\(TestTokens.encode(#"{"alg":"none"}"#)).\(parts[1]).") == (401, "invalid_token"))
        let otherSignature = parts[2].hasPrefix("A") ? "B" + parts[2].dropFirst() : "A" + parts[2].dropFirst()
        #expect(try send("\(parts[0]).\(parts[1]).\(otherSignature)") == (401, "invalid_token"))
    }
}
