import Foundation
import Testing

@testable import TenantWhatsApp

/// One error catalogue: every JSON body nginx answers by itself, in every nginx file of the product (the production
/// includes and the local configuration), carries a code of ``ErrorCode`` with that code's status and message, so a
/// client sees one set of codes whoever answered.
@Suite("Error catalogue")
struct ErrorCatalogueTests {
    /// A `return NNN '{"success":false,"error":"…","message":"…",…}';` line of the nginx include.
    struct NginxErrorBody {
        let status: Int
        let code: String
        let message: String
    }

    /// The product's nginx files: the includes a production server uses and the local stack's configuration (the
    /// simulator's own configuration answers as Evolution does, not in this envelope).
    static let nginxFiles = [
        "tenant-whatsapp.locations.conf", "tenant-whatsapp.http.conf", "local.conf.template",
        "tenant-whatsapp.events.http.conf", "tenant-whatsapp.events.locations.conf",
        "tenant-whatsapp.events.redis.conf",
    ]

    static func nginxErrorBodies() throws -> [NginxErrorBody] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("nginx")
        var text = ""
        for file in nginxFiles {
            text += try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8) + "\n"
        }
        return try text.split(separator: "\n").compactMap { line -> NginxErrorBody? in
            let trimmed = line.drop { $0 == " " }
            guard trimmed.hasPrefix("return "), let quote = trimmed.firstIndex(of: "'") else { return nil }
            let status = try #require(Int(trimmed.dropFirst("return ".count).prefix(3)), "\(line)")
            let json = trimmed[trimmed.index(after: quote)...].dropLast(2).replacing("$request_id", with: "r")
            let body = try #require(
                try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "\(line)")
            return NginxErrorBody(
                status: status, code: try #require(body["error"] as? String),
                message: try #require(body["message"] as? String))
        }
    }

    @Test func everyBodyNginxAnswersUsesACatalogueCodeWithItsStatusAndMessage() throws {
        let bodies = try Self.nginxErrorBodies()
        #expect(bodies.count >= 6)
        for body in bodies {
            let code = try #require(ErrorCode(rawValue: body.code), "nginx answers an unknown code \(body.code)")
            #expect(code.status.code == body.status, "\(body.code)")
            #expect(code.message == body.message, "\(body.code)")
        }
    }

    @Test func everyErrorNginxCanAnswerBeforeTheResponderHasItsEnvelope() throws {
        let codes = Set(try Self.nginxErrorBodies().map(\.code))
        #expect(
            codes.isSuperset(of: [
                "bad_request", "method_not_allowed", "payload_too_large", "rate_limited", "forbidden", "not_found",
                "not_implemented", "http_version_not_supported", "internal_error", "responder_unavailable",
                "responder_timeout",
            ]))
    }

    @Test func nginxNeverAnswersWithTheCodesThatMeanEvolutionFailed() throws {
        let evolutionCodes: Set<String> = [
            "upstream_error", "upstream_bad_response", "upstream_unavailable", "upstream_timeout",
        ]
        let nginxCodes = Set(try Self.nginxErrorBodies().map(\.code))
        #expect(nginxCodes.isDisjoint(with: evolutionCodes))
        #expect(nginxCodes.isSuperset(of: ["responder_unavailable", "responder_timeout"]))
    }
}
