import Runtime

@testable import TenantWhatsApp

/// The Evolution API in memory: each method answers from its own script, in order, and every call is recorded with
/// its instance name, its deadline and when (on the test's clock) it was made. An unscripted call fails with a 599,
/// which the recorded calls then show.
final class FakeEvolution: EvolutionAPI {
    /// One call as the flows made it.
    enum Call: Sendable, Equatable, CustomStringConvertible {
        case createInstance(String)
        case connect(String)
        case connectionState(String)
        case logout(String)
        case deleteInstance(String)
        /// `POST /instance/create` with `number` (pairing-code mode): the name and the digits.
        case createInstanceForPairing(String, number: String)
        /// `GET /instance/connect/{name}?number=`: the name and the digits.
        case connectForPairing(String, number: String)
        /// `GET /instance/fetchInstances`.
        case fetchInstances
        /// `GET /instance/fetchInstances?instanceName=`.
        case fetchInstance(String)

        var description: String {
            switch self {
            case .createInstance(let name): "createInstance(\(name))"
            case .connect(let name): "connect(\(name))"
            case .connectionState(let name): "connectionState(\(name))"
            case .logout(let name): "logout(\(name))"
            case .deleteInstance(let name): "deleteInstance(\(name))"
            case .createInstanceForPairing(let name, let number): "createInstance(\(name), number: \(number))"
            case .connectForPairing(let name, let number): "connect(\(name), number: \(number))"
            case .fetchInstances: "fetchInstances"
            case .fetchInstance(let name): "fetchInstances(\(name))"
            }
        }
    }

    /// A call with its deadline and the time it was made at.
    struct Recorded: Sendable {
        let call: Call
        let deadline: ContinuousClock.Instant
        let at: Duration
    }

    /// What an unscripted call throws.
    static let unscripted = EvolutionError.server(status: 599, messages: ["unscripted call"])
    /// The QR code the scripts hand out.
    static let qrCode = EvolutionQRCode(
        pngDataURL: "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==", code: "2@abc", pairingCode: nil, count: 1)

    /// What `POST /instance/create` answers for `name`, with `qrCode` (nil: none in the answer).
    static func created(_ name: String, qrCode: EvolutionConnectResult? = .qrCode(qrCode)) -> EvolutionCreatedInstance {
        EvolutionCreatedInstance(
            name: name, instanceID: "7d4c3b2a-0000-4000-8000-000000000001", status: .connecting,
            token: EvolutionInstanceToken("instance-token"), qrCode: qrCode)
    }

    private struct State {
        var creates: [Result<EvolutionCreatedInstance, EvolutionError>] = []
        var connects: [Result<EvolutionConnectResult, EvolutionError>] = []
        var states: [Result<EvolutionConnectionState, EvolutionError>] = []
        var logouts: [Result<EvolutionLogoutResult, EvolutionError>] = []
        var deletes: [Result<Void, EvolutionError>] = []
        var listings: [Result<[EvolutionInstanceSummary], EvolutionError>] = []
        var summaries: [Result<EvolutionInstanceSummary?, EvolutionError>] = []
        var recorded: [Recorded] = []
        var beforeAnswer: (@Sendable (Call) -> Void)?

        var scriptedLeft: Int {
            creates.count + connects.count + states.count + logouts.count + deletes.count + listings.count
                + summaries.count
        }
    }

    private let state = ConditionLock(State())
    private let stamp: @Sendable () -> Duration

    /// A fake whose calls are stamped with `stamp` (the test clock's elapsed time).
    init(stamp: @escaping @Sendable () -> Duration = { .zero }) {
        self.stamp = stamp
    }

    /// Every call made, in order.
    var calls: [Call] { state.withLock { $0.recorded.map(\.call) } }
    /// The deadline of every call, in order.
    var deadlines: [ContinuousClock.Instant] { state.withLock { $0.recorded.map(\.deadline) } }
    /// When each call was made on the test clock, in order.
    var callTimes: [Duration] { state.withLock { $0.recorded.map(\.at) } }
    /// Scripted answers nobody asked for.
    var scriptedLeft: Int { state.withLock { $0.scriptedLeft } }

    /// Called on the calling thread before each call is answered (outside the fake's lock): to block a call.
    func beforeAnswer(_ hook: @escaping @Sendable (Call) -> Void) {
        state.withLock { $0.beforeAnswer = hook }
    }

