import Foundation

/// Where the package, its built binaries and the test run's scratch folders are.
enum TestEnvironment {
    /// The package root, found from this file's path (Tests/IntegrationTests/Support/...).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The folder holding the built executables: `TENANT_WHATSAPP_BIN_DIR`, else `.build/debug`.
    static let binDirectory: URL = {
        if let dir = ProcessInfo.processInfo.environment["TENANT_WHATSAPP_BIN_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        return packageRoot.appendingPathComponent(".build/debug")
    }()

    /// The `tenant-whatsapp` executable under test.
    static var responderBinary: String { binDirectory.appendingPathComponent("tenant-whatsapp").path }

    /// True when the tests run as root (then PostgreSQL runs as the `postgres` user through `runuser`).
    static let isRoot: Bool = geteuid() == 0

    /// A new, short, world-traversable scratch folder under /tmp (unix socket paths must stay under 107 bytes).
    static func makeScratchDirectory(_ label: String) throws -> URL {
        var template = Array("/tmp/tw-\(label)-XXXXXX".utf8CString)
        guard let path = mkdtemp(&template) else {
            throw TestFailure("mkdtemp failed for \(label): errno \(errno)")
        }
        let url = URL(fileURLWithPath: String(cString: path))
        chmod(url.path, 0o755)
        return url
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
    static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw TestFailure("bind() failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw TestFailure("getsockname() failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A failure of the test harness itself (a process that would not start, a file that could not be written).
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
