import Logging
import Runtime

/// The clocks of every Evolution server as this process learns them from their deliveries (``EvolutionServerClock``
/// each), shared by every worker thread; a learned offset is stored (``EvolutionClockStore``) only when it changes.
///
/// In memory per process, so a server delivering many events a second never contends on a row: the store is read once
/// at start and written a few times a year per server (its first delivery, daylight saving time).
final class EvolutionServerClocks: Sendable {
    private struct State {
        var clocks: [EvolutionServerID: EvolutionServerClock] = [:]
        /// What the store holds (or is being given) per server, so an unchanged offset is never written again.
        var stored: [EvolutionServerID: EvolutionClockOffset] = [:]
    }

    private let state: ConditionLock<State>
    private let store: (any EvolutionClockStore)?
    private let logger: Logger

    /// Clocks that start from `known` (read from `store` at start) and store each change in `store` (none: memory
    /// only).
    init(known: [EvolutionServerID: EvolutionClockOffset] = [:], store: (any EvolutionClockStore)?, logger: Logger) {
        var state = State()
        for (server, offset) in known {
            state.clocks[server] = EvolutionServerClock(offset: offset)
            state.stored[server] = offset
        }
        self.state = ConditionLock(state)
        self.store = store
        self.logger = logger
    }

    /// Learns from one delivery of `server` and answers the offset its `reading` is converted with.
    ///
    /// `issuedAt` is the delivery token's `iat` (nil without one), `receivedAt` this host's clock now; `reading` has
    /// passed ``EvolutionDateTime/check(against:)``.
    func offset(
        of server: EvolutionServerID, reading: EvolutionDateTime, issuedAt: Timestamp?, receivedAt: Timestamp
    ) -> EvolutionClockOffset {
        let (offset, changed, unstored) = state.withLock { state in
            var clock = state.clocks[server] ?? EvolutionServerClock()
            let changed = clock.observe(reading: reading, issuedAt: issuedAt, receivedAt: receivedAt)
            state.clocks[server] = clock
            let offset = clock.offset ?? .utc
            let unstored = state.stored[server] == offset ? nil : offset
            if let unstored { state.stored[server] = unstored }
            return (offset, changed, unstored)
        }
        if changed {
            logger.info(
                "Evolution server clock offset learned",
                metadata: ["server": .string(server.rawValue), "offset": .string(offset.description)])
        }
        if let unstored { save(unstored, for: server) }
        return offset
    }

    /// The offset `server`'s readings are converted with now; nil before its first delivery.
    func learnedOffset(of server: EvolutionServerID) -> EvolutionClockOffset? {
        state.withLock { $0.clocks[server]?.offset }
    }

    /// Stores `offset` as `server`'s; a failure is logged and the store is tried again at the server's next delivery.
    private func save(_ offset: EvolutionClockOffset, for server: EvolutionServerID) {
        guard let store else { return }
        do {
            try store.save(offset, for: server)
        } catch {
            state.withLock { state in
                if state.stored[server] == offset { state.stored[server] = nil }
            }
            logger.warning(
                "Evolution server clock offset not stored; tried again at its next delivery",
                metadata: ["server": .string(server.rawValue), "error": .string(error.description)])
        }
    }
}
