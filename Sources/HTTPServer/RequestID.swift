/// Request ids: nginx's `$request_id` (32 hex digits) when it sends one, else a new one of the same shape.
public enum RequestID {
    /// `candidate` when it is a safe id (1–64 of `A–Z a–z 0–9 - _ .`), else nil.
    public static func validated(_ candidate: String?) -> String? {
        guard let candidate, (1...64).contains(candidate.utf8.count) else { return nil }
        let allowed = candidate.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
        return allowed ? candidate : nil
    }

    /// A new random id: 32 lower-case hex digits (128 bits from the system's random source).
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return hex(high) + hex(low)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
