import JSON

/// libFuzzer entry: the input is a protected header and a payload separated by the first newline; they are
/// base64url-encoded and signed with the verifier's own key, so that the header checks and the claims validation
/// (reached only past a good signature) see arbitrary JSON. What the verifier accepts is checked again here, plainly:
/// a header object with `alg` exactly `HS256` and no forbidden parameter, claims with an unexpired `exp`.
@_cdecl("LLVMFuzzerTestOneInput")
public func jwtPartsFuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
    let header = Array(bytes[..<newline])
    let payload = newline < bytes.endIndex ? Array(bytes[(newline + 1)...]) : []
    let signingInput = Base64URL.encode(header) + "." + Base64URL.encode(payload)
    let token = signingInput + "." + Base64URL.encode(FuzzKey.mac(Array(signingInput.utf8)))
    if (try? FuzzKey.verifier.verifySignature(token)) != nil {
        guard let members = (try? JSONParser().parse(header))?.objectMembers, members.count > 0,
            (try? JSONParser().parse(header))?["alg"] == "HS256",
            !members.contains(where: { JWTVerifier.forbiddenHeaderParameters.contains($0.0) })
        else { fatalError("accepted header \(Array(header))") }
    }
    if (try? FuzzKey.verifier.verify(token)) != nil {
        guard let claims = try? JSONParser().parse(payload), claims.objectMembers != nil,
            let expiry = claims["exp"]?.doubleValue, Double(FuzzKey.now) < expiry + 60
        else { fatalError("accepted claims \(Array(payload))") }
    }
    if (try? FuzzKey.strictVerifier.verify(token)) != nil {
        guard let claims = try? JSONParser().parse(payload), claims["iss"] == "https://issuer.example" else {
            fatalError("accepted claims \(Array(payload)) with another issuer")
        }
    }
    _ = try? FuzzKey.verifier.checkedHeader(header)
    return 0
}
