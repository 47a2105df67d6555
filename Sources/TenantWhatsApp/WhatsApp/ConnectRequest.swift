import HTTPServer
import JSON

/// What connect's optional body asks for: nothing (`{}` or no body: a QR code), or `{"number":"5511999999999"}`
/// (a pairing code for that phone). Other members are ignored.
struct ConnectRequest: Sendable, Equatable {
    /// The phone to pair by code; nil: QR code only.
    let pairingNumber: PairingNumber?

    /// The request of `request`'s body: 415 `unsupported_media_type` unless it is `application/json`, 400
    /// `invalid_body` unless it is one JSON object, 400 `invalid_number` when its `number` is not 10 to 15 digits
    /// in a string. Checked before anything is read or called.
    init(_ request: HTTPRequest) throws(APIError) {
        guard !request.body.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) else {
            pairingNumber = nil
            return
        }
        let mediaType = request.headers["content-type"]?.split(separator: ";").first
            .map { $0.filter { $0 != " " && $0 != "\t" }.lowercased() }
        guard mediaType == "application/json" else { throw APIError(.unsupportedMediaType) }
        guard let body = try? JSONParser().parse(request.body), body.objectMembers != nil else {
            throw APIError(.invalidBody)
        }
        guard let value = body["number"] else {
            pairingNumber = nil
            return
        }
        // A number of another type (`5511999999999` unquoted, null, an array) is refused like a malformed one.
        guard let text = value.stringValue, let number = PairingNumber(text) else { throw APIError(.invalidNumber) }
        pairingNumber = number
    }
}
