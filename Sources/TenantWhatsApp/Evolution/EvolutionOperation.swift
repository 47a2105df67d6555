/// The Evolution API calls the service makes, by the names the metrics label them with (`operation`).
enum EvolutionOperation: String, Sendable, CaseIterable {
    /// `POST /instance/create`.
    case createInstance
    /// `GET /instance/connect/{name}`.
    case connect
    /// `GET /instance/connectionState/{name}`.
    case connectionState
    /// `DELETE /instance/logout/{name}`.
    case logout
    /// `DELETE /instance/delete/{name}`.
    case deleteInstance
    /// `GET /webhook/find/{name}`.
    case findWebhook
    /// `POST /webhook/set/{name}`.
    case setWebhook
    /// `GET /instance/fetchInstances[?instanceName=]` (reconcile; status, to learn the account when polling).
    case fetchInstances
}
