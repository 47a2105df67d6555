import Foundation

/// A listening unix socket the test itself holds, as a systemd socket unit holds `ListenStream=`: it outlives the
/// responders started on it (``TestResponder/start(on:in:environment:arguments:name:)`` hands it over as their
/// standard input, like `StandardInput=socket`), so connections queued while none runs wait for the next one.
final class TestSocketUnit: @unchecked Sendable {
    /// The socket's path, where nginx connects.
    let path: String
    /// The listening descriptor (close-on-exec: only the responders it is handed to get it).
    let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// Binds and listens on a new unix socket at `path` (mode 0660, as `SocketMode=0660`) with `backlog`.
    static func listen(at path: String, backlog: Int32 = 128) throws -> TestSocketUnit {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket failed: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            Glibc.close(descriptor)
            throw TestFailure("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, chmod(path, 0o660) == 0, Glibc.listen(descriptor, backlog) == 0 else {
            let failure = errno
            Glibc.close(descriptor)
            throw TestFailure("cannot listen on \(path): errno \(failure)")
        }
        return TestSocketUnit(path: path, descriptor: descriptor)
    }

    /// How many connections wait in the socket's backlog, made by the kernel but accepted by no responder yet
    /// (`ss`'s Recv-Q of a listening unix socket).
    func queuedConnections() throws -> Int {
        let result = try Subprocess.run(["/usr/bin/ss", "-xlnH", "src", path])
        guard result.succeeded else { throw TestFailure("ss failed: \(result.error)") }
        let fields = result.output.split(whereSeparator: \.isWhitespace)
        // Netid State Recv-Q Send-Q Local Port Peer Port
        guard fields.count >= 3, let queued = Int(fields[2]) else {
            throw TestFailure("cannot read the backlog of \(path) from: \(result.output)")
        }
        return queued
    }

    /// Closes the socket (what is still queued is reset) and removes its path.
    func close() {
        Glibc.close(descriptor)
        unlink(path)
    }
}
