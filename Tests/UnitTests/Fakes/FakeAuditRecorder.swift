import Runtime

@testable import TenantWhatsApp

/// The audit trail in memory.
final class FakeAuditRecorder: AuditRecorder {
    /// The parts of an entry the tests compare (the duration and request id vary).
    struct Row: Sendable, Equatable, CustomStringConvertible {
        let action: AuditEntry.Action
        let outcome: String
        let errorCode: ErrorCode?
        let instanceName: String?

        init(_ action: AuditEntry.Action, _ outcome: String, error: ErrorCode? = nil, instance: String? = nil) {
            self.action = action
            self.outcome = outcome
            self.errorCode = error
            self.instanceName = instance
        }

        var description: String {
            "\(action.rawValue)/\(outcome)/\(errorCode?.rawValue ?? "-")/\(instanceName ?? "-")"
        }
    }

    private let recorded = ConditionLock<[AuditEntry]>([])

    /// Every entry recorded, in order.
    var entries: [AuditEntry] {
        recorded.withLock { $0 }
    }

    /// Every entry recorded, as comparable rows.
    var rows: [Row] {
        entries.map { Row($0.action, $0.outcome, error: $0.errorCode, instance: $0.instanceName) }
    }

    func record(_ entry: AuditEntry) {
        recorded.withLock { $0.append(entry) }
    }
}
