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

    /// Adds a route. `pattern` is a path such as `/api/tenants/{tenantId}/whatsapp/status`; `bodyLimit` is the
    /// largest request body the route accepts, in bytes (16 KiB unless given, as nginx's `client_max_body_size 16k`).
    public mutating func add(
        _ method: HTTPMethod, _ pattern: String, _ handler: Handler, bodyLimit: Int = 16 * 1024
    ) {
        table.add(method, RoutePattern(pattern), handler: handlers.count, bodyLimit: bodyLimit)
        handlers.append(handler)
    }

    /// Every route, as `(method, pattern)`, in the order added.
    public var routes: [(method: HTTPMethod, pattern: String)] {
        table.routes
    }

    /// The largest body limit of any route (0 without routes): no request body needs reading beyond it.
    public var largestBodyLimit: Int {
        table.largestBodyLimit
    }

    /// The route for `method` and `path`, the methods the path allows, or nothing.
    ///
    /// Inlinable, so that the caller's specialisation looks up the handler: the matching itself is not generic,
    /// and a generic one would look up type metadata on every request.
    @inlinable
    public func match(method: HTTPMethod, path: String) -> RouteMatch<Handler> {
        switch table.match(method: method, path: path) {
        case .found(let handler, let pattern, let parameters, let bodyLimit):
            .found(handlers[handler], pattern: pattern, parameters: parameters, bodyLimit: bodyLimit)
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
        let bodyLimit: Int
    }

    /// What matched: the handler's index, or the methods the path allows, or nothing.
    @usableFromInline
    enum Match {
        case found(handler: Int, pattern: String, parameters: [String: String], bodyLimit: Int)
        case methodNotAllowed(allowed: [HTTPMethod], pattern: String)
        case notFound
    }

    private var entries: [Route] = []
    /// The routes without parameters, by exact path: most requests (health, ready) are found in one lookup.
    private var literalRoutes: [String: [Int]] = [:]

    @usableFromInline
    init() {}

    mutating func add(_ method: HTTPMethod, _ pattern: RoutePattern, handler: Int, bodyLimit: Int) {
        if !pattern.hasParameters {
            literalRoutes[pattern.text, default: []].append(entries.count)
        }
        entries.append(Route(method: method, pattern: pattern, handler: handler, bodyLimit: bodyLimit))
    }

    var routes: [(method: HTTPMethod, pattern: String)] {
        entries.map { ($0.method, $0.pattern.text) }
    }

    var largestBodyLimit: Int {
        entries.map(\.bodyLimit).max() ?? 0
    }

    @usableFromInline
    func match(method: HTTPMethod, path: String) -> Match {
        guard path.utf8.first == UInt8(ascii: "/") else { return .notFound }
        if let indices = literalRoutes[path], let index = indices.first(where: { entries[$0].method == method }) {
            return found(entries[index], parameters: [:])
        }
        var allowed: [HTTPMethod] = []
        var allowedPattern: String?
        for route in entries {
            guard let parameters = route.pattern.parameters(in: path) else { continue }
            if route.method == method { return found(route, parameters: parameters) }
            if !allowed.contains(route.method) { allowed.append(route.method) }
            allowedPattern = allowedPattern ?? route.pattern.text
        }
        if let allowedPattern { return .methodNotAllowed(allowed: allowed, pattern: allowedPattern) }
        return .notFound
    }

    private func found(_ route: Route, parameters: [String: String]) -> Match {
        .found(handler: route.handler, pattern: route.pattern.text, parameters: parameters, bodyLimit: route.bodyLimit)
    }
}

/// What a router found for a request.
public enum RouteMatch<Handler: Sendable>: Sendable {
    /// A route matched: its handler, its pattern (for logs), the path parameters, still percent-encoded, and the
    /// largest body it accepts.
    case found(Handler, pattern: String, parameters: [String: String], bodyLimit: Int)
    /// The path exists, but not for this method; `allowed` lists the methods that are (for the `Allow` header).
    case methodNotAllowed(allowed: [HTTPMethod], pattern: String)
    /// No route has this path.
    case notFound
}
