import Foundation
import JWT
import Testing

/// Wycheproof's JSON Web Signature vectors (C2SP/wycheproof `json_web_signature_test.json`), read from the shared
/// data folder beside the package — never copied into it.
///
/// Every group whose key is for HS256, RS256 or ES256 runs through ``JWTVerifier/verifySignature(_:)`` (the
/// payloads are not JWT claims): invalid vectors must be refused, valid ones accepted, except the documented
/// ``exceptions``, whose opposite outcome is asserted so the list stays true. Groups for RS384, RS512, PS* and
/// ES512 hold valid vectors no deployment can accept (those algorithms cannot be configured); their invalid
/// vectors are run against an RS256 deployment holding the same RSA key, and must be refused too.
@Suite(
    "Wycheproof JWS vectors",
    .enabled(
        if: WycheproofFile.isPresent,
        "Skipped, not passed: ../shared/data/wycheproof/json_web_signature_test.json is missing beside the package")
)
struct WycheproofTests {
    static var vectorsURL: URL { WycheproofFile.url }

    /// Vectors whose expected result this verifier deliberately does not give, with the reason.
    static let exceptions: [Int: String] = [
        372: "valid per Wycheproof, but a '?' inside the header segment is not base64url: the strict decoder refuses",
        373: "valid per Wycheproof, but a '?' inside the payload segment is not base64url: the strict decoder refuses",
        353: "the key's JWK says use=enc; the product's key is a PEM public key, which carries no usage to check",
        354: "the key's JWK says use=enc; the product's key is a PEM public key, which carries no usage to check",
        355: "the key's JWK says key_ops=[encrypt]; a PEM public key carries no key_ops to check",
        356: "the key's JWK says key_ops=[encrypt]; a PEM public key carries no key_ops to check",
        332: "a genuine RS256 signature by a key whose JWK says alg=PS512; a PEM public key carries no algorithm",
        367: "invalid per Wycheproof, but byte for byte the token of tc 357 (valid): the padding it names is absent",
        370: "invalid per Wycheproof, but byte for byte the token of tc 357 (valid): the padding it names is absent",
    ]

