import JWT
import Runtime
import Testing

/// The cache of verified tokens answers only what a full verification would, at the time it is asked.
@Suite("Verified token cache")
struct VerifiedTokenCacheTests {
    /// A verifier whose clock the test moves.
    private final class MovableClock: Sendable {
        let seconds = ConditionLock(Fixtures.now)
        var clock: JWTClock { JWTClock { [seconds] in seconds.withLock { $0 } } }
    }

    private func verifier(_ clock: MovableClock) -> JWTVerifier {
        JWTVerifier(key: try! JWTVerificationKey(hmacSecret: TokenFactory.secret), clock: clock.clock)
    }

    @Test func aVerifiedTokenIsAnsweredFromTheCacheWithTheSameClaims() throws {
        let clock = MovableClock()
        let cache = VerifiedTokenCache()
        let token = Fixtures.token()
        let first = try verifier(clock).verify(token, cache: cache)
        #expect(cache.count == 1)
        let second = try verifier(clock).verify(token, cache: cache)
        #expect(first.string("tenantId") == "t1" && second.string("tenantId") == "t1")
        #expect(second.members.map(\.0) == first.members.map(\.0))
    }

    @Test func aCachedTokenStillExpiresWithItsExpClaim() throws {
        let clock = MovableClock()
        let cache = VerifiedTokenCache()
        let token = Fixtures.token(payload: Fixtures.claims(exp: "\(Fixtures.now + 60)"))
        _ = try verifier(clock).verify(token, cache: cache)
        let leeway = JWTValidationOptions().leewaySeconds
        clock.seconds.withLock { $0 = Fixtures.now + 60 + leeway - 1 }
        _ = try verifier(clock).verify(token, cache: cache)
        clock.seconds.withLock { $0 = Fixtures.now + 60 + leeway }
        #expect(throws: JWTError.self) { try verifier(clock).verify(token, cache: cache) }
        do {
            _ = try verifier(clock).verify(token, cache: cache)
        } catch {
            #expect(error.reason == .expired)
        }
        #expect(cache.count == 0)
    }

    @Test func aCachedTokenIsNotAcceptedBeforeItsNotBefore() throws {
        let clock = MovableClock()
        let cache = VerifiedTokenCache()
        let token = Fixtures.token(payload: Fixtures.claims(#""nbf":\#(Fixtures.now - 5)"#))
        _ = try verifier(clock).verify(token, cache: cache)
        // The clock going back (an NTP step) puts the time before nbf and iat again: refused as a full check would.
        let leeway = JWTValidationOptions().leewaySeconds
        clock.seconds.withLock { $0 = Fixtures.now - 20 - leeway }
        #expect(throws: JWTError.self) { try verifier(clock).verify(token, cache: cache) }
    }

    @Test func refusedTokensAreNeverCached() {
        let clock = MovableClock()
        let cache = VerifiedTokenCache()
        let valid = Fixtures.token()
        let forged = String(valid.dropLast(2)) + (valid.hasSuffix("AA") ? "BA" : "AA")
        #expect(throws: JWTError.self) { try verifier(clock).verify(forged, cache: cache) }
        #expect(throws: JWTError.self) { try verifier(clock).verify(forged, cache: cache) }
        #expect(cache.count == 0)
    }

    @Test func aFullCacheStartsOverInsteadOfGrowing() throws {
        let clock = MovableClock()
        let cache = VerifiedTokenCache(capacity: 2)
        for index in 0..<5 {
            _ = try verifier(clock).verify(
                Fixtures.token(payload: Fixtures.claims(#""jti":"t\#(index)""#)), cache: cache)
            #expect(cache.count <= 2)
        }
    }
}
