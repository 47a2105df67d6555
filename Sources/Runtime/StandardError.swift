internal import Glibc

/// Writes one line to standard error (the C global `stderr` is not concurrency-safe in Swift 6).
public func writeToStandardError(_ line: String) {
    var bytes = Array(line.utf8)
    bytes.append(UInt8(ascii: "\n"))
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}
