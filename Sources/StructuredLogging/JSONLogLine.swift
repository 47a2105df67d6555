import JSON
import Logging

/// The fields of a line a ``JSONLineWriter`` (or a ``JSONLogHandler``) is writing, written into it as they are
/// added: typed values, no dictionary, no boxed numbers.
///
/// Lines keep their keys in order (as ``JSONLogHandler`` writes them), so fields must be added in increasing key
/// order; the metadata given to the writer is woven in between them, and a key added here wins over the same key
/// in that metadata.
public struct JSONLogLine {
    var bytes: [UInt8]
    /// The metadata still to write, in key order.
    private let metadata: [(key: String, value: Logger.MetadataValue)]
    private var nextMetadata = 0

    init(bytes: [UInt8], metadata: [(key: String, value: Logger.MetadataValue)]) {
        self.bytes = bytes
        self.metadata = metadata
    }

    /// A text value.
    public mutating func add(_ key: JSONLogKey, text: String) {
        writeKey(key)
        JSONValue.writeString(text, to: &bytes)
    }

    /// An integer, as a JSON number.
    public mutating func add(_ key: JSONLogKey, integer: Int) {
        writeKey(key)
        bytes.append(decimal: integer)
    }

    /// A duration in milliseconds with microsecond precision (rounded toward zero), as a JSON number: `12`, `12.5`,
    /// `0.042`, the text a `Double` of that many milliseconds is written as.
    public mutating func add(_ key: JSONLogKey, milliseconds duration: Duration) {
        writeKey(key)
        let (seconds, attoseconds) = duration.components
        var microseconds = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        if microseconds < 0 {
            bytes.append(UInt8(ascii: "-"))
            microseconds = -microseconds
        }
        bytes.append(decimal: Int(microseconds / 1000))
        var fraction = Int(microseconds % 1000)
        guard fraction > 0 else { return }
        bytes.append(UInt8(ascii: "."))
        var divisor = 100
        while fraction > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(fraction / divisor))
            fraction %= divisor
            divisor /= 10
        }
    }

    /// A boolean.
    public mutating func add(_ key: JSONLogKey, flag: Bool) {
        writeKey(key)
        bytes.append(utf8: flag ? "true" : "false")
    }

    /// Writes the metadata left (the keys after the last field added).
    mutating func finish() {
        while nextMetadata < metadata.count { writeNextMetadata() }
    }

    /// `,"key":`, after the metadata whose keys come first; metadata under the same key is skipped.
    private mutating func writeKey(_ key: JSONLogKey) {
        while nextMetadata < metadata.count, metadata[nextMetadata].key <= key.name {
            if metadata[nextMetadata].key == key.name {
                nextMetadata += 1
            } else {
                writeNextMetadata()
            }
        }
        bytes.append(contentsOf: key.prefix)
    }

    private mutating func writeNextMetadata() {
        let (key, value) = metadata[nextMetadata]
        nextMetadata += 1
        bytes.append(UInt8(ascii: ","))
        JSONValue.writeString(key, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        JSONLogHandler.write(value, to: &bytes)
    }
}
