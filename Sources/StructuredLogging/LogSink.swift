internal import Glibc

/// Where log lines go: standard error, or a file opened for appending.
///
/// Each line is handed to the kernel in one `write(2)` on an `O_APPEND` descriptor, so lines from concurrent
/// threads and processes do not interleave.
public final class LogSink: Sendable {
    private let descriptor: Int32
    private let ownsDescriptor: Bool

    /// Standard error.
    public static let standardError = LogSink(descriptor: 2, ownsDescriptor: false)

    private init(descriptor: Int32, ownsDescriptor: Bool) {
        self.descriptor = descriptor
        self.ownsDescriptor = ownsDescriptor
    }

    /// A file opened for appending (created 0640 when absent); nil with `errno` set when it cannot be opened.
    public static func appending(toFile path: String) -> LogSink? {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { return nil }
        return LogSink(descriptor: descriptor, ownsDescriptor: true)
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// Writes `line` and a newline.
    public func write(line: [UInt8]) {
        var bytes = line
        bytes.append(UInt8(ascii: "\n"))
        write(terminatedLine: bytes)
    }

    /// Writes `line`, which already ends with its newline, in one `write(2)` (retried only if cut short).
    public func write(terminatedLine line: [UInt8]) {
        line.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
