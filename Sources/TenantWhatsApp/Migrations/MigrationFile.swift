import Runtime

/// One migration: a `*.sql` file whose name is its version.
struct MigrationFile: Sendable {
    /// The file name, e.g. `0001_tenants.sql`; also the version recorded in `schema_migrations`.
    let name: String
    /// The file's exact bytes (what the checksum covers).
    let bytes: [UInt8]
    /// The same bytes as text, for `PQexec`.
    let sql: String

    /// The bytes as lowercase hex, to hand them to PostgreSQL's `decode(…, 'hex')`.
    var hexBytes: String {
        Hexadecimal.lowercase(bytes)
    }

    /// The largest migration file read: 16 MiB (a migration is SQL text written by people).
    static let maximumFileSize = 16 * 1024 * 1024

    /// Every `*.sql` file of `directory`, sorted by name byte by byte (hidden files skipped).
    static func all(in directory: String) throws(MigrationError) -> [MigrationFile] {
        let names: [String]
        do {
            names = try DirectoryListing.names(in: directory)
        } catch {
            throw .unreadableDirectory(path: directory)
        }
        var files: [MigrationFile] = []
        let sqlNames = names.filter { $0.hasSuffix(".sql") && !$0.hasPrefix(".") }
        for name in sqlNames.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            files.append(try read(name, in: directory))
        }
        return files
    }

    private static func read(_ name: String, in directory: String) throws(MigrationError) -> MigrationFile {
        guard let bytes = try? FileContents.read(path: directory + "/" + name, limit: maximumFileSize),
            let sql = String(validating: bytes, as: UTF8.self)
        else {
            throw .unreadableFile(file: name)
        }
        return MigrationFile(name: name, bytes: bytes, sql: sql)
    }
}
