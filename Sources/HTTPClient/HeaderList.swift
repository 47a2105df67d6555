internal import CCurl

/// The owner of a `curl_slist` of request header lines, freed in `deinit` (so on every path, failures included).
///
/// libcurl does not copy the list: "The linked list should be a fully valid list of struct curl_slist structs
/// properly filled in. [...] libcurl does not copy the list, it needs to be kept around until after the transfer
/// has completed." The client keeps this object alive across `curl_easy_perform`.
final class HeaderList {
    private(set) var pointer: UnsafeMutablePointer<curl_slist>?

    /// A list of `Name: value` lines. An empty value is written `Name:`, which tells libcurl to send no such
    /// header at all (how `Expect:` switches off `100-continue`).
    init(_ fields: [(name: String, value: String)]) throws(HTTPClientError) {
        for (name, value) in fields {
            let line = value.isEmpty ? "\(name):" : "\(name): \(value)"
            guard let appended = curl_slist_append(pointer, line) else {
                // "A null pointer is returned if anything went wrong, otherwise the new list pointer is returned"
                // and the old list stays valid: deinit frees it.
                throw .initializationFailed
            }
            pointer = appended
        }
    }

    deinit {
        curl_slist_free_all(pointer)
    }
}
