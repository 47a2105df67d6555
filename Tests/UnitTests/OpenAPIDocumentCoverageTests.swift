import Foundation
import HTTPServer
import Logging
import Prometheus
import Testing

@testable import TenantWhatsApp

/// `openapi.yaml` at the repository root documents the whole API: every route the responder's router knows (with
/// webhooks and metrics on, as `scripts/run` serves it), with exactly its methods, and every code of the error
/// catalogue. The YAML is read line by line (the document's own layout: paths two spaces in, methods four), so no
/// YAML library is needed.
@Suite("OpenAPI document coverage")
struct OpenAPIDocumentCoverageTests {
    static let documentURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("openapi.yaml")
    static let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    static func documentLines() throws -> [Substring] {
        try String(contentsOf: documentURL, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
    }

    /// `METHOD path` of every operation under `paths:`.
    static func documentedOperations() throws -> Set<String> {
        var operations: Set<String> = []
        var inPaths = false
        var path: String?
        for line in try documentLines() {
            if !line.hasPrefix(" ") && !line.isEmpty && !line.hasPrefix("#") {
                inPaths = line == "paths:"
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), !line.hasPrefix("   "), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":"), let path {
                let method = String(line.dropFirst(4).dropLast())
                if methods.contains(method) { operations.insert("\(method.uppercased()) \(path)") }
            }
        }
        return operations
    }

    /// The `enum:` list of `components.schemas.ErrorCode`.
    static func documentedErrorCodes() throws -> [String] {
        let lines = try documentLines()
        let start = try #require(lines.firstIndex(of: "    ErrorCode:"), "no ErrorCode schema")
        let enumLine = try #require(lines[start...].firstIndex(of: "      enum:"), "ErrorCode has no enum")
        return lines[(enumLine + 1)...].prefix { $0.hasPrefix("        - ") }.map { String($0.dropFirst(10)) }
    }

    /// The codes a line's `error: {const: code}` or `error: {enum: [code, ...]}` allows (none on other lines).
    static func errorCodes(in line: Substring) -> [String] {
        guard let match = line.firstMatch(of: #/error: \{(?:const: ([a-z_]+)|enum: \[([a-z_, ]+)\])\}/#) else {
            return []
        }
        if let code = match.output.1 { return [String(code)] }
        return match.output.2.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
    }

    /// Every response under `paths:` whose schema names error codes: `METHOD path status` and those codes, with the
    /// `$ref`s to `components.responses` followed.
    static func documentedErrorResponses() throws -> [(operation: String, status: Int, codes: [String])] {
        let lines = try documentLines()
        var named: [String: [String]] = [:]
        var inComponentResponses = false
        var name: String?
        for line in lines where !line.isEmpty {
            if !line.hasPrefix(" ") || (line.hasPrefix("  ") && !line.hasPrefix("   ")) {
                // A top-level key, or a section of one (`  responses:` of `components:` is the one wanted).
                inComponentResponses = line == "  responses:"
                name = nil
            } else if inComponentResponses, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                name = String(line.dropFirst(4).dropLast())
            } else if let name {
                named[name, default: []] += errorCodes(in: line)
            }
        }
        var responses: [(operation: String, status: Int, codes: [String])] = []
        var inPaths = false
        var path = ""
        var operation = ""
        // Whether the lines read belong to the last response appended (not to a later operation or path).
        var inResponse = false
        for line in lines {
            if !line.hasPrefix(" ") && !line.isEmpty {
                inPaths = line == "paths:"
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
                inResponse = false
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                operation = "\(line.dropFirst(4).dropLast().uppercased()) \(path)"
                inResponse = false
            } else if let match = line.wholeMatch(of: #/        '(\d{3})':(.*)/#), let status = Int(match.output.1) {
                var codes: [String] = []
                if let reference = match.output.2.firstMatch(of: #/#/components/responses/([A-Za-z]+)'/#) {
                    codes = try #require(
                        named[String(reference.output.1)], "\(reference.output.1) is not in components")
                }
                responses.append((operation, status, codes))
                inResponse = true
            } else if !line.hasPrefix("         ") {
                inResponse = false
            } else if inResponse {
                responses[responses.count - 1].codes += errorCodes(in: line)
            }
        }
        return responses.filter { !$0.codes.isEmpty }
    }

    /// The responder's router as `serve` builds it with webhooks and metrics configured.
    static func liveApplication() throws -> Application {
        let configuration = try Configuration.load(
            from: AuthorizationTests.environment([
                "EVOLUTION_WEBHOOK_URL": "http://127.0.0.1:8080/api/evolution/webhook",
                "EVOLUTION_WEBHOOK_SECRET": String(repeating: "w", count: 32),
            ]))
        return try Application(
            configuration: configuration, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            metricsRegistry: PrometheusCollectorRegistry())
    }

    /// `METHOD pattern` of every route of `application`'s router.
    static func routes(of application: Application) throws -> [String] {
        application.routes.map { "\($0.method.rawValue) \($0.pattern)" }
    }

    @Test func everyRouteOfTheRouterIsDocumentedWithItsMethod() throws {
        let routes = try Self.routes(of: Self.liveApplication())
        #expect(routes.count >= 7)
        let documented = try Self.documentedOperations()
        for route in routes {
            #expect(documented.contains(route), "openapi.yaml does not document \(route)")
        }
    }

    @Test func everyDocumentedOperationIsARouteOrTheDocumentItself() throws {
        let routes = Set(try Self.routes(of: Self.liveApplication()))
        // nginx serves the document itself (nginx/tenant-whatsapp.locations.conf), not the responder.
        let servedByNginx: Set<String> = ["GET /api/openapi.yaml", "HEAD /api/openapi.yaml"]
        let documented = try Self.documentedOperations()
        #expect(documented.isSuperset(of: servedByNginx))
        #expect(documented.subtracting(servedByNginx) == routes)
    }

    @Test func theErrorCodeSchemaListsExactlyTheCatalogue() throws {
        let documented = try Self.documentedErrorCodes()
        #expect(documented.count == Set(documented).count, "a code is listed twice")
        #expect(Set(documented) == Set(ErrorCode.allCases.map(\.rawValue)))
    }

    @Test func everyDocumentedErrorResponseHasTheStatusOfItsCodes() throws {
        let responses = try Self.documentedErrorResponses()
        #expect(responses.count >= 60)
        for response in responses {
            for code in response.codes {
                let known = try #require(ErrorCode(rawValue: code), "\(response.operation): unknown code \(code)")
                #expect(
                    known.status.code == response.status,
                    "\(response.operation) documents \(code) under \(response.status), but it is \(known.status.code)")
            }
        }
    }

    @Test func everyCodeAClientCanSeeIsTheErrorOfSomeDocumentedResponse() throws {
        let text = try String(contentsOf: Self.documentURL, encoding: .utf8)
        // `error: {const: code}` or `error: {enum: [..., code, ...]}` in a response schema.
        let namedByResponses = Set(
            text.matches(of: #/error: \{(?:const: ([a-z_]+)|enum: \[([a-z_, ]+)\])\}/#).flatMap { match in
                (match.output.1.map { [String($0)] } ?? [])
                    + (match.output.2.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
                        ?? [])
            })
        for code in ErrorCode.allCases where code != .clientGone {
            #expect(namedByResponses.contains(code.rawValue), "no documented response answers \(code.rawValue)")
        }
    }
}
