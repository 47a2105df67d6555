internal import Glibc

/// Reading a small file whole: the one place the product opens files by path (without Foundation).
public enum FileContents {
    /// The bytes of the file at `path`, at most `limit` of them.
    public static func read(path: String, limit: Int) throws(FileReadError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .unreadable(errno: errno) }
        defer { close(descriptor) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = Glibc.read(descriptor, &chunk, chunk.count)
            if count == 0 { return contents }
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreadable(errno: errno)
            }
            contents.append(contentsOf: chunk[0..<count])
            guard contents.count <= limit else { throw .tooLarge(limit: limit) }
        }
    }
}

/// Why a file could not be read.
public enum FileReadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `open` or `read` failed with `errno`.
    case unreadable(errno: Int32)
    /// The file holds more than `limit` bytes.
    case tooLarge(limit: Int)

    /// One line for an operator, naming the system error.
    public var description: String {
        switch self {
        case .unreadable(let code): "cannot be read: \(SystemError.message(code))"
        case .tooLarge(let limit): "is larger than \(limit) bytes"
        }
    }
}

/// The system's words for an `errno`.
public enum SystemError {
    /// `strerror(code)`, e.g. `No such file or directory`.
    public static func message(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
