/// Swift strings laid out as NUL-terminated C strings in one buffer, lent to libpq as a
/// `const char * const *` for the duration of one call.
///
/// One buffer instead of nested `withCString` calls: the number of strings varies, and every pointer still
/// lives only inside ``withPointers(_:)``.
struct CStringArray {
    /// The strings' bytes, each followed by a NUL.
    private var storage: [CChar] = []
    /// Where each string starts in `storage`; `nil` lends a NULL pointer (SQL NULL, or an array terminator).
    private var offsets: [Int?] = []

    /// Lays out `strings`; `nil` entries become NULL pointers.
    ///
    /// Throws ``PostgresError/Kind/invalidParameter`` for a string with a NUL byte: C would silently cut it
    /// there, and a parameter cut short is a different parameter.
    init(_ strings: [String?]) throws(PostgresError) {
        for (index, string) in strings.enumerated() {
            guard let string else {
                offsets.append(nil)
                continue
            }
            try Self.requireNoNUL(string, name: "parameter $\(index + 1)")
            offsets.append(storage.count)
            storage.append(contentsOf: string.utf8.map { CChar(bitPattern: $0) })
            storage.append(0)
        }
    }

    /// Throws ``PostgresError/Kind/invalidParameter`` when `text` has a NUL byte, where C would cut it short.
    static func requireNoNUL(_ text: String, name: String) throws(PostgresError) {
        guard !text.utf8.contains(0) else {
            throw PostgresError(kind: .invalidParameter, message: "\(name) contains a NUL byte")
        }
    }

    /// The number of strings (NULLs included).
    var count: Int32 { Int32(offsets.count) }

    /// Calls `body` with a pointer to the array of C string pointers, valid only during the call.
    func withPointers<Result>(_ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> Result) -> Result {
        storage.withUnsafeBufferPointer { buffer in
            // Non-nil offsets exist only when `storage` is not empty, so `baseAddress` is set when used.
            let pointers = offsets.map { offset in offset.map { buffer.baseAddress! + $0 } }
            return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
        }
    }
}
