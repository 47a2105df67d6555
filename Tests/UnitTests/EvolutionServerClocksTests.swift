import Logging
import Postgres
import Runtime
import Testing

@testable import TenantWhatsApp

/// The process's clocks of every server: learned in memory, read from the store at start, and written to it only when
/// a server's offset changes, never per delivery (docs/webhooks.md, "Learning each server's offset").
@Suite("Evolution server clocks")
struct EvolutionServerClocksTests {
    /// The store in memory, counting its writes, with failures scripted.
    final class RecordingStore: EvolutionClockStore, @unchecked Sendable {
        private let state = ConditionLock<(saves: [String], failing: Bool)>(([], false))
        var saves: [String] { state.withLock { $0.saves } }
        var failing: Bool {
            get { state.withLock { $0.failing } }
            set { state.withLock { $0.failing = newValue } }
        }

        func learnedOffsets() throws(PostgresError) -> [EvolutionServerID: EvolutionClockOffset] { [:] }

        func save(_ offset: EvolutionClockOffset, for server: EvolutionServerID) throws(PostgresError) {
            let failing = state.withLock { state in
                if !state.failing { state.saves.append("\(server)=\(offset.minutes)") }
                return state.failing
            }
            if failing { throw PostgresError(kind: .connectionLost, message: "server closed the connection") }
        }
    }

    private static let logger = Logger(label: "clocks-test") { _ in SwiftLogNoOpLogHandler() }
    private static let s1 = EvolutionServerID("s1")!
    private let start = Timestamp(millisecondsSinceEpoch: 1_796_000_000_000)

    /// A delivery of `server` stamped `seconds` after the start on a host `offsetMinutes` east of UTC, signed then.
    private func deliver(
        _ clocks: EvolutionServerClocks, server: EvolutionServerID = s1, at seconds: Int64, offsetMinutes: Int
    ) -> Int {
        let instant = start.millisecondsSinceEpoch + seconds * 1000
        let reading = EvolutionDateTime(
            reading: Timestamp(millisecondsSinceEpoch: instant + Int64(offsetMinutes) * 60_000))
        let signed = Timestamp(millisecondsSinceEpoch: instant)
        return clocks.offset(of: server, reading: reading, issuedAt: signed, receivedAt: signed).minutes
    }

    @Test func aServersOffsetIsStoredOnceHoweverManyDeliveriesTeachIt() {
        let store = RecordingStore()
        let clocks = EvolutionServerClocks(store: store, logger: Self.logger)
        for second in 0..<500 { #expect(deliver(clocks, at: Int64(second), offsetMinutes: -180) == -180) }
        #expect(deliver(clocks, server: .implicitDefault, at: 500, offsetMinutes: 0) == 0)
        #expect(store.saves == ["s1=-180", "default=0"])
        // Daylight saving time starts: stored again, once.
        for second in 501..<510 { #expect(deliver(clocks, at: Int64(second), offsetMinutes: -120) == -120) }
        #expect(store.saves == ["s1=-180", "default=0", "s1=-120"])
    }

    @Test func anOffsetReadAtStartIsUsedAndNotWrittenAgain() throws {
        let store = RecordingStore()
        let known = try #require(EvolutionClockOffset(minutes: 540))
        let clocks = EvolutionServerClocks(known: [Self.s1: known], store: store, logger: Self.logger)
        #expect(clocks.learnedOffset(of: Self.s1) == known)
        // One fresh delivery saying UTC is not enough to bring it down (three in a row are).
        #expect(deliver(clocks, at: 0, offsetMinutes: 0) == 540)
        #expect(deliver(clocks, at: 1, offsetMinutes: 540) == 540)
        #expect(store.saves.isEmpty)
    }

    @Test func anOffsetThatCouldNotBeStoredIsStoredAtTheNextDelivery() {
        let store = RecordingStore()
        store.failing = true
        let clocks = EvolutionServerClocks(store: store, logger: Self.logger)
        #expect(deliver(clocks, at: 0, offsetMinutes: 330) == 330)
        #expect(store.saves.isEmpty)
        store.failing = false
        #expect(deliver(clocks, at: 1, offsetMinutes: 330) == 330)
        #expect(deliver(clocks, at: 2, offsetMinutes: 330) == 330)
        #expect(store.saves == ["s1=330"])
    }
}
