import HTTPServer
import Testing

@Suite("Router")
struct RouterTests {
    private enum Endpoint: Sendable, Equatable { case status, connect, health }

    private let router: Router<Endpoint> = {
        var router = Router<Endpoint>()
        router.add(.get, "/api/health", .health)
        router.add(.get, "/api/tenants/{tenantId}/whatsapp/status", .status)
        router.add(.post, "/api/tenants/{tenantId}/whatsapp/connect", .connect)
        return router
    }()

    @Test func matchesALiteralRoute() {
        guard
            case .found(let endpoint, let pattern, let parameters, _) = router.match(method: .get, path: "/api/health")
        else {
            Issue.record("no match")
            return
        }
        #expect(endpoint == .health)
        #expect(pattern == "/api/health")
        #expect(parameters.isEmpty)
    }

    @Test func capturesPathParametersRaw() {
        let match = router.match(method: .get, path: "/api/tenants/t1%2F..%2Ft2/whatsapp/status")
        guard case .found(let endpoint, _, let parameters, _) = match else {
            Issue.record("no match")
            return
        }
        #expect(endpoint == .status)
        #expect(parameters["tenantId"] == "t1%2F..%2Ft2")
    }

    @Test func listsAllowedMethodsWhenOnlyTheMethodIsWrong() {
        guard case .methodNotAllowed(let allowed, let pattern) = router.match(method: .post, path: "/api/health")
        else {
            Issue.record("expected 405")
            return
        }
        #expect(allowed == [.get])
        #expect(pattern == "/api/health")
    }

    @Test func aRouteAcceptsSixteenKibibytesUnlessItsRegistrationSaysOtherwise() {
        var router = self.router
        router.add(.post, "/api/evolution/webhook/{serverId}", .connect, bodyLimit: 64 * 1024)
        guard case .found(_, _, _, let defaultLimit) = router.match(method: .get, path: "/api/health"),
            case .found(_, _, _, let declaredLimit) = router.match(method: .post, path: "/api/evolution/webhook/s1")
        else {
            Issue.record("no match")
            return
        }
        #expect(defaultLimit == 16 * 1024)
        #expect(declaredLimit == 64 * 1024)
        #expect(router.largestBodyLimit == 64 * 1024)
        #expect(self.router.largestBodyLimit == 16 * 1024)
    }

    @Test(arguments: [
        "/api/health/", "/api//health", "/API/health", "/api/tenants//whatsapp/status",
        "/api/tenants/t1/../t2/whatsapp/status", "api/health", "", "/", "/api/tenants/t1/whatsapp/status/",
        "/api/tenants/t1/whatsapp", "/api/tenants/t1/whatsapp/status/extra", "/api/tenants/t1/whatsapp/stat",
        "/api/tenants/t1/whatsapp/statusx", "/api/tenants/t1/whatsápp/status", "//api/health",
    ])
    func doesNotNormaliseOddPaths(path: String) {
        guard case .notFound = router.match(method: .get, path: path) else {
            Issue.record("\(path) should not match any route")
            return
        }
    }
}
