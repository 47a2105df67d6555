import Foundation

/// A process's resident memory as Linux reports it in `/proc/<pid>/status`.
struct ProcessMemory: Sendable, CustomStringConvertible {
    /// `VmRSS`: resident now, in KiB.
    let residentKilobytes: Int
    /// `VmHWM`: the most it has ever been resident, in KiB (what a burst cost, even if it was given back).
    let peakResidentKilobytes: Int

    /// The memory of process `pid` now.
    static func of(_ pid: Int32) throws -> ProcessMemory {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        func kilobytes(_ field: String) throws -> Int {
            let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") }
            guard let value = line?.split(whereSeparator: \.isWhitespace).dropFirst().first.flatMap({ Int($0) })
            else { throw TestFailure("no \(field) in /proc/\(pid)/status") }
            return value
        }
        return ProcessMemory(residentKilobytes: try kilobytes("VmRSS"), peakResidentKilobytes: try kilobytes("VmHWM"))
    }

    /// The children of process `parent` (from each process's `/proc/<pid>/stat`).
    static func children(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            // pid (comm) state ppid …: the command may hold spaces and parentheses, so read after the last ")".
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == parent
        }
    }

    var description: String {
        "VmRSS \(residentKilobytes / 1024) MiB, VmHWM \(peakResidentKilobytes / 1024) MiB"
    }
}
