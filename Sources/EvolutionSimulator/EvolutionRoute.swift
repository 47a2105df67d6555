import HTTPServer

/// The Evolution routes the simulator answers, named as faults and the call log name them.
enum EvolutionRoute: String, Sendable, CaseIterable {
    case root
    case create
    case connect
    case connectionState
    case logout
    case delete
    case restart
    case fetchInstances
    case webhookSet
    case webhookFind

    /// Patterns on the raw path, as Evolution's Express routes.
    static let router: Router<EvolutionRoute> = {
        var router = Router<EvolutionRoute>()
        router.add(.get, "/", .root)
        router.add(.post, "/instance/create", .create)
        router.add(.get, "/instance/connect/{instanceName}", .connect)
        router.add(.get, "/instance/connectionState/{instanceName}", .connectionState)
        router.add(.delete, "/instance/logout/{instanceName}", .logout)
        router.add(.delete, "/instance/delete/{instanceName}", .delete)
        router.add(.post, "/instance/restart/{instanceName}", .restart)
        router.add(.get, "/instance/fetchInstances", .fetchInstances)
        router.add(.post, "/webhook/set/{instanceName}", .webhookSet)
        router.add(.get, "/webhook/find/{instanceName}", .webhookFind)
        return router
    }()
}

/// The simulator's own control routes, under `/_sim/` (not part of Evolution).
enum ControlRoute: Sendable {
    case scan
    case drop
    case rotateQRCode
    case addFault
    case listFaults
    case clearFaults
    case listCalls
    case clearCalls
    case reset
    case showSettings
    case updateSettings
    case receiveWebhook
    case listWebhooks
    case clearWebhooks
    case listDeliveries
    case clearDeliveries

    static let router: Router<ControlRoute> = {
        var router = Router<ControlRoute>()
        router.add(.post, "/_sim/instances/{instanceName}/scan", .scan)
        router.add(.post, "/_sim/instances/{instanceName}/drop", .drop)
        router.add(.post, "/_sim/instances/{instanceName}/rotate-qr", .rotateQRCode)
        router.add(.post, "/_sim/faults", .addFault)
        router.add(.get, "/_sim/faults", .listFaults)
        router.add(.delete, "/_sim/faults", .clearFaults)
        router.add(.get, "/_sim/calls", .listCalls)
        router.add(.delete, "/_sim/calls", .clearCalls)
        router.add(.post, "/_sim/reset", .reset)
        router.add(.get, "/_sim/settings", .showSettings)
        router.add(.put, "/_sim/settings", .updateSettings)
        router.add(.post, "/_sim/webhooks", .receiveWebhook)
        router.add(.post, "/_sim/webhooks/{event}", .receiveWebhook)
        router.add(.get, "/_sim/webhooks", .listWebhooks)
        router.add(.delete, "/_sim/webhooks", .clearWebhooks)
        router.add(.get, "/_sim/deliveries", .listDeliveries)
        router.add(.delete, "/_sim/deliveries", .clearDeliveries)
        return router
    }()
}
