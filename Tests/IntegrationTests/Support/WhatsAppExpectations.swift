import Foundation
import Testing

/// Checks shared by the WhatsApp route suites: the error envelope, the seed payloads' QR code and timestamps.
enum WhatsAppExpectations {
    /// The message of a 201 connect (docs/api.md, the seed contract), byte for byte.
    static let createdMessage = "Instância WhatsApp criada com sucesso. Escaneie o QR Code para conectar."
    /// The message of a 200 connect that reused a not-yet-connected instance.
    static let reusedMessage = "Instância WhatsApp existente. Escaneie o QR Code para conectar."
    /// The message of a 200 disconnect.
    static let disconnectedMessage = "WhatsApp desconectado com sucesso."
    /// The first eight bytes of every PNG file (PNG specification, §5.2).
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Expects the error envelope: `status`, JSON content type, `success: false`, `error` = `code`, a Portuguese
    /// `message` and `requestId` equal to the `X-Request-Id` header.
    static func expectError(
        _ response: TestHTTPResponse, status: Int, code: String, _ comment: Comment? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let context = "\(comment.map { "\($0): " } ?? "")\(response.status) \(response.text)"
        #expect(response.status == status, "\(context)", sourceLocation: sourceLocation)
        #expect(
            response.headers["content-type"] == "application/json; charset=utf-8", "\(context)",
            sourceLocation: sourceLocation)
        let body = try? response.jsonObject()
        #expect(body?["success"] as? Bool == false, "\(context)", sourceLocation: sourceLocation)
        #expect(body?["error"] as? String == code, "\(context)", sourceLocation: sourceLocation)
        #expect((body?["message"] as? String)?.isEmpty == false, "\(context)", sourceLocation: sourceLocation)
        #expect(
            body?["requestId"] as? String == response.headers["x-request-id"]
                && response.headers["x-request-id"] != nil,
            "\(context)", sourceLocation: sourceLocation)
    }

    /// The bytes of a `data:image/png;base64,…` URL whose payload decodes and starts with the PNG signature; nil
    /// for anything else.
    static func pngBytes(ofDataURL value: Any?) -> [UInt8]? {
        let prefix = "data:image/png;base64,"
        guard let text = value as? String, text.hasPrefix(prefix),
            let data = Data(base64Encoded: String(text.dropFirst(prefix.count)))
        else { return nil }
        let bytes = [UInt8](data)
        return bytes.starts(with: pngSignature) ? bytes : nil
    }

    /// The instant of an ISO 8601 UTC timestamp with exactly three fraction digits (`2025-08-27T14:03:11.532Z`), the
    /// one format the contract allows (docs/api.md); nil for any other text.
    static func instant(ofISO value: Any?) -> Date? {
        guard let text = value as? String,
            text.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil
        else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    /// Whether `value` is an ISO timestamp (see ``instant(ofISO:)``) within a minute of now.
    static func isRecentISO(_ value: Any?) -> Bool {
        guard let instant = instant(ofISO: value) else { return false }
        return abs(instant.timeIntervalSinceNow) < 60
    }

    /// Whether a JSON member is `null` (JSONSerialization reads it as `NSNull`).
    static func isNull(_ value: Any?) -> Bool { value is NSNull }

    /// Expects a successful connect answer of `status` for `tenant`: `success`, `instanceName`, a PNG QR code,
    /// `message` and `data` (tenant id, instance name, a recent ISO `createdAt`).
    static func expectConnectAnswer(
        _ response: TestHTTPResponse, status: Int, tenant: String, message: String?,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let context = "\(response.status) \(response.text.prefix(300))"
        #expect(response.status == status, "\(context)", sourceLocation: sourceLocation)
        #expect(
            response.headers["content-type"] == "application/json; charset=utf-8", "\(context)",
            sourceLocation: sourceLocation)
        let body = (try? response.jsonObject()) ?? [:]
        let name = TestWhatsAppStack.instanceName(of: tenant)
        #expect(body["success"] as? Bool == true, "\(context)", sourceLocation: sourceLocation)
        #expect(body["instanceName"] as? String == name, "\(context)", sourceLocation: sourceLocation)
        #expect(pngBytes(ofDataURL: body["qrcode"]) != nil, "qrcode is a PNG data URL", sourceLocation: sourceLocation)
        if let message {
            #expect(body["message"] as? String == message, "\(context)", sourceLocation: sourceLocation)
        }
        let data = body["data"] as? [String: Any]
        #expect(data?["tenantId"] as? String == tenant, "\(context)", sourceLocation: sourceLocation)
        #expect(data?["instanceName"] as? String == name, "\(context)", sourceLocation: sourceLocation)
        #expect(
            isRecentISO(data?["createdAt"]), "createdAt: \(data?["createdAt"] ?? "nil")", sourceLocation: sourceLocation
        )
    }
}
