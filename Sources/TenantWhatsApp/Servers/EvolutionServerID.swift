/// The name of an Evolution server: `^[a-z0-9][a-z0-9-]{0,31}$` (lower-case letters, digits and hyphens, at most 32),
/// as in `servers add ID`, the `server` label of the metrics and the webhook route `/api/evolution/webhook/{ID}`.
public struct EvolutionServerID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The server of `EVOLUTION_API_URL`: a reserved name that needs no row until it is registered.
    public static let implicitDefault = EvolutionServerID(unchecked: "default")

    /// The name as stored.
    public let rawValue: String

    /// The name `text`, or nil when it does not have the shape.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard (1...32).contains(bytes.count), Self.isLowerAlphanumeric(bytes[0]),
            bytes.allSatisfy({ Self.isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") })
        else { return nil }
        rawValue = text
    }

    private init(unchecked text: String) {
        rawValue = text
    }

    /// The name as stored.
    public var description: String { rawValue }

    /// Ordered by name, as `servers list` and `/api/ready` list them.
    public static func < (lhs: EvolutionServerID, rhs: EvolutionServerID) -> Bool { lhs.rawValue < rhs.rawValue }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
