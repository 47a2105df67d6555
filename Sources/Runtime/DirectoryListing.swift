internal import Glibc

/// The names in a folder: the one place the product lists a folder (without Foundation).
public enum DirectoryListing {
    /// The names of the entries of `path` (files and folders, hidden ones included, without `.` and `..`), in the
    /// order the file system gives them; `.unreadable` with `errno` when the folder cannot be opened.
    public static func names(in path: String) throws(FileReadError) -> [String] {
        guard let directory = opendir(path) else { throw .unreadable(errno: errno) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
