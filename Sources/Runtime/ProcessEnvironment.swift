internal import Glibc

/// The process environment as a dictionary, read without Foundation.
public enum ProcessEnvironment {
    /// Every `NAME=VALUE` of `environ`.
    public static func current() -> [String: String] {
        var result: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let pair = String(cString: entry)
            if let separator = pair.firstIndex(of: "=") {
                result[String(pair[..<separator])] = String(pair[pair.index(after: separator)...])
            }
            cursor += 1
        }
        return result
    }
}
