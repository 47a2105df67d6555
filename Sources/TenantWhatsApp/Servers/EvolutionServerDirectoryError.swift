import Postgres
import Secrets

/// Why the Evolution servers could not be loaded at start (`serve` then refuses to start, with this one line).
///
/// `description` names the variable or the server at fault, never a secret.
public enum EvolutionServerDirectoryError: Error, Sendable, CustomStringConvertible {
    /// No registered server and no `EVOLUTION_API_URL`: nowhere to place a tenant.
    case noServer
    /// A server's secrets are stored sealed, and `SECRETS_KEY` is not set.
    case secretsKeyMissing(server: String)
    /// A server's secret does not open with `SECRETS_KEY` (or `SECRETS_KEY_PREVIOUS`).
    case secretUnreadable(server: String, SecretsError)
    /// PostgreSQL could not be read.
    case database(PostgresError)

    /// One line naming the variable or the server at fault, never a secret.
    public var description: String {
        switch self {
        case .noServer:
            "EVOLUTION_API_URL is not set and no Evolution server is registered (tenant-whatsapp servers add)"
        case .secretsKeyMissing(let server):
            "SECRETS_KEY is not set, but the secrets of Evolution server \(server) are stored encrypted"
        case .secretUnreadable(let server, let error):
            "SECRETS_KEY does not open the stored secrets of Evolution server \(server) (\(error.description)); "
                + "set the key they were sealed with, or the previous one in SECRETS_KEY_PREVIOUS"
        case .database(let error): "cannot read the Evolution servers: \(error.description)"
        }
    }
}
