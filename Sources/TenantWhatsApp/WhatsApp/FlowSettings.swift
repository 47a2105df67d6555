/// The time limits of the WhatsApp flows, from the configuration.
struct FlowSettings: Sendable, Equatable {
    /// How long connect keeps asking for a QR code that is not there yet (`EVOLUTION_QR_WAIT_MS`).
    var qrWait: Duration
    /// The pause between two QR polls.
    var qrPollInterval: Duration = .milliseconds(500)
    /// How long connect or disconnect may take in all: every upstream call of the request shares it, and it stays
    /// under nginx's `fastcgi_read_timeout` (60 s), so a slow Evolution is answered by the app's own 504.
    var operationBudget: Duration
    /// How long status may take in all.
    var statusBudget: Duration = FlowSettings.requestBudget
    /// Whether Evolution pushes state and QR codes to us (webhooks configured).
    var webhooks = false
    /// Status answers from the recorded state while it is younger than this (`STATUS_MAX_AGE_MS`); zero: never.
    var statusMaxAge: Duration = .zero
    /// How long a `close` seen by a status check must have lasted before it is recorded as `connection_lost`
    /// (`STATUS_CLOSE_GRACE_MS`): a shorter one is the restart after a scan, not a drop (docs/api.md).
    var closeGrace: Duration = .milliseconds(Configuration.defaultCloseGraceMilliseconds)
    /// With webhooks: how often connect looks for a pushed QR code in PostgreSQL while it waits (a cheap read).
    var pushedQRPollInterval: Duration = .milliseconds(250)
    /// With webhooks: how often connect still asks Evolution itself, in case a delivery is lost.
    var qrFallbackInterval: Duration = .seconds(3)
    /// The tenant's lease while a connect or disconnect runs: short, renewed by its holder (``LeaseKeeper``).
    var lease = LeaseSettings()
    /// How long an unchanged state goes without rewriting its check time: a minute, or less when status answers
    /// from the row (`STATUS_MAX_AGE_MS`), so that a check keeps the row fresh enough to answer from.
    var stateRefreshInterval: Duration {
        statusMaxAge > .zero ? min(Self.maximumStateRefreshInterval, statusMaxAge) : Self.maximumStateRefreshInterval
    }
    /// The longest an unchanged state goes without its check time rewritten.
    static let maximumStateRefreshInterval: Duration = .seconds(60)
    /// A pushed QR code younger than this is answered as it is (Evolution's QR codes live 45 s).
    static let pushedQRMaximumAge: Duration = .seconds(40)

    /// The most any request may take: 50 s, under nginx's 60 s.
    static let requestBudget: Duration = .seconds(50)

    /// The settings for a QR wait and a per-call upstream deadline: an operation is at most a QR wait and three
    /// calls (state, create, delete), and never more than ``requestBudget``.
    init(qrWait: Duration, upstreamTimeout: Duration) {
        self.qrWait = qrWait
        self.operationBudget = min(Self.requestBudget, qrWait + upstreamTimeout * 3)
    }

    /// How long the tenant's lock is taken for, and each renewal extends it by: ``LeaseSettings/duration``.
    var leaseDuration: Duration { lease.duration }
}