    func scriptCreate(_ answers: Result<EvolutionCreatedInstance, EvolutionError>...) {
        state.withLock { $0.creates += answers }
    }

    func scriptConnect(_ answers: Result<EvolutionConnectResult, EvolutionError>...) {
        state.withLock { $0.connects += answers }
    }

    func scriptConnect(_ answers: [Result<EvolutionConnectResult, EvolutionError>]) {
        state.withLock { $0.connects += answers }
    }

    func scriptConnectionState(_ answers: Result<EvolutionConnectionState, EvolutionError>...) {
        state.withLock { $0.states += answers }
    }

    func scriptLogout(_ answers: Result<EvolutionLogoutResult, EvolutionError>...) {
        state.withLock { $0.logouts += answers }
    }

    func scriptDelete(_ answers: Result<Void, EvolutionError>...) {
        state.withLock { $0.deletes += answers }
    }

    func scriptFetchInstances(_ answers: Result<[EvolutionInstanceSummary], EvolutionError>...) {
        state.withLock { $0.listings += answers }
    }

    func scriptInstanceSummary(_ answers: Result<EvolutionInstanceSummary?, EvolutionError>...) {
        state.withLock { $0.summaries += answers }
    }

    /// A `fetchInstances` row of `name`, open, with the account `jid` and `profileName`.
    static func summary(_ name: String, jid: String?, profileName: String?) -> EvolutionInstanceSummary {
        EvolutionInstanceSummary(
            name: name, instanceID: "7d4c3b2a-0000-4000-8000-000000000001", connectionStatus: .open, ownerJID: jid,
            profileName: profileName, integration: "WHATSAPP-BAILEYS")
    }

    func createInstance(
        named name: String, pairingNumber: PairingNumber?, deadline: ContinuousClock.Instant
    ) throws(EvolutionError) -> EvolutionCreatedInstance {
        let call = pairingNumber.map { Call.createInstanceForPairing(name, number: $0.digits) } ?? .createInstance(name)
        return try answer(call, deadline: deadline, from: \.creates)
    }

    func connect(
        instance name: String, pairingNumber: PairingNumber?, deadline: ContinuousClock.Instant
    ) throws(EvolutionError) -> EvolutionConnectResult {
        let call = pairingNumber.map { Call.connectForPairing(name, number: $0.digits) } ?? .connect(name)
        return try answer(call, deadline: deadline, from: \.connects)
    }

    func connectionState(
        instance name: String, deadline: ContinuousClock.Instant
    ) throws(EvolutionError) -> EvolutionConnectionState {
        try answer(.connectionState(name), deadline: deadline, from: \.states)
    }

    func logout(
        instance name: String, deadline: ContinuousClock.Instant
    ) throws(EvolutionError) -> EvolutionLogoutResult {
        try answer(.logout(name), deadline: deadline, from: \.logouts)
    }

    func deleteInstance(named name: String, deadline: ContinuousClock.Instant) throws(EvolutionError) {
        try answer(.deleteInstance(name), deadline: deadline, from: \.deletes)
    }

    /// Webhooks are off in these flows: like the product's gateway without a webhook, nothing is called.
    func ensureWebhook(instance name: String, deadline: ContinuousClock.Instant) throws(EvolutionError) {}

    func fetchInstances(deadline: ContinuousClock.Instant) throws(EvolutionError) -> [EvolutionInstanceSummary] {
        try answer(.fetchInstances, deadline: deadline, from: \.listings)
    }

    func instanceSummary(
        named name: String, deadline: ContinuousClock.Instant
    ) throws(EvolutionError) -> EvolutionInstanceSummary? {
        try answer(.fetchInstance(name), deadline: deadline, from: \.summaries)
    }

    /// Records `call`, runs the hook, then takes the next answer of its script.
    private func answer<Success>(
        _ call: Call, deadline: ContinuousClock.Instant,
        from script: WritableKeyPath<State, [Result<Success, EvolutionError>]>
    ) throws(EvolutionError) -> Success {
        let at = stamp()
        let hook = state.withLock { state in
            state.recorded.append(Recorded(call: call, deadline: deadline, at: at))
            return state.beforeAnswer
        }
        hook?(call)
        let next = state.withLock { state -> Result<Success, EvolutionError> in
            state[keyPath: script].isEmpty ? .failure(Self.unscripted) : state[keyPath: script].removeFirst()
        }
        return try next.get()
    }
}
