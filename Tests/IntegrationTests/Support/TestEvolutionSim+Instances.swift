import Foundation

extension TestEvolutionSim {
    /// The calls of the call log for `route` (`create`, `connect`, `delete`, …), about `instance` when given.
    ///
    /// A create names no instance in the log (the name is in its body, which the log never keeps): count creates
    /// without `instance`, on a simulator reset for the test.
    func calls(route: String, instance: String? = nil) throws -> [[String: Any]] {
        try callLog().filter {
            $0["route"] as? String == route && (instance == nil || $0["instance"] as? String == instance)
        }
    }

    /// The routes of the call log about `instance`, in order (creates are not among them: see ``calls(route:instance:)``).
    func routesCalled(instance: String) throws -> [String] {
        try callLog().filter { $0["instance"] as? String == instance }.compactMap { $0["route"] as? String }
    }

    /// Creates instance `name` through Evolution's own API with the global key, as an earlier run of the service (or
    /// an operator) would have: `WHATSAPP-BAILEYS`, `qrcode: true`. Fails unless Evolution answers 201.
    @discardableResult
    func createInstance(named name: String) throws -> [String: Any] {
        let response = try sendWithKey(
            "POST", "/instance/create",
            json: #"{"instanceName":"\#(name)","integration":"WHATSAPP-BAILEYS","qrcode":true}"#)
        guard response.status == 201 else {
            throw TestFailure("creating \(name) in the simulator answered \(response.status): \(response.text)")
        }
        return try response.jsonObject()
    }

    /// Whether Evolution knows instance `name` (its `connectionState` answers 200, not 404).
    func instanceExists(_ name: String) throws -> Bool {
        let response = try sendWithKey("GET", "/instance/connectionState/\(name)")
        switch response.status {
        case 200: return true
        case 404: return false
        default: throw TestFailure("connectionState of \(name) answered \(response.status): \(response.text)")
        }
    }

    /// Evolution's live state of instance `name` (`open`, `connecting`, `close`).
    func state(of name: String) throws -> String? {
        let response = try sendWithKey("GET", "/instance/connectionState/\(name)")
        let instance = try response.jsonObject()["instance"] as? [String: Any]
        return instance?["state"] as? String
    }

    /// The names of every instance Evolution holds.
    func instanceNames() throws -> [String] {
        let response = try sendWithKey("GET", "/instance/fetchInstances")
        guard response.status == 200,
            let rows = try JSONSerialization.jsonObject(with: response.body) as? [[String: Any]]
        else {
            throw TestFailure("fetchInstances answered \(response.status): \(response.text)")
        }
        return rows.compactMap { $0["name"] as? String }
    }

    /// Instance `name`'s own token (Evolution's `hash`), a secret that must never reach a log.
    func instanceToken(of name: String) throws -> String? {
        let response = try sendWithKey("GET", "/instance/fetchInstances?instanceName=\(name)")
        let rows = try JSONSerialization.jsonObject(with: response.body) as? [[String: Any]]
        return rows?.first?["token"] as? String
    }
}
