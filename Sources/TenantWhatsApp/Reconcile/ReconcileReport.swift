import JSON

/// Everything one `reconcile` run did, as lines and totals or as one JSON document.
public struct ReconcileReport: Sendable {
    /// Whether nothing was changed on purpose (`--dry-run`).
    public let dryRun: Bool
    /// The actions, in the order taken.
    public let actions: [ReconcileAction]

    /// How many actions of each kind.
    public var totals: [(ReconcileAction.Kind, Int)] {
        ReconcileAction.Kind.allCases.map { kind in (kind, actions.filter { $0.kind == kind }.count) }
    }

    /// One line per action, then the totals.
    public var text: String {
        var lines = actions.map(\.line)
        let counts = totals.map { "\($0.1) \($0.0.rawValue)" }.joined(separator: ", ")
        lines.append("reconcile\(dryRun ? " (dry run: nothing changed)" : ""): \(counts)")
        return lines.joined(separator: "\n")
    }

    /// ``json`` as text.
    public var jsonText: String { json.serializedString() }

    /// `{"dryRun":…,"actions":[…],"totals":{…}}`.
    public var json: JSONValue {
        [
            "dryRun": .bool(dryRun), "actions": .array(actions.map(\.json)),
            "totals": .object(totals.map { ($0.0.rawValue, JSONValue.integer($0.1)) }),
        ]
    }
}
