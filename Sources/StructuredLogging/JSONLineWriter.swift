import JSON
import Logging
import Runtime

/// Writes lines exactly as the ``JSONLogHandler`` behind a logger does, for a caller that logs at a high rate and
/// knows its fields (the request line of every request): the fields go straight into the line, without the metadata
/// dictionary, the boxed numbers and the sort of swift-log's path, and the line's buffer and the text of the
/// current second are reused.
///
/// It keeps buffers, so one thread owns it (a FastCGI worker's bridge makes its own).
public final class JSONLineWriter {
    private let label: String
    private let sink: LogSink
    private let minimumLevel: Logger.Level
    private let loggerMetadata: Logger.Metadata
    /// The line's bytes, kept from one line to the next for their capacity.
    private var buffer: [UInt8] = []
    /// `YYYY-MM-DDTHH:MM:SS.` of `cachedSecond`: a second's lines differ only in their milliseconds.
    private var cachedSecond: Int64 = .min
    private var cachedSecondText: [UInt8] = []
    /// `,"level":…,"message":…` of the last line: a writer's lines mostly share their level and message.
    private var cachedHead: (level: Logger.Level, message: String, bytes: [UInt8])?

    /// A writer for the lines of `logger`; nil when its handler is not a ``JSONLogHandler`` (log through the logger
    /// itself then).
    public init?(logger: Logger) {
        guard let handler = logger.handler as? JSONLogHandler else { return nil }
        label = handler.label
        sink = handler.sink
        minimumLevel = handler.logLevel
        loggerMetadata = handler.metadata
        buffer.reserveCapacity(512)
    }

    /// Whether a line at `level` is written.
    public func isEnabled(at level: Logger.Level) -> Bool {
        level >= minimumLevel
    }

    /// Writes one line at `level` (when enabled): the fields `addFields` adds, in increasing key order, with
    /// `metadata` (and the logger's own) woven in between them in key order.
    public func write(
        _ level: Logger.Level, _ message: String, metadata: Logger.Metadata = [:],
        _ addFields: (inout JSONLogLine) -> Void
    ) {
        guard isEnabled(at: level) else { return }
        let merged = loggerMetadata.isEmpty ? metadata : loggerMetadata.merging(metadata) { $1 }
        // Most request lines have no metadata: nothing to sort then.
        let sorted = merged.isEmpty ? [] : merged.sorted { $0.key < $1.key }
        buffer.removeAll(keepingCapacity: true)
        writeTime(Timestamp.now(), to: &buffer)
        writeHead(level: level, message: message, to: &buffer)
        var line = JSONLogLine(bytes: buffer, metadata: sorted)
        buffer = []
        addFields(&line)
        line.finish()
        line.bytes.append(utf8: "}\n")
        sink.write(terminatedLine: line.bytes)
        buffer = line.bytes
    }

    private func writeHead(level: Logger.Level, message: String, to line: inout [UInt8]) {
        if let cachedHead, cachedHead.level == level, cachedHead.message == message {
            line.append(contentsOf: cachedHead.bytes)
            return
        }
        var head: [UInt8] = []
        JSONLogHandler.writeHead(level: level, label: label, message: message, to: &head)
        cachedHead = (level, message, head)
        line.append(contentsOf: head)
    }

    /// `{"time":"2025-08-27T14:03:11.532Z"`, the second's text made once per second.
    private func writeTime(_ time: Timestamp, to line: inout [UInt8]) {
        let milliseconds = time.millisecondsSinceEpoch
        let second = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        if second != cachedSecond {
            cachedSecond = second
            // "YYYY-MM-DDTHH:MM:SS.mmmZ" without its last four bytes.
            cachedSecondText = Array(Timestamp(millisecondsSinceEpoch: second * 1000).description.utf8.dropLast(4))
        }
        line.append(utf8: #"{"time":""#)
        line.append(contentsOf: cachedSecondText)
        let millisecond = Int(milliseconds - second * 1000)
        line.append(UInt8(ascii: "0") + UInt8(millisecond / 100))
        line.append(UInt8(ascii: "0") + UInt8(millisecond / 10 % 10))
        line.append(UInt8(ascii: "0") + UInt8(millisecond % 10))
        line.append(utf8: #"Z""#)
    }
}
