/// One row of `GET /instance/fetchInstances` (the instance's token is deliberately left out).
public struct EvolutionInstanceSummary: Sendable, Equatable {
    /// The instance name.
    public let name: String
    /// Evolution's id of the instance.
    public let instanceID: String
    /// The state Evolution's *database* holds, which can lag behind `connectionState` (a fresh instance is `close`
    /// here while `connecting` live).
    public let connectionStatus: EvolutionConnectionState
    /// The connected WhatsApp account (`5511…@s.whatsapp.net`), once there was one.
    public let ownerJID: String?
    /// The WhatsApp profile name, once connected.
    public let profileName: String?
    /// The integration, e.g. `WHATSAPP-BAILEYS`.
    public let integration: String?
    /// When Evolution created the instance (ISO 8601), when it says.
    public let createdAt: String?

    /// A summary from its parts.
    public init(
        name: String, instanceID: String, connectionStatus: EvolutionConnectionState, ownerJID: String?,
        profileName: String?, integration: String?, createdAt: String? = nil
    ) {
        self.createdAt = createdAt
        self.name = name
        self.instanceID = instanceID
        self.connectionStatus = connectionStatus
        self.ownerJID = ownerJID
        self.profileName = profileName
        self.integration = integration
    }
}
