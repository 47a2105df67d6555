import JSON

/// libFuzzer entry: the first byte picks an HTTP status and one of Evolution's answers (create, connect,
/// connectionState, fetchInstances); the rest is the body, read as the client reads it. Every decoder must return
/// a value or an `EvolutionError`, never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func evolutionDecodersFuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let first = bytes.first else { return 0 }
    let statuses = [200, 201, 200, 200, 400, 401, 403, 404, 500, 302, 101, 200, 201, 200, 502, 200]
    let answer = EvolutionAnswer(status: statuses[Int(first >> 4)], body: Array(bytes.dropFirst()))
    _ = answer.messages
    guard let json = try? answer.successBody() else { return 0 }
    switch first & 0x03 {
    case 0: _ = try? EvolutionResponseDecoder.createdInstance(from: json)
    case 1: _ = try? EvolutionResponseDecoder.connectResult(from: json, field: "$")
    case 2: _ = try? EvolutionResponseDecoder.connectionState(from: json)
    default: _ = try? EvolutionResponseDecoder.instanceSummaries(from: json)
    }
    return 0
}
