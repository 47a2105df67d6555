import Foundation
import HTTPServer
import JSON
import Logging
import StructuredLogging
import Testing

@testable import TenantWhatsApp

/// The request line written straight through `JSONLineWriter` is the line swift-log's path writes: same keys in the
/// same order, same values, only the time differs.
@Suite("JSON request log lines")
struct JSONRequestLogTests {
    /// The lines `write` produces through a logger whose JSON handler writes to a fresh file.
    private func lines(label: String = "tenant-whatsapp", _ write: (Logger) -> Void) throws -> [String] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tw-log-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sink = try #require(LogSink.appending(toFile: path))
        write(Logger(label: label) { label in JSONLogHandler(label: label, level: .info, sink: sink) })
        return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// A line without its time (the first field), which the two writes cannot share.
    private func withoutTime(_ line: String) throws -> String {
        let prefix = #"{"time":""#
        #expect(line.hasPrefix(prefix))
        let afterTime = try #require(line.dropFirst(prefix.count).firstIndex(of: "\""))
        return String(line[line.index(after: afterTime)...])
    }

    private static let entries: [RequestLogEntry] = [
        RequestLogEntry(
            requestID: "0123456789abcdef0123456789abcdef", method: .get, route: "/api/health", status: 200,
            duration: .microseconds(42), clientGone: false, details: [:]),
        RequestLogEntry(
            requestID: "r-2", method: .post, route: "/api/tenants/{tenantId}/whatsapp/connect", status: 503,
            duration: .milliseconds(12), clientGone: true,
            details: [
                "tenantId": "acme", "aaa": "first of all", "zzz": .stringConvertible(7), "clientGone": "detail",
                "stateUnchanged": .stringConvertible(true), "status": "shadowed",
                "calls": [["call": "db.find", "ms": .stringConvertible(0.5), "outcome": "ok"]],
                "auth": "a \"quoted\" <reason>\n",
            ]),
        RequestLogEntry(
            requestID: "r-3", method: HTTPMethod(rawValue: "PATCH"), route: "unmatched", status: 404,
            duration: .nanoseconds(1_234_567_891), clientGone: false, details: ["limited": "EVOLUTION_MAX_PER_TENANT"]),
        RequestLogEntry(
            requestID: "r-4", method: .delete, route: "/x", status: 200, duration: .zero, clientGone: false,
            details: ["durationMs": "shadowed too"]),
    ]

    @Test func theDirectLineIsTheLineSwiftLogWrites() throws {
        let throughSwiftLog = try lines { logger in
            for entry in Self.entries { LoggerRequestLog(logger: logger).write(entry) }
        }
        let direct = try lines { logger in
            let log = JSONRequestLog(logger: logger)
            #expect(log != nil, "the JSON handler's logger gets a direct writer")
            for entry in Self.entries { log?.write(entry) }
        }
        #expect(direct.count == Self.entries.count)
        #expect(throughSwiftLog.count == Self.entries.count)
        for (expected, actual) in zip(throughSwiftLog, direct) {
            #expect(try withoutTime(actual) == withoutTime(expected))
        }
    }

    @Test func theEntrysOwnFieldsWinAndTheLevelFollowsTheStatus() throws {
        let direct = try lines { logger in JSONRequestLog(logger: logger)?.write(Self.entries[1]) }
        let line = try JSONParser().parse(Array(try #require(direct.first).utf8))
        #expect(line["level"]?.stringValue == "error")
        #expect(line["status"]?.integerValue == 503)
        #expect(line["clientGone"]?.boolValue == true)
        #expect(line["durationMs"]?.doubleValue == 12)
        #expect(line["aaa"]?.stringValue == "first of all")
        let keys = try #require(line.objectMembers).map(\.0)
        #expect(Array(keys.dropFirst(4)) == keys.dropFirst(4).sorted())
        #expect(Set(keys).count == keys.count, "a key written twice: \(keys)")
    }

    @Test func durationsAreWrittenAsTheirMillisecondsWithMicrosecondPrecision() throws {
        let durations: [Duration] = [
            .zero, .nanoseconds(999), .microseconds(1), .microseconds(10), .microseconds(100), .microseconds(1_001),
            .microseconds(123_456), .seconds(2), .seconds(61), .nanoseconds(9_999_999_999),
        ]
        let direct = try lines { logger in
            let log = JSONRequestLog(logger: logger)
            for duration in durations {
                log?.write(
                    RequestLogEntry(
                        requestID: "r", method: .get, route: "/", status: 200, duration: duration, clientGone: false,
                        details: [:]))
            }
        }
        let written = try direct.map { line in
            try #require(try JSONParser().parse(Array(line.utf8))["durationMs"]?.doubleValue)
        }
        #expect(written == durations.map(RequestContext.milliseconds))
    }

    @Test func aLoggerWithAnotherHandlerGetsNoDirectWriter() {
        #expect(JSONRequestLog(logger: Logger(label: "x") { _ in SwiftLogNoOpLogHandler() }) == nil)
    }
}
