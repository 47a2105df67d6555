/// A tenant identifier as the contract allows it in a path: `^[A-Za-z0-9_-]{1,64}$`.
///
/// Checked on the raw path segment (no percent-decoding), so `t1%2F..%2Ft2`, `%74%31` or a homoglyph is never a
/// tenant id; once made, the value is safe in SQL parameters, instance names and logs.
public struct TenantID: Sendable, Hashable, CustomStringConvertible {
    /// The identifier, 1 to 64 of `A-Z a-z 0-9 _ -`.
    public let rawValue: String

    /// The tenant id `text`, or nil when it breaks the pattern.
    public init?(_ text: String) {
        let bytes = text.utf8
        guard (1...64).contains(bytes.count), bytes.allSatisfy(Self.isAllowed) else { return nil }
        self.rawValue = text
    }

    /// The identifier itself.
    public var description: String { rawValue }

    /// The name of the tenant's Evolution instance: `tenant_{id}`.
    public var instanceName: String { "tenant_" + rawValue }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default: false
        }
    }
}
