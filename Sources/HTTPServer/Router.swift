/// Maps a method and a raw path to a route, by segments, with `{name}` segments capturing path parameters.
///
/// A route without parameters is found by one dictionary lookup and wins over a route with parameters that matches
/// the same path; otherwise the first route added that matches is chosen. Matching is exact on the raw path: no
/// percent-decoding, no dot-segment removal, no trailing-slash folding, and a parameter never matches an empty
/// segment. `/api/tenants/t1%2F..%2Ft2/x` is one (odd) segment, never two.
public struct Router<Handler: Sendable>: Sendable {
    private struct Route: Sendable {
        let method: HTTPMethod
        let pattern: RoutePattern
        let handler: Handler
    }

    private var routes: [Route] = []
    /// The routes without parameters, by exact path: most requests (health, ready) are found in one lookup.
    private var literalRoutes: [String: [Int]] = [:]

    /// An empty router.
    public init() {}

    /// Adds a route. `pattern` is a path such as `/api/tenants/{tenantId}/whatsapp/status`.
    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ handler: Handler) {
        let parsed = RoutePattern(pattern)
        if !parsed.hasParameters {
            literalRoutes[pattern, default: []].append(routes.count)
        }
        routes.append(Route(method: method, pattern: parsed, handler: handler))
    }

    /// The route for `method` and `path`, the methods the path allows, or nothing.
    public func match(method: HTTPMethod, path: String) -> RouteMatch<Handler> {
        guard path.utf8.first == UInt8(ascii: "/") else { return .notFound }
        if let indices = literalRoutes[path], let index = indices.first(where: { routes[$0].method == method }) {
            return .found(routes[index].handler, pattern: routes[index].pattern.text, parameters: [:])
        }
        var allowed: [HTTPMethod] = []
        var allowedPattern: String?
        for route in routes {
            guard let parameters = route.pattern.parameters(in: path) else { continue }
            if route.method == method {
                return .found(route.handler, pattern: route.pattern.text, parameters: parameters)
            }
            if !allowed.contains(route.method) { allowed.append(route.method) }
            allowedPattern = allowedPattern ?? route.pattern.text
        }
        if let allowedPattern { return .methodNotAllowed(allowed: allowed, pattern: allowedPattern) }
        return .notFound
    }
}

/// What a router found for a request.
public enum RouteMatch<Handler: Sendable>: Sendable {
    /// A route matched: its handler, its pattern (for logs) and the path parameters, still percent-encoded.
    case found(Handler, pattern: String, parameters: [String: String])
    /// The path exists, but not for this method; `allowed` lists the methods that are (for the `Allow` header).
    case methodNotAllowed(allowed: [HTTPMethod], pattern: String)
    /// No route has this path.
    case notFound
}