    /// Turns each group's public JWK (RSA or EC) into a PEM SubjectPublicKeyInfo, keyed by the group's index.
    static let jwkToPEMScript = #"""
        import base64, json, sys
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        def number(text):
            return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")
        curves = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(), "P-521": ec.SECP521R1()}
        pems = {}
        for index, group in enumerate(json.load(open(sys.argv[1]))["testGroups"]):
            jwk = group.get("public")
            if jwk is None:
                continue
            if jwk["kty"] == "RSA":
                key = rsa.RSAPublicNumbers(number(jwk["e"]), number(jwk["n"])).public_key()
            elif jwk["kty"] == "EC":
                key = ec.EllipticCurvePublicNumbers(number(jwk["x"]), number(jwk["y"]), curves[jwk["crv"]]).public_key()
            else:
                continue
            pems[str(index)] = key.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        print(json.dumps(pems))
        """#

    struct Vector {
        let id: Int
        let token: String
        let isValid: Bool
        let comment: String
    }

    struct Group {
        let index: Int
        let algorithm: JWTAlgorithm
        let vectors: [Vector]
    }

    @Test func vectorsForHS256RS256AndES256GiveTheirExpectedResult() throws {
        let (groups, verifiers) = try Self.load()
        var counts = (validAccepted: 0, invalidRefused: 0, exceptions: 0)
        for group in groups {
            let verifier = try #require(verifiers[group.index], "no key for group \(group.index)")
            for vector in group.vectors {
                let accepted = (try? verifier.verifySignature(vector.token)) != nil
                let expected = Self.exceptions[vector.id] == nil ? vector.isValid : !vector.isValid
                let outcome = expected ? "accepted" : "refused"
                #expect(
                    accepted == expected,
                    "tc \(vector.id) (\(group.algorithm.rawValue), \(vector.comment)): expected \(outcome)")
                if Self.exceptions[vector.id] != nil {
                    counts.exceptions += 1
                } else if vector.isValid {
                    counts.validAccepted += accepted ? 1 : 0
                } else {
                    counts.invalidRefused += accepted ? 0 : 1
                }
            }
        }
        let total = groups.map(\.vectors.count).reduce(0, +)
        // The file's HS256, RS256 and ES256 groups: 20 valid (2 exceptions) and 296 invalid (6 exceptions).
        #expect(total == 316)
        #expect(counts == (18, 290, 8))
    }

    @Test func invalidVectorsOfOtherAlgorithmsAreRefusedByAnRS256DeploymentWithTheSameKey() throws {
        let (groups, pems) = try Self.otherGroups()
        var refused = 0
        for (index, vectors) in groups where vectors.contains(where: { !$0.isValid }) {
            let pem = try #require(pems[index], "group \(index) has invalid vectors but no RSA key")
            let key = try JWTVerificationKey(publicKeyPEM: Array(pem.utf8), algorithm: .rs256)
            let verifier = JWTVerifier(key: key)
            for vector in vectors where !vector.isValid {
                let accepted = (try? verifier.verifySignature(vector.token)) != nil
                #expect(accepted == (Self.exceptions[vector.id] != nil), "tc \(vector.id) (\(vector.comment))")
                refused += accepted ? 0 : 1
            }
        }
        // 59 invalid vectors in the PS256, PS384 and PS512 groups; with the 296 above, all 355 of the file.
        #expect(refused == 58)
    }

    @Test func everyExceptionIsAVectorOfTheFile() throws {
        let (groups, _) = try Self.load()
        let ids = Set(groups.flatMap(\.vectors).map(\.id) + (try Self.otherGroups().groups.flatMap(\.1).map(\.id)))
        #expect(ids.count == 401)
        #expect(Set(Self.exceptions.keys).isSubset(of: ids))
    }

    @Test func the367And370ExceptionsAreCopiesOfAValidVector() throws {
        let vectors = Dictionary(uniqueKeysWithValues: try Self.load().groups.flatMap(\.vectors).map { ($0.id, $0) })
        let valid = try #require(vectors[357])
        #expect(valid.isValid)
        for id in [367, 370] {
            let copy = try #require(vectors[id])
            #expect(!copy.isValid && copy.token == valid.token, "tc \(id)")
        }
    }

    /// The vectors of the groups whose algorithm cannot be configured, with their RSA key's PEM when they have one.
    static func otherGroups() throws -> (groups: [(Int, [Vector])], pems: [Int: String]) {
        let file = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: vectorsURL)) as? [String: Any])
        let rawGroups = try #require(file["testGroups"] as? [[String: Any]])
        let pems = try Python.json(jwkToPEMScript, arguments: [vectorsURL.path])
        var groups: [(Int, [Vector])] = []
        var rsaPEMs: [Int: String] = [:]
        for (index, rawGroup) in rawGroups.enumerated() where try algorithm(of: rawGroup) == nil {
            groups.append((index, try vectors(of: rawGroup)))
            let jwk = try #require((rawGroup["public"] ?? rawGroup["private"]) as? [String: Any])
            if jwk["kty"] as? String == "RSA" { rsaPEMs[index] = pems[String(index)] as? String }
        }
        return (groups, rsaPEMs)
    }

    /// The applicable groups, and a verifier for each (keyed by group index).
    static func load() throws -> (groups: [Group], verifiers: [Int: JWTVerifier]) {
        let file = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: vectorsURL)) as? [String: Any])
        let rawGroups = try #require(file["testGroups"] as? [[String: Any]])
        let pems = try Python.json(jwkToPEMScript, arguments: [vectorsURL.path])
        var groups: [Group] = []
        var verifiers: [Int: JWTVerifier] = [:]
        for (index, rawGroup) in rawGroups.enumerated() {
            guard let algorithm = try algorithm(of: rawGroup) else { continue }
            let key: JWTVerificationKey
            if algorithm == .hs256 {
                let jwk = try #require(rawGroup["private"] as? [String: Any])
                let encodedSecret = try #require(jwk["k"] as? String)
                let secret = try #require(TokenFactory.decode(encodedSecret))
                key = try JWTVerificationKey(hmacSecret: secret)
            } else {
                let pem = try #require(pems[String(index)] as? String)
                key = try JWTVerificationKey(publicKeyPEM: Array(pem.utf8), algorithm: algorithm)
            }
            verifiers[index] = JWTVerifier(key: key)
            groups.append(Group(index: index, algorithm: algorithm, vectors: try vectors(of: rawGroup)))
        }
        return (groups, verifiers)
    }

    /// The JWS algorithm a group's key is for: its JWK `alg`, else RS256 for RSA and ES256 for P-256 (the groups
    /// whose keys are for encryption name none); nil when it is not one this verifier supports.
    private static func algorithm(of group: [String: Any]) throws -> JWTAlgorithm? {
        let jwk = try #require((group["public"] ?? group["private"]) as? [String: Any])
        if let name = jwk["alg"] as? String { return JWTAlgorithm(rawValue: name) }
        switch (jwk["kty"] as? String, jwk["crv"] as? String) {
        case ("RSA", _): return .rs256
        case ("EC", "P-256"): return .es256
        default: return nil
        }
    }

    private static func vectors(of group: [String: Any]) throws -> [Vector] {
        try #require(group["tests"] as? [[String: Any]]).map { test in
            let id = try #require(test["tcId"] as? Int)
            // One vector is a JWS JSON serialization (an object): the compact-only verifier gets its JSON text.
            let token: String
            if let compact = test["jws"] as? String {
                token = compact
            } else {
                let object = try #require(test["jws"])
                let json = try JSONSerialization.data(withJSONObject: object)
                token = String(decoding: json, as: UTF8.self)
            }
            let result = try #require(test["result"] as? String)
            return Vector(id: id, token: token, isValid: result == "valid", comment: test["comment"] as? String ?? "")
        }
    }
}

/// Where the shared Wycheproof file is: `../shared/data/` from the package root (found from this file's path).
enum WycheproofFile {
    static let url = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/data/wycheproof/json_web_signature_test.json").standardizedFileURL

    static var isPresent: Bool { FileManager.default.fileExists(atPath: url.path) }
}
