import Foundation
import Testing

@testable import TenantWhatsApp

/// One error catalogue: every JSON body nginx answers by itself (`nginx/tenant-whatsapp.locations.conf`) carries a
/// code of ``ErrorCode`` with that code's status and message, so a client sees one set of codes whoever answered.
@Suite("Error catalogue")
struct ErrorCatalogueTests {
    /// A `return NNN '{"success":false,"error":"…","message":"…",…}';` line of the nginx include.
    struct NginxErrorBody {
        let status: Int
        let code: String
        let message: String
    }

    static func nginxErrorBodies() throws -> [NginxErrorBody] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("nginx/tenant-whatsapp.locations.conf")
        let text = try String(contentsOf: url, encoding: .utf8)
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

    @Test func nginxNeverAnswersWithTheCodesThatMeanEvolutionFailed() throws {
        let evolutionCodes: Set<String> = [
            "upstream_error", "upstream_bad_response", "upstream_unavailable", "upstream_timeout",
        ]
        let nginxCodes = Set(try Self.nginxErrorBodies().map(\.code))
        #expect(nginxCodes.isDisjoint(with: evolutionCodes))
        #expect(nginxCodes.isSuperset(of: ["responder_unavailable", "responder_timeout"]))
    }
}
