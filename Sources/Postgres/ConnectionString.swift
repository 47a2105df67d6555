internal import CLibPQ

/// What the connection owner needs to know about a connection string before handing it to libpq: is it
/// well-formed, and which secret must never appear in an error message.
struct ConnectionString {
    /// Texts to cut out of any libpq message: the password, and the whole string (it can hold the password).
    let secrets: [String]

    /// Checks `text` the way `PQconnectdbParams(expand_dbname: 1)` will read it.
    ///
    /// libpq's own parse errors quote the offending part of the string (`missing "=" after "…"`,
    /// `invalid percent-encoded token: "…"`), which can be the password, so they are withheld whole.
    init(_ text: String) throws(PostgresError) {
        guard !text.utf8.contains(0) else {
            throw Self.malformed
        }
        var secrets = [text]
        if Self.isExpanded(text) {
            var parseError: UnsafeMutablePointer<CChar>?
            guard let options = PQconninfoParse(text, &parseError) else {
                // "the caller should free it using PQfreemem" — the message itself is never read.
                PQfreemem(parseError)
                throw Self.malformed
            }
            defer { PQconninfoFree(options) }
            var option = options
            while let keyword = option.pointee.keyword {
                if String(cString: keyword) == "password", let value = option.pointee.val {
                    secrets.append(String(cString: value))
                }
                option += 1
            }
        }
        self.secrets = secrets.filter { !$0.isEmpty }
    }

    /// `message` with every secret replaced by `[redacted]`.
    func redacting(_ message: String) -> String {
        secrets.reduce(message) { text, secret in text.replacing(secret, with: "[redacted]") }
    }

    /// libpq expands `dbname` only when it "contains an = sign or begins with a URI scheme designator";
    /// otherwise it is a plain database name and holds no password.
    private static func isExpanded(_ text: String) -> Bool {
        text.contains("=") || text.hasPrefix("postgresql://") || text.hasPrefix("postgres://")
    }

    private static let malformed = PostgresError(
        kind: .invalidConnectionString,
        message: "the connection string is malformed (libpq's message is withheld: it can quote the password)")
}
