/// Maps a method and a raw path to a route, by segments, with `{name}` segments capturing path parameters.
///
/// A route without parameters is found by one dictionary lookup and wins over a route with parameters that matches
/// the same path; otherwise the first route added that matches is chosen. Matching is exact on the raw path: no
/// percent-decoding, no dot-segment removal, no trailing-slash folding, and a parameter never matches an empty
/// segment. `/api/tenants/t1%2F..%2Ft2/x` is one (odd) segment, never two.
public struct Router<Handler: Sendable>: Sendable {
    /// The handlers, by the index the table gives.
    @usableFromInline var handlers: [Handler] = []
    @usableFromInline var table = RouteTable()

    /// An empty router.
    public init() {}

    /// Adds a route. `pattern` is a path such as `/api/tenants/{tenantId}/whatsapp/status`.
    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ handler: Handler) {
        table.add(method, RoutePattern(pattern), handler: handlers.count)
        handlers.append(handler)
    }

    /// Every route, as `(method, pattern)`, in the order added.
    public var routes: [(method: HTTPMethod, pattern: String)] {
        table.routes
    }

    /// The route for `method` and `path`, the methods the path allows, or nothing.
    ///
    /// Inlinable, so that the caller's specialisation looks up the handler: the matching itself is not generic,
    /// and a generic one would look up type metadata on every request.
    @inlinable
    public func match(method: HTTPMethod, path: String) -> RouteMatch<Handler> {
        switch table.match(method: method, path: path) {
        case .found(let handler, let pattern, let parameters):
            .found(handlers[handler], pattern: pattern, parameters: parameters)
        case .methodNotAllowed(let allowed, let pattern): .methodNotAllowed(allowed: allowed, pattern: pattern)
        case .notFound: .notFound
        }
    }
}

/// The routes of a ``Router``, without their handlers: matching needs no generic type.
@usableFromInline
struct RouteTable: Sendable {
    private struct Route: Sendable {
        let method: HTTPMethod
        let pattern: RoutePattern
        let handler: Int
    }

    /// What matched: the handler's index, or the methods the path allows, or nothing.
    @usableFromInline
    enum Match {
        case found(handler: Int, pattern: String, parameters: [String: String])
        case methodNotAllowed(allowed: [HTTPMethod], pattern: String)
        case notFound
    }

    private var entries: [Route] = []
    /// The routes without parameters, by exact path: most requests (health, ready) are found in one lookup.
    private var literalRoutes: [String: [Int]] = [:]

    @usableFromInline
    init() {}

    mutating func add(_ method: HTTPMethod, _ pattern: RoutePattern, handler: Int) {
        if !pattern.hasParameters {
            literalRoutes[pattern.text, default: []].append(entries.count)
        }
        entries.append(Route(method: method, pattern: pattern, handler: handler))
    }

    var routes: [(method: HTTPMethod, pattern: String)] {
        entries.map { ($0.method, $0.pattern.text) }
    }

    @usableFromInline
    func match(method: HTTPMethod, path: String) -> Match {
        guard path.utf8.first == UInt8(ascii: "/") else { return .notFound }
        if let indices = literalRoutes[path], let index = indices.first(where: { entries[$0].method == method }) {
            return .found(handler: entries[index].handler, pattern: entries[index].pattern.text, parameters: [:])
        }
        var allowed: [HTTPMethod] = []
        var allowedPattern: String?
        for route in entries {
            guard let parameters = route.pattern.parameters(in: path) else { continue }
            if route.method == method {
                return .found(handler: route.handler, pattern: route.pattern.text, parameters: parameters)
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
