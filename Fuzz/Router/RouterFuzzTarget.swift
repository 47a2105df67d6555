/// libFuzzer entry: the first byte picks a method, the rest is a raw path matched against the API's route table
/// (`Application.router`'s patterns). The answer must be the one a plain reference matcher gives (segments compared
/// byte by byte, a literal route before a parameterised one); a `{tenantId}` captured goes through `TenantID`,
/// which must accept only 1–64 of `A-Z a-z 0-9 _ -`, so never a `/`, `%` or `.`.
@_cdecl("LLVMFuzzerTestOneInput")
public func routerFuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let first = bytes.first else { return 0 }
    let methods: [HTTPMethod] = [.get, .post, .delete, .put, .patch]
    let method = methods[Int(first) % methods.count]
    let path = String(decoding: bytes.dropFirst(), as: UTF8.self)
    let expected = ReferenceRouter.match(method: method, path: path)
    switch apiRouter.match(method: method, path: path) {
    case .found(let pattern, let matched, let parameters, _):
        guard case .found(let expectedPattern, let expectedParameters) = expected, pattern == matched,
            pattern == expectedPattern, parameters == expectedParameters
        else { fatalError("found \(matched) \(parameters) for \(Array(path.utf8)), expected \(expected)") }
        if let raw = parameters["tenantId"] { checkTenantID(raw) }
    case .methodNotAllowed(let allowed, let pattern):
        guard case .methodNotAllowed(let expectedAllowed, let expectedPattern) = expected,
            allowed == expectedAllowed, pattern == expectedPattern
        else { fatalError("405 \(allowed) \(pattern) for \(Array(path.utf8)), expected \(expected)") }
    case .notFound:
        guard case .notFound = expected else { fatalError("404 for \(Array(path.utf8)), expected \(expected)") }
    }
    checkTenantID(path)
    return 0
}

private func checkTenantID(_ text: String) {
    guard let tenant = TenantID(text) else { return }
    let bytes = Array(tenant.rawValue.utf8)
    guard (1...64).contains(bytes.count), bytes == Array(text.utf8),
        bytes.allSatisfy({ $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || isASCIIAlphanumeric($0) }),
        tenant.instanceName == "tenant_" + text
    else { fatalError("TenantID accepted \(Array(text.utf8))") }
}

private func isASCIIAlphanumeric(_ byte: UInt8) -> Bool {
    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
}

/// The API's routes, in `Application.router`'s order (webhook and metrics on), each handled by its own pattern.
private let apiRoutes: [(HTTPMethod, String)] = [
    (.get, "/api/health"), (.get, "/api/ready"), (.post, "/api/tenants/{tenantId}/whatsapp/connect"),
    (.get, "/api/tenants/{tenantId}/whatsapp/status"), (.delete, "/api/tenants/{tenantId}/whatsapp/disconnect"),
    (.post, "/api/evolution/webhook"), (.get, "/api/metrics"),
]

private let apiRouter: Router<String> = {
    var router = Router<String>()
    for (method, pattern) in apiRoutes { router.add(method, pattern, pattern) }
    return router
}()

/// What the router documents, written as plainly as possible.
private enum ReferenceRouter {
    enum Outcome {
        case found(String, [String: String])
        case methodNotAllowed([HTTPMethod], String)
        case notFound
    }

    static func match(method: HTTPMethod, path: String) -> Outcome {
        guard path.utf8.first == UInt8(ascii: "/") else { return .notFound }
        let pathBytes = Array(path.utf8)
        if let literal = apiRoutes.first(where: {
            $0.0 == method && !$0.1.contains("{") && Array($0.1.utf8) == pathBytes
        }) {
            return .found(literal.1, [:])
        }
        let segments = split(pathBytes)
        var allowed: [HTTPMethod] = []
        var allowedPattern: String?
        for (routeMethod, pattern) in apiRoutes {
            guard let parameters = parameters(of: split(Array(pattern.utf8)), in: segments) else { continue }
            if routeMethod == method { return .found(pattern, parameters) }
            if !allowed.contains(routeMethod) { allowed.append(routeMethod) }
            allowedPattern = allowedPattern ?? pattern
        }
        if let allowedPattern { return .methodNotAllowed(allowed, allowedPattern) }
        return .notFound
    }

    private static func split(_ bytes: [UInt8]) -> [[UInt8]] {
        bytes.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map(Array.init)
    }

    private static func parameters(of pattern: [[UInt8]], in segments: [[UInt8]]) -> [String: String]? {
        guard pattern.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (expected, actual) in zip(pattern, segments) {
            if expected.count > 2, expected.first == UInt8(ascii: "{"), expected.last == UInt8(ascii: "}") {
                guard !actual.isEmpty else { return nil }
                parameters[String(decoding: expected.dropFirst().dropLast(), as: UTF8.self)] =
                    String(decoding: actual, as: UTF8.self)
            } else if expected != actual {
                return nil
            }
        }
        return parameters
    }
}
