/// How `tenant-whatsapp reconcile` runs.
public struct ReconcileOptions: Sendable {
    /// Report what would be done, change nothing.
    public var dryRun: Bool
    /// How old a never-connected instance (stored or orphaned) must be before it is deleted.
    public var staleAfter: Duration
    /// Also delete instances named `tenant_{id}` whose tenant does not exist.
    public var deleteUnknownTenants: Bool

    /// Options from their parts.
    public init(dryRun: Bool = false, staleAfter: Duration = .seconds(86_400), deleteUnknownTenants: Bool = false) {
        self.dryRun = dryRun
        self.staleAfter = staleAfter
        self.deleteUnknownTenants = deleteUnknownTenants
    }

    /// `90s`, `15m`, `24h`, `7d` or `0s`: a whole number and one unit; nil for anything else.
    public static func duration(_ text: String) -> Duration? {
        guard let unit = text.last, let number = Int(text.dropLast()), number >= 0, number <= 100_000_000 else {
            return nil
        }
        switch unit {
        case "s": return .seconds(number)
        case "m": return .seconds(number * 60)
        case "h": return .seconds(number * 3600)
        case "d": return .seconds(number * 86_400)
        default: return nil
        }
    }
}

/// Why `reconcile` could not run at all (exit code 1): one side could not be listed.
public enum ReconcileError: Error, Sendable, CustomStringConvertible {
    /// Evolution's instances could not be listed.
    case evolution(EvolutionError)
    /// The tenants could not be read.
    case database(String)
    /// The registered servers could not be read or opened (PostgreSQL, `SECRETS_KEY`).
    case servers(String)
    /// `--server` names no known server.
    case unknownServer(String)

    /// One line for the operator, without secrets.
    public var description: String {
        switch self {
        case .evolution(let error): "cannot list Evolution's instances: \(error.description)"
        case .database(let message): "cannot read the tenants: \(message)"
        case .servers(let message): message
        case .unknownServer(let id): "no Evolution server \(id) (see tenant-whatsapp servers list)"
        }
    }
}
