import JSON

/// libFuzzer entry: any bytes as a compact token, verified with an HS256 key (signature only, then in full), at a
/// fixed time. The verifier must refuse or accept without trapping; it may accept only what the key signed.
@_cdecl("LLVMFuzzerTestOneInput")
public func jwtFuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let token = String(decoding: bytes, as: UTF8.self)
    _ = try? FuzzKey.verifier.verifySignature(token)
    _ = try? FuzzKey.verifier.verify(token)
    _ = try? FuzzKey.strictVerifier.verify(token)
    return 0
}
