import Dispatch
import JWT
import Testing

/// One key serves every worker thread: the shared `EVP_PKEY` verifies from many threads at once.
@Suite("Shared key across threads")
struct ConcurrencyTests {
    @Test(arguments: [JWTAlgorithm.hs256, .rs256, .es256])
    func verifiesFromManyThreadsAtOnce(algorithm: JWTAlgorithm) throws {
        let (key, token): (JWTVerificationKey, String) =
            switch algorithm {
            case .hs256: (try JWTVerificationKey(hmacSecret: RFCExampleTests.a1Secret), RFCExampleTests.a1Token)
            case .rs256:
                (
                    try JWTVerificationKey(publicKeyPEM: Array(RFCExampleTests.a2PublicKey.utf8), algorithm: .rs256),
                    RFCExampleTests.a2Token
                )
            case .es256:
                (
                    try JWTVerificationKey(publicKeyPEM: Array(RFCExampleTests.a3PublicKey.utf8), algorithm: .es256),
                    RFCExampleTests.a3Token
                )
            }
        let verifier = JWTVerifier(key: key, clock: RFCExampleTests.insideValidity)
        let forged = String(token.dropLast()) + (token.hasSuffix("A") ? "B" : "A")
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<100 {
                if (try? verifier.verify(token)) == nil { failures.add() }
                if (try? verifier.verify(forged)) != nil { failures.add() }
            }
        }
        #expect(failures.count == 0)
    }
}

/// A counter the worker threads share.
private final class Failures: @unchecked Sendable {
    private let lock = DispatchQueue(label: "failures")
    private var value = 0

    func add() { lock.sync { value += 1 } }
    var count: Int { lock.sync { value } }
}
