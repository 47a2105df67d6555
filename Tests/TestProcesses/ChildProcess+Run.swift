import Foundation

extension ChildProcess {
    /// What a command that ran to completion left: its exit status and everything it wrote.
    public struct Completion: Sendable {
        /// The exit status, as ``ChildProcess/waitForExit()`` reports it.
        public let status: Int32
        /// Everything it wrote to stdout.
        public let output: String
        /// Everything it wrote to stderr.
        public let error: String
    }

    /// Runs `arguments` (absolute program path first) to completion with `input` on stdin, capturing stdout and
    /// stderr.
    ///
    /// The streams go through temporary files, not pipes: nothing can fill and block, and a daemon the command starts
    /// (`pg_ctl start`) may inherit them and keep a pipe open forever, while a file is simply read once the command
    /// exits.
    public static func run(
        _ arguments: [String], environment: [String: String]? = nil, input: String? = nil,
        currentDirectory: String? = nil
    ) throws -> Completion {
        let output = try ScratchFile()
        let error = try ScratchFile()
        let inputFile = try input.map { try ScratchFile(contents: $0) }
        let child = try ChildProcess(
            arguments: arguments, environment: environment, currentDirectory: currentDirectory,
            standardInput: inputFile.map { .descriptor($0.descriptor) } ?? .null,
            standardOutput: .descriptor(output.descriptor), standardError: .descriptor(error.descriptor))
        let status = child.waitForExit()
        return Completion(status: status, output: output.contents(), error: error.contents())
    }
}

/// A temporary file, unlinked at once and closed with its owner: one stream of a command.
private final class ScratchFile {
    let descriptor: Int32

    init(contents: String = "") throws {
        var template = Array("/tmp/tw-out-XXXXXX".utf8CString)
        descriptor = mkstemp(&template)
        guard descriptor >= 0 else { throw ChildProcessError("mkstemp failed: \(String(cString: strerror(errno)))") }
        // Only the child it is duplicated into gets it (as 0, 1 or 2): no other program started meanwhile.
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        unlink(template)
        let bytes = Array(contents.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written > 0 || errno == EINTR else {
                throw ChildProcessError("writing a scratch file failed: \(String(cString: strerror(errno)))")
            }
            offset += max(written, 0)
        }
        lseek(descriptor, 0, SEEK_SET)
    }

    deinit {
        close(descriptor)
    }

    /// Everything in the file, read from its start.
    func contents() -> String {
        var data = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        var offset: off_t = 0
        while true {
            let count = pread(descriptor, &chunk, chunk.count, offset)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            data.append(contentsOf: chunk.prefix(count))
            offset += off_t(count)
        }
        return String(decoding: data, as: UTF8.self)
    }
}
