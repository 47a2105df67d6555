/// Request ids: nginx's `$request_id` (32 hex digits) when it sends one, else a new one of the same shape.
public enum RequestID {
    /// `candidate` when it is a safe id (1–64 of `A–Z a–z 0–9 - _ .`), else nil.
    public static func validated(_ candidate: String?) -> String? {
        guard var candidate else { return nil }
        return candidate.withUTF8 { isSafe($0) } ? candidate : nil
    }

    /// The id these bytes spell when they are a safe id, else nil: checked before a string is made.
    static func validated(bytes: UnsafeBufferPointer<UInt8>) -> String? {
        isSafe(bytes) ? String(decoding: bytes, as: UTF8.self) : nil
    }

    private static func isSafe(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard (1...64).contains(bytes.count) else { return false }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                continue
            default: return false
            }
        }
        return true
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
