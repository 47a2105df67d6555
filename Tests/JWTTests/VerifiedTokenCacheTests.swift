import JWT
import Runtime
import Testing

/// The cache of verified tokens answers only what a full verification would, at the time it is asked.
@Suite("Verified token cache")
struct VerifiedTokenCacheTests {
    /// A verifier whose clock the test moves.
    private final class MovableClock: Sendable {
        let seconds = ConditionLock(Fixtures.now)
        /// How often the clock was read: a full verification reads it once more than an answer from the cache.
        let reads = ConditionLock(0)
        var clock: JWTClock {
            JWTClock { [seconds, reads] in
                reads.withLock { $0 += 1 }
                return seconds.withLock { $0 }
            }
        }
    }

    private func verifier(_ clock: MovableClock, _ cache: VerifiedTokenCache) -> JWTVerifier {
        JWTVerifier(
            key: try! JWTVerificationKey(hmacSecret: TokenFactory.secret), clock: clock.clock, verifiedTokens: cache)
    }

    @Test func aVerifiedTokenIsAnsweredFromTheCacheWithTheSameClaims() throws {
        let clock = MovableClock()
        let cache = VerifiedTokenCache()
        let token = Fixtures.token()
        let first = try verifier(clock, cache).verify(token)
        #expect(cache.count == 1)
        let readsOfAFullVerification = clock.reads.withLock { $0 }
        let second = try verifier(clock, cache).verify(token)
        // Answered from the cache: the clock read once, for the validity window, and nothing verified again.
        #expect(clock.reads.withLock { $0 } == readsOfAFullVerification + 1)
        #expect(readsOfAFullVerification == 2)
        #expect(first.string("tenantId") == "t1" && second.string("tenantId") == "t1")
        #expect(second.members.map(\.0) == first.members.map(\.0))
    }

    @Test func aCachedTokenStillExpiresWithItsExpClaim() throws {
        let clock = MovableClock()
        let cache = VerifiedTokenCache()
        let token = Fixtures.token(payload: Fixtures.claims(exp: "\(Fixtures.now + 60)"))
        _ = try verifier(clock, cache).verify(token)
        let leeway = JWTValidationOptions().leewaySeconds
        clock.seconds.withLock { $0 = Fixtures.now + 60 + leeway - 1 }
        _ = try verifier(clock, cache).verify(token)
        clock.seconds.withLock { $0 = Fixtures.now + 60 + leeway }
        #expect(throws: JWTError.self) { try verifier(clock, cache).verify(token) }
        do {
            _ = try verifier(clock, cache).verify(token)
        } catch {
            #expect(error.reason == .expired)
        }
        #expect(cache.count == 0)
    }

    @Test func aCachedTokenIsNotAcceptedBeforeItsNotBefore() throws {
        let clock = MovableClock()
        let cache = VerifiedTokenCache()
        let token = Fixtures.token(payload: Fixtures.claims(#""nbf":\#(Fixtures.now - 5)"#))
        _ = try verifier(clock, cache).verify(token)
        // The clock going back (an NTP step) puts the time before nbf and iat again: refused as a full check would.
        let leeway = JWTValidationOptions().leewaySeconds
        clock.seconds.withLock { $0 = Fixtures.now - 20 - leeway }
        #expect(throws: JWTError.self) { try verifier(clock, cache).verify(token) }
    }

    @Test func refusedTokensAreNeverCached() {
        let clock = MovableClock()
        let cache = VerifiedTokenCache()
        let valid = Fixtures.token()
        let forged = String(valid.dropLast(2)) + (valid.hasSuffix("AA") ? "BA" : "AA")
        #expect(throws: JWTError.self) { try verifier(clock, cache).verify(forged) }
        #expect(throws: JWTError.self) { try verifier(clock, cache).verify(forged) }
        #expect(cache.count == 0)
    }

    @Test func aFullCacheStartsOverInsteadOfGrowing() throws {
        let clock = MovableClock()
        let cache = VerifiedTokenCache(capacity: 2)
        for index in 0..<5 {
            _ = try verifier(clock, cache).verify(Fixtures.token(payload: Fixtures.claims(#""jti":"t\#(index)""#)))
            #expect(cache.count <= 2)
        }
    }
}
