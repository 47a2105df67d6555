import Foundation
import JSON
import Logging
import StructuredLogging
import Testing

/// The log line format: one JSON object per line, metadata types kept, keys in order, text escaped.
@Suite("JSON log lines")
struct JSONLogHandlerTests {
    /// Logs through a handler writing to a fresh file and returns the lines written, parsed.
    private func lines(
        level: Logger.Level = .info, _ log: (Logger) -> Void
    ) throws -> [(text: String, value: JSONValue)] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tw-log-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sink = try #require(LogSink.appending(toFile: path))
        log(Logger(label: "tests") { label in JSONLogHandler(label: label, level: level, sink: sink) })
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasSuffix("\n"))
        return try text.split(separator: "\n").map { line in
            (String(line), try JSONParser().parse(Array(line.utf8)))
        }
    }

    @Test func aLineCarriesTimeLevelLabelMessageAndTypedMetadata() throws {
        let written = try lines { logger in
            logger.info(
                "request",
                metadata: [
                    "status": .stringConvertible(200), "durationMs": .stringConvertible(1.25),
                    "clientGone": .stringConvertible(true), "route": "/api/health",
                    "calls": [["call": "db.find", "ms": .stringConvertible(0.5)]],
                    "note": .stringConvertible(HTTPMethodLike.get),
                ])
        }
        #expect(written.count == 1)
        let line = try #require(written.first)
        #expect(line.value["level"]?.stringValue == "info")
        #expect(line.value["label"]?.stringValue == "tests")
        #expect(line.value["message"]?.stringValue == "request")
        #expect(line.value["status"]?.integerValue == 200)
        #expect(line.value["durationMs"]?.doubleValue == 1.25)
        #expect(line.value["clientGone"]?.boolValue == true)
        #expect(line.value["route"]?.stringValue == "/api/health")
        #expect(line.value["note"]?.stringValue == "GET")
        #expect(line.value["calls"]?.arrayValue?.first?["call"]?.stringValue == "db.find")
        #expect(line.value["calls"]?.arrayValue?.first?["ms"]?.doubleValue == 0.5)
        let time = try #require(line.value["time"]?.stringValue)
        #expect(time.count == "2026-12-02T00:30:01.969Z".count && time.hasSuffix("Z"))
        // The fixed fields first, then the metadata keys in order: lines diff and grep the same way every time.
        let keys = try #require(line.value.objectMembers).map(\.0)
        #expect(Array(keys.prefix(4)) == ["time", "level", "label", "message"])
        #expect(Array(keys.dropFirst(4)) == keys.dropFirst(4).sorted())
    }

    @Test func textIsEscapedSoALineStaysOneLineOfInertJSON() throws {
        let hostile = "a\"b\\c\nd\r\u{2028}<script>&\u{01}é"
        let written = try lines { logger in logger.warning("\(hostile)", metadata: ["value": "\(hostile)"]) }
        #expect(written.count == 1)
        let line = try #require(written.first)
        #expect(line.value["message"]?.stringValue == hostile)
        #expect(line.value["value"]?.stringValue == hostile)
        #expect(!line.text.contains("<") && !line.text.contains("\u{2028}"))
    }

    @Test func linesBelowTheLevelAreNotWritten() throws {
        let written = try lines(level: .warning) { logger in
            logger.info("quiet")
            logger.error("loud")
        }
        #expect(written.map { $0.value["message"]?.stringValue } == ["loud"])
    }
}

/// A value logged through `CustomStringConvertible`, neither a number nor a flag.
private enum HTTPMethodLike: String, CustomStringConvertible, Sendable {
    case get = "GET"
    var description: String { rawValue }
}
