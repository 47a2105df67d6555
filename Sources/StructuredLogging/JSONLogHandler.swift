import JSON
import Logging
import Runtime

/// A swift-log handler writing one JSON object per line:
/// `{"time":"…","level":"info","label":"…","message":"…", <metadata…>}`.
///
/// Metadata values that are integers, doubles or booleans stay numbers and booleans; everything else is text.
/// Callers must never put secrets in messages or metadata: this handler writes what it is given.
public struct JSONLogHandler: LogHandler {
    /// Metadata attached to every line of this logger.
    public var metadata: Logger.Metadata = [:]
    /// The lowest level written.
    public var logLevel: Logger.Level
    let label: String
    let sink: LogSink

    /// A handler for `label` writing lines of at least `level` to `sink`.
    public init(label: String, level: Logger.Level, sink: LogSink) {
        self.label = label
        self.logLevel = level
        self.sink = sink
    }

    /// The metadata value for `key`.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one line.
    public func log(event: LogEvent) {
        // Written straight into one buffer, newline included (the request lines of a FastCGI worker go through a
        // JSONLineWriter, which writes them the same way without the metadata dictionary).
        var line: [UInt8] = []
        line.reserveCapacity(512)
        line.append(contentsOf: #"{"time":"#.utf8)
        JSONValue.writeString(Timestamp.now().description, to: &line)
        Self.writeHead(level: event.level, label: label, message: event.message.description, to: &line)
        // Most lines carry only the event's metadata: merge only when the logger has its own too.
        let merged =
            metadata.isEmpty ? (event.metadata ?? [:]) : metadata.merging(event.metadata ?? [:]) { $1 }
        var fields = JSONLogLine(bytes: consume line, metadata: merged.sorted { $0.key < $1.key })
        fields.finish()
        fields.bytes.append(contentsOf: "}\n".utf8)
        sink.write(terminatedLine: fields.bytes)
    }

    /// `,"level":"…","label":"…","message":"…"`: the fields after the time.
    static func writeHead(level: Logger.Level, label: String, message: String, to line: inout [UInt8]) {
        line.append(utf8: #","level":"#)
        JSONValue.writeString(level.rawValue, to: &line)
        line.append(utf8: #","label":"#)
        JSONValue.writeString(label, to: &line)
        line.append(utf8: #","message":"#)
        JSONValue.writeString(message, to: &line)
    }

    /// Writes a metadata value straight into the line, without building a `JSONValue` first.
    static func write(_ value: Logger.Metadata.Value, to line: inout [UInt8]) {
        switch value {
        case .string(let text): JSONValue.writeString(text, to: &line)
        case .stringConvertible(let convertible):
            switch convertible {
            case let number as Int: line.append(decimal: number)
            case let number as Double: JSONValue.number(number).write(to: &line)
            case let flag as Bool: line.append(contentsOf: (flag ? "true" : "false").utf8)
            default: JSONValue.writeString(convertible.description, to: &line)
            }
        case .array(let values):
            line.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                write(element, to: &line)
            }
            line.append(UInt8(ascii: "]"))
        case .dictionary(let values):
            line.append(UInt8(ascii: "{"))
            for (index, key) in values.keys.sorted().enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                JSONValue.writeString(key, to: &line)
                line.append(UInt8(ascii: ":"))
                write(values[key]!, to: &line)
            }
            line.append(UInt8(ascii: "}"))
        }
    }
}
